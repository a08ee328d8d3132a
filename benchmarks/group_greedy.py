"""The ``group-greedy`` peer: "nearest group with room", what a coordinator does by hand.

The rule is :func:`matchcore.groups.greedy.greedy_groups`, described there
(matchcore starts its exact model from it and falls back on it); this peer
runs it alone.
The plan is written as matchcore writes one (:func:`matchcore.groups.outcome.group_plan`),
so the document has the same fields and reasons and goes through the same
checker. Problems with tasks beside the groups are not for this peer.
"""

from __future__ import annotations

import time

from matchcore.groups.candidates import build_group_candidates
from matchcore.groups.greedy import greedy_groups
from matchcore.groups.model import GroupChoice
from matchcore.groups.outcome import group_plan
from matchcore.problem import Problem
from matchcore.solution import Objective, Solution, Status


def solve_group_greedy(problem: Problem) -> tuple[Solution, dict[str, float], int]:
    """The greedy plan of ``problem``'s groups, seconds per phase, and the passes made."""
    phases: dict[str, float] = {}
    tick = time.perf_counter()
    gc = build_group_candidates(problem)
    phases["candidates"] = round(time.perf_counter() - tick, 4)
    tick = time.perf_counter()
    greedy = greedy_groups(problem, gc)
    phases["greedy"] = round(time.perf_counter() - tick, 4)
    choice = GroupChoice(gc, greedy.opened, greedy.f_chosen, greedy.q_chosen, False, frozenset())
    plan = group_plan(problem, choice, ())
    solution = Solution(
        status=Status.FEASIBLE,
        assignments=(),
        unassigned=(),
        objective=Objective(served_requests=0, served_priority=0.0, continuity=0, travel_km=0.0),
        bound=0.0,
        group_plan=plan,
    )
    return solution, phases, greedy.passes
