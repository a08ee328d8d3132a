"""The ``group-greedy`` peer: "nearest group with room", what a coordinator does by hand.

On the candidate pairs of :func:`matchcore.groups.candidates.build_group_candidates`
(a participant's pairs are the groups on their topics, in range and at times
they are free, that enough trained facilitators could lead):

1. Participants go one by one, those who could join the most valuable group
   first (the highest group ``priority`` among their pairs), then in input
   order. Each takes the nearest group (on any of their topics) that has
   room, does not meet at the same time as a group they already joined, and
   is led: a group gets its facilitators when its first participant comes,
   the nearest trained volunteers whose session blocks (with travel from
   home and back) overlap none of their other groups and fit their task
   and minute limits; when too few are free, the participant tries the next
   group. A participant joins up to ``max_groups`` groups.
2. A group that ends the pass below ``min_participants`` closes for good:
   its participants and facilitators are free again, and the pass repeats
   for everyone not placed, until no group closes.

The rule itself is :func:`matchcore.groups.greedy.greedy_groups` (matchcore
starts its exact model from it and falls back on it); this peer runs it alone.
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
