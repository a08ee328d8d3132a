"""One bundle of per-request and per-volunteer arrays, built once per solve.

Every step of today's matching (candidates, pins, parts, pricing, engines,
assembly) reads the problem through one :class:`TaskArrays`, built once by
:func:`task_arrays` and passed along; nothing rebuilds it or caches it.

Conventions, the same everywhere:

* request ``r`` and volunteer ``v`` are indices in the problem's order;
* minutes are whole minutes since the Unix epoch (UTC);
* ``max_tasks`` of a volunteer without a limit is the number of requests
  (no plan can give anyone more); ``max_minutes`` without a limit is
  :data:`NO_LIMIT_HI`;
* priorities are integers: ``priority = round(problem priority * scale)``;
* :data:`NO_START` marks "no start minute" (unserved, untimed or unpinned).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from matchcore import geo
from matchcore.params import DEFAULT_PARAMS, SolveParams
from matchcore.problem import Problem, Request, Volunteer, ceil_minute, floor_minute
from matchcore.tasks.roles import RoleArrays, role_arrays

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

# Sentinels for "no limit" in minute arithmetic; far beyond any real date.
NO_LIMIT_LO = -(2**40)
NO_LIMIT_HI = 2**40
# "No start minute".
NO_START = int(np.iinfo(np.int64).min)


def _empty_bool() -> BOOL:
    return np.zeros(0, dtype=bool)


@dataclass(frozen=True, eq=False)
class TaskArrays:
    """The problem as arrays, one convention for all (see the module docstring).

    Per volunteer: ``v_lat``, ``v_lon`` (degrees), ``reach`` (km, their
    travel range), ``speed`` (km/h of their travel mode), ``v_sig`` (id of
    their skills-and-languages signature), ``max_tasks``, ``max_minutes``,
    and their availability windows in CSR form: window ``k`` in
    ``av_ptr[v]:av_ptr[v+1]`` runs from minute ``av_lo[k]`` to ``av_hi[k]``
    (one unbounded window ``NO_LIMIT_LO..NO_LIMIT_HI`` when they gave none).

    Per request: ``r_lat``, ``r_lon``, ``r_sig``, ``r_group`` (skill group of
    the candidate grid), ``need`` (volunteers needed together),
    ``duration`` (minutes), ``timed`` (has a window), ``r_lo``..``r_hi``
    (earliest and latest start minute; 0 when untimed), ``priority``
    (scaled integers, see ``scale``), ``pinned`` (a pinned commitment
    serves it) and ``pin_start`` (its pinned start minute, or ``NO_START``).

    Pairs: ``compat[v_sig, r_sig]`` (skills and a shared language),
    ``group_compat[v_sig, group]``, ``ex_key`` (sorted keys ``r * n_v + v``
    of excluded pairs), ``excluded`` and ``preferred`` (:class:`PairSet`).
    ``pin_pair`` marks, per pair of the candidate graph it was checked
    against, the pairs a pinned commitment fixes; it is empty until the pins
    are checked (:func:`matchcore.tasks.pins.check_pins`), and replaced, with
    the rest shared, by :meth:`with_pins`.

    ``creds`` holds the credentials requests require (``None`` when none
    does); pairs that fail that stage are in ``ex_key`` and ``excluded`` too,
    so that every later stage sees them gone (:class:`CredentialArrays`).

    ``keep_pair`` (per pair) and
    ``keep_start`` (per request) mark still-feasible previous assignments
    (:meth:`with_keep`); empty without a previous plan.

    ``daily`` holds the limits per day (:class:`DailyLimits`), ``None`` when
    no volunteer has one; ``fair`` is ``options.fairness == "balance"``.
    ``roles`` holds the team roles (:class:`~matchcore.tasks.roles.RoleArrays`,
    ``None`` when no request has any); a request with roles has a signature of
    its own in ``r_sig`` and ``compat``, which a volunteer fitting any role matches.
    """

    n_v: int
    n_r: int
    v_lat: F64
    v_lon: F64
    r_lat: F64
    r_lon: F64
    reach: F64
    v_sig: I64
    v_sig_count: I64
    r_sig: I64
    compat: BOOL
    r_group: I64
    group_compat: BOOL
    ex_key: I64
    excluded: PairSet
    preferred: PairSet
    speed: F64
    detour: float
    duration: I64
    timed: BOOL
    r_lo: I64
    r_hi: I64
    need: I64
    max_tasks: I64
    max_minutes: I64
    av_ptr: I64
    av_lo: I64
    av_hi: I64
    scale: int
    priority: I64
    pinned: BOOL
    pin_start: I64
    pin_pair: BOOL = field(default_factory=_empty_bool)
    creds: CredentialArrays | None = None
    keep_pair: BOOL = field(default_factory=_empty_bool)
    keep_start: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Limits per day (:class:`DailyLimits`; None when no volunteer has one)
    # and options.fairness == "balance".
    daily: DailyLimits | None = None
    fair: bool = False
    r_ride_km: F64 = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    roles: RoleArrays | None = None
    # Repeating requests: per request, its series' number (-1: none).
    series: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def travel(self, vol: I64, dist: F64) -> I64:
        """Travel minutes one way for volunteers ``vol`` over ``dist`` km."""
        return geo.travel_minutes(dist, self.speed[vol], self.detour)

    @property
    def has_rides(self) -> bool:
        """Whether any request is a ride (``r_ride_km``: client -> destination km, 0 if none)."""
        return bool(self.r_ride_km.size) and bool(self.r_ride_km.any())

    def trip(self, req: I64, vol: I64, dist: F64) -> I64:
        """Minutes of travel before the task of each pair, and (the same) after it.

        ``dist`` is the home -> client km. For a ride the client -> destination
        leg is added; each leg is rounded up on its own. The way back takes as
        long (destination -> client -> home over the same great circles), so a
        pair's block is ``[start - trip, start + duration + trip]``.
        """
        minutes = self.travel(vol, dist)
        if self.has_rides:
            minutes = minutes + self.travel(vol, self.r_ride_km[req])
        return minutes

    def trip_metres(self, req: I64, dist: F64) -> I64:
        """Whole metres of each pair's travel level: one way, home -> client, plus
        client -> destination for a ride (half of its four legs)."""
        km = dist + self.r_ride_km[req] if self.has_rides else dist
        return np.rint(np.asarray(km) * 1000.0).astype(np.int64)

    @property
    def longest_ride_km(self) -> float:
        """The longest client -> destination leg of any ride (0 without rides)."""
        return float(self.r_ride_km.max(initial=0.0))

    def with_pins(self, pin_pair: BOOL) -> TaskArrays:
        """The same arrays with ``pin_pair`` for another candidate graph."""
        return dataclasses.replace(self, pin_pair=pin_pair)

    def with_keep(self, keep_pair: BOOL, keep_start: I64) -> TaskArrays:
        """The same arrays with the still-feasible previous assignments
        (:func:`matchcore.replan.assess`) for the same candidate graph."""
        return dataclasses.replace(self, keep_pair=keep_pair, keep_start=keep_start)


def task_arrays(problem: Problem, params: SolveParams = DEFAULT_PARAMS) -> TaskArrays:
    """The :class:`TaskArrays` of ``problem`` (pins not yet checked)."""
    vols, reqs = problem.volunteers, problem.requests
    n_v, n_r = len(vols), len(reqs)
    v_sig, v_sig_count, r_sig, compat = _signature_compatibility(vols, reqs)
    roles = role_arrays(problem, v_sig, r_sig, compat)
    if roles is not None:  # a volunteer who fits any role of a request is its candidate
        r_sig, compat = roles.r_sig, roles.req_compat
    r_group, group_compat = _skill_groups(reqs, r_sig, compat, params.candidates.max_groups)
    ex_r, ex_v = _excluded_pairs(problem)
    creds = credential_arrays(problem, compat, v_sig, r_sig)
    if creds is not None:
        ex_key = np.union1d(ex_r * n_v + ex_v, creds.fail_key)
        ex_r, ex_v = ex_key // max(n_v, 1), ex_key % max(n_v, 1)
    pref_r, pref_v = _id_pairs(problem, (r.preferred_volunteers for r in reqs))
    speeds = problem.options.travel.speeds_kmh
    av_ptr, av_lo, av_hi = _availability_csr(problem)
    scale = priority_scale([r.priority for r in reqs])
    pinned = np.zeros(n_r, dtype=bool)
    pin_start = np.full(n_r, NO_START, dtype=np.int64)
    for pin in problem.assignments:
        r = problem.request_index[pin.request_id]
        pinned[r] = True
        if pin.start is not None:
            pin_start[r] = floor_minute(pin.start)
    return TaskArrays(
        n_v=n_v,
        n_r=n_r,
        v_lat=np.array([v.location.lat for v in vols], dtype=np.float64),
        v_lon=np.array([v.location.lon for v in vols], dtype=np.float64),
        r_lat=np.array([r.location.lat for r in reqs], dtype=np.float64),
        r_lon=np.array([r.location.lon for r in reqs], dtype=np.float64),
        reach=np.array([problem.max_distance_km(v) for v in vols], dtype=np.float64),
        v_sig=v_sig,
        v_sig_count=v_sig_count,
        r_sig=r_sig,
        compat=compat,
        r_group=r_group,
        group_compat=group_compat,
        ex_key=np.unique(ex_r * n_v + ex_v),
        excluded=PairSet(ex_r, ex_v, n_r, n_v),
        preferred=PairSet(pref_r, pref_v, n_r, n_v),
        speed=np.array([speeds[v.travel_mode] for v in vols], dtype=np.float64),
        detour=problem.options.travel.detour_factor,
        duration=np.array([r.duration_minutes for r in reqs], dtype=np.int64),
        timed=np.array([r.window is not None for r in reqs], dtype=bool),
        r_lo=np.array([r.earliest_start_minute if r.window else 0 for r in reqs], np.int64),
        r_hi=np.array([r.latest_start_minute if r.window else 0 for r in reqs], np.int64),
        need=np.array([r.volunteers_needed for r in reqs], dtype=np.int64),
        max_tasks=np.array([n_r if v.max_tasks is None else v.max_tasks for v in vols], np.int64),
        max_minutes=np.array(
            [NO_LIMIT_HI if v.max_minutes is None else v.max_minutes for v in vols], np.int64
        ),
        av_ptr=av_ptr,
        av_lo=av_lo,
        av_hi=av_hi,
        scale=scale,
        priority=np.array([round(r.priority * scale) for r in reqs], dtype=np.int64),
        pinned=pinned,
        pin_start=pin_start,
        creds=creds,
        daily=daily_limits(problem),
        fair=problem.options.fairness == "balance",
        r_ride_km=ride_km(reqs),
        roles=roles,
        series=series_numbers(problem),
    )


def ride_km(reqs: Sequence[Request]) -> F64:
    """Per request: great-circle km from the client to the ride's destination (0: no ride)."""
    dest = [r.destination or r.location for r in reqs]
    return geo.great_circle_km(
        np.array([r.location.lat for r in reqs], dtype=np.float64),
        np.array([r.location.lon for r in reqs], dtype=np.float64),
        np.array([d.lat for d in dest], dtype=np.float64),
        np.array([d.lon for d in dest], dtype=np.float64),
    )


