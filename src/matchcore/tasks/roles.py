"""Team roles: which volunteer fits which role, and how many places roles can fill.

A request with ``roles`` (:class:`~matchcore.problem.Role`) is a team whose
members each fill exactly one role, ``count`` members per role. A volunteer
fits role ``k`` of request ``r`` when they have the request's skills and the
role's, and speak one of the request's languages and one of the role's (each
when listed). A pair is a candidate when the volunteer fits at least one role;
the engines then give every member one role it fits (:mod:`matchcore.engines.roles`).

How many places the roles of a request can fill with distinct volunteers is a
bipartite b-matching, computed exactly with Hall's theorem rather than by
search: with ``N(S)`` the volunteers fitting some role of the set ``S``, the
most places filled is ``min over S of |N(S)| + sum of count_k for k not in
S``. Volunteers enter as the bit mask of the roles they fit, so every count
is a histogram of masks (at most ``2 ** MAX_ROLES`` bins) and a small matrix
product: no Python loop runs over pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matchcore.problem import Problem, Request, Role, Volunteer

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]

#: Columns of :attr:`RoleStats.table`, per role: the funnel's layout
#: (``Candidates.funnel``), then credential holders and the two limit counts.
STAGES = 6
HOLDERS, NO_TASKS, NO_MINUTES = 6, 7, 8


@dataclass(frozen=True, eq=False)
class RoleArrays:
    """The roles of every request, and which volunteer signatures fit each.

    Role ``k`` (global index) belongs to request ``req[k]``; a request's roles
    are ``r_ptr[r]:r_ptr[r+1]``, in its order. ``compat[v_sig, sig[k]]``: a
    volunteer of that skills-and-languages signature fits role ``k`` (the
    request's own skills and languages included). ``r_sig`` and
    ``req_compat`` are the request signatures and compatibility of
    :class:`~matchcore.tasks.arrays.TaskArrays` with one new signature per
    distinct set of roles, which a volunteer matches when it fits any role.
    """

    r_ptr: I64
    req: I64
    count: I64
    sig: I64
    compat: BOOL
    r_sig: I64
    req_compat: BOOL

    @property
    def n_roles(self) -> I64:
        """Per request: how many roles it has (0: a plain request)."""
        return np.diff(self.r_ptr)

    def masks(self, req: I64, vol_sig: I64) -> I64:
        """Per pair: the bit mask of the roles of ``req`` that ``vol_sig`` fits."""
        out = np.zeros(req.size, dtype=np.int64)
        first = self.r_ptr[req]
        for bit in range(int(self.n_roles.max(initial=0))):
            has = np.flatnonzero(self.n_roles[req] > bit)
            fits = self.compat[vol_sig[has], self.sig[first[has] + bit]]
            out[has[fits]] |= 1 << bit
        return out


def role_arrays(problem: Problem, v_sig: I64, r_sig: I64, compat: BOOL) -> RoleArrays | None:
    """The :class:`RoleArrays` of ``problem``; ``None`` when no request has roles."""
    reqs, vols = problem.requests, problem.volunteers
    if not any(r.roles for r in reqs):
        return None
    # One volunteer per signature tells its skills and languages.
    n_vsig = compat.shape[0]
    first = np.full(n_vsig, -1, dtype=np.int64)
    sigs, at = np.unique(v_sig, return_index=True)
    first[sigs] = at
    v_keys = [
        (vols[i].skills, vols[i].languages) if i >= 0 else (frozenset(), frozenset())
        for i in first.tolist()
    ]
    counts = [len(r.roles) for r in reqs]
    r_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    keys: dict[tuple[frozenset[str], frozenset[str], frozenset[str]], int] = {}
    sig = []
    for request in reqs:
        for role in request.roles:
            key = (request.skills | role.skills, request.languages, role.languages)
            sig.append(keys.setdefault(key, len(keys)))
    role_compat = np.zeros((n_vsig, max(len(keys), 1)), dtype=bool)
    for (skills, langs, role_langs), k in keys.items():
        for i, (v_skills, v_langs) in enumerate(v_keys):
            role_compat[i, k] = (
                skills <= v_skills
                and (not langs or bool(langs & v_langs))
                and (not role_langs or bool(role_langs & v_langs))
            )
    sig_arr = np.array(sig, dtype=np.int64)
    # Requests with roles get signatures of their own: any role fits.
    new_r_sig = r_sig.copy()
    sets: dict[tuple[int, ...], int] = {}
    columns = []
    for r, n in enumerate(counts):
        if n:
            own = tuple(sig_arr[r_ptr[r] : r_ptr[r + 1]].tolist())
            if own not in sets:
                sets[own] = compat.shape[1] + len(sets)
                columns.append(role_compat[:, list(own)].any(axis=1))
            new_r_sig[r] = sets[own]
    req_compat = np.concatenate((compat, np.stack(columns, axis=1)), axis=1)
    return RoleArrays(
        r_ptr=r_ptr,
        req=np.repeat(np.arange(len(reqs), dtype=np.int64), counts),
        count=np.array([role.count for r in reqs for role in r.roles], dtype=np.int64),
        sig=sig_arr,
        compat=role_compat,
        r_sig=new_r_sig,
        req_compat=req_compat,
    )


# -- how many places the roles can fill ----------------------------------------------


def _hits(n_bits: int) -> I64:
    """``hits[m, S]`` = 1 when mask ``m`` meets subset ``S`` (both over ``n_bits`` roles)."""
    m = np.arange(1 << n_bits, dtype=np.int64)
    return np.asarray((m[:, None] & m[None, :]) != 0, dtype=np.int64)


def _outside(count: I64, n_bits: int) -> I64:
    """``out[i, S]``: the counts of row ``i``'s roles not in ``S`` (``count``: rows x bits)."""
    s = np.arange(1 << n_bits, dtype=np.int64)
    member = ((s[:, None] >> np.arange(n_bits)[None, :]) & 1).astype(np.int64)  # S x bits
    return np.asarray(count @ (1 - member).T, dtype=np.int64)


def places(hist: I64, count: I64) -> I64:
    """The most places distinct volunteers can fill, per row (Hall's theorem).

    ``hist[i, m]``: volunteers whose role mask is ``m``; ``count[i, k]``: the
    places of role ``k`` (0 for bits a request does not use).
    """
    n_bits = count.shape[1]
    if hist.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray((hist @ _hits(n_bits) + _outside(count, n_bits)).min(axis=1), np.int64)


def per_role(hist: I64, n_bits: int) -> I64:
    """``out[i, k]``: volunteers of row ``i`` that fit role ``k``."""
    m = np.arange(hist.shape[1], dtype=np.int64)
    bits = ((m[:, None] >> np.arange(n_bits)[None, :]) & 1).astype(np.int64)
    return np.asarray(hist @ bits, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class RoleStats:
    """The funnel of every role, and how many places the roles can fill.

    ``table[k]`` (global role ``k``): the funnel's columns counted among the
    volunteers fitting role ``k`` (:data:`STAGES` columns in the layout of
    ``Candidates.funnel``), then :data:`HOLDERS`, :data:`NO_TASKS` and
    :data:`NO_MINUTES` as ``Candidates.cred_holders`` and ``limits``.
    ``slots[r]``: per funnel column, the most places of request ``r``'s
    roles that distinct volunteers passing that stage can fill (for a timed
    team, available together at one start); zero for requests without roles.
    """

    table: I64
    slots: I64


class RoleCounter:
    """Histograms of role masks per request with roles, stage by stage."""

    def __init__(self, roles: RoleArrays, n_r: int) -> None:
        self.roles = roles
        self.n_bits = int(roles.n_roles.max(initial=1))
        self.rows = np.flatnonzero(roles.n_roles > 0)
        self.row_of = np.full(n_r, -1, dtype=np.int64)
        self.row_of[self.rows] = np.arange(self.rows.size)
        count = np.zeros((self.rows.size, self.n_bits), dtype=np.int64)
        first = roles.r_ptr[self.rows]
        for bit in range(self.n_bits):
            has = np.flatnonzero(roles.n_roles[self.rows] > bit)
            count[has, bit] = roles.count[first[has] + bit]
        self.count = count
        self.table = np.zeros((roles.count.size, 9), dtype=np.int64)
        self.slots = np.zeros((n_r, STAGES), dtype=np.int64)

    def hist(self, req: I64, mask: I64, weight: I64 | None = None) -> I64:
        """Histogram of masks per role request (rows: ``self.rows``)."""
        row = self.row_of[req]
        ok = row >= 0
        size = self.rows.size * (1 << self.n_bits)
        flat = np.bincount(
            row[ok] * (1 << self.n_bits) + mask[ok],
            weights=None if weight is None else weight[ok],
            minlength=size,
        )
        return np.asarray(flat.reshape(self.rows.size, 1 << self.n_bits), dtype=np.int64)

    def per_role(self, hist: I64) -> I64:
        """Per role request and role bit: the volunteers of ``hist`` fitting it."""
        return per_role(hist, self.n_bits)

    def stage(self, column: int, hist: I64) -> None:
        """Record one funnel column from its histogram (per role and places)."""
        self.put(column, self.per_role(hist))
        self.slots[self.rows, column] = places(hist, self.count)

    def put(self, column: int, by_bit: I64) -> None:
        """Per-role counts (rows x bits) into column ``column`` of the table."""
        first = self.roles.r_ptr[self.rows]
        for bit in range(self.n_bits):
            has = np.flatnonzero(self.roles.n_roles[self.rows] > bit)
            self.table[first[has] + bit, column] = by_bit[has, bit]

    def together(self, column: int, req: I64, mask: I64, lo: I64, hi: I64, timed: BOOL) -> None:
        """The available stage of timed requests: the most at one start minute.

        ``req``/``mask``/``lo``/``hi``: one row per start interval of an
        available pair (a volunteer's intervals are disjoint). A sweep over
        the interval ends per request; the state between events is a
        histogram of masks, so places and per-role counts are read at each.
        A role's count becomes the most of it together only when enough are
        available at all, as ``Candidates.funnel`` counts a team; the places
        are always counted together.
        """
        rows = np.flatnonzero(timed[self.rows])
        order = np.argsort(req, kind="stable")
        req, mask, lo, hi = req[order], mask[order], lo[order], hi[order]
        begin = np.searchsorted(req, self.rows[rows], side="left")
        end = np.searchsorted(req, self.rows[rows], side="right")
        eye = np.eye(1 << self.n_bits, dtype=np.int64)
        for i, a, b in zip(rows.tolist(), begin.tolist(), end.tolist(), strict=True):
            points = np.concatenate((lo[a:b], hi[a:b] + 1))
            sign = np.concatenate((np.ones(b - a, np.int64), -np.ones(b - a, np.int64)))
            m = np.concatenate((mask[a:b], mask[a:b]))
            ev = np.lexsort((sign, points))  # closings before openings at a tie
            states = np.cumsum(eye[m[ev]] * sign[ev][:, None], axis=0)
            if states.shape[0] == 0:
                states = np.zeros((1, 1 << self.n_bits), dtype=np.int64)
            count = np.repeat(self.count[i : i + 1], states.shape[0], axis=0)
            self.slots[self.rows[i], column] = int(places(states, count).max())
            best = per_role(states, self.n_bits).max(axis=0)
            first, n = int(self.roles.r_ptr[self.rows[i]]), int(self.roles.n_roles[self.rows[i]])
            plain = self.table[first : first + n, column]
            enough = plain >= self.roles.count[first : first + n]
            self.table[first : first + n, column] = np.where(enough, best[:n], plain)


# -- the members' roles --------------------------------------------------------------


def member_roles(fits: list[list[int]], counts: list[int]) -> list[int] | None:
    """A role for every member, each role getting exactly its count; ``None`` if none.

    ``fits[i]`` lists the roles member ``i`` fits. Augmenting paths over the
    places of the roles (teams are small); members are served in order and
    roles tried in index order, so the answer is the same every time.
    """
    if len(fits) != sum(counts):
        return None
    holder: dict[tuple[int, int], int] = {}  # (role, place) -> member
    role_of: list[int] = [-1] * len(fits)

    def place(i: int, seen: set[tuple[int, int]]) -> bool:
        for k in fits[i]:
            for slot in range(counts[k]):
                key = (k, slot)
                if key in seen:
                    continue
                seen.add(key)
                if key not in holder or place(holder[key], seen):
                    holder[key] = i
                    role_of[i] = k
                    return True
        return False

    for i in range(len(fits)):
        if not place(i, set()):
            return None
    return role_of


# -- roles in a part -----------------------------------------------------------------


def part_role_fields(roles: RoleArrays, requests: I64, req: I64, vol_sig: I64) -> dict[str, I64]:
    """The role fields of a :class:`~matchcore.tasks.parts.Part`.

    ``requests``: the part's global request indices (sorted); ``req`` and
    ``vol_sig``: per local pair (sorted by request), its global request and
    its volunteer's signature. Returns ``role_ptr`` (per local request, its
    roles in CSR form), ``role_count``, and one row per (pair, role it fits):
    ``fit_pair``, ``fit_role`` (local), sorted by pair. Empty for a part
    without roles.
    """
    n = roles.n_roles[requests]
    if not n.any():
        return {}
    role_ptr = np.concatenate(([0], np.cumsum(n))).astype(np.int64)
    global_roles = _csr_take(roles.r_ptr, requests)
    local_first = role_ptr[:-1][np.searchsorted(requests, req)]
    per_pair = roles.n_roles[req]
    pair = np.repeat(np.arange(req.size, dtype=np.int64), per_pair)
    offset = np.arange(pair.size, dtype=np.int64) - np.repeat(
        np.cumsum(per_pair) - per_pair, per_pair
    )
    local = local_first[pair] + offset
    fits = roles.compat[vol_sig[pair], roles.sig[global_roles[local]]]
    return {
        "role_ptr": role_ptr,
        "role_count": roles.count[global_roles],
        "fit_pair": pair[fits],
        "fit_role": local[fits],
    }


def _csr_take(ptr: I64, select: I64) -> I64:
    """The entries ``ptr[s]:ptr[s+1]`` for each selected ``s``, concatenated."""
    counts = ptr[select + 1] - ptr[select]
    starts = np.repeat(ptr[select] - (np.cumsum(counts) - counts), counts)
    return np.asarray(np.arange(int(counts.sum()), dtype=np.int64) + starts, dtype=np.int64)


def team_roles(roles: RoleArrays, v_sig: I64, r: int, members: list[int]) -> list[int] | None:
    """The role (index in request ``r``'s roles) of each member (volunteer indices)."""
    first, n = int(roles.r_ptr[r]), int(roles.n_roles[r])
    fit = roles.compat[v_sig[members][:, None], roles.sig[first : first + n][None, :]]
    fits = [np.flatnonzero(row).tolist() for row in fit]
    return member_roles(fits, roles.count[first : first + n].tolist())


def fits_role(request: Request, role: Role, volunteer: Volunteer) -> bool:
    """Whether ``volunteer`` has the skills and a language for ``role`` of ``request``."""
    langs = volunteer.languages
    return (
        request.skills | role.skills <= volunteer.skills
        and (not request.languages or bool(request.languages & langs))
        and (not role.languages or bool(role.languages & langs))
    )


def roles_of_team(request: Request, team: Sequence[Volunteer]) -> list[int] | None:
    """The role of each member of ``team`` for ``request`` (with roles), or None
    when the team cannot fill them (for pins and previous plans)."""
    fits = [
        [k for k, role in enumerate(request.roles) if fits_role(request, role, v)] for v in team
    ]
    return member_roles(fits, [role.count for role in request.roles])
