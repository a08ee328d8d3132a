"""The greedy engine's fast path for timed one-volunteer requests against a plain
first-fit replay: the same plan, pair by pair, start by start."""

from __future__ import annotations

import numpy as np
import pytest

from matchcore.engines.greedy import solve_greedy
from matchcore.synth.generate import generate
from matchcore.tasks.parts import Part, pair_load, whole_part
from matchcore.tasks.solve import prepare


def _first_fit(part: Part) -> dict[int, tuple[int, int]]:
    """Request -> (pair, start): by priority (fewest pairs first), each request
    takes the first pair (preferred, then nearest) whose volunteer has a task and
    the minutes left and a free block at the earliest minute of its intervals
    (every minute tried, no bisection)."""
    blocks: dict[int, list[tuple[int, int]]] = {}
    tasks = np.zeros(part.n_volunteers, dtype=np.int64)
    minutes = np.zeros(part.n_volunteers, dtype=np.int64)
    load = pair_load(part)
    order = np.lexsort((np.diff(part.pair_ptr), -part.priority))
    out: dict[int, tuple[int, int]] = {}
    for r in order.tolist():
        pairs = np.arange(part.pair_ptr[r], part.pair_ptr[r + 1])
        pairs = pairs[np.lexsort((part.dist_m[pairs], ~part.preferred[pairs]))]
        for p in pairs.tolist():
            v, t, d = int(part.p_vol[p]), int(part.travel[p]), int(part.duration[r])
            if tasks[v] >= part.max_tasks[v] or minutes[v] + load[p] > part.max_minutes[v]:
                continue
            free = [
                s
                for lo, hi in part.intervals(p)
                for s in range(lo, hi + 1)
                if all(s + d + t <= a or b <= s - t for a, b in blocks.get(v, []))
            ]
            if free:
                s = free[0]
                blocks.setdefault(v, []).append((s - t, s + d + t))
                tasks[v] += 1
                minutes[v] += load[p]
                out[r] = (p, s)
                break
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_timed_singles_follow_first_fit(seed: int) -> None:
    problem = generate(12, 30, region="westhoek", seed=seed, multi_volunteer_share=0.0)
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    assert bool(part.timed.all()) and bool((part.need == 1).all())
    assert not part.pinned.any() and part.day_tasks.size == 0
    result = solve_greedy(part)
    got = {
        int(part.p_req[p]): (p, int(result.start[part.p_req[p]]))
        for p in np.flatnonzero(result.chosen).tolist()
    }
    expected = _first_fit(part)
    assert len(expected) > 0
    assert got == expected
