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

The plan is written as matchcore writes one (:func:`matchcore.groups.outcome.group_plan`),
so the document has the same fields and reasons and goes through the same
checker. Problems with tasks beside the groups are not for this peer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from matchcore.groups.candidates import GroupCandidates, build_group_candidates
from matchcore.groups.model import GroupChoice, sessions_overlap
from matchcore.groups.outcome import group_plan
from matchcore.problem import Problem
from matchcore.solution import Objective, Solution, Status

Block = tuple[int, int]


@dataclass
class _Volunteer:
    """A facilitator's groups so far: their session blocks, task count and minutes."""

    blocks: dict[int, list[Block]] = field(default_factory=dict)  # group -> blocks
    minutes: int = 0


class _Greedy:
    def __init__(self, problem: Problem, gc: GroupCandidates) -> None:
        self.problem, self.gc = problem, gc
        n_g, n_p = gc.n_groups, len(problem.participants)
        order = np.lexsort((gc.q_dist_m, gc.q_person))
        self.q_order = order
        self.q_ptr = np.searchsorted(gc.q_person[order], np.arange(n_p + 1))
        f_order = np.lexsort((gc.f_dist_m, gc.f_group))
        self.f_order = f_order
        self.f_ptr = np.searchsorted(gc.f_group[f_order], np.arange(n_g + 1))
        self.members = np.zeros(n_g, dtype=np.int64)
        self.leaders: list[list[int] | None] = [None] * n_g  # facilitator pairs
        self.dead = np.zeros(n_g, dtype=bool)
        self.joined: list[list[int]] = [[] for _ in range(n_p)]  # participant pairs
        self.vols: dict[int, _Volunteer] = {}

    def participant_order(self) -> list[int]:
        gc, groups = self.gc, self.problem.groups
        g_prio = np.array([g.priority for g in groups], dtype=np.float64)
        best = np.zeros(len(self.problem.participants))
        np.maximum.at(best, gc.q_person, g_prio[gc.q_group])
        return np.lexsort((np.arange(best.size), -best)).tolist()  # type: ignore[no-any-return]

    def place(self, i: int, unstaffable: set[int]) -> None:
        gc, groups = self.gc, self.problem.groups
        person = self.problem.participants[i]
        for k in self.q_order[self.q_ptr[i] : self.q_ptr[i + 1]].tolist():
            if len(self.joined[i]) >= person.max_groups:
                return
            g = int(gc.q_group[k])
            if self.dead[g] or g in unstaffable or self.members[g] >= groups[g].max_participants:
                continue
            if k in self.joined[i] or any(
                sessions_overlap(gc.sessions[g], gc.sessions[int(gc.q_group[h])])
                for h in self.joined[i]
            ):
                continue
            if self.leaders[g] is None and not self.staff(g):
                unstaffable.add(g)
                continue
            self.members[g] += 1
            self.joined[i].append(k)

    def staff(self, g: int) -> bool:
        """Give group ``g`` its nearest free facilitators; False (nothing booked) if too few."""
        gc, vols = self.gc, self.problem.volunteers
        need = self.problem.groups[g].facilitators_needed
        picked: list[int] = []
        for k in self.f_order[self.f_ptr[g] : self.f_ptr[g + 1]].tolist():
            if len(picked) == need:
                break
            v, t = int(gc.f_vol[k]), int(gc.f_travel[k])
            state = self.vols.get(v, _Volunteer())
            vol = vols[v]
            if vol.max_tasks is not None and len(state.blocks) + 1 > vol.max_tasks:
                continue
            load = gc.session_load(k)
            if vol.max_minutes is not None and state.minutes + load > vol.max_minutes:
                continue
            mine = [(s - t, e + t) for s, e in gc.sessions[g]]
            busy = [b for blocks in state.blocks.values() for b in blocks]
            if any(a < d and c < b for a, b in mine for c, d in busy):
                continue
            picked.append(k)
        if len(picked) < need:
            return False
        for k in picked:
            v, t = int(gc.f_vol[k]), int(gc.f_travel[k])
            state = self.vols.setdefault(v, _Volunteer())
            state.blocks[g] = [(s - t, e + t) for s, e in gc.sessions[g]]
            state.minutes += gc.session_load(k)
        self.leaders[g] = picked
        return True

    def close_small(self) -> int:
        """Close every led group below its minimum; how many closed."""
        groups, gc = self.problem.groups, self.gc
        small = [
            g
            for g, leaders in enumerate(self.leaders)
            if leaders is not None and self.members[g] < groups[g].min_participants
        ]
        for g in small:
            self.dead[g] = True
            for k in self.leaders[g] or []:
                state = self.vols[int(gc.f_vol[k])]
                del state.blocks[g]
                state.minutes -= gc.session_load(k)
            self.leaders[g] = None
            self.members[g] = 0
        if small:
            gone = set(small)
            self.joined = [[k for k in ks if int(gc.q_group[k]) not in gone] for ks in self.joined]
        return len(small)

    def choice(self) -> GroupChoice:
        gc = self.gc
        opened = np.array([leaders is not None for leaders in self.leaders], dtype=bool)
        f_chosen = np.zeros(gc.f_group.size, dtype=bool)
        for leaders in self.leaders:
            f_chosen[leaders or []] = True
        q_chosen = np.zeros(gc.q_group.size, dtype=bool)
        q_chosen[[k for ks in self.joined for k in ks]] = True
        return GroupChoice(gc, opened, f_chosen, q_chosen, False, frozenset())


def solve_group_greedy(problem: Problem) -> tuple[Solution, dict[str, float], int]:
    """The greedy plan of ``problem``'s groups, seconds per phase, and the passes made."""
    phases: dict[str, float] = {}
    tick = time.perf_counter()
    gc = build_group_candidates(problem)
    phases["candidates"] = round(time.perf_counter() - tick, 4)
    tick = time.perf_counter()
    greedy = _Greedy(problem, gc)
    order = greedy.participant_order()
    rounds = 0
    while True:
        rounds += 1
        unstaffable: set[int] = set()
        for i in order:
            greedy.place(i, unstaffable)
        if greedy.close_small() == 0:
            break
    phases["greedy"] = round(time.perf_counter() - tick, 4)
    plan = group_plan(problem, greedy.choice(), ())
    solution = Solution(
        status=Status.FEASIBLE,
        assignments=(),
        unassigned=(),
        objective=Objective(served_requests=0, served_priority=0.0, continuity=0, travel_km=0.0),
        bound=0.0,
        group_plan=plan,
    )
    return solution, phases, rounds
