"""Ejection repair: serve an unserved request by moving one task out of its way.

The greedy plan of a large timed part leaves requests unserved mostly because
their few candidate volunteers are busy *at that time* (on timed L's proxies:
median four candidates, most with room in their task and minute limits).
Large-neighbourhood search (:mod:`matchcore.engines.lns`) finds such moves
with CP-SAT, a quarter of a second per neighbourhood; this pass tries them
directly, a fraction of a millisecond each:

For each unserved request ``r`` (most urgent first, fewest candidates first),
for each of its candidates ``v`` (nearest first):

1. ``r`` fits ``v`` as it is now (an earlier move freed it): book it;
2. else, for each task ``q`` of ``v`` in the way of ``r`` (its block overlaps
   the time ``r`` could use with ``v``) that may move and is not more urgent:
   take ``q`` off ``v``; when ``r`` then fits ``v``, book it and put ``q``
   back with any of its candidates (``v`` too, at another time) where it
   fits. The move stands when ``q`` found a place (one more request served),
   or when ``r`` is more urgent than ``q`` (more served priority); otherwise
   it is undone.

Every move keeps every hard rule (no overlap with travel, availability, task
and minute limits: each booking is checked as greedy checks it) and raises
the served priority, the objective's first level, so the plan only improves.
Passes repeat while one improves the plan and time is left. Deterministic.

Only one-volunteer timed requests without pins, roles, kept assignments are
moved or served; parts with limits per day or the fairness level are left
as they are (:func:`applies`).
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from matchcore.engines import objective
from matchcore.engines.roles import has_roles
from matchcore.params import Deadline
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, has_daily, pair_load

log = logging.getLogger(__name__)

_CHECK_EVERY = 64  # moves tried between two reads of the clock

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]


@dataclass(frozen=True)
class _Option:
    """One candidate pair of a request: its volunteer, travel and start rows."""

    pair: int
    vol: int
    travel: int
    load: int  # minutes: the task and travel both ways
    rows: list[tuple[int, int]]  # (earliest, latest start) per row


@dataclass
class _Timeline:
    """One volunteer's booked blocks (sorted, never overlapping) and their requests."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)

    def earliest(self, lo: int, hi: int, before: int, after: int) -> int | None:
        """Earliest start in ``[lo, hi]`` whose block ``[s-before, s+after)`` is free."""
        s = lo
        while s <= hi:
            k = bisect.bisect_right(self.ends, s - before)  # first block ending after s-before
            if k == len(self.starts) or self.starts[k] >= s + after:
                return s
            s = self.ends[k] + before
        return None

    def book(self, start: int, end: int, owner: int) -> None:
        k = bisect.bisect_left(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)
        self.owners.insert(k, owner)

    def unbook(self, owner: int) -> None:
        k = self.owners.index(owner)
        del self.starts[k], self.ends[k], self.owners[k]

    def in_way(self, lo: int, hi: int) -> list[int]:
        """Owners of the blocks that overlap ``[lo, hi)``."""
        k = bisect.bisect_right(self.ends, lo)
        out = []
        while k < len(self.starts) and self.starts[k] < hi:
            out.append(self.owners[k])
            k += 1
        return out


def applies(part: Part) -> bool:
    """Whether the pass can run on ``part``: no limits per day, no fairness level
    (moves would need their bookkeeping), and some request it may serve or move."""
    return not has_daily(part) and not part.fair and bool(movable(part).any())


def movable(part: Part) -> BOOL:
    """Per local request: one-volunteer, timed, unpinned, no roles, no previous
    assignment to keep: the requests the pass may serve or move."""
    out = part.timed & (part.need == 1) & ~part.pinned & ~objective.keepable(part)
    if has_roles(part):
        out &= np.diff(part.role_ptr) == 0
    return np.asarray(out, dtype=bool)