def series_numbers(problem: Problem) -> I64:
    """Per request, the number of its series (in order of first occurrence), -1 for none."""
    numbers: dict[str, int] = {}
    per_request = [
        -1 if r.series is None else numbers.setdefault(r.series, len(numbers))
        for r in problem.requests
    ]
    return np.array(per_request, dtype=np.int64)


def priority_scale(priorities: Sequence[float]) -> int:
    """The smallest power of ten (at most 1000) that makes priorities whole.

    Priorities are compared at a resolution of 0.001.
    """
    for scale in (1, 10, 100, 1000):
        if all(abs(p * scale - round(p * scale)) <= 1e-9 * max(1.0, p * scale) for p in priorities):
            return scale
    return 1000


# -- skills and languages ------------------------------------------------------------


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


def _skill_groups(
    reqs: tuple[Request, ...], r_sig: I64, compat: BOOL, max_groups: int
) -> tuple[I64, BOOL]:
    """Requests grouped by skill set for the grid, and which volunteer signatures
    match any request of a group (languages are checked per pair afterwards)."""
    keys: dict[frozenset[str], int] = {}
    group_of_sig = np.zeros(compat.shape[1], dtype=np.int64)
    for r, sig in zip(reqs, r_sig.tolist(), strict=True):
        group_of_sig[sig] = keys.setdefault(r.skills, len(keys))
    n_groups = max(len(keys), 1)
    if n_groups > max_groups:
        group_of_sig[:] = 0
        n_groups = 1
    onehot = np.zeros((compat.shape[1], n_groups), dtype=np.int64)
    onehot[np.arange(compat.shape[1]), group_of_sig] = 1
    return group_of_sig[r_sig], (compat.astype(np.int64) @ onehot) > 0


