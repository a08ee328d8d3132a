"""Candidate pairs: which volunteer could serve which request, and the funnel.

This is where candidates are made. A (request, volunteer) pair is a candidate
when it passes five stages, in order: skills and a shared language; every
credential the request requires, valid (:class:`~matchcore.tasks.arrays.CredentialArrays`);
no exclusion either way; within the volunteer's range; available (some whole-
minute start in the request's window lets the volunteer's block, travel
included, fit one availability window, and their task and minute limits can
hold the task). All stages work on numpy arrays; no Python loop runs over
pairs.

Small problems use a dense distance matrix. Larger ones stream the pairs in
chunks of volunteers (:class:`PairStream`): requests sit in a grid of
latitude rows, sorted by skill set, row and longitude, so that each
volunteer's compatible requests in range lie in a few contiguous slices;
skills, languages and exclusions are checked before any distance.

Memory stays bounded however dense the cities: when the valid pairs would
exceed ``CandidateParams.prune_above_pairs`` (:mod:`matchcore.params`), each
request keeps only its ``keep_nearest`` nearest valid pairs (preferred and
pinned pairs and the pairs of a previous plan always stay). The funnel still
counts every pair, so the reasons stay exact, and :class:`Candidates` records how many pairs each
request lost. A pruned graph
is no proof of anything by itself: :mod:`matchcore.tasks.pricing` re-establishes
optimality for the full graph by pricing the pruned pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matchcore import geo
from matchcore.params import DEFAULT_PARAMS, CandidateParams, SolveParams
from matchcore.problem import EARTH_RADIUS_KM, Problem
from matchcore.tasks.arrays import (
    NO_LIMIT_HI,
    NO_LIMIT_LO,
    PairSet,
    TaskArrays,
    csr_rows,
    isin_sorted,
)
from matchcore.tasks.roles import (
    HOLDERS,
    NO_MINUTES,
    NO_TASKS,
    RoleArrays,
    RoleCounter,
    RoleStats,
)

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]


def _empty_i64() -> I64:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate pairs as plain arrays (picklable; safe to send to processes).

    Pairs are sorted by request, then volunteer. For a timed request each pair
    carries its feasible start minutes as sorted, disjoint closed intervals
    ``start_lo[k]..start_hi[k]`` for ``k`` in ``start_ptr[p]:start_ptr[p+1]``
    (minutes since the Unix epoch, UTC). Untimed pairs have none.

    ``pruned`` is empty unless the graph was pruned; then it holds, per
    request, how many of its valid pairs were left out, and ``task_cap`` per
    volunteer the most tasks its valid pairs *in the full graph* could ever
    hold (``max_tasks``, and no more than its smallest loads that fit in
    ``max_minutes``).
    """

    req: I64
    vol: I64
    distance_km: F64  # home -> client (what the range limits)
    travel_min: I64  # before the task, and after it: for a ride both legs (TaskArrays.trip)
    preferred: BOOL
    start_ptr: I64
    start_lo: I64
    start_hi: I64
    start_window: I64  # per CSR row: global id of the volunteer's availability window
    window_minutes: I64  # per global availability window: its length (NO_LIMIT_HI if unbounded)
    # shape (n_requests, 6): volunteers, skills, not_excluded, in_range, available,
    # credentials (a stage between skills and not_excluded, kept last for the layout)
    funnel: I64
    pruned: I64 = field(default_factory=_empty_i64)
    task_cap: I64 = field(default_factory=_empty_i64)
    # shape (n_requests, 2): of the volunteers in range, how many have no task to
    # give (``max_tasks`` 0), and how many others too few minutes for it, travel
    # included (``max_minutes``); the rest of stage 4 is the time window.
    limits: I64 = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    # per request: volunteers with the skills who hold every required credential,
    # valid or not (empty when no request requires one)
    cred_holders: I64 = field(default_factory=_empty_i64)
    # Team roles (matchcore.tasks.roles.RoleStats): per role, its funnel; per
    # request, the places its roles can fill per stage (empty: no roles).
    role_table: I64 = field(default_factory=lambda: np.zeros((0, 9), dtype=np.int64))
    role_slots: I64 = field(default_factory=lambda: np.zeros((0, 6), dtype=np.int64))

    @property
    def n_pairs(self) -> int:
        return int(self.req.size)

    @property
    def is_pruned(self) -> bool:
        """Whether some valid pairs were left out (see ``CandidateParams.keep_nearest``)."""
        return bool(self.pruned.size) and bool(self.pruned.any())

    @property
    def pruned_pairs(self) -> int:
        """How many valid pairs were left out."""
        return int(self.pruned.sum()) if self.pruned.size else 0

    def starts(self, pair: int) -> list[tuple[int, int]]:
        """Feasible start intervals of one pair (empty for an untimed request)."""
        a, b = self.start_ptr[pair], self.start_ptr[pair + 1]
        return list(zip(self.start_lo[a:b].tolist(), self.start_hi[a:b].tolist(), strict=True))


