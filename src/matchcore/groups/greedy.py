"""The groups' greedy plan: "nearest group with room", what a coordinator does by hand.

On the candidate pairs of :func:`matchcore.groups.candidates.build_group_candidates`
(a participant's pairs are the groups on their topics, in range and at times
they are free, that enough trained facilitators could lead):

1. Participants go one by one, those who could join the most valuable group
   first (the highest group ``priority`` among their pairs), then in input
   order. Each takes the nearest group (on any of their topics) that has
   room, does not meet at the same time as a group they already joined, and
   is led: a group gets its facilitators when its first participant comes,
   the nearest trained volunteers whose session blocks (with travel from
   home and back) overlap none of their other groups or booked task blocks
   and fit their task and minute limits (booked tasks counted); when too
   few are free, the participant tries the next group. A participant joins
   up to ``max_groups`` groups.
2. A group that ends the pass below ``min_participants`` closes for good:
   its participants and facilitators are free again, and the pass repeats
   for everyone not placed, until no group closes.

The exact model (:mod:`matchcore.groups.model`) starts from this plan and
falls back on it when its time runs out, so a time limit never leaves fewer
people placed than this rule does. The ``group-greedy`` benchmark peer is
this plan alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from matchcore.groups.candidates import GroupCandidates
from matchcore.problem import Problem
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, pair_load

Block = tuple[int, int]
"""A half-open span of minutes since the epoch (UTC)."""


@dataclass
class Booked:
    """What a volunteer already does beside the groups: task blocks, task count, minutes."""

    blocks: list[Block] = field(default_factory=list)
    tasks: int = 0
    minutes: int = 0


@dataclass
class _Volunteer:
    """A facilitator's groups so far (session blocks per group) and minutes, over ``booked``."""

    booked: Booked
    groups: dict[int, list[Block]] = field(default_factory=dict)
    minutes: int = 0


def bookings(parts: Sequence[Part], plans: Sequence[PartResult]) -> dict[int, Booked]:
    """Each global volunteer's task blocks, tasks and minutes in the parts' ``plans``.

    A timed task's block runs from its start minus the travel there to its
    end plus the travel back, as the exact models build it.
    """
    out: dict[int, Booked] = {}
    for part, plan in zip(parts, plans, strict=True):
        chosen = np.flatnonzero(plan.chosen)
        if not chosen.size:
            continue
        load = pair_load(part)[chosen]
        vols = part.volunteers[part.p_vol[chosen]]
        reqs = part.p_req[chosen]
        starts = plan.start[reqs]
        timed = part.timed[reqs] & (starts != NO_START)
        lo = starts - part.travel[chosen]
        hi = starts + part.duration[reqs] + part.travel[chosen]
        for v, m, t, a, b in zip(
            vols.tolist(), load.tolist(), timed.tolist(), lo.tolist(), hi.tolist(), strict=True
        ):
            booked = out.setdefault(v, Booked())
            booked.tasks += 1
            booked.minutes += m
            if t:
                booked.blocks.append((a, b))
    return out