# -- exclusions and preferences -----------------------------------------------------


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


def isin_sorted(keys: I64, sorted_set: I64) -> BOOL:
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
            hit[many] = isin_sorted(r[many] * self.n_v + v[many], self.key)
        out[sub] = hit
        return out


# -- availability --------------------------------------------------------------------


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


def csr_rows(ptr: I64, select: I64) -> I64:
    """Row indices of the selected CSR entries, concatenated in order."""
    counts = ptr[select + 1] - ptr[select]
    total = int(counts.sum())
    skip = np.repeat(np.cumsum(counts) - counts - ptr[select], counts)
    return np.asarray(np.arange(total, dtype=np.int64) - skip, dtype=np.int64)


# -- credentials ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CredentialArrays:
    """The credential stage of the funnel, and the validity that clips start times.

    ``r_set`` gives each request's set of required credential names (an id;
    -1: none). For each set and each volunteer holding every name in it,
    ``hold_key`` (sorted keys ``set * n_v + volunteer``) points to their
    validity in CSR form: intervals ``lo[k]..hi[k]`` (minutes, closed) for
    ``k`` in ``ptr[i]:ptr[i+1]`` where every named credential is valid
    (possibly none). ``fail_key`` holds the sorted keys ``r * n_v + v`` of
    the pairs with the skills that fail the stage, ``holders`` per request
    how many volunteers with the skills hold every name whatever its dates.
    """

    r_set: I64
    hold_key: I64
    ptr: I64
    lo: I64
    hi: I64
    fail_key: I64
    holders: I64

    def intervals(self, req: I64, vol: I64, n_v: int) -> tuple[I64, I64, I64]:
        """Per pair of a request with credentials: (pair position, lo, hi) of each
        validity interval (a pair without a holding volunteer has none)."""
        keys = self.r_set[req] * max(n_v, 1) + vol
        found = (self.r_set[req] >= 0) & isin_sorted(keys, self.hold_key)
        at = np.searchsorted(self.hold_key, keys)
        pos = np.flatnonzero(found)
        rows = csr_rows(self.ptr, at[pos])
        pair = np.repeat(pos, self.ptr[at[pos] + 1] - self.ptr[at[pos]])
        return pair.astype(np.int64), self.lo[rows], self.hi[rows]


