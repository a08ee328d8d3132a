"""Candidate pairs: which volunteer could serve which request, and the funnel.

This is where candidates are made. A (request, volunteer) pair is a candidate
when it passes four stages, in order: skills and a shared language; no
exclusion either way; within the volunteer's range; available (some whole-
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
exceed :data:`PRUNE_ABOVE_PAIRS`, each request keeps only its
:data:`KEEP_NEAREST` nearest valid pairs (preferred and pinned pairs always
stay). The funnel still counts every pair, so the reasons stay exact, and
:class:`Candidates` records how many pairs each request lost. A pruned graph
is no proof of anything by itself: :mod:`matchcore.pricing` re-establishes
optimality for the full graph by pricing the pruned pairs.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matchcore import geo
from matchcore.problem import EARTH_RADIUS_KM, Problem, Request, Volunteer

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

# Sentinels for "no limit" in minute arithmetic; far beyond any real date.
NO_LIMIT_LO = -(2**40)
NO_LIMIT_HI = 2**40
# Dense distance matrices below this many cells; a chunked grid join above.
_DENSE_CELLS = 4_000_000
# Prune to the nearest pairs per request only when there are more valid pairs than this.
PRUNE_ABOVE_PAIRS = 20_000_000
# Valid pairs each request keeps when pruning (its preferred and pinned pairs on top).
KEEP_NEAREST = 50
# Pairs fetched from the grid per chunk of volunteers (bounds the working memory).
_CHUNK_PAIRS = 4_000_000
# Height of a grid row, km.
_ROW_KM = 2.0
# Distance classes of the running per-request histogram that finds the nearest pairs.
_DIST_BINS = 64
# Request skill sets grouped in the grid; with more, one group holds every request.
_MAX_GROUPS = 64


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
    distance_km: F64
    travel_min: I64
    preferred: BOOL
    start_ptr: I64
    start_lo: I64
    start_hi: I64
    start_window: I64  # per CSR row: global id of the volunteer's availability window
    window_minutes: I64  # per global availability window: its length (NO_LIMIT_HI if unbounded)
    funnel: I64  # shape (n_requests, 5): volunteers, skills, not_excluded, in_range, available
    pruned: I64 = field(default_factory=_empty_i64)
    task_cap: I64 = field(default_factory=_empty_i64)

    @property
    def n_pairs(self) -> int:
        return int(self.req.size)

    @property
    def is_pruned(self) -> bool:
        """Whether some valid pairs were left out (see :data:`KEEP_NEAREST`)."""
        return bool(self.pruned.size) and bool(self.pruned.any())

    @property
    def pruned_pairs(self) -> int:
        """How many valid pairs were left out."""
        return int(self.pruned.sum()) if self.pruned.size else 0

    def starts(self, pair: int) -> list[tuple[int, int]]:
        """Feasible start intervals of one pair (empty for an untimed request)."""
        a, b = self.start_ptr[pair], self.start_ptr[pair + 1]
        return list(zip(self.start_lo[a:b].tolist(), self.start_hi[a:b].tolist(), strict=True))


def build_candidates(problem: Problem) -> Candidates:
    """All candidate pairs of ``problem`` (or the nearest, see :data:`PRUNE_ABOVE_PAIRS`)
    and the exact funnel counts of every request."""
    arr = problem_arrays(problem)
    n_v, n_r = arr.n_v, arr.n_r
    funnel = np.zeros((n_r, 5), dtype=np.int64)
    funnel[:, 0] = n_v
    funnel[:, 1] = (arr.v_sig_count[:, None] * arr.compat).sum(axis=0)[arr.r_sig]
    ex_r = arr.ex_key // max(n_v, 1)
    ex_ok = arr.compat[arr.v_sig[arr.ex_key % max(n_v, 1)], arr.r_sig[ex_r]]
    funnel[:, 2] = funnel[:, 1] - np.bincount(ex_r[ex_ok], minlength=n_r)

    pruned = _empty_i64()
    task_cap = _empty_i64()
    full_available: I64 | None = None
    if n_v * n_r <= min(_DENSE_CELLS, PRUNE_ABOVE_PAIRS):
        req, vol, dist = _dense_pairs(arr)
        funnel[:, 3] = np.bincount(req, minlength=n_r)
    else:
        keys = np.union1d(arr.preferred.key, _pin_keys(problem))
        sel = _stream_select(arr, PairSet(keys // max(n_v, 1), keys % max(n_v, 1), n_r, n_v))
        req, vol, dist = sel.req, sel.vol, sel.dist
        funnel[:, 3] = sel.in_range
        full_available = sel.available  # counted before teams that cannot gather left
        if sel.pruned is not None:
            pruned, task_cap = sel.pruned, sel.task_cap

    # Stage 4: availability in time, travel included, and the volunteer's limits.
    travel = arr.travel(req, vol, dist)
    keep, start_ptr, start_lo, start_hi, start_window, available = _available_pairs(
        arr, req, vol, travel
    )
    req, vol, dist, travel = req[keep], vol[keep], dist[keep], travel[keep]
    if full_available is not None:
        available = full_available
    funnel[:, 4] = available

    # Requests that cannot gather their whole team at one start keep no pairs.
    servable = available >= arr.need
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
    )


def valid_pairs(
    arr: ProblemArrays, requests: I64 | None = None, volunteers: I64 | None = None
) -> Iterator[tuple[I64, I64, F64]]:
    """(request, volunteer, km) of the pairs passing all four stages, in chunks of
    volunteers, among the given requests and volunteers (default: all). Teams
    that cannot gather are not filtered here (see ``Candidates.funnel``)."""
    for req, vol, dist in PairStream(arr, requests).chunks(volunteers):
        keep = _fit_rows(arr, req, vol, arr.travel(req, vol, dist))[0]
        yield req[keep], vol[keep], dist[keep]


def add_pairs(cand: Candidates, arr: ProblemArrays, req: I64, vol: I64, dist: F64) -> Candidates:
    """``cand`` with more valid pairs (none already in it), sorted again; the
    funnel stays, and ``pruned`` no longer counts the pairs added back."""
    travel = arr.travel(req, vol, dist)
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
    )


_last_arrays: tuple[weakref.ref[Problem], ProblemArrays] | None = None


def problem_arrays(problem: Problem) -> ProblemArrays:
    """:class:`ProblemArrays` of ``problem``, reused while it is the last one asked for."""
    global _last_arrays
    if _last_arrays is not None and _last_arrays[0]() is problem:
        return _last_arrays[1]
    arr = ProblemArrays(problem)
    _last_arrays = (weakref.ref(problem), arr)
    return arr


class ProblemArrays:
    """Per-request and per-volunteer arrays of a problem that every stage reads."""

    def __init__(self, problem: Problem) -> None:
        vols, reqs = problem.volunteers, problem.requests
        self.n_v, self.n_r = len(vols), len(reqs)
        self.v_lat = np.array([v.location.lat for v in vols], dtype=np.float64)
        self.v_lon = np.array([v.location.lon for v in vols], dtype=np.float64)
        self.r_lat = np.array([r.location.lat for r in reqs], dtype=np.float64)
        self.r_lon = np.array([r.location.lon for r in reqs], dtype=np.float64)
        self.reach = np.array([problem.max_distance_km(v) for v in vols], dtype=np.float64)
        self.v_sig, self.v_sig_count, self.r_sig, self.compat = _signature_compatibility(vols, reqs)
        self.r_group, self.group_compat = _skill_groups(reqs, self.r_sig, self.compat)
        ex_r, ex_v = _excluded_pairs(problem)
        self.ex_key = np.unique(ex_r * self.n_v + ex_v)
        self.excluded = PairSet(ex_r, ex_v, self.n_r, self.n_v)
        pref_r, pref_v = _id_pairs(problem, (r.preferred_volunteers for r in reqs))
        self.preferred = PairSet(pref_r, pref_v, self.n_r, self.n_v)
        speeds = problem.options.travel.speeds_kmh
        self.speed = np.array([speeds[v.travel_mode] for v in vols], dtype=np.float64)
        self.detour = problem.options.travel.detour_factor
        self.duration = np.array([r.duration_minutes for r in reqs], dtype=np.int64)
        self.timed = np.array([r.window is not None for r in reqs], dtype=bool)
        self.r_lo = np.array([r.earliest_start_minute if r.window else 0 for r in reqs], np.int64)
        self.r_hi = np.array([r.latest_start_minute if r.window else 0 for r in reqs], np.int64)
        self.need = np.array([r.volunteers_needed for r in reqs], dtype=np.int64)
        self.max_tasks = np.array([_or(v.max_tasks, 1) for v in vols], dtype=np.int64)
        self.task_limit = np.array([_or(v.max_tasks, self.n_r) for v in vols], dtype=np.int64)
        self.max_min = np.array([_or(v.max_minutes, NO_LIMIT_HI) for v in vols], np.int64)
        self.av_ptr, self.av_lo, self.av_hi = _availability_csr(problem)

    def travel(self, req: I64, vol: I64, dist: F64) -> I64:
        del req
        return geo.travel_minutes(dist, self.speed[vol], self.detour)


# -- stage 1 -----------------------------------------------------------------------


def _signature_compatibility(
    vols: tuple[Volunteer, ...], reqs: tuple[Request, ...]
) -> tuple[I64, I64, I64, BOOL]:
    """Signature ids of volunteers and requests and which signatures match."""
    v_keys: dict[tuple[frozenset[str], frozenset[str]], int] = {}
    v_sig = np.fromiter(
        (v_keys.setdefault((v.skills, v.languages), len(v_keys)) for v in vols),
        dtype=np.int64,
        count=len(vols),
    )
    r_keys: dict[tuple[frozenset[str], frozenset[str]], int] = {}
    r_sig = np.fromiter(
        (r_keys.setdefault((r.skills, r.languages), len(r_keys)) for r in reqs),
        dtype=np.int64,
        count=len(reqs),
    )
    compat = np.zeros((max(len(v_keys), 1), max(len(r_keys), 1)), dtype=bool)
    for (v_skills, v_langs), i in v_keys.items():
        for (r_skills, r_langs), k in r_keys.items():
            compat[i, k] = r_skills <= v_skills and (not r_langs or bool(r_langs & v_langs))
    v_count = np.bincount(v_sig, minlength=compat.shape[0]).astype(np.int64)
    return v_sig, v_count, r_sig, compat


def _skill_groups(reqs: tuple[Request, ...], r_sig: I64, compat: BOOL) -> tuple[I64, BOOL]:
    """Requests grouped by skill set for the grid, and which volunteer signatures
    match any request of a group (languages are checked per pair afterwards)."""
    keys: dict[frozenset[str], int] = {}
    group_of_sig = np.zeros(compat.shape[1], dtype=np.int64)
    for r, sig in zip(reqs, r_sig.tolist(), strict=True):
        group_of_sig[sig] = keys.setdefault(r.skills, len(keys))
    n_groups = max(len(keys), 1)
    if n_groups > _MAX_GROUPS:
        group_of_sig[:] = 0
        n_groups = 1
    onehot = np.zeros((compat.shape[1], n_groups), dtype=np.int64)
    onehot[np.arange(compat.shape[1]), group_of_sig] = 1
    return group_of_sig[r_sig], (compat.astype(np.int64) @ onehot) > 0


# -- stage 2 -----------------------------------------------------------------------


def _excluded_pairs(problem: Problem) -> tuple[I64, I64]:
    """(request, volunteer) pairs excluded by either side, deduplicated."""
    r1, v1 = _id_pairs(problem, (r.excluded_volunteers for r in problem.requests))
    by_client: dict[str, list[int]] = {}
    for i, r in enumerate(problem.requests):
        by_client.setdefault(r.client_id, []).append(i)
    rows = [
        (ri, vi)
        for vi, v in enumerate(problem.volunteers)
        for client in v.excluded_clients
        for ri in by_client.get(client, ())
    ]
    r2 = np.array([r for r, _ in rows], dtype=np.int64)
    v2 = np.array([v for _, v in rows], dtype=np.int64)
    key = np.unique(np.concatenate((r1, r2)) * len(problem.volunteers) + np.concatenate((v1, v2)))
    n_v = max(len(problem.volunteers), 1)
    return key // n_v, key % n_v


def _id_pairs(problem: Problem, per_request: Iterable[frozenset[str]]) -> tuple[I64, I64]:
    """Pairs (request index, volunteer index) from per-request volunteer id sets."""
    index = problem.volunteer_index
    rows = [(ri, index[vid]) for ri, ids in enumerate(per_request) for vid in ids]
    return (
        np.array([r for r, _ in rows], dtype=np.int64),
        np.array([v for _, v in rows], dtype=np.int64),
    )


def _pin_keys(problem: Problem) -> I64:
    """Keys ``request * n_volunteers + volunteer`` of the pinned pairs, sorted."""
    n_v = len(problem.volunteers)
    keys = [
        problem.request_index[pin.request_id] * n_v + problem.volunteer_index[vid]
        for pin in problem.assignments
        for vid in pin.volunteer_ids
    ]
    return np.unique(np.array(keys, dtype=np.int64))


def _isin_sorted(keys: I64, sorted_set: I64) -> BOOL:
    """``np.isin`` for a sorted, unique ``sorted_set`` (a binary search per key)."""
    if sorted_set.size == 0:
        return np.zeros(keys.size, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, keys), sorted_set.size - 1)
    return np.asarray(sorted_set[at] == keys, dtype=bool)


class PairSet:
    """A set of (request, volunteer) pairs, for membership tests of many pairs.

    Requests hold few such pairs (preferred, excluded, pinned), so each test is
    a gather per column of "the k-th volunteer of this request"; requests with
    many fall back to a binary search.
    """

    _COLUMNS = 4

    def __init__(self, req: I64, vol: I64, n_r: int, n_v: int) -> None:
        self.n_v = max(n_v, 1)
        self.key = np.unique(req * self.n_v + vol)
        r, v = self.key // self.n_v, self.key % self.n_v
        rank = np.arange(r.size) - np.searchsorted(r, r, side="left")
        self.columns = []
        for k in range(min(int(rank.max(initial=-1)) + 1, self._COLUMNS)):
            col = np.full(n_r, -1, dtype=np.int64)
            col[r[rank == k]] = v[rank == k]
            self.columns.append(col)
        self.has = np.zeros(n_r, dtype=bool)
        self.has[r] = True
        self.many = np.zeros(n_r, dtype=bool)
        self.many[r[rank >= self._COLUMNS]] = True
        self.any_many = bool(self.many.any())

    def contains(self, req: I64, vol: I64) -> BOOL:
        out = np.zeros(req.size, dtype=bool)
        if not self.columns:
            return out
        sub = np.flatnonzero(self.has[req])
        r, v = req[sub], vol[sub]
        hit = np.zeros(sub.size, dtype=bool)
        for col in self.columns:
            hit |= col[r] == v
        if self.any_many:
            many = np.flatnonzero(self.many[r])
            hit[many] = _isin_sorted(r[many] * self.n_v + v[many], self.key)
        out[sub] = hit
        return out


# -- stage 3 -----------------------------------------------------------------------


def _dense_pairs(arr: ProblemArrays) -> tuple[I64, I64, F64]:
    """Stages 1-3 with a dense distance matrix, sorted by (request, volunteer)."""
    dist = geo.great_circle_km(
        arr.r_lat[:, None], arr.r_lon[:, None], arr.v_lat[None, :], arr.v_lon[None, :]
    )
    req, vol = np.nonzero(dist <= arr.reach[None, :])
    req, vol = req.astype(np.int64), vol.astype(np.int64)
    ok = arr.compat[arr.v_sig[vol], arr.r_sig[req]]
    ok &= ~_isin_sorted(req * arr.n_v + vol, arr.ex_key)
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

    def __init__(self, arr: ProblemArrays, requests: I64 | None = None) -> None:
        self.arr = arr
        sel = np.arange(arr.n_r, dtype=np.int64) if requests is None else requests
        self.h_deg = _ROW_KM / (EARTH_RADIUS_KM * np.pi / 180.0)
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

    def chunks(
        self, volunteers: I64 | None = None, chunk_pairs: int = _CHUNK_PAIRS
    ) -> Iterator[tuple[I64, I64, F64]]:
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
        bounds = _chunk_bounds(per_vol, chunk_pairs)
        for v0, v1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            a, b = int(first_slice[v0]), int(first_slice[v1])
            if counts[a:b].sum():
                yield pairs.expand(s_vol[a:b], s_lo[a:b], s_hi[a:b])[:3]

    def blocks(self, block_pairs: int = _CHUNK_PAIRS) -> Iterator[tuple[I64, I64, F64, I64, int]]:
        """The same pairs (of all volunteers) a block of requests at a time, in
        volunteer order: every request's pairs come in one block. Yields
        (request, volunteer, km, request's index in the block, block size)."""
        vsel = np.arange(self.arr.n_v, dtype=np.int64)
        n = self.req.size
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


def _stream_select(arr: ProblemArrays, protected: PairSet) -> _Selected:
    """Stages 1-4 over blocks of requests, keeping every valid pair or, past
    :data:`PRUNE_ABOVE_PAIRS`, each request's :data:`KEEP_NEAREST` nearest.

    A block holds all pairs of its requests, so the nearest are chosen exactly
    within it; the volunteers' task capacities, which need all their pairs,
    are carried across blocks (:class:`_Fitting`).
    """
    n_r, n_v = arr.n_r, arr.n_v
    in_range = np.zeros(n_r, dtype=np.int64)
    valid = np.zeros(n_r, dtype=np.int64)
    available = np.zeros(n_r, dtype=np.int64)
    team_timed = (arr.need > 1) & arr.timed
    # An untimed pair of a volunteer without a minute budget needs no travel time.
    plain_ok = (np.diff(arr.av_ptr) > 0) & (arr.max_tasks >= 1)
    limited = arr.max_min < NO_LIMIT_HI
    fitting = _Fitting(arr)
    nearest = _Nearest(arr.reach, protected)
    kept: list[tuple[I64, I64, F64, I64, int]] = []
    pruning = False
    total = 0
    for req, vol, dist, local, n_local in PairStream(arr).blocks():
        in_range += np.bincount(req, minlength=n_r)
        keep = plain_ok[vol]
        slow = np.flatnonzero(arr.timed[req] | limited[vol])
        rows = lo = hi = _empty_i64()
        if slow.size:
            sr, sv = req[slow], vol[slow]
            fit, rows, lo, hi, _ = _fit_rows(arr, sr, sv, arr.travel(sr, sv, dist[slow]))
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
        if not pruning and total > PRUNE_ABOVE_PAIRS:
            pruning = True
            kept = [nearest.keep(*b) for b in kept]
    req = np.concatenate([b[0] for b in kept]) if kept else _empty_i64()
    vol = np.concatenate([b[1] for b in kept]) if kept else _empty_i64()
    dist = np.concatenate([b[2] for b in kept]) if kept else np.zeros(0, dtype=np.float64)
    order = np.argsort(req * max(n_v, 1) + vol)
    req, vol, dist = req[order], vol[order], dist[order]
    if not pruning:
        return _Selected(req, vol, dist, in_range, None, available, _empty_i64())
    pruned = valid - np.bincount(req, minlength=n_r)
    return _Selected(req, vol, dist, in_range, pruned, available, fitting.capacity())


class _Nearest:
    """Each request's K nearest pairs (ties: lower volunteer first) plus its
    protected ones, from a block that holds all pairs of its requests."""

    def __init__(self, reach: F64, protected: PairSet) -> None:
        self.scale = _DIST_BINS / max(float(reach.max(initial=0.0)), 1e-9)
        self.protected = protected

    def keep(
        self, req: I64, vol: I64, dist: F64, local: I64, n_local: int
    ) -> tuple[I64, I64, F64, I64, int]:
        if req.size == 0:
            return req, vol, dist, local, n_local
        # Distance classes: the class holding each request's K-th pair is its limit.
        bins = np.minimum(dist * self.scale, _DIST_BINS - 1).astype(np.int64)
        hist = np.bincount(local * _DIST_BINS + bins, minlength=n_local * _DIST_BINS)
        cum = np.cumsum(hist.reshape(n_local, _DIST_BINS), axis=1)
        full = cum[:, -1] > KEEP_NEAREST
        limit = np.where(full, np.argmax(cum >= KEEP_NEAREST, axis=1), _DIST_BINS)
        below = np.where(
            limit > 0, cum[np.arange(n_local), np.clip(limit - 1, 0, _DIST_BINS - 1)], 0
        )
        lim = limit[local]
        keep = bins < lim
        edge = np.flatnonzero(bins == lim)
        if edge.size:
            order = edge[np.lexsort((vol[edge], dist[edge], local[edge]))]
            loc = local[order]
            rank = np.arange(order.size) - np.searchsorted(loc, loc, side="left")
            keep[order[rank < KEEP_NEAREST - below[loc]]] = True
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

    def __init__(self, arr: ProblemArrays) -> None:
        self.arr = arr
        self.pairs = np.zeros(arr.n_v, dtype=np.int64)
        self.limited = arr.max_min < NO_LIMIT_HI
        shortest = int(arr.duration.min(initial=1)) if arr.n_r else 1
        self.most = np.minimum(arr.task_limit, arr.max_min // max(shortest, 1) + 1)
        slowest = float(arr.speed.min(initial=1.0)) if arr.n_v else 1.0
        longest = float(arr.reach.max(initial=0.0))
        travel = int(geo.travel_minutes(np.array([longest]), slowest, arr.detour)[0])
        self.span = int(arr.duration.max(initial=0)) + 2 * travel + 2
        self.keys = _empty_i64()  # volunteer * span + load, sorted

    def add(self, req: I64, vol: I64, dist: F64) -> None:
        self.pairs += np.bincount(vol, minlength=self.arr.n_v)
        sel = np.flatnonzero(self.limited[vol])
        if sel.size == 0:
            return
        r, v = req[sel], vol[sel]
        load = self.arr.duration[r] + 2 * self.arr.travel(r, v, dist[sel])
        keys = np.sort(np.concatenate((self.keys, v * self.span + np.minimum(load, self.span - 1))))
        owner = keys // self.span
        self.keys = keys[_rank_in_runs(owner) < self.most[owner]]

    def capacity(self) -> I64:
        fitting = self.pairs.copy()
        owner, load = self.keys // self.span, self.keys % self.span
        running = np.cumsum(load)
        before_run = (running - load)[np.arange(owner.size) - _rank_in_runs(owner)]
        within = running - before_run <= self.arr.max_min[owner]
        lim = np.flatnonzero(self.limited)
        fitting[lim] = np.bincount(owner[within], minlength=self.arr.n_v)[lim]
        return np.minimum(self.arr.task_limit, fitting)


# -- stage 4 -----------------------------------------------------------------------


def _availability_csr(problem: Problem) -> tuple[I64, I64, I64]:
    """Each volunteer's availability as minute bounds in CSR form.

    A volunteer without availability gets one unbounded window; one with an
    empty list gets none.
    """
    ptr = [0]
    lo: list[int] = []
    hi: list[int] = []
    for v in problem.volunteers:
        if v.availability is None:
            lo.append(NO_LIMIT_LO)
            hi.append(NO_LIMIT_HI)
        else:
            for w in v.availability:
                lo.append(-int(-w.start.timestamp() // 60))
                hi.append(int(w.end.timestamp() // 60))
        ptr.append(len(lo))
    return (
        np.array(ptr, dtype=np.int64),
        np.array(lo, dtype=np.int64),
        np.array(hi, dtype=np.int64),
    )


def _fit_rows(
    arr: ProblemArrays, req: I64, vol: I64, travel: I64
) -> tuple[BOOL, I64, I64, I64, I64]:
    """Which pairs are available, and the (pair, window) rows where a timed one fits.

    Returns the keep mask over the pairs and, per fitting row, the pair's index,
    the start interval clipped to the window, and the window's global id.
    """
    dur = arr.duration
    load = dur[req] + 2 * travel
    fits_limits = (arr.max_tasks[vol] >= 1) & (arr.max_min[vol] >= load)
    n_windows = arr.av_ptr[vol + 1] - arr.av_ptr[vol]

    # Untimed: any volunteer who is not "never available".
    keep = ~arr.timed[req] & (n_windows > 0) & fits_limits

    # Timed: one row per (pair, availability window), clipped to the window.
    t_idx = np.nonzero(arr.timed[req] & fits_limits)[0]
    rows = np.repeat(t_idx, n_windows[t_idx])
    win = csr_rows(arr.av_ptr, vol[t_idx])
    rr, tt = req[rows], travel[rows]
    lo = np.maximum(arr.r_lo[rr], arr.av_lo[win] + tt)
    hi = np.minimum(arr.r_hi[rr], arr.av_hi[win] - dur[rr] - tt)
    fit = lo <= hi
    rows, lo, hi, win = rows[fit], lo[fit], hi[fit], win[fit]
    keep[rows] = True
    return keep, rows, lo.astype(np.int64), hi.astype(np.int64), win


def _available_pairs(
    arr: ProblemArrays, req: I64, vol: I64, travel: I64
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


def csr_rows(ptr: I64, select: I64) -> I64:
    """Row indices of the selected CSR entries, concatenated in order."""
    counts = ptr[select + 1] - ptr[select]
    total = int(counts.sum())
    skip = np.repeat(np.cumsum(counts) - counts - ptr[select], counts)
    return np.asarray(np.arange(total, dtype=np.int64) - skip, dtype=np.int64)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