class _Greedy:
    """The pass state: members and leaders per group, joined pairs per participant."""

    def __init__(self, problem: Problem, gc: GroupCandidates, booked: Mapping[int, Booked]) -> None:
        self.problem, self.gc, self.booked = problem, gc, booked
        n_g, n_p = gc.n_groups, len(problem.participants)
        # participant pairs nearest first, facilitator pairs nearest first, by CSR
        self.q_order = np.lexsort((gc.q_dist_m, gc.q_person))
        self.q_ptr = np.searchsorted(gc.q_person[self.q_order], np.arange(n_p + 1))
        self.f_order = np.lexsort((gc.f_dist_m, gc.f_group))
        self.f_ptr = np.searchsorted(gc.f_group[self.f_order], np.arange(n_g + 1))
        self.full = np.array([g.max_participants for g in problem.groups], dtype=np.int64)
        self.members = np.zeros(n_g, dtype=np.int64)
        self.leaders: list[list[int] | None] = [None] * n_g  # facilitator pairs
        self.dead = np.zeros(n_g, dtype=bool)
        self.joined: list[list[int]] = [[] for _ in range(n_p)]  # participant pairs
        self.vols: dict[int, _Volunteer] = {}
        # which groups' sessions overlap, only among groups sharing a participant
        self._clash: dict[tuple[int, int], bool] = {}

    def participant_order(self) -> list[int]:
        """Participants by the best group they could join, then in input order."""
        gc = self.gc
        g_prio = np.array([g.priority for g in self.problem.groups], dtype=np.float64)
        best = np.zeros(len(self.problem.participants))
        np.maximum.at(best, gc.q_person, g_prio[gc.q_group])
        return [int(i) for i in np.lexsort((np.arange(best.size), -best))]

    def clash(self, g: int, h: int) -> bool:
        key = (min(g, h), max(g, h))
        if key not in self._clash:
            self._clash[key] = sessions_overlap(self.gc.sessions[g], self.gc.sessions[h])
        return self._clash[key]

    def place(self, i: int, unstaffable: set[int]) -> None:
        """Put participant ``i`` in the nearest groups with room, up to their ``max_groups``."""
        gc = self.gc
        limit = self.problem.participants[i].max_groups
        mine = self.q_order[self.q_ptr[i] : self.q_ptr[i + 1]]
        groups = gc.q_group[mine]
        room = ~self.dead[groups] & (self.members[groups] < self.full[groups])
        for k, g in zip(mine[room].tolist(), groups[room].tolist(), strict=True):
            if len(self.joined[i]) >= limit:
                return
            if g in unstaffable or self.members[g] >= self.full[g] or k in self.joined[i]:
                continue
            if any(self.clash(g, int(gc.q_group[h])) for h in self.joined[i]):
                continue
            if self.leaders[g] is None and not self.staff(g):
                unstaffable.add(g)
                continue
            self.members[g] += 1
            self.joined[i].append(k)

    def state(self, v: int) -> _Volunteer:
        if v not in self.vols:
            self.vols[v] = _Volunteer(self.booked.get(v, Booked()))
        return self.vols[v]

    def fits(self, k: int) -> bool:
        """Whether facilitator pair ``k`` fits its volunteer's time and limits."""
        gc = self.gc
        v, t, g = int(gc.f_vol[k]), int(gc.f_travel[k]), int(gc.f_group[k])
        state, vol = self.state(v), self.problem.volunteers[v]
        if vol.max_tasks is not None and state.booked.tasks + len(state.groups) >= vol.max_tasks:
            return False
        load = gc.session_load(k)
        used = state.booked.minutes + state.minutes
        if vol.max_minutes is not None and used + load > vol.max_minutes:
            return False
        busy = state.booked.blocks + [b for blocks in state.groups.values() for b in blocks]
        if not busy:
            return True
        mine = np.array([(s - t, e + t) for s, e in gc.sessions[g]], dtype=np.int64)
        other = np.array(busy, dtype=np.int64)
        hit = (mine[:, None, 0] < other[None, :, 1]) & (other[None, :, 0] < mine[:, None, 1])
        return not bool(hit.any())

    def staff(self, g: int) -> bool:
        """Give group ``g`` its nearest free facilitators; False (nothing booked) if too few."""
        gc = self.gc
        need = self.problem.groups[g].facilitators_needed
        picked: list[int] = []
        for k in self.f_order[self.f_ptr[g] : self.f_ptr[g + 1]].tolist():
            if len(picked) == need:
                break
            if self.fits(k):
                picked.append(k)
        if len(picked) < need:
            return False
        for k in picked:
            t = int(gc.f_travel[k])
            state = self.state(int(gc.f_vol[k]))
            state.groups[g] = [(s - t, e + t) for s, e in gc.sessions[g]]
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
                del state.groups[g]
                state.minutes -= gc.session_load(k)
            self.leaders[g] = None
            self.members[g] = 0
        if small:
            gone = set(small)
            self.joined = [[k for k in ks if int(gc.q_group[k]) not in gone] for ks in self.joined]
        return len(small)


@dataclass(frozen=True)
class GreedyGroups:
    """The greedy's groups side of a plan, over :class:`GroupCandidates` pairs.

    Attributes
    ----------
    opened, f_chosen, q_chosen
        Per group, per facilitator pair, per participant pair.
    passes
        How many passes the greedy made (one more after each closing round).
    """

    opened: np.ndarray
    f_chosen: np.ndarray
    q_chosen: np.ndarray
    passes: int


def greedy_groups(
    problem: Problem, gc: GroupCandidates, booked: Mapping[int, Booked] | None = None
) -> GreedyGroups:
    """The "nearest group with room" plan of ``problem``'s groups.

    Parameters
    ----------
    problem
        The problem; its groups, participants and volunteers.
    gc
        The groups' candidate pairs of ``problem``.
    booked
        Per global volunteer index, what their tasks already take (see
        :func:`bookings`); none when left out.

    Returns
    -------
    GreedyGroups
        Open groups and chosen pairs; every rule of the groups' checker holds
        beside the booked tasks.
    """
    greedy = _Greedy(problem, gc, booked or {})
    order = greedy.participant_order()
    passes = 0
    while True:
        passes += 1
        unstaffable: set[int] = set()
        for i in order:
            greedy.place(i, unstaffable)
        if greedy.close_small() == 0:
            break
    opened = np.array([leaders is not None for leaders in greedy.leaders], dtype=bool)
    f_chosen = np.zeros(gc.f_group.size, dtype=bool)
    f_chosen[[k for leaders in greedy.leaders for k in leaders or []]] = True
    q_chosen = np.zeros(gc.q_group.size, dtype=bool)
    q_chosen[[k for ks in greedy.joined for k in ks]] = True
    return GreedyGroups(opened, f_chosen, q_chosen, passes)


def sessions_overlap(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """Whether any session of ``a`` overlaps any session of ``b`` (half-open minutes)."""
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)
