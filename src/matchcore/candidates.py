"""Candidate pairs: which volunteer could serve which request, and the funnel.

This is where candidates are made. A (request, volunteer) pair is a candidate
when it passes four stages, in order: skills and a shared language; no
exclusion either way; within the volunteer's range; available (some whole-
minute start in the request's window lets the volunteer's block, travel
included, fit one availability window, and their task and minute limits can
hold the task). All stages work on numpy arrays; no Python loop runs over
pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from matchcore import geo
from matchcore.problem import Problem, Request, Volunteer

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

# Sentinels for "no limit" in minute arithmetic; far beyond any real date.
NO_LIMIT_LO = -(2**40)
NO_LIMIT_HI = 2**40
# Dense distance matrices below this many cells; a k-d tree above.
_DENSE_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate pairs as plain arrays (picklable; safe to send to processes).

    Pairs are sorted by request, then volunteer. For a timed request each pair
    carries its feasible start minutes as sorted, disjoint closed intervals
    ``start_lo[k]..start_hi[k]`` for ``k`` in ``start_ptr[p]:start_ptr[p+1]``
    (minutes since the Unix epoch, UTC). Untimed pairs have none.
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

    @property
    def n_pairs(self) -> int:
        return int(self.req.size)

    def starts(self, pair: int) -> list[tuple[int, int]]:
        """Feasible start intervals of one pair (empty for an untimed request)."""
        a, b = self.start_ptr[pair], self.start_ptr[pair + 1]
        return list(zip(self.start_lo[a:b].tolist(), self.start_hi[a:b].tolist(), strict=True))


def build_candidates(problem: Problem) -> Candidates:
    """All candidate pairs of ``problem`` and the funnel counts of every request."""
    vols, reqs = problem.volunteers, problem.requests
    n_v, n_r = len(vols), len(reqs)
    funnel = np.zeros((n_r, 5), dtype=np.int64)
    funnel[:, 0] = n_v

    # Stage 1: skills and language, by unique signature (few, however many people).
    v_sig, v_sig_count, r_sig, compat = _signature_compatibility(vols, reqs)
    funnel[:, 1] = (v_sig_count[:, None] * compat).sum(axis=0)[r_sig]

    # Stage 2: exclusions, an explicit (small) set of pairs.
    ex_r, ex_v = _excluded_pairs(problem)
    ex_ok = compat[v_sig[ex_v], r_sig[ex_r]]
    funnel[:, 2] = funnel[:, 1] - np.bincount(ex_r[ex_ok], minlength=n_r)

    # Stage 3: range, spatially, among the pairs that pass stages 1 and 2.
    def passes(req: I64, vol: I64) -> BOOL:
        return compat[v_sig[vol], r_sig[req]] & ~_isin_pairs(req, vol, ex_r, ex_v, n_v)

    req, vol, dist = _pairs_in_range(problem, passes)
    funnel[:, 3] = np.bincount(req, minlength=n_r)

    # Stage 4: availability in time, travel included, and the volunteer's limits.
    speed = _speeds(problem)
    travel = geo.travel_minutes(dist, speed[vol], problem.options.travel.detour_factor)
    av_ptr, av_lo, av_hi = _availability_csr(problem)
    pairs = _available_pairs(problem, req, vol, travel, (av_ptr, av_lo, av_hi))
    keep, start_ptr, start_lo, start_hi, start_window, available = pairs
    req, vol, dist, travel = req[keep], vol[keep], dist[keep], travel[keep]
    funnel[:, 4] = available

    # Requests that cannot gather their whole team at one start keep no pairs.
    need = np.array([r.volunteers_needed for r in reqs], dtype=np.int64)
    servable = available >= need
    if not servable.all():
        keep = servable[req]
        row_keep = np.repeat(keep, np.diff(start_ptr))
        start_lo, start_hi, start_window = (a[row_keep] for a in (start_lo, start_hi, start_window))
        start_ptr = np.concatenate(([0], np.cumsum(np.diff(start_ptr)[keep]))).astype(np.int64)
        req, vol, dist, travel = req[keep], vol[keep], dist[keep], travel[keep]

    pref_r, pref_v = _id_pairs(problem, (r.preferred_volunteers for r in reqs))
    preferred = _isin_pairs(req, vol, pref_r, pref_v, n_v)
    window_minutes = np.where(av_lo == NO_LIMIT_LO, NO_LIMIT_HI, av_hi - av_lo)
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
    )


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


def _isin_pairs(req: I64, vol: I64, set_r: I64, set_v: I64, n_v: int) -> BOOL:
    if set_r.size == 0:
        return np.zeros(req.size, dtype=bool)
    return np.isin(req * n_v + vol, set_r * n_v + set_v)


# -- stage 3 -----------------------------------------------------------------------


def _pairs_in_range(problem: Problem, passes: Callable[[I64, I64], BOOL]) -> tuple[I64, I64, F64]:
    """Pairs that ``passes`` and within the volunteer's range, sorted by (request, volunteer).

    Small problems use a dense distance matrix; larger ones a k-d tree on unit
    vectors, queried with each volunteer's own radius, and the distance from
    the chord (exact on the sphere, and cheaper than haversine).
    """
    vols, reqs = problem.volunteers, problem.requests
    v_lat = np.array([v.location.lat for v in vols], dtype=np.float64)
    v_lon = np.array([v.location.lon for v in vols], dtype=np.float64)
    r_lat = np.array([r.location.lat for r in reqs], dtype=np.float64)
    r_lon = np.array([r.location.lon for r in reqs], dtype=np.float64)
    reach = np.array([problem.max_distance_km(v) for v in vols], dtype=np.float64)
    if len(vols) * len(reqs) <= _DENSE_CELLS:
        dist = geo.great_circle_km(r_lat[:, None], r_lon[:, None], v_lat[None, :], v_lon[None, :])
        req, vol = np.nonzero(dist <= reach[None, :])
        req, vol = req.astype(np.int64), vol.astype(np.int64)
        ok = passes(req, vol)
        return req[ok], vol[ok], dist[req[ok], vol[ok]]
    r_xyz, v_xyz = geo.unit_vectors(r_lat, r_lon), geo.unit_vectors(v_lat, v_lon)
    hits = cKDTree(r_xyz).query_ball_point(
        v_xyz, r=geo.chord_for_km(reach) * (1 + 1e-9), return_sorted=False
    )
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    vol = np.repeat(np.arange(len(vols), dtype=np.int64), counts)
    req = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits] or [np.zeros(0, np.int64)])
    ok = passes(req, vol)
    req, vol = req[ok], vol[ok]
    dist = geo.chord_to_km(np.linalg.norm(r_xyz[req] - v_xyz[vol], axis=1))
    ok = dist <= reach[vol]
    order = np.lexsort((vol[ok], req[ok]))
    return req[ok][order], vol[ok][order], dist[ok][order]


def _speeds(problem: Problem) -> F64:
    speeds = problem.options.travel.speeds_kmh
    return np.array([speeds[v.travel_mode] for v in problem.volunteers], dtype=np.float64)


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


def _request_arrays(problem: Problem) -> tuple[I64, I64, I64, BOOL]:
    reqs = problem.requests
    dur = np.array([r.duration_minutes for r in reqs], dtype=np.int64)
    timed = np.array([r.window is not None for r in reqs], dtype=bool)
    lo = np.array([r.earliest_start_minute if r.window else 0 for r in reqs], dtype=np.int64)
    hi = np.array([r.latest_start_minute if r.window else 0 for r in reqs], dtype=np.int64)
    return dur, lo, hi, timed


def _available_pairs(
    problem: Problem, req: I64, vol: I64, travel: I64, availability: tuple[I64, I64, I64]
) -> tuple[BOOL, I64, I64, I64, I64, I64]:
    """Which pairs are available, their start intervals, and per-request counts.

    Returns the keep mask over the input pairs, the CSR start intervals of the
    kept pairs, and for each request the funnel's ``available`` count (for a
    team request: the most volunteers available together at one start).
    """
    n_r = len(problem.requests)
    dur, r_lo, r_hi, timed = _request_arrays(problem)
    av_ptr, av_lo, av_hi = availability
    load = dur[req] + 2 * travel
    max_tasks = np.array([_or(v.max_tasks, 1) for v in problem.volunteers], dtype=np.int64)
    max_min = np.array([_or(v.max_minutes, NO_LIMIT_HI) for v in problem.volunteers], np.int64)
    fits_limits = (max_tasks[vol] >= 1) & (max_min[vol] >= load)
    n_windows = av_ptr[vol + 1] - av_ptr[vol]

    # Untimed: any volunteer who is not "never available".
    untimed_ok = ~timed[req] & (n_windows > 0) & fits_limits

    # Timed: one row per (pair, availability window), clipped to the window.
    t_idx = np.nonzero(timed[req] & fits_limits)[0]
    rows = np.repeat(t_idx, n_windows[t_idx])
    win = csr_rows(av_ptr, vol[t_idx])
    rr, tt = req[rows], travel[rows]
    lo = np.maximum(r_lo[rr], av_lo[win] + tt)
    hi = np.minimum(r_hi[rr], av_hi[win] - dur[rr] - tt)
    fit = lo <= hi
    rows, lo, hi, win = rows[fit], lo[fit], hi[fit], win[fit]

    keep = untimed_ok.copy()
    keep[rows] = True
    # CSR over kept pairs: rows are grouped by pair in input order already.
    kept_index = np.cumsum(keep) - 1
    counts = np.bincount(kept_index[rows], minlength=int(keep.sum()))
    start_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    available = np.bincount(req[keep], minlength=n_r).astype(np.int64)
    need = np.array([r.volunteers_needed for r in problem.requests], dtype=np.int64)
    team = np.nonzero((need > 1) & timed & (available >= need))[0]
    if team.size:
        pair_of_row = kept_index[rows]
        available[team] = _most_together(team, req[keep], pair_of_row, lo, hi)
    return keep, start_ptr, lo.astype(np.int64), hi.astype(np.int64), win, available


def _most_together(team: I64, kept_req: I64, pair_of_row: I64, lo: I64, hi: I64) -> I64:
    """For each team request, the most volunteers available at one start minute.

    A sweep over interval end points; a volunteer's intervals are disjoint, so
    overlapping intervals always belong to different volunteers.
    """
    row_req = kept_req[pair_of_row]  # non-decreasing: pairs are sorted by request
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