def build_candidates(
    problem: Problem, arr: TaskArrays, params: SolveParams = DEFAULT_PARAMS
) -> Candidates:
    """All candidate pairs of ``problem`` (or the nearest, see
    ``CandidateParams.prune_above_pairs``) and the exact funnel counts of every
    request, from its arrays ``arr``."""
    cp = params.candidates
    n_v, n_r = arr.n_v, arr.n_r
    funnel = np.zeros((n_r, 6), dtype=np.int64)
    funnel[:, 0] = n_v
    funnel[:, 1] = (arr.v_sig_count[:, None] * arr.compat).sum(axis=0)[arr.r_sig]
    funnel[:, 5] = funnel[:, 1]  # credentials: after skills, before exclusions
    if arr.creds is not None:
        funnel[:, 5] -= np.bincount(arr.creds.fail_key // max(n_v, 1), minlength=n_r)
    ex_r = arr.ex_key // max(n_v, 1)
    ex_ok = arr.compat[arr.v_sig[arr.ex_key % max(n_v, 1)], arr.r_sig[ex_r]]
    funnel[:, 2] = funnel[:, 1] - np.bincount(ex_r[ex_ok], minlength=n_r)

    pruned = _empty_i64()
    task_cap = _empty_i64()
    full_available: I64 | None = None
    if n_v * n_r <= min(cp.dense_cells, cp.prune_above_pairs):
        req, vol, dist = _dense_pairs(arr)
        funnel[:, 3] = np.bincount(req, minlength=n_r)
        limits = _limit_counts(arr, req, vol, arr.trip(req, vol, dist))
    else:
        keys = np.union1d(
            arr.preferred.key, np.union1d(_pin_keys(problem), _previous_keys(problem))
        )
        sel = _stream_select(arr, PairSet(keys // max(n_v, 1), keys % max(n_v, 1), n_r, n_v), cp)
        req, vol, dist = sel.req, sel.vol, sel.dist
        funnel[:, 3] = sel.in_range
        full_available = sel.available  # counted before teams that cannot gather left
        limits = sel.limits
        if sel.pruned is not None:
            pruned, task_cap = sel.pruned, sel.task_cap

    # Stage 4: availability in time, travel included, and the volunteer's limits.
    travel = arr.trip(req, vol, dist)
    keep, start_ptr, start_lo, start_hi, start_window, available = _available_pairs(
        arr, req, vol, travel
    )
    req, vol, dist, travel = req[keep], vol[keep], dist[keep], travel[keep]
    if full_available is not None:
        available = full_available
    funnel[:, 4] = available

    # Requests that cannot gather their whole team at one start keep no pairs.
    servable = available >= arr.need
    roles = None if arr.roles is None else role_stats(arr, cp)
    if roles is not None and arr.roles is not None:  # nor requests whose roles cannot be filled
        servable &= (arr.roles.n_roles == 0) | (roles.slots[:, 4] >= arr.need)
    if not servable.all():
        keep = servable[req]
        row_keep = np.repeat(keep, np.diff(start_ptr))
        start_lo, start_hi, start_window = (a[row_keep] for a in (start_lo, start_hi, start_window))
        start_ptr = np.concatenate(([0], np.cumsum(np.diff(start_ptr)[keep]))).astype(np.int64)
        req, vol, dist, travel = req[keep], vol[keep], dist[keep], travel[keep]
        if pruned.size:
            pruned = np.where(servable, pruned, 0)

    preferred = arr.preferred.contains(req, vol)
    window_minutes = np.where(arr.av_lo == NO_LIMIT_LO, NO_LIMIT_HI, arr.av_hi - arr.av_lo)
    return Candidates(
        req,
        vol,
        dist,
        travel,
        preferred,
        start_ptr,
        start_lo,
        start_hi,
        start_window,
        window_minutes,
        funnel,
        pruned,
        task_cap,
        limits,
        _empty_i64() if arr.creds is None else arr.creds.holders,
        *(() if roles is None else (roles.table, roles.slots)),
    )


def valid_pairs(
    arr: TaskArrays,
    requests: I64 | None = None,
    volunteers: I64 | None = None,
    params: CandidateParams | None = None,
) -> Iterator[tuple[I64, I64, F64]]:
    """(request, volunteer, km) of the pairs passing all four stages, in chunks of
    volunteers, among the given requests and volunteers (default: all). Teams
    that cannot gather are not filtered here (see ``Candidates.funnel``)."""
    for req, vol, dist in PairStream(arr, requests, params).chunks(volunteers):
        keep = _fit_rows(arr, req, vol, arr.trip(req, vol, dist))[0]
        yield req[keep], vol[keep], dist[keep]


def add_pairs(cand: Candidates, arr: TaskArrays, req: I64, vol: I64, dist: F64) -> Candidates:
    """``cand`` with more valid pairs (none already in it), sorted again; the
    funnel stays, and ``pruned`` no longer counts the pairs added back."""
    travel = arr.trip(req, vol, dist)
    keep, ptr, lo, hi, win, _ = _available_pairs(arr, req, vol, travel)
    if not keep.all():
        raise ValueError("add_pairs takes valid pairs only")
    n_v = max(arr.n_v, 1)
    all_req = np.concatenate((cand.req, req))
    all_vol = np.concatenate((cand.vol, vol))
    order = np.argsort(all_req * n_v + all_vol, kind="stable")
    row_ptr = np.concatenate((cand.start_ptr, ptr[1:] + cand.start_ptr[-1]))
    rows = csr_rows(row_ptr, order)
    counts = np.diff(row_ptr)[order]
    pruned = cand.pruned
    if pruned.size:
        pruned = pruned - np.bincount(req, minlength=pruned.size)
    return Candidates(
        all_req[order],
        all_vol[order],
        np.concatenate((cand.distance_km, dist))[order],
        np.concatenate((cand.travel_min, travel))[order],
        np.concatenate((cand.preferred, arr.preferred.contains(req, vol)))[order],
        np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        np.concatenate((cand.start_lo, lo))[rows],
        np.concatenate((cand.start_hi, hi))[rows],
        np.concatenate((cand.start_window, win))[rows],
        cand.window_minutes,
        cand.funnel,
        pruned,
        cand.task_cap,
        cand.limits,
        cand.cred_holders,
        cand.role_table,
        cand.role_slots,
    )


# -- stage 1 -----------------------------------------------------------------------


# -- stage 2 -----------------------------------------------------------------------


def _previous_keys(problem: Problem) -> I64:
    """Keys of the pairs of a previous plan whose request and volunteer are still
    there: kept through pruning like pins, so that keeping them stays possible."""
    n_v = len(problem.volunteers)
    keys = [
        problem.request_index[prev.request_id] * n_v + problem.volunteer_index[vid]
        for prev in problem.previous_plan or ()
        if prev.request_id in problem.request_index
        for vid in prev.volunteer_ids
        if vid in problem.volunteer_index
    ]
    return np.unique(np.array(keys, dtype=np.int64))


def _pin_keys(problem: Problem) -> I64:
    """Keys ``request * n_volunteers + volunteer`` of the pinned pairs, sorted."""
    n_v = len(problem.volunteers)
    keys = [
        problem.request_index[pin.request_id] * n_v + problem.volunteer_index[vid]
        for pin in problem.assignments
        for vid in pin.volunteer_ids
    ]
    return np.unique(np.array(keys, dtype=np.int64))


# -- stage 3 -----------------------------------------------------------------------


def _dense_pairs(arr: TaskArrays) -> tuple[I64, I64, F64]:
    """Stages 1-3 with a dense distance matrix, sorted by (request, volunteer)."""
    dist = geo.great_circle_km(
        arr.r_lat[:, None], arr.r_lon[:, None], arr.v_lat[None, :], arr.v_lon[None, :]
    )
    req, vol = np.nonzero(dist <= arr.reach[None, :])
    req, vol = req.astype(np.int64), vol.astype(np.int64)
    ok = arr.compat[arr.v_sig[vol], arr.r_sig[req]]
    ok &= ~isin_sorted(req * arr.n_v + vol, arr.ex_key)
    return req[ok], vol[ok], dist[req[ok], vol[ok]]


class PairStream:
    """Stages 1-3 in chunks of volunteers: compatible, not excluded, in range.

    The requests (or a subset) sit in a grid sorted by skill group, latitude
    row and longitude. A volunteer's range covers a band of rows and, in each,
    one longitude interval (two across the antimeridian), so the requests it
    could reach in a group are a few contiguous slices. Slices are cut from
    volunteers' compatible groups only; languages and exclusions are checked
    per pair before the distance, which is the chord distance of the k-d tree
    path it replaces (identical pairs and distances).
    """

    def __init__(
        self, arr: TaskArrays, requests: I64 | None = None, params: CandidateParams | None = None
    ) -> None:
        self.arr = arr
        self.params = params or CandidateParams()
        sel = np.arange(arr.n_r, dtype=np.int64) if requests is None else requests
        self.h_deg = self.params.row_km / (EARTH_RADIUS_KM * np.pi / 180.0)
        lat = arr.r_lat[sel]
        self.lat0 = float(lat.min()) if sel.size else 0.0
        row = np.floor((lat - self.lat0) / self.h_deg).astype(np.int64)
        self.n_rows = int(row.max()) + 1 if sel.size else 1
        key = (arr.r_group[sel] * self.n_rows + row) * 1024.0 + (arr.r_lon[sel] + 180.0)
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.req = sel[order]
        xyz = geo.unit_vectors(arr.r_lat[self.req], arr.r_lon[self.req])
        self.rx, self.ry, self.rz = (np.ascontiguousarray(xyz[:, k]) for k in range(3))
        self.r_sig = arr.r_sig[self.req].astype(np.int32)

    def chunks(self, volunteers: I64 | None = None) -> Iterator[tuple[I64, I64, F64]]:
        """(request, volunteer, km) of the pairs passing stages 1-3, a chunk of
        volunteers at a time; every volunteer's pairs come in one chunk."""
        vsel = np.arange(self.arr.n_v, dtype=np.int64) if volunteers is None else volunteers
        if vsel.size == 0 or self.req.size == 0:
            return
        s_vol, s_lo, s_hi = self._slices(vsel)
        counts = s_hi - s_lo
        per_vol = np.bincount(s_vol, weights=counts, minlength=vsel.size).astype(np.int64)
        first_slice = np.searchsorted(s_vol, np.arange(vsel.size + 1))
        pairs = _Expander(self, vsel)
        bounds = _chunk_bounds(per_vol, self.params.chunk_pairs)
        for v0, v1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            a, b = int(first_slice[v0]), int(first_slice[v1])
            if counts[a:b].sum():
                yield pairs.expand(s_vol[a:b], s_lo[a:b], s_hi[a:b])[:3]

    def blocks(self) -> Iterator[tuple[I64, I64, F64, I64, int]]:
        """The same pairs (of all volunteers) a block of requests at a time, in
        volunteer order: every request's pairs come in one block. Yields
        (request, volunteer, km, request's index in the block, block size)."""
        vsel = np.arange(self.arr.n_v, dtype=np.int64)
        n = self.req.size
        block_pairs = self.params.chunk_pairs
        if vsel.size == 0 or n == 0:
            return
        s_vol, s_lo, s_hi = self._slices(vsel)
        # Pairs fetched per request position, then blocks of about block_pairs.
        cover = np.cumsum(np.bincount(s_lo, minlength=n + 1) - np.bincount(s_hi, minlength=n + 1))
        fetched = np.cumsum(cover[:n])
        cuts = np.searchsorted(fetched, np.arange(block_pairs, int(fetched[-1]), block_pairs))
        bounds = np.unique(np.concatenate(([0], cuts + 1, [n])))
        bounds = bounds[bounds <= n]
        pairs = _Expander(self, vsel)
        for p0, p1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            hit = np.flatnonzero((s_lo < p1) & (s_hi > p0))
            if hit.size:
                lo = np.maximum(s_lo[hit], p0)
                hi = np.minimum(s_hi[hit], p1)
                req, vol, dist, pos = pairs.expand(s_vol[hit], lo, hi)
                yield req, vol, dist, pos - p0, p1 - p0

    def _slices(self, vsel: I64) -> tuple[I64, I64, I64]:
        """Per slice: the volunteer's position in ``vsel`` and the slice's
        [lo, hi) in the sorted requests; sorted by volunteer."""
        arr = self.arr
        lat, lon = arr.v_lat[vsel], arr.v_lon[vsel]
        alpha = np.degrees(np.minimum(arr.reach[vsel] / EARTH_RADIUS_KM, np.pi)) * (1 + 1e-9)
        alpha += 1e-9
        row_lo = np.maximum(np.floor((lat - alpha - self.lat0) / self.h_deg), 0).astype(np.int64)
        row_hi = np.minimum(np.floor((lat + alpha - self.lat0) / self.h_deg), self.n_rows - 1)
        n_rows = np.maximum(row_hi.astype(np.int64) - row_lo + 1, 0)
        polar = np.abs(lat) + alpha >= 90.0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.sin(np.radians(np.minimum(alpha, 90.0))) / np.cos(np.radians(lat))
        full = polar | ~(ratio < 1.0)
        half = np.where(full, 180.0, np.degrees(np.arcsin(np.where(full, 0.0, ratio))))
        half = half * (1 + 1e-9) + 1e-6
        lo, hi = lon - half, lon + half
        full |= half >= 180.0
        # Up to two longitude intervals per volunteer (one more across the antimeridian).
        lo1 = np.where(full, -181.0, np.maximum(lo, -180.0 - 1e-6))
        hi1 = np.where(full, 181.0, np.minimum(hi, 180.0 + 1e-6))
        wrap_lo = ~full & (lo < -180.0)
        wrap_hi = ~full & (hi > 180.0)
        lo2 = np.where(wrap_lo, lo + 360.0, -180.0 - 1e-6)
        hi2 = np.where(wrap_lo, 180.0 + 1e-6, hi - 360.0)
        two = wrap_lo | wrap_hi

        vg, group = np.nonzero(self.arr.group_compat[arr.v_sig[vsel]])
        reps = n_rows[vg]
        total = int(reps.sum())
        s_vol = np.repeat(vg, reps).astype(np.int64)
        row = np.repeat(row_lo[vg] - (np.cumsum(reps) - reps), reps) + np.arange(total)
        base = (np.repeat(group, reps) * self.n_rows + row) * 1024.0 + 180.0
        starts = _search(self.key, base + lo1[s_vol], "left")
        ends = _search(self.key, base + hi1[s_vol], "right")
        extra = np.flatnonzero(two[s_vol])
        if extra.size:
            ev = s_vol[extra]
            s_vol = np.concatenate((s_vol, ev))
            starts = np.concatenate((starts, _search(self.key, base[extra] + lo2[ev], "left")))
            ends = np.concatenate((ends, _search(self.key, base[extra] + hi2[ev], "right")))
            order = np.argsort(s_vol, kind="stable")
            s_vol, starts, ends = s_vol[order], starts[order], ends[order]
        keep = ends > starts
        return s_vol[keep], starts[keep].astype(np.int64), ends[keep].astype(np.int64)


class _Expander:
    """Pairs from grid slices of one stream: compatibility, exclusions, distance."""

    def __init__(self, stream: PairStream, vsel: I64) -> None:
        arr = stream.arr
        self.stream, self.vsel, self.arr = stream, vsel, arr
        v_xyz = geo.unit_vectors(arr.v_lat[vsel], arr.v_lon[vsel])
        self.vx, self.vy, self.vz = (np.ascontiguousarray(v_xyz[:, k]) for k in range(3))
        self.chord_max = geo.chord_for_km(arr.reach[vsel]) * (1 + 1e-9)
        self.chord_square = self.chord_max * self.chord_max * (1 + 1e-9)
        self.reach = arr.reach[vsel]
        self.compat = arr.compat.ravel()
        self.vsig_base = arr.v_sig[vsel] * arr.compat.shape[1]
        self.sig_type = np.int32 if arr.compat.size < 2**31 else np.int64

    def expand(self, s_vol: I64, s_lo: I64, s_hi: I64) -> tuple[I64, I64, F64, I64]:
        """(request, volunteer, km, request's grid position) of the slices' pairs
        that pass stages 1-3."""
        st, arr, vsel = self.stream, self.arr, self.vsel
        cnt = s_hi - s_lo
        total = int(cnt.sum())
        # 32-bit positions halve the memory traffic of the widest arrays here.
        vol = np.repeat(s_vol.astype(np.int32), cnt)
        pos = np.repeat((s_lo - (np.cumsum(cnt) - cnt)).astype(np.int32), cnt)
        pos += np.arange(total, dtype=np.int32)
        sig = np.repeat(self.vsig_base[s_vol].astype(self.sig_type), cnt)
        sig += st.r_sig[pos]
        ok = self.compat[sig]
        vol, pos = vol[ok], pos[ok]
        if arr.ex_key.size:
            ok = ~arr.excluded.contains(st.req[pos], vsel[vol])
            vol, pos = vol[ok], pos[ok]
        d = st.rx[pos] - self.vx[vol]
        square = d * d
        d = st.ry[pos] - self.vy[vol]
        square += d * d
        d = st.rz[pos] - self.vz[vol]
        square += d * d
        ok = square <= self.chord_square[vol]  # a superset: the exact tests follow
        vol, pos = vol[ok], pos[ok]
        chord = np.sqrt(square[ok])
        dist = geo.chord_to_km(chord)
        ok = (chord <= self.chord_max[vol]) & (dist <= self.reach[vol])
        pos = pos[ok]
        return st.req[pos], vsel[vol[ok]], dist[ok], pos.astype(np.int64)


def _search(
    sorted_keys: F64, values: NDArray[np.floating[Any]], side: Literal["left", "right"]
) -> I64:
    """``np.searchsorted`` with the values sorted first (much faster for many)."""
    order = np.argsort(values)
    out = np.empty(values.size, dtype=np.int64)
    out[order] = np.searchsorted(sorted_keys, values[order], side=side)
    return out


def _chunk_bounds(per_vol: I64, chunk_pairs: int) -> I64:
    """Volunteer positions that cut ``per_vol`` into runs of about ``chunk_pairs``."""
    cum = np.cumsum(per_vol)
    bounds = [0]
    while bounds[-1] < per_vol.size:
        done = int(cum[bounds[-1] - 1]) if bounds[-1] else 0
        nxt = int(np.searchsorted(cum, done + chunk_pairs, side="right"))
        bounds.append(min(max(nxt, bounds[-1] + 1), per_vol.size))
    return np.array(bounds, dtype=np.int64)


@dataclass
class _Selected:
    """What the streamed stages 1-4 keep: pairs sorted by (request, volunteer)."""

    req: I64
    vol: I64
    dist: F64
    in_range: I64
    pruned: I64 | None  # per request, None when nothing was pruned
    available: I64
    task_cap: I64
    limits: I64


def _stream_select(arr: TaskArrays, protected: PairSet, cp: CandidateParams) -> _Selected:
    """Stages 1-4 over blocks of requests, keeping every valid pair or, past
    ``cp.prune_above_pairs``, each request's ``cp.keep_nearest`` nearest.

    A block holds all pairs of its requests, so the nearest are chosen exactly
    within it; the volunteers' task capacities, which need all their pairs,
    are carried across blocks (:class:`_Fitting`).
    """
    n_r, n_v = arr.n_r, arr.n_v
    in_range = np.zeros(n_r, dtype=np.int64)
    limits = np.zeros((n_r, 2), dtype=np.int64)
    valid = np.zeros(n_r, dtype=np.int64)
    available = np.zeros(n_r, dtype=np.int64)
    team_timed = (arr.need > 1) & arr.timed
    # An untimed pair of a volunteer without a minute budget needs no travel time.
    plain_ok = (np.diff(arr.av_ptr) > 0) & (arr.max_tasks >= 1)
    limited = arr.max_minutes < NO_LIMIT_HI
    fitting = _Fitting(arr)
    nearest = _Nearest(arr.reach, protected, cp)
    kept: list[tuple[I64, I64, F64, I64, int]] = []
    pruning = False
    total = 0
    for req, vol, dist, local, n_local in PairStream(arr, params=cp).blocks():
        in_range += np.bincount(req, minlength=n_r)
        no_tasks = arr.max_tasks[vol] < 1
        limits[:, 0] += np.bincount(req[no_tasks], minlength=n_r)
        keep = plain_ok[vol]
        slow = np.flatnonzero(arr.timed[req] | limited[vol])
        rows = lo = hi = _empty_i64()
        if slow.size:
            sr, sv = req[slow], vol[slow]
            travel = arr.trip(sr, sv, dist[slow])
            fit, rows, lo, hi, _ = _fit_rows(arr, sr, sv, travel)
            limits[:, 1] += _limit_counts(arr, sr, sv, travel)[:, 1]
            keep[slow] = fit
            rows = sr[rows]  # the request of each fitting start interval
        req, vol, dist, local = req[keep], vol[keep], dist[keep], local[keep]
        counts = np.bincount(req, minlength=n_r)
        valid += counts
        available += counts
        team = np.flatnonzero(team_timed & (counts >= arr.need))
        if team.size:
            tt = np.flatnonzero(team_timed[rows])
            order = tt[np.argsort(rows[tt], kind="stable")]
            available[team] = _most_together_rows(team, rows[order], lo[order], hi[order])
        # Teams that cannot gather keep no pairs (nor count for task capacities).
        gather = available[req] >= arr.need[req]
        req, vol, dist, local = req[gather], vol[gather], dist[gather], local[gather]
        fitting.add(req, vol, dist)
        block = (req, vol, dist, local, n_local)
        total += req.size
        if pruning:
            block = nearest.keep(*block)
        kept.append(block)
        if not pruning and total > cp.prune_above_pairs:
            pruning = True
            kept = [nearest.keep(*b) for b in kept]
    req = np.concatenate([b[0] for b in kept]) if kept else _empty_i64()
    vol = np.concatenate([b[1] for b in kept]) if kept else _empty_i64()
    dist = np.concatenate([b[2] for b in kept]) if kept else np.zeros(0, dtype=np.float64)
    order = np.argsort(req * max(n_v, 1) + vol)
    req, vol, dist = req[order], vol[order], dist[order]
    if not pruning:
        return _Selected(req, vol, dist, in_range, None, available, _empty_i64(), limits)
    pruned = valid - np.bincount(req, minlength=n_r)
    return _Selected(req, vol, dist, in_range, pruned, available, fitting.capacity(), limits)


class _Nearest:
    """Each request's K nearest pairs (ties: lower volunteer first) plus its
    protected ones, from a block that holds all pairs of its requests."""

    def __init__(self, reach: F64, protected: PairSet, cp: CandidateParams) -> None:
        self.bins = cp.dist_bins
        self.nearest = cp.keep_nearest
        self.scale = self.bins / max(float(reach.max(initial=0.0)), 1e-9)
        self.protected = protected

    def keep(
        self, req: I64, vol: I64, dist: F64, local: I64, n_local: int
    ) -> tuple[I64, I64, F64, I64, int]:
        if req.size == 0:
            return req, vol, dist, local, n_local
        # Distance classes: the class holding each request's K-th pair is its limit.
        bins = np.minimum(dist * self.scale, self.bins - 1).astype(np.int64)
        hist = np.bincount(local * self.bins + bins, minlength=n_local * self.bins)
        cum = np.cumsum(hist.reshape(n_local, self.bins), axis=1)
        full = cum[:, -1] > self.nearest
        limit = np.where(full, np.argmax(cum >= self.nearest, axis=1), self.bins)
        below = np.where(
            limit > 0, cum[np.arange(n_local), np.clip(limit - 1, 0, self.bins - 1)], 0
        )
        lim = limit[local]
        keep = bins < lim
        edge = np.flatnonzero(bins == lim)
        if edge.size:
            order = edge[np.lexsort((vol[edge], dist[edge], local[edge]))]
            loc = local[order]
            rank = np.arange(order.size) - np.searchsorted(loc, loc, side="left")
            keep[order[rank < self.nearest - below[loc]]] = True
        keep |= self.protected.contains(req, vol)
        return req[keep], vol[keep], dist[keep], local[keep], n_local


def _rank_in_runs(sorted_keys: I64) -> I64:
    """Each element's position within its run of equal keys."""
    n = sorted_keys.size
    if n == 0:
        return _empty_i64()
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))


class _Fitting:
    """Per volunteer, the most tasks its valid pairs could ever hold: ``max_tasks``
    and no more than its smallest loads that fit in ``max_minutes``. Only the
    smallest loads that could ever fit are carried from block to block."""

    def __init__(self, arr: TaskArrays) -> None:
        self.arr = arr
        self.pairs = np.zeros(arr.n_v, dtype=np.int64)
        self.limited = arr.max_minutes < NO_LIMIT_HI
        shortest = int(arr.duration.min(initial=1)) if arr.n_r else 1
        self.most = np.minimum(arr.max_tasks, arr.max_minutes // max(shortest, 1) + 1)
        slowest = float(arr.speed.min(initial=1.0)) if arr.n_v else 1.0
        longest = float(arr.reach.max(initial=0.0))
        longest_trip = np.array([longest, arr.longest_ride_km])  # both legs, each rounded up
        travel = int(geo.travel_minutes(longest_trip, slowest, arr.detour).sum())
        self.span = int(arr.duration.max(initial=0)) + 2 * travel + 2
        self.keys = _empty_i64()  # volunteer * span + load, sorted

    def add(self, req: I64, vol: I64, dist: F64) -> None:
        self.pairs += np.bincount(vol, minlength=self.arr.n_v)
        sel = np.flatnonzero(self.limited[vol])
        if sel.size == 0:
            return
        r, v = req[sel], vol[sel]
        load = self.arr.duration[r] + 2 * self.arr.trip(r, v, dist[sel])
        keys = np.sort(np.concatenate((self.keys, v * self.span + np.minimum(load, self.span - 1))))
        owner = keys // self.span
        self.keys = keys[_rank_in_runs(owner) < self.most[owner]]

    def capacity(self) -> I64:
        fitting = self.pairs.copy()
        owner, load = self.keys // self.span, self.keys % self.span
        running = np.cumsum(load)
        before_run = (running - load)[np.arange(owner.size) - _rank_in_runs(owner)]
        within = running - before_run <= self.arr.max_minutes[owner]
        lim = np.flatnonzero(self.limited)
        fitting[lim] = np.bincount(owner[within], minlength=self.arr.n_v)[lim]
        return np.minimum(self.arr.max_tasks, fitting)


# -- stage 4 -----------------------------------------------------------------------


def _limit_counts(arr: TaskArrays, req: I64, vol: I64, travel: I64) -> I64:
    """Per request: in-range pairs whose volunteer has no task to give, and those
    whose minute budget cannot hold the task with travel (see ``Candidates.limits``)."""
    no_tasks = arr.max_tasks[vol] < 1
    no_minutes = ~no_tasks & (arr.max_minutes[vol] < arr.duration[req] + 2 * travel)
    out = np.zeros((arr.n_r, 2), dtype=np.int64)
    out[:, 0] = np.bincount(req[no_tasks], minlength=arr.n_r)
    out[:, 1] = np.bincount(req[no_minutes], minlength=arr.n_r)
    return out


def _fit_rows(arr: TaskArrays, req: I64, vol: I64, travel: I64) -> tuple[BOOL, I64, I64, I64, I64]:
    """Which pairs are available, and the (pair, window) rows where a timed one fits.

    Returns the keep mask over the pairs and, per fitting row, the pair's index,
    the start interval clipped to the window, and the window's global id.
    """
    dur = arr.duration
    load = dur[req] + 2 * travel
    fits_limits = (arr.max_tasks[vol] >= 1) & (arr.max_minutes[vol] >= load)
    n_windows = arr.av_ptr[vol + 1] - arr.av_ptr[vol]

    # Untimed: any volunteer who is not "never available".
    keep = ~arr.timed[req] & (n_windows > 0) & fits_limits

    if arr.daily is not None:  # a timed task also counts on its day
        fits_limits = fits_limits & (arr.daily.tasks[vol] >= 1) & (arr.daily.minutes[vol] >= load)
    # Timed: one row per (pair, availability window), clipped to the window.
    t_idx = np.nonzero(arr.timed[req] & fits_limits)[0]
    rows, win = _window_rows(arr, t_idx, req, vol, travel)
    rr, tt = req[rows], travel[rows]
    lo = np.maximum(arr.r_lo[rr], arr.av_lo[win] + tt)
    hi = np.minimum(arr.r_hi[rr], arr.av_hi[win] - dur[rr] - tt)
    fit = lo <= hi
    rows, lo, hi, win = rows[fit], lo[fit], hi[fit], win[fit]
    if arr.creds is not None:
        rows, lo, hi, win = _clip_to_credentials(arr, req, vol, travel, rows, lo, hi, win)
    keep[rows] = True
    return keep, rows, lo.astype(np.int64), hi.astype(np.int64), win


def _window_rows(arr: TaskArrays, t_idx: I64, req: I64, vol: I64, travel: I64) -> tuple[I64, I64]:
    """The (pair, window) rows of the timed pairs ``t_idx`` that may fit, in pair
    then window order: only each pair's run of windows that end late enough and
    begin early enough for its request (a volunteer's windows are merged, so
    sorted by both ends), not all of them; the others can never fit."""
    v, r, t = vol[t_idx], req[t_idx], travel[t_idx]
    late = arr.r_lo[r] + arr.duration[r] + t  # a fitting window ends at or after this
    early = arr.r_hi[r] - t  # and begins at or before this
    if t_idx.size == 0:
        return t_idx, t_idx
    floor = int(min(late.min(), early.min())) - 1
    ceil = int(max(late.max(), early.max())) + 1
    span = ceil - floor + 1
    if span * (arr.n_v + 1) >= 2**62:  # keys would overflow: every window
        return np.repeat(t_idx, np.diff(arr.av_ptr)[v]), csr_rows(arr.av_ptr, v)
    # Keys volunteer * span + minute, minutes clipped to [floor, ceil] (no test
    # against a query inside it changes): sorted, as each volunteer's are.
    owner = np.repeat(np.arange(arr.n_v, dtype=np.int64), np.diff(arr.av_ptr)) * span
    ends = owner + np.clip(arr.av_hi, floor, ceil) - floor
    begins = owner + np.clip(arr.av_lo, floor, ceil) - floor
    first = np.searchsorted(ends, v * span + late - floor, side="left")
    stop = np.searchsorted(begins, v * span + early - floor, side="right")
    count = np.maximum(stop - first, 0)
    rows = np.repeat(t_idx, count)
    win = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(rows.size)
    return rows, win.astype(np.int64)


def _clip_to_credentials(
    arr: TaskArrays, req: I64, vol: I64, travel: I64, rows: I64, lo: I64, hi: I64, win: I64
) -> tuple[I64, I64, I64, I64]:
    """Start rows of requests that need credentials, cut to where the whole block,
    travel included, lies inside the validity of every credential; rows stay
    grouped by pair and sorted by start."""
    assert arr.creds is not None
    sub = np.flatnonzero(arr.creds.r_set[req[rows]] >= 0)
    if sub.size == 0:
        return rows, lo, hi, win
    plain = np.flatnonzero(arr.creds.r_set[req[rows]] < 0)
    s_rows = rows[sub]
    pair, a, b = arr.creds.intervals(req[s_rows], vol[s_rows], arr.n_v)
    c_rows = s_rows[pair]
    tt = travel[c_rows]
    c_lo = np.maximum(lo[sub][pair], a + tt)
    c_hi = np.minimum(hi[sub][pair], b - arr.duration[req[c_rows]] - tt)
    ok = c_lo <= c_hi
    rows = np.concatenate((rows[plain], c_rows[ok]))
    lo = np.concatenate((lo[plain], c_lo[ok]))
    hi = np.concatenate((hi[plain], c_hi[ok]))
    win = np.concatenate((win[plain], win[sub][pair][ok]))
    order = np.lexsort((lo, rows))
    return rows[order], lo[order], hi[order], win[order]


def _available_pairs(
    arr: TaskArrays, req: I64, vol: I64, travel: I64
) -> tuple[BOOL, I64, I64, I64, I64, I64]:
    """Which pairs are available, their start intervals, and per-request counts.

    Returns the keep mask over the input pairs, the CSR start intervals of the
    kept pairs, and for each request the funnel's ``available`` count (for a
    team request: the most volunteers available together at one start).
    """
    keep, rows, lo, hi, win = _fit_rows(arr, req, vol, travel)
    # CSR over kept pairs: rows are grouped by pair in input order already.
    kept_index = np.cumsum(keep) - 1
    counts = np.bincount(kept_index[rows], minlength=int(keep.sum()))
    start_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    available = np.bincount(req[keep], minlength=arr.n_r).astype(np.int64)
    team = np.nonzero((arr.need > 1) & arr.timed & (available >= arr.need))[0]
    if team.size:
        row_req = req[keep][kept_index[rows]]  # non-decreasing: pairs are sorted by request
        available[team] = _most_together_rows(team, row_req, lo, hi)
    return keep, start_ptr, lo, hi, win, available


def _most_together_rows(team: I64, row_req: I64, lo: I64, hi: I64) -> I64:
    """For each team request, the most volunteers available at one start minute.

    ``row_req`` (non-decreasing) gives each start interval's request. A sweep
    over interval end points; a volunteer's intervals are disjoint, so
    overlapping intervals always belong to different volunteers.
    """
    begin = np.searchsorted(row_req, team, side="left")
    end = np.searchsorted(row_req, team, side="right")
    out = np.zeros(team.size, dtype=np.int64)
    for i, (a, b) in enumerate(zip(begin.tolist(), end.tolist(), strict=True)):
        points = np.concatenate((lo[a:b], hi[a:b] + 1))
        delta = np.concatenate((np.ones(b - a, np.int64), -np.ones(b - a, np.int64)))
        order = np.lexsort((delta, points))  # closings (-1) before openings at a tie
        out[i] = int(np.cumsum(delta[order]).max(initial=0))
    return out


# -- team roles ----------------------------------------------------------------------


def role_stats(arr: TaskArrays, cp: CandidateParams) -> RoleStats:
    """The funnel of every role and the places each request's roles can fill
    (:class:`~matchcore.tasks.roles.RoleStats`), stage by stage as the funnel."""
    assert arr.roles is not None
    roles = arr.roles
    count = RoleCounter(roles, arr.n_r)
    rows = count.rows
    # Stages 1, credentials and exclusions: by volunteer signature, less the failing pairs.
    n_sig = arr.compat.shape[0]
    req, sig = np.repeat(rows, n_sig), np.tile(np.arange(n_sig, dtype=np.int64), rows.size)
    skills = count.hist(req, roles.masks(req, sig), arr.v_sig_count[sig])
    count.table[:, 0] = arr.n_v
    count.slots[rows, 0] = np.minimum(arr.need[rows], arr.n_v)
    count.stage(1, skills)
    fail = _empty_i64() if arr.creds is None else arr.creds.fail_key
    count.stage(5, skills - _key_hist(count, roles, arr, fail))
    count.stage(2, skills - _key_hist(count, roles, arr, arr.ex_key))
    if arr.creds is not None:
        count.put(HOLDERS, _holders(count, arr))
    # In range and available: the pairs of the requests with roles.
    chunks = list(PairStream(arr, rows, cp).chunks())
    req = np.concatenate([c[0] for c in chunks]) if chunks else _empty_i64()
    vol = np.concatenate([c[1] for c in chunks]) if chunks else _empty_i64()
    dist = np.concatenate([c[2] for c in chunks]) if chunks else np.zeros(0, np.float64)
    mask = roles.masks(req, arr.v_sig[vol])
    count.stage(3, count.hist(req, mask))
    travel = arr.trip(req, vol, dist)  # a ride's legs are in its block (TaskArrays.trip)
    no_tasks = arr.max_tasks[vol] < 1
    no_minutes = ~no_tasks & (arr.max_minutes[vol] < arr.duration[req] + 2 * travel)
    count.put(NO_TASKS, count.per_role(count.hist(req[no_tasks], mask[no_tasks])))
    count.put(NO_MINUTES, count.per_role(count.hist(req[no_minutes], mask[no_minutes])))
    keep, fit, lo, hi, _ = _fit_rows(arr, req, vol, travel)
    count.stage(4, count.hist(req[keep], mask[keep]))
    # A timed team counts who is available together at one start (as Candidates.funnel).
    team = (arr.need > 1) & arr.timed
    count.together(4, req[fit], mask[fit], lo, hi, team)
    return RoleStats(count.table, count.slots)


def _key_hist(count: RoleCounter, roles: RoleArrays, arr: TaskArrays, keys: I64) -> I64:
    """Histogram of role masks of the pairs ``r * n_v + v`` in ``keys``."""
    n_v = max(arr.n_v, 1)
    req, vol = keys // n_v, keys % n_v
    return count.hist(req, roles.masks(req, arr.v_sig[vol]))


def _holders(count: RoleCounter, arr: TaskArrays) -> I64:
    """Per request with roles and per role: volunteers fitting it who hold every
    required credential, whatever its dates (``Candidates.cred_holders``)."""
    assert arr.creds is not None and arr.roles is not None
    n_v = max(arr.n_v, 1)
    rows = count.rows[arr.creds.r_set[count.rows] >= 0]
    key = arr.creds.hold_key
    s = arr.creds.r_set[rows]
    a = np.searchsorted(key, s * n_v)
    b = np.searchsorted(key, (s + 1) * n_v)
    ptr = np.concatenate(([0], np.cumsum(b - a))).astype(np.int64)
    at = np.repeat(a - ptr[:-1], b - a) + np.arange(int(ptr[-1]), dtype=np.int64)
    req = np.repeat(rows, b - a)
    vol = key[at] % n_v
    return count.per_role(count.hist(req, arr.roles.masks(req, arr.v_sig[vol])))
