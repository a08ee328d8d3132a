"""Instance families: which problems the suite generates, and how.

A family is one generated problem, described by a plain JSON-able *spec*
(generator arguments plus one optional transform), so that every peer
subprocess can rebuild exactly the same problem from the spec instead of
parsing a large JSON file. :func:`load_problem` also accepts a problem
document in format v1, so the peers run on any problem.

Axes
----
size
    ``T`` tiny 30 x 60 (smoke test only), ``N`` network 500 x 200,
    ``S`` 200 x 500, ``M`` 5,000 x 20,000, ``L`` 50,000 x 200,000
    (volunteers x requests). S, M, N and T are drawn in the *zorgnetwerken*
    (South Limburg and West Flanders); L in the ``national`` geography
    (~140 Dutch and Flemish cities and towns).
timing
    ``untimed``: no availability, no windows. ``timed``: a week of
    availability blocks and request windows.
kind
    ``single``: every request needs one volunteer and nobody has a minute
    budget (the generator's ``max_minutes`` are dropped), so the problem is
    a pure b-matching that plain min-cost flow and scipy's matching solve
    exactly. ``teams``: the generator as it comes: 5% of the requests need
    two volunteers and a quarter of the volunteers have a minute budget.
    Timed families are always ``teams``.
supply
    ``ample``: the size's nominal volunteer count. ``scarce``: a quarter of
    it, for the same requests.

Two further kinds (issues 13 and 10):

``budgets`` with supply ``capped`` (issue 13's national batch "where
volunteers are scarce in places"): the size's nominal volunteer count, but
*every* volunteer has a weekly task limit (1 to 5), 30% a minute budget,
and 3% of the requests need two volunteers; supply runs out wherever
requests are dense, so many requests stay out for ``capacity``.

``groups`` (issue 10): a regional network of self-help groups. ``G`` is 300
groups x 5,000 participants with 1,000 volunteers (the facilitators) in
the *zorgnetwerken*, no tasks; ``T`` a tiny one. Built by
:mod:`benchmarks.group_family` in matchcore's groups format.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matchcore.problem import Problem

# size -> (volunteers, requests, region)
SIZES: dict[str, tuple[int, int, str]] = {
    "T": (30, 60, "zorgnetwerken"),
    "N": (500, 200, "zorgnetwerken"),
    "S": (200, 500, "zorgnetwerken"),
    "M": (5_000, 20_000, "zorgnetwerken"),
    "L": (50_000, 200_000, "national"),
    "G": (1_000, 5_000, "zorgnetwerken"),  # volunteers x participants (groups family)
}
SIZE_ORDER = ("T", "N", "S", "M", "L", "G")
SCARCE_DIVISOR = 4
TEAM_SHARE = 0.05  # the generator's default share of two-volunteer requests
# The ``budgets`` kind (issue 13): teams, minute budgets and task limits as the issue states.
BUDGETS_TEAM_SHARE = 0.03
BUDGETS_MINUTE_SHARE = 0.30
CAPPED_TASK_LIMIT_SHARE = 1.0
# Groups per size for the ``groups`` kind (participants are the size's second number).
GROUPS_PER_SIZE = {"T": 8, "G": 300}
TINY_GROUP_SIZE = (30, 60)  # volunteers x participants of the tiny groups family
TINY_GROUP_REGION = "westhoek"  # one local network's area: the tiny groups can open

# The families of each size, as (timing, kind, supply). L timed is issue 13's
# "national week": a feasible plan with a proven bound within 300 s and 8 GB.
FAMILIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "T": (
        ("untimed", "single", "ample"),
        ("untimed", "budgets", "capped"),
        ("timed", "teams", "ample"),
        ("timed", "groups", "ample"),
    ),
    "N": (("timed", "teams", "ample"),),
    "S": (
        ("untimed", "single", "ample"),
        ("untimed", "single", "scarce"),
        ("untimed", "teams", "ample"),
        ("timed", "teams", "ample"),
        ("timed", "teams", "scarce"),
    ),
    "M": (
        ("untimed", "single", "ample"),
        ("untimed", "single", "scarce"),
        ("untimed", "teams", "ample"),
        ("timed", "teams", "ample"),
        ("timed", "teams", "scarce"),
    ),
    "L": (
        ("untimed", "single", "ample"),
        ("untimed", "teams", "ample"),
        ("untimed", "budgets", "capped"),
        ("timed", "teams", "ample"),
    ),
    "G": (("timed", "groups", "ample"),),
}
# Families whose time limit differs from their size's (seconds): the issue measured
# the scarce national batch with a 300 s limit.
FAMILY_TIME_LIMITS = {"L-untimed-budgets-capped": 300.0, "L-timed-teams-ample": 300.0}


@dataclass(frozen=True)
class Family:
    """One generated instance and the axes it sits on."""

    size: str
    timing: str
    kind: str
    supply: str
    seed: int = 0

    @property
    def name(self) -> str:
        base = f"{self.size}-{self.timing}-{self.kind}-{self.supply}"
        return base if self.seed == 0 else f"{base}-seed{self.seed}"

    @property
    def volunteers(self) -> int:
        n = TINY_GROUP_SIZE[0] if self.is_groups and self.size == "T" else SIZES[self.size][0]
        return max(n // SCARCE_DIVISOR, 1) if self.supply == "scarce" else n

    @property
    def is_groups(self) -> bool:
        return self.kind == "groups"

    @property
    def time_limit_s(self) -> float | None:
        """This family's own time limit, when it differs from its size's."""
        return FAMILY_TIME_LIMITS.get(self.name)

    @property
    def requests(self) -> int:
        return SIZES[self.size][1]

    @property
    def region(self) -> str:
        return SIZES[self.size][2]

    def spec(self) -> dict[str, Any]:
        """The plain description a peer subprocess rebuilds the problem from."""
        if self.is_groups:
            participants = TINY_GROUP_SIZE[1] if self.size == "T" else self.requests
            return {
                "family": self.name,
                "groups": {
                    "volunteers": self.volunteers,
                    "groups": GROUPS_PER_SIZE[self.size],
                    "participants": participants,
                    "region": TINY_GROUP_REGION if self.size == "T" else self.region,
                    "seed": self.seed,
                },
            }
        if self.kind == "budgets":
            return {
                "family": self.name,
                "generate": {
                    "volunteers": self.volunteers,
                    "requests": self.requests,
                    "region": self.region,
                    "timed": self.timing == "timed",
                    "seed": self.seed,
                    "multi_volunteer_share": BUDGETS_TEAM_SHARE,
                    "minute_limit_share": BUDGETS_MINUTE_SHARE,
                    "task_limit_share": CAPPED_TASK_LIMIT_SHARE if self.supply == "capped" else 0.4,
                },
                "drop_minute_limits": False,
            }
        return {
            "family": self.name,
            "generate": {
                "volunteers": self.volunteers,
                "requests": self.requests,
                "region": self.region,
                "timed": self.timing == "timed",
                "seed": self.seed,
                "multi_volunteer_share": 0.0 if self.kind == "single" else TEAM_SHARE,
            },
            "drop_minute_limits": self.kind == "single",
        }


def families_for(sizes: list[str], seed: int = 0) -> list[Family]:
    """The families of ``sizes``, in the suite's order (smallest first)."""
    out: list[Family] = []
    for size in SIZE_ORDER:
        if size in sizes:
            out.extend(Family(size, t, k, s, seed) for t, k, s in FAMILIES[size])
    return out


def problem_from_spec(spec: dict[str, Any]) -> Problem:
    """Build the problem a spec describes (deterministic)."""
    from matchcore.synth.generate import generate

    if "groups" in spec:
        from benchmarks.group_family import generate_groups

        return generate_groups(**spec["groups"])
    problem = generate(**spec["generate"])
    if spec.get("drop_minute_limits"):
        volunteers = tuple(dataclasses.replace(v, max_minutes=None) for v in problem.volunteers)
        problem = dataclasses.replace(problem, volunteers=volunteers)
    return problem


def load_problem(path: Path) -> Problem:
    """A problem from a spec file (``{"generate": ...}``) or a format-v1 problem file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and ("generate" in data or "groups" in data):
        return problem_from_spec(data)
    return Problem.from_dict(data)