def credential_arrays(
    problem: Problem, compat: BOOL, v_sig: I64, r_sig: I64
) -> CredentialArrays | None:
    """The :class:`CredentialArrays` of ``problem`` (``None`` when no request needs one).

    ``compat[v_sig[v], r_sig[r]]``: the pair passes the skills stage. A volunteer passes
    the credential stage of a timed request when one interval of their
    validity can hold the task at some start in the window (travel is added
    at the availability stage, which clips the start times to the validity);
    of an untimed request when it is valid at the end of the planning horizon.
    """
    reqs, vols = problem.requests, problem.volunteers
    if not any(r.credentials for r in reqs):
        return None
    n_v, n_r = len(vols), len(reqs)
    set_ids: dict[frozenset[str], int] = {}
    r_set = np.array(
        [set_ids.setdefault(r.credentials, len(set_ids)) if r.credentials else -1 for r in reqs],
        dtype=np.int64,
    )
    hold_key: list[int] = []
    ptr = [0]
    lo: list[int] = []
    hi: list[int] = []
    by_name = [_validity_by_name(v) for v in vols]
    for names, s in set_ids.items():
        for v, valid in enumerate(by_name):
            if names <= valid.keys():
                spans = _intersect_all([valid[n] for n in sorted(names)])
                hold_key.append(s * max(n_v, 1) + v)
                lo.extend(a for a, _ in spans)
                hi.extend(b for _, b in spans)
                ptr.append(len(lo))
    creds = CredentialArrays(
        r_set,
        np.array(hold_key, dtype=np.int64),
        np.array(ptr, dtype=np.int64),
        np.array(lo, dtype=np.int64),
        np.array(hi, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(n_r, dtype=np.int64),
    )
    horizon = problem.horizon
    # Valid at the horizon's end, which may fall inside a minute: valid from its
    # minute's start to its minute's end (validity spans are rounded inwards too).
    end = None if horizon is None else (floor_minute(horizon.end), ceil_minute(horizon.end))
    need_r = np.flatnonzero(r_set >= 0)
    req = np.repeat(need_r, n_v)
    vol = np.tile(np.arange(n_v, dtype=np.int64), need_r.size)
    ok = compat[v_sig[vol], r_sig[req]]
    req, vol = req[ok], vol[ok]
    pair, a, b = creds.intervals(req, vol, n_v)
    holds = np.zeros(req.size, dtype=bool)
    holds[pair] = True
    r = req[pair]
    timed = np.array([x.window is not None for x in reqs], dtype=bool)[r]
    r_lo = np.array([x.earliest_start_minute if x.window else 0 for x in reqs], np.int64)[r]
    r_hi = np.array([x.latest_start_minute if x.window else 0 for x in reqs], np.int64)[r]
    dur = np.array([x.duration_minutes for x in reqs], dtype=np.int64)[r]
    first = np.maximum(a, r_lo)
    fits = np.where(
        timed,
        (first <= r_hi) & (first + dur <= b),
        True if end is None else (a <= end[0]) & (end[1] <= b),
    )
    passes = np.zeros(req.size, dtype=bool)
    passes[pair[fits]] = True
    return dataclasses.replace(
        creds,
        fail_key=np.unique(req[~passes] * max(n_v, 1) + vol[~passes]),
        holders=np.bincount(req[holds], minlength=n_r).astype(np.int64),
    )


def _validity_by_name(volunteer: Volunteer) -> dict[str, list[tuple[int, int]]]:
    """Each credential name's validity intervals (minutes, closed, merged)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for c in volunteer.credentials:
        start = NO_LIMIT_LO if c.valid_from is None else ceil_minute(c.valid_from)
        spans.setdefault(c.key, []).append((start, floor_minute(c.valid_until)))
    return {name: _merge(items) for name, items in spans.items()}


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif a <= b:
            out.append((a, b))
    return out


def _intersect_all(lists: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Where every list has an interval: the intersection of unions of intervals."""
    current = lists[0]
    for other in lists[1:]:
        out = []
        for a, b in current:
            for c, d in other:
                if max(a, c) <= min(b, d):
                    out.append((max(a, c), min(b, d)))
        current = _merge(out)
    return current


# -- limits per day -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DailyLimits:
    """Per volunteer ``max_tasks_per_day`` and ``max_minutes_per_day`` (``NO_LIMIT_HI``
    when not given), and the calendar the days are read in.

    A task belongs to the day of its start in ``options.timezone`` (UTC without
    one); an untimed task has no start, so no day. ``day_starts`` are the
    minutes of the local midnights from before the earliest to after the
    latest start any request or pin can have, so that :meth:`day_of` is a
    binary search (and daylight-saving days are 23 or 25 hours long).
    """

    tasks: I64
    minutes: I64
    day_starts: I64

    def day_of(self, minute: I64) -> I64:
        """The index of the local day of each start minute."""
        return np.searchsorted(self.day_starts, minute, side="right").astype(np.int64) - 1

    def day_span(self, day: int) -> tuple[int, int]:
        """First and last minute of local day ``day``."""
        return int(self.day_starts[day]), int(self.day_starts[day + 1]) - 1


def daily_limits(problem: Problem) -> DailyLimits | None:
    """The :class:`DailyLimits` of ``problem``; ``None`` when no volunteer has one."""
    vols = problem.volunteers
    if all(v.max_tasks_per_day is None and v.max_minutes_per_day is None for v in vols):
        return None
    tasks = [NO_LIMIT_HI if v.max_tasks_per_day is None else v.max_tasks_per_day for v in vols]
    minutes = [
        NO_LIMIT_HI if v.max_minutes_per_day is None else v.max_minutes_per_day for v in vols
    ]
    moments = [
        w for r in problem.requests if r.window is not None for w in (r.window.start, r.window.end)
    ]
    moments += [p.start for p in problem.assignments if p.start is not None]
    return DailyLimits(
        np.array(tasks, dtype=np.int64),
        np.array(minutes, dtype=np.int64),
        local_midnights(moments, problem.options.zone),
    )


def local_midnights(moments: Sequence[datetime], zone: ZoneInfo | None) -> I64:
    """Minutes (since the epoch, UTC) of the local midnights of every day from the
    day before the earliest of ``moments`` to two days after the latest."""
    tz = zone or UTC
    if not moments:
        moments = [datetime(1970, 1, 1, tzinfo=UTC)]
    first = min(m.astimezone(tz).date() for m in moments) - timedelta(days=1)
    last = max(m.astimezone(tz).date() for m in moments) + timedelta(days=2)
    days = (last - first).days + 1
    midnights = (
        datetime.combine(first + timedelta(days=k), time(0), tzinfo=tz) for k in range(days)
    )
    return np.array([floor_minute(m) for m in midnights], dtype=np.int64)