def eject_repair(
    part: Part, plan: PartResult, deadline: Deadline, depth: int = 2, most_options: int = 16
) -> PartResult:
    """``plan`` with unserved requests served by moving tasks out of their way.

    Parameters
    ----------
    part
        The part.
    plan
        A feasible plan of ``part`` (e.g. the greedy one).
    deadline
        The pass stops (with the moves made so far) when it expires.

    Returns
    -------
    PartResult
        A feasible plan whose served priority is at least ``plan``'s (``plan``
        itself when nothing moved or :func:`applies` is False), with ``plan``'s
        bound and ``optimal`` False.
    """
    if not applies(part) or deadline.expired():
        return plan
    book = _Book(part, plan, most_options, deadline)
    passes = total = 0
    while not deadline.expired():
        gained = book.sweep(depth)
        total += gained
        passes += 1
        if gained == 0:
            break
    log.debug("eject: +%d priority in %d passes", total, passes)
    if total == 0:
        return plan
    return PartResult(book.chosen, book.start, False, plan.bound, plan.engine)


class _Book:
    """The plan being repaired: per volunteer its timeline, tasks and minutes."""

    def __init__(self, part: Part, plan: PartResult, most_options: int, deadline: Deadline) -> None:
        self.part = part
        self.most_options = most_options
        self.deadline = deadline
        self.tries = 0  # moves tried: the deadline is read every ``_CHECK_EVERY``
        self.expired = False
        self.chosen = plan.chosen.copy()
        self.start = plan.start.copy()
        self.can_move = movable(part).tolist()
        self.lines = [_Timeline() for _ in range(part.n_volunteers)]
        used = np.flatnonzero(self.chosen)
        load = pair_load(part)
        self.tasks = np.bincount(part.p_vol[used], minlength=part.n_volunteers).tolist()
        minutes = np.bincount(part.p_vol[used], weights=load[used], minlength=part.n_volunteers)
        self.minutes = np.rint(minutes).astype(np.int64).tolist()
        self.max_tasks = part.max_tasks.tolist()
        self.max_minutes = part.max_minutes.tolist()
        self.priority: list[int] = part.priority.tolist()
        self.duration: list[int] = part.duration.tolist()
        self.options: dict[int, list[_Option]] = {}  # per request, when first needed
        self.where: dict[int, _Option] = {}  # the option serving a movable request
        self.chain: set[int] = set()  # requests of the move being tried: never ejected
        self.journal: list[tuple[int, _Option, int, bool]] = []  # (request, option, start, booked)
        timed = used[part.timed[part.p_req[used]]]
        for p, r, v, t in zip(
            timed.tolist(),
            part.p_req[timed].tolist(),
            part.p_vol[timed].tolist(),
            part.travel[timed].tolist(),
            strict=True,
        ):
            s = int(self.start[r])
            self.lines[v].book(s - t, s + self.duration[r] + t, r)
            if self.can_move[r]:
                self.where[r] = _Option(p, v, t, self.duration[r] + 2 * t, [])

    def sweep(self, depth: int) -> int:
        """One pass over the unserved requests; the served priority gained (the
        moves made so far when the deadline expires)."""
        part = self.part
        served = np.zeros(part.n_requests, dtype=bool)
        served[part.p_req[self.chosen]] = True
        n_cand = np.diff(part.pair_ptr)
        todo = np.flatnonzero(~served & movable(part) & (n_cand > 0))
        order = todo[np.lexsort((n_cand[todo], -part.priority[todo]))]
        gained = 0
        for r in order.tolist():
            if self.deadline.expired():
                break
            gained += self._serve(r, depth)
        return gained

    def out_of_time(self) -> bool:
        """Whether the deadline has expired, read every ``_CHECK_EVERY`` moves tried:
        one request's search can try thousands (a volunteer's whole week in its way)."""
        self.tries += 1
        if self.tries % _CHECK_EVERY == 0 and not self.expired:
            self.expired = self.deadline.expired()
        return self.expired

    # -- one request ---------------------------------------------------------------

    def _options(self, r: int) -> list[_Option]:
        """Request ``r``'s pairs, preferred then nearest first, with what a fit
        needs (read from the part's arrays once per request: scalar reads of
        numpy arrays are the pass's main cost otherwise)."""
        found = self.options.get(r)
        if found is not None:
            return found
        part = self.part
        a, b = int(part.pair_ptr[r]), int(part.pair_ptr[r + 1])
        pairs = a + np.lexsort((part.dist_m[a:b], ~part.preferred[a:b]))[: self.most_options]
        lo_all, hi_all, dur = part.start_lo, part.start_hi, self.duration[r]
        out = []
        for p, v, t, ra, rb in zip(
            pairs.tolist(),
            part.p_vol[pairs].tolist(),
            part.travel[pairs].tolist(),
            part.start_ptr[pairs].tolist(),
            part.start_ptr[pairs + 1].tolist(),
            strict=True,
        ):
            rows = list(zip(lo_all[ra:rb].tolist(), hi_all[ra:rb].tolist(), strict=True))
            out.append(_Option(p, v, t, dur + 2 * t, rows))
        self.options[r] = out
        return out

    def _fit(self, r: int, o: _Option) -> int | None:
        """The earliest start of request ``r`` with option ``o`` in the plan as it is."""
        v = o.vol
        if self.tasks[v] >= self.max_tasks[v] or self.minutes[v] + o.load > self.max_minutes[v]:
            return None
        t = o.travel
        line, after = self.lines[v], self.duration[r] + t
        for lo, hi in o.rows:
            s = line.earliest(lo, hi, t, after)
            if s is not None:
                return s
        return None

    def _book(self, r: int, o: _Option, s: int) -> None:
        self.journal.append((r, o, s, True))
        v, t = o.vol, o.travel
        self.lines[v].book(s - t, s + self.duration[r] + t, r)
        self.tasks[v] += 1
        self.minutes[v] += o.load
        self.chosen[o.pair] = True
        self.start[r] = s
        self.where[r] = o

    def _unbook(self, r: int) -> None:
        """Take movable request ``r`` off its volunteer."""
        o = self.where.pop(r)
        self.journal.append((r, o, int(self.start[r]), False))
        self.lines[o.vol].unbook(r)
        self.tasks[o.vol] -= 1
        self.minutes[o.vol] -= o.load
        self.chosen[o.pair] = False
        self.start[r] = NO_START

    def _undo(self, mark: int) -> None:
        """Undo every booking and unbooking since the journal had ``mark`` entries."""
        while len(self.journal) > mark:
            r, o, s, booked = self.journal.pop()
            if booked:
                self._unbook(r)
            else:
                self._book(r, o, s)
            self.journal.pop()  # the entry the undoing itself wrote

    def _serve(self, r: int, depth: int) -> int:
        """Serve unserved request ``r``, moving tasks ``depth`` deep if need be;
        the priority gained (0: nothing changed)."""
        options = self._options(r)
        for o in options:  # a candidate free as the plan is now
            s = self._fit(r, o)
            if s is not None:
                self._book(r, o, s)
                return self.priority[r]
        if depth == 0:
            return 0
        self.chain.add(r)
        try:
            dur = self.duration[r]
            for o in options:
                if not o.rows:
                    continue
                lo = min(a for a, _ in o.rows) - o.travel
                hi = max(b for _, b in o.rows) + dur + o.travel
                for q in self.lines[o.vol].in_way(lo, hi):
                    if q in self.chain or not self.can_move[q]:
                        continue
                    if self.out_of_time():  # what is booked stands; nothing half-made
                        return 0
                    gain = self._swap(r, o, q, depth)
                    if gain:
                        return gain
            return 0
        finally:
            self.chain.discard(r)

    def _swap(self, r: int, o: _Option, q: int, depth: int) -> int:
        """Move ``q`` off ``o``'s volunteer for ``r``; the priority gained (0: undone)."""
        mark = len(self.journal)
        self._unbook(q)
        s = self._fit(r, o)
        if s is None:
            self._undo(mark)
            return 0
        self._book(r, o, s)
        self.chain.add(q)
        try:
            back = self._serve(q, depth - 1)
        finally:
            self.chain.discard(q)
        gain = self.priority[r] - self.priority[q] + back
        if gain > 0:
            return gain
        self._undo(mark)
        return 0
