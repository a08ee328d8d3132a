"""Independent parts of a problem, as plain arrays that any engine can solve.

Two requests are in the same part when a chain of shared candidate
volunteers links them; parts share nothing, so solving each optimally solves
the whole problem optimally. A :class:`Part` holds only numpy arrays and
ints, so it pickles cheaply to another process; no OR-Tools object crosses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matchcore.tasks.arrays import NO_LIMIT_HI, DailyLimits, TaskArrays, csr_rows
from matchcore.tasks.candidates import Candidates
from matchcore.tasks.roles import part_role_fields

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Part:
    """One independent part: local requests, local volunteers, their pairs.

    Pairs are sorted by local request. ``pair_ptr`` gives each local
    request's pairs in CSR form. Priorities are integers (scaled), distances
    whole metres. ``pin_pair`` marks pairs a pinned commitment fixes;
    ``pin_start`` is the pinned start minute or ``NO_START``. ``dist_m`` and
    ``travel`` cover a ride's client -> destination leg too
    (:meth:`~matchcore.tasks.arrays.TaskArrays.trip`). Per-request and
    per-volunteer fields mean what they mean in
    :class:`~matchcore.tasks.arrays.TaskArrays`, restricted to the part.
    Start intervals are per CSR row (a pair's rows are
    ``start_ptr[p]:start_ptr[p+1]``), and so are ``start_window`` and
    ``window_minutes`` (the length of the row's availability window).
    """

    requests: I64  # global request index of each local request
    volunteers: I64  # global volunteer index of each local volunteer
    pairs: I64  # global pair index of each local pair
    p_req: I64
    p_vol: I64
    dist_m: I64
    travel: I64
    preferred: BOOL
    start_ptr: I64
    start_lo: I64
    start_hi: I64
    start_window: I64  # per CSR row: global availability window id
    window_minutes: I64  # per CSR row: that window's length in minutes
    pair_ptr: I64
    need: I64
    priority: I64
    duration: I64
    timed: BOOL
    pinned: BOOL
    pin_pair: BOOL
    pin_start: I64
    max_tasks: I64
    max_minutes: I64
    # Re-planning (matchcore.replan): pairs of still-feasible previous
    # assignments, and their start per local request (NO_START: none/untimed).
    keep_pair: BOOL = field(default_factory=lambda: np.zeros(0, dtype=bool))
    keep_start: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Limits per day (TaskArrays.daily), empty when nobody has one: per local
    # volunteer the limits, per CSR row its local day (rows are cut at local
    # midnight, so each lies in one day), and the calendar's midnights.
    day_tasks: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    day_minutes: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_day: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    day_starts: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # options.fairness == "balance": the objective's fairness level applies.
    fair: bool = False
    # Team roles (matchcore.tasks.roles.part_role_fields): each local request's
    # roles ``role_ptr[r]:role_ptr[r+1]`` with their ``role_count``, and one row
    # per (pair, role it fits); all empty when no request of the part has roles.
    role_ptr: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    role_count: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fit_pair: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fit_role: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Repeating requests: per local request, its series' number (-1: none);
    # empty when the problem has none (engines/objective.py, series continuity).
    series: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_requests(self) -> int:
        return int(self.requests.size)

    @property
    def n_volunteers(self) -> int:
        return int(self.volunteers.size)

    @property
    def n_pairs(self) -> int:
        return int(self.pairs.size)

    def intervals(self, pair: int) -> list[tuple[int, int]]:
        a, b = int(self.start_ptr[pair]), int(self.start_ptr[pair + 1])
        return list(zip(self.start_lo[a:b].tolist(), self.start_hi[a:b].tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class PartResult:
    """An engine's answer for one part, in local indices.

    ``bound`` is a proven upper bound on the part's scaled served priority.
    """

    chosen: BOOL  # per local pair
    start: I64  # per local request, NO_START when unserved or untimed
    optimal: bool
    bound: int
    engine: str


def split_parts(cand: Candidates, arrays: TaskArrays) -> list[Part]:
    """The independent parts of the candidate graph (those that hold any pair).

    A request links to what its pairs use up. A volunteer whose task or
    minute limit could bind is one shared resource. Otherwise each of their
    availability windows is a resource of its own (blocks in different
    windows can never overlap), and an untimed pair uses nothing shared at
    all. So a week of timed requests falls apart into days, and each part is
    still solved exactly. A limit per day that could bind, and fairness
    (which counts each volunteer's tasks over the whole plan), make the
    volunteer one shared resource too. The occurrences of one repeating
    request are one part: their continuity (one volunteer for the series) is
    not separable.
    """
    n_req, n_vol = arrays.n_r, arrays.n_v
    if cand.n_pairs == 0:
        return []
    load = arrays.duration[cand.req] + 2 * cand.travel_min
    tasks = np.bincount(cand.vol, minlength=n_vol)
    minutes = np.bincount(cand.vol, weights=load, minlength=n_vol)
    binding = (arrays.max_tasks < tasks) | (arrays.max_minutes < minutes)
    binding |= _daily_binding(cand, arrays, load)
    if arrays.fair:  # a volunteer's load is counted over all their windows
        binding[:] = True

    pair_of_row = np.repeat(np.arange(cand.n_pairs), np.diff(cand.start_ptr))
    row_free = ~binding[cand.vol[pair_of_row]]
    pair_free = ~binding[cand.vol]
    untimed_free = pair_free & (np.diff(cand.start_ptr) == 0)
    window_base = n_req + n_vol
    pair_base = window_base + int(cand.window_minutes.size)
    series_base = pair_base + cand.n_pairs
    in_series = np.flatnonzero(arrays.series >= 0) if arrays.series.size else np.zeros(0, np.int64)
    heads = np.concatenate(
        (
            (n_req + cand.vol)[~pair_free],  # the volunteer as a whole
            window_base + cand.start_window[row_free],  # one availability window
            pair_base + np.flatnonzero(untimed_free),  # nothing shared
            series_base + arrays.series[in_series],  # one series
        )
    )
    tails = np.concatenate(
        (cand.req[~pair_free], cand.req[pair_of_row[row_free]], cand.req[untimed_free], in_series)
    )
    n_series = int(arrays.series.max()) + 1 if in_series.size else 0
    n_nodes = series_base + n_series
    graph = coo_matrix(
        (np.ones(tails.size, dtype=np.int8), (tails, heads)), shape=(n_nodes, n_nodes)
    )
    _, label = connected_components(graph, directed=False)
    pair_label = label[cand.req]
    order = np.argsort(pair_label, kind="stable")  # stays sorted by request inside
    bounds = np.flatnonzero(np.diff(pair_label[order])) + 1
    return [make_part(cand, arrays, idx) for idx in np.split(order, bounds)]


def whole_part(cand: Candidates, arrays: TaskArrays) -> Part:
    """All pairs as one part, undecomposed (for comparisons and baselines)."""
    return make_part(cand, arrays, np.arange(cand.n_pairs, dtype=np.int64))


def make_part(cand: Candidates, arrays: TaskArrays, pairs: I64) -> Part:
    """The part made of the given pairs (sorted by request), with local indices."""
    requests, p_req = np.unique(cand.req[pairs], return_inverse=True)
    volunteers, p_vol = np.unique(cand.vol[pairs], return_inverse=True)
    counts = np.diff(cand.start_ptr)[pairs]
    rows = csr_rows(cand.start_ptr, pairs)
    part = Part(
        requests=requests,
        volunteers=volunteers,
        pairs=pairs,
        p_req=p_req.astype(np.int64),
        p_vol=p_vol.astype(np.int64),
        dist_m=arrays.trip_metres(cand.req[pairs], cand.distance_km[pairs]),
        travel=cand.travel_min[pairs],
        preferred=cand.preferred[pairs],
        start_ptr=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        start_lo=cand.start_lo[rows],
        start_hi=cand.start_hi[rows],
        start_window=cand.start_window[rows],
        window_minutes=cand.window_minutes[cand.start_window[rows]],
        pair_ptr=np.concatenate(([0], np.cumsum(np.bincount(p_req)))).astype(np.int64),
        need=arrays.need[requests],
        priority=arrays.priority[requests],
        duration=arrays.duration[requests],
        timed=arrays.timed[requests],
        pinned=arrays.pinned[requests],
        pin_pair=arrays.pin_pair[pairs],
        pin_start=arrays.pin_start[requests],
        max_tasks=arrays.max_tasks[volunteers],
        max_minutes=arrays.max_minutes[volunteers],
        **_keep_fields(arrays, pairs, requests),
        fair=arrays.fair,
        **_role_fields(cand, arrays, pairs, requests),
        **_series_fields(arrays, requests),
    )
    if arrays.daily is not None:
        part = _with_days(part, arrays.daily)
    return part


def _daily_binding(cand: Candidates, arrays: TaskArrays, load: I64) -> BOOL:
    """Per volunteer: could a limit per day bind? (Only timed tasks have a day; a
    volunteer with fewer timed candidates, or minutes, than a day allows cannot
    exceed it.)"""
    if arrays.daily is None:
        return np.zeros(arrays.n_v, dtype=bool)
    timed = arrays.timed[cand.req]
    tasks = np.bincount(cand.vol[timed], minlength=arrays.n_v)
    minutes = np.bincount(cand.vol[timed], weights=load[timed], minlength=arrays.n_v)
    return np.asarray((arrays.daily.tasks < tasks) | (arrays.daily.minutes < minutes), dtype=bool)


def _with_days(part: Part, daily: DailyLimits) -> Part:
    """``part`` with its start rows cut at local midnight and each row's day.

    A cut row keeps its availability window, so every engine reads it as
    before; it only gains the day its starts belong to.
    """
    first, last = daily.day_of(part.start_lo), daily.day_of(part.start_hi)
    pieces = last - first + 1
    row = np.repeat(np.arange(part.start_lo.size), pieces)
    offset = np.arange(row.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    day = first[row] + offset
    lo = np.maximum(part.start_lo[row], daily.day_starts[day])
    hi = np.minimum(part.start_hi[row], daily.day_starts[day + 1] - 1)
    pair_of_row = np.repeat(np.arange(part.n_pairs), np.diff(part.start_ptr))
    counts = np.bincount(pair_of_row, weights=pieces, minlength=part.n_pairs).astype(np.int64)
    return replace(
        part,
        start_ptr=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        start_lo=lo,
        start_hi=hi,
        start_window=part.start_window[row],
        window_minutes=part.window_minutes[row],
        row_day=day.astype(np.int64),
        day_tasks=daily.tasks[part.volunteers],
        day_minutes=daily.minutes[part.volunteers],
        day_starts=daily.day_starts,
    )


def has_daily(part: Part) -> bool:
    """Whether ``part`` carries limits per day."""
    return part.day_tasks.size > 0


def daily_bind(part: Part) -> BOOL:
    """Per local volunteer: could a limit per day ever bind in ``part``?"""
    if not has_daily(part):
        return np.zeros(part.n_volunteers, dtype=bool)
    timed = part.timed[part.p_req]
    tasks = np.bincount(part.p_vol[timed], minlength=part.n_volunteers)
    minutes = np.bincount(
        part.p_vol[timed], weights=pair_load(part)[timed], minlength=part.n_volunteers
    )
    return np.asarray((part.day_tasks < tasks) | (part.day_minutes < minutes), dtype=bool)


def day_of_start(part: Part, start: I64) -> I64:
    """The local day index of each start minute (``part`` has limits per day)."""
    return np.searchsorted(part.day_starts, start, side="right").astype(np.int64) - 1


def _role_fields(
    cand: Candidates, arrays: TaskArrays, pairs: I64, requests: I64
) -> dict[str, NDArray[Any]]:
    """The part's role arrays; none when no request has roles."""
    if arrays.roles is None:
        return {}
    return part_role_fields(arrays.roles, requests, cand.req[pairs], arrays.v_sig[cand.vol[pairs]])


def _series_fields(arrays: TaskArrays, requests: I64) -> dict[str, NDArray[Any]]:
    """The part's series numbers; none when the part has no repeating request."""
    if arrays.series.size == 0 or not (arrays.series[requests] >= 0).any():
        return {}
    return {"series": arrays.series[requests]}


def _keep_fields(arrays: TaskArrays, pairs: I64, requests: I64) -> dict[str, NDArray[Any]]:
    """The part's re-planning arrays; none without a previous plan."""
    if not arrays.keep_pair.any():
        return {}
    return {"keep_pair": arrays.keep_pair[pairs], "keep_start": arrays.keep_start[requests]}


def pair_load(part: Part) -> I64:
    """Minutes each pair would cost its volunteer: task plus travel both ways."""
    return part.duration[part.p_req] + 2 * part.travel


def limits_bind(part: Part) -> tuple[BOOL, BOOL]:
    """Per local volunteer: could the task limit, or the minute limit, ever bind?"""
    tasks = np.bincount(part.p_vol, minlength=part.n_volunteers)
    minutes = np.bincount(part.p_vol, weights=pair_load(part), minlength=part.n_volunteers)
    return part.max_tasks < tasks, (part.max_minutes < NO_LIMIT_HI) & (part.max_minutes < minutes)
