"""Team roles in the engines: the CP-SAT constraints and the greedy fill.

A request with roles is served when each of its roles gets exactly its
``count`` members and every member fills one role it fits
(:mod:`matchcore.tasks.roles`). In CP-SAT, each (pair, role it fits) row is
a literal ``z``; a pair is used exactly when one of its rows is
(``x[p] == sum_k z[p, k]``), and role ``k`` has ``count_k * y[r]`` rows.
Relaxations that ignore roles (the flow's, the Lagrangian's of
:mod:`matchcore.engines.relaxation`) only drop constraints, so their bounds
stay upper bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from matchcore.tasks.parts import Part

I64 = NDArray[np.int64]


def has_roles(part: Part) -> bool:
    """Whether some request of ``part`` has roles."""
    return bool(part.role_count.size)


def role_requests(part: Part) -> list[int]:
    """The local requests that have roles."""
    if not has_roles(part):
        return []
    return np.flatnonzero(np.diff(part.role_ptr) > 0).tolist()


def many_roles(part: Part) -> bool:
    """Whether a request of ``part`` has more than one role (a single role of
    ``count`` n is a plain team of n: its pairs fit that role, all of them)."""
    return has_roles(part) and bool((np.diff(part.role_ptr) > 1).any())


def rows_of(part: Part, r: int) -> tuple[list[int], list[int]]:
    """(pair, local role) of every row of local request ``r``."""
    row_req = part.p_req[part.fit_pair]  # non-decreasing: rows are sorted by pair
    a, b = np.searchsorted(row_req, [r, r + 1])
    return part.fit_pair[a:b].tolist(), part.fit_role[a:b].tolist()


def add_roles(
    model: cp_model.CpModel,
    part: Part,
    r: int,
    x: Callable[[int], cp_model.IntVar | None],
    y: cp_model.IntVar,
) -> None:
    """The role constraints of local request ``r``; ``x(p)`` is pair ``p``'s literal,
    or ``None`` when the pair is not in this model (it then serves no role)."""
    by_pair: dict[int, list[cp_model.IntVar]] = {}
    by_role: dict[int, list[cp_model.IntVar]] = {
        k: [] for k in range(int(part.role_ptr[r]), int(part.role_ptr[r + 1]))
    }
    for p, k in zip(*rows_of(part, r), strict=True):
        if x(p) is None:
            continue
        z = model.new_bool_var(f"z{p}_{k}")
        by_pair.setdefault(p, []).append(z)
        by_role[k].append(z)
    for p, zs in by_pair.items():
        var = x(p)
        assert var is not None
        model.add(sum(zs) == var)
    for k, zs in by_role.items():
        model.add(sum(zs) == int(part.role_count[k]) * y)


def fill_roles(part: Part, r: int, pairs: Sequence[int]) -> list[int] | None:
    """Members for every role of local request ``r`` from ``pairs`` (best first), or None.

    The role with the fewest fitting pairs for its count goes first and takes
    its best fitting pairs; each pair serves one role. A heuristic: it may
    miss a filling that exists (the exact engines do not).
    """
    a, b = int(part.role_ptr[r]), int(part.role_ptr[r + 1])
    rank = {p: i for i, p in enumerate(pairs)}
    fitting: dict[int, list[int]] = {k: [] for k in range(a, b)}
    for p, k in zip(*rows_of(part, r), strict=True):
        if p in rank:
            fitting[k].append(p)
    for k in fitting:
        fitting[k].sort(key=rank.__getitem__)
    order = sorted(fitting, key=lambda k: (len(fitting[k]) - int(part.role_count[k]), k))
    used: set[int] = set()
    team: list[int] = []
    for k in order:
        free = [p for p in fitting[k] if p not in used][: int(part.role_count[k])]
        if len(free) < int(part.role_count[k]):
            return None
        used.update(free)
        team.extend(free)
    return team
