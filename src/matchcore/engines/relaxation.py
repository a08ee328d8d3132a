"""Proven upper bounds on a part's served priority, cheap at a million pairs.

Two relaxations; :func:`priority_bound` returns the smaller of them and of the
trivial bound (the part's total priority). Both work on *items*: one per
CSR row of a timed pair (the pair placed in one availability window of its
volunteer) and one per untimed pair.

Flow relaxation (:func:`flow_bound`)
    source -> request (capacity ``need``, each unit worth ``priority / need``;
    costs are scaled by the lcm of the needs so they stay integral) -> item
    (capacity 1) -> volunteer-window node (capacity: the most blocks that
    window could ever hold, i.e. how many of the smallest loads offered to it
    fit in its length; untimed items skip this node) -> volunteer node
    (capacity ``max_tasks``, and no more tasks than the smallest loads that
    fit in ``max_minutes``) -> sink, plus a source -> sink bypass.

    *Validity.* Map a feasible plan to a flow: each served request sends
    ``need`` units, one through the item of each assigned volunteer (the
    window holding that volunteer's block; there is exactly one, windows of a
    volunteer are disjoint). A volunteer's blocks in one window are disjoint
    and lie inside it, so their loads sum to at most its length, hence their
    number is at most the count of the smallest loads that fit: the window
    capacity holds. The same argument with ``max_minutes``, and ``max_tasks``
    directly, bound the volunteer arc. The flow's value is the plan's served
    priority (times the lcm), so the max-value flow is at least the optimum.
    No-overlap inside a window, start times, pins and the all-or-nothing
    rule of teams beyond ``need`` units are dropped: only constraints are
    dropped or weakened, so the flow's optimum is an upper bound (team
    roles are dropped too: every member of a served role request is one of
    its candidates, and ignoring which role they fill only drops a
    constraint, so the bound holds for requests with roles). On a
    flow-representable part (single-volunteer requests, no two timed
    candidates per volunteer, minute limits that cannot bind) every capacity
    above is the real one and the bound equals the optimum.

Lagrangian (LP) relaxation (:func:`lagrangian_bound`)
    Integer program: ``z[i]`` (item i used), ``y[r]`` (request served),
    maximise ``sum priority[r] * y[r]`` subject to, per request, ``need[r]``
    distinct pairs with one item each when served, none otherwise (set *X*),
    and the coupling rows ``A z <= b``: per availability window, the loads of
    its items fit in its length (knapsack), at most one item longer than half
    the window, and no more items than the window's count (as in the flow);
    per volunteer, at most the flow's task capacity and at most
    ``max_minutes`` of load. Every feasible plan satisfies these (its blocks
    in a window are disjoint and inside it, so two blocks longer than half of
    it cannot both be there), so the program's optimum is at least the true
    optimum.

    For any multipliers ``u >= 0`` weak duality gives::

        OPT <= L(u) = u . b + sum_r max(0, priority[r] - cheapest_need_r(u))

    where an item costs ``(u^T A)[i]`` and ``cheapest_need_r`` is the sum of
    the ``need[r]`` cheapest distinct pairs of r (a pair costs its cheapest
    item). Indeed for (y, z) feasible, ``priority . y <= priority . y + u .
    (b - A z)`` and maximising the right side over *X* separates per request
    into exactly that closed form. ``L(u)`` is a bound for *any* ``u >= 0``,
    so the multipliers may come from an approximate LP solver (OR-Tools' PDLP
    here, a first-order method that scales to millions of columns) or from a
    subgradient method on ``L`` itself (:func:`subgradient_multipliers`, where
    PDLP has too little time to converge); it is
    evaluated in float64 and rounded up by a margin larger than the rounding
    error, then down to an integer, since served priority is integral. Its
    minimum over ``u`` is the LP bound of the program (slightly stronger for
    teams, whose members must be distinct pairs).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix, diags, vstack

from matchcore.params import DEFAULT_PARAMS, Deadline, RelaxationParams, SolveParams
from matchcore.tasks.arrays import NO_LIMIT_HI
from matchcore.tasks.parts import Part, pair_load

log = logging.getLogger(__name__)

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Items:
    """A part's items (timed pair x availability window, or untimed pair) as arrays.

    ``window`` is a compact window index, -1 for untimed items. Coupling rows
    are listed only where they can bind.
    """

    pair: I64
    req: I64
    vol: I64
    window: I64
    load: I64
    window_length: I64  # per compact window
    window_count: I64  # per compact window: most blocks it can hold
    task_cap: I64  # per local volunteer: max_tasks, and tasks that fit in max_minutes

    @property
    def n_items(self) -> int:
        return int(self.pair.size)


def items_of(part: Part) -> Items:
    """The items of ``part``, with the window and volunteer counting capacities."""
    rows_per_pair = np.diff(part.start_ptr)
    untimed = ~part.timed[part.p_req]
    per_pair = np.where(untimed, 1, rows_per_pair)
    pair = np.repeat(np.arange(part.n_pairs, dtype=np.int64), per_pair)
    # Rows come first per pair in CSR order; an untimed pair has none, so the
    # running row counter only advances on timed items.
    timed_item = ~untimed[pair]
    row = np.cumsum(timed_item) - 1
    window = np.full(pair.size, -1, dtype=np.int64)
    ids, compact = np.unique(part.start_window, return_inverse=True)
    window[timed_item] = compact[row[timed_item]]
    length = np.zeros(ids.size, dtype=np.int64)
    length[compact] = part.window_minutes
    load = pair_load(part)
    item_load = load[pair]
    return Items(
        pair=pair,
        req=part.p_req[pair],
        vol=part.p_vol[pair],
        window=window,
        load=item_load,
        window_length=length,
        window_count=_fits_count(window[timed_item], item_load[timed_item], length),
        task_cap=np.minimum(
            part.max_tasks,
            _fits_count(part.p_vol, load, part.max_minutes, part.n_volunteers),
        ),
    )


def _fits_count(group: I64, size: I64, capacity: I64, n_groups: int | None = None) -> I64:
    """Per group: how many of its smallest sizes fit together in its capacity."""
    n = capacity.size if n_groups is None else n_groups
    if group.size == 0:
        return np.zeros(n, dtype=np.int64)
    order = np.lexsort((size, group))
    g, s = group[order], size[order].astype(np.int64)
    total = np.cumsum(s)
    first = np.searchsorted(g, np.arange(n))
    before = np.concatenate(([0], total))[first]
    fits = total - before[g] <= capacity[g]
    return np.bincount(g[fits], minlength=n).astype(np.int64)


# -- the flow relaxation -------------------------------------------------------------


def flow_bound(part: Part, items: Items | None = None) -> int:
    """The flow relaxation's value: a proven upper bound (see the module notes)."""
    if part.n_pairs == 0:
        return 0
    it = items_of(part) if items is None else items
    n_r, n_v, n_w = part.n_requests, part.n_volunteers, it.window_length.size
    lcm = math.lcm(*np.unique(part.need).tolist())
    gain = part.priority * (lcm // part.need)
    source, sink = 0, 1
    r_node = 2 + np.arange(n_r, dtype=np.int64)
    w_node = 2 + n_r + np.arange(n_w, dtype=np.int64)
    v_node = 2 + n_r + n_w + np.arange(n_v, dtype=np.int64)
    timed = it.window >= 0
    item_head = v_node[it.vol]
    item_head[timed] = w_node[it.window[timed]]
    w_vol = np.zeros(n_w, dtype=np.int64)
    w_vol[it.window[timed]] = it.vol[timed]
    units = int(part.need.sum())
    tail = np.concatenate(([source], np.full(n_r, source), r_node[it.req], w_node, v_node))
    head = np.concatenate(([sink], r_node, item_head, v_node[w_vol], np.full(n_v, sink)))
    capacity = np.concatenate(
        (
            [units],
            part.need,
            np.ones(it.n_items, dtype=np.int64),
            np.minimum(it.window_count, units),
            np.minimum(it.task_cap, units),
        )
    )
    cost = np.concatenate(([0], -gain, np.zeros(it.n_items + n_w + n_v, dtype=np.int64)))
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        tail.astype(np.int32), head.astype(np.int32), capacity, cost
    )
    supply = np.zeros(2 + n_r + n_w + n_v, dtype=np.int64)
    supply[source], supply[sink] = units, -units
    smcf.set_nodes_supplies(np.arange(supply.size, dtype=np.int32), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"flow relaxation failed with status {status}")
    return int(-smcf.optimal_cost() // lcm)


# -- the Lagrangian (LP) relaxation ----------------------------------------------------


@dataclass(frozen=True, eq=False)
class Coupling:
    """The coupling rows ``A z <= b`` over items (only rows that can bind)."""

    matrix: csr_matrix  # rows x items
    rhs: F64


def coupling_rows(
    part: Part,
    it: Items,
    long_block_counts: tuple[int, ...] = DEFAULT_PARAMS.relaxation.long_block_counts,
) -> Coupling:
    """Window knapsacks and counts, volunteer task and minute limits, where they can bind."""
    n_i = it.n_items
    load = it.load.astype(np.float64)
    blocks: list[tuple[I64, I64, F64, F64]] = []  # (row of item, item, coefficient, rhs)

    timed = np.flatnonzero(it.window >= 0)
    n_w = it.window_length.size
    demand = np.bincount(it.window[timed], weights=load[timed], minlength=n_w)
    binds = (demand > it.window_length) & (it.window_length < NO_LIMIT_HI)
    blocks.append(_rows(binds, it.window[timed], timed, load[timed], it.window_length))
    # Counting rows: at most q blocks longer than a (q+1)-th of the window fit
    # in it (q + 1 of them would be longer than the window), and at most the
    # window's count of the smallest ones.
    for q in long_block_counts:
        long = timed[load[timed] * (q + 1) > it.window_length[it.window[timed]]]
        n_long = np.bincount(it.window[long], minlength=n_w)
        binds = n_long > q
        blocks.append(_rows(binds, it.window[long], long, np.ones(long.size), np.full(n_w, q)))
    n_in = np.bincount(it.window[timed], minlength=n_w)
    binds = it.window_count < n_in
    blocks.append(_rows(binds, it.window[timed], timed, np.ones(timed.size), it.window_count))

    n_v = part.n_volunteers
    count = np.bincount(it.vol, minlength=n_v)  # an upper bound on tasks of a volunteer
    binds = it.task_cap < count
    every = np.arange(n_i, dtype=np.int64)
    blocks.append(_rows(binds, it.vol, every, np.ones(n_i), it.task_cap))
    minutes = np.bincount(it.vol, weights=load, minlength=n_v)
    binds = (part.max_minutes < NO_LIMIT_HI) & (part.max_minutes < minutes)
    blocks.append(_rows(binds, it.vol, every, load, part.max_minutes))

    offset = 0
    rows, cols, vals, rhs = [], [], [], []
    for row, col, val, b in blocks:
        rows.append(row + offset)
        cols.append(col)
        vals.append(val)
        rhs.append(b)
        offset += b.size
    matrix = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(offset, n_i)
    ).tocsr()
    return Coupling(matrix, np.concatenate(rhs).astype(np.float64))


def _rows(
    binds: BOOL, group: I64, item: I64, coef: F64, capacity: I64
) -> tuple[I64, I64, F64, F64]:
    index = np.cumsum(binds) - 1
    keep = binds[group]
    return index[group[keep]], item[keep], coef[keep], capacity[binds].astype(np.float64)


def lagrangian_bound(part: Part, it: Items, rows: Coupling, u: F64) -> int:
    """``floor(L(u))`` for multipliers ``u`` (clipped at 0): a proven upper bound."""
    u = np.maximum(np.nan_to_num(u, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    item_cost = rows.matrix.T @ u
    # A pair costs its cheapest item: items of one pair are consecutive.
    first = np.flatnonzero(np.concatenate(([True], it.pair[1:] != it.pair[:-1])))
    pair_cost = np.zeros(part.n_pairs)
    pair_cost[it.pair[first]] = np.minimum.reduceat(item_cost, first)
    order = np.lexsort((pair_cost, part.p_req))
    rank = np.arange(part.n_pairs) - part.pair_ptr[part.p_req[order]]
    take = order[rank < part.need[part.p_req[order]]]
    cost = np.bincount(part.p_req[take], weights=pair_cost[take], minlength=part.n_requests)
    value = np.maximum(part.priority - cost, 0.0)
    total = float(u @ rows.rhs) + float(value.sum())
    # Every term is a short sum of non-negative products: the float error is
    # far below this margin.
    scale = float(np.abs(u) @ rows.rhs) + float(part.priority.sum()) + float(cost.sum())
    margin = 1e-9 * scale + 1e-6
    return math.floor(total + margin)


@dataclass(frozen=True, eq=False)
class Separation:
    """Index arrays that every evaluation of ``L(u)`` reuses (built once per part).

    Items of a pair are consecutive and pairs are grouped by request, so the
    per-pair and per-request minima are segment minima (``np.minimum.reduceat``)
    and spreading a per-request value over its pairs is ``np.repeat``; only team
    requests (``need > 1``) need a sort, over their own pairs.
    """

    first_item: I64  # first item of each pair that has items
    pair_with_items: I64
    items_per_pair: I64
    one_item_each: bool  # every pair has exactly one item (then item i is pair i)
    first_pair: I64  # first pair of each request that has pairs
    request_with_pairs: I64
    pairs_per_request: I64
    single: BOOL  # per request: need == 1
    single_pair: BOOL  # per pair: of a request with need == 1
    team_pairs: I64  # pairs of requests with need > 1


def separation(part: Part, it: Items) -> Separation:
    """The segment starts of items per pair and pairs per request."""
    first_item = np.flatnonzero(np.concatenate(([True], it.pair[1:] != it.pair[:-1])))
    if it.n_items == 0:
        first_item = np.zeros(0, dtype=np.int64)
    per_pair = np.bincount(it.pair, minlength=part.n_pairs).astype(np.int64)
    ptr = part.pair_ptr
    with_pairs = np.flatnonzero(ptr[1:] > ptr[:-1])
    single = part.need == 1
    single_pair = single[part.p_req]
    return Separation(
        first_item=first_item,
        pair_with_items=it.pair[first_item],
        items_per_pair=per_pair,
        one_item_each=bool((per_pair == 1).all()),
        first_pair=ptr[:-1][with_pairs],
        request_with_pairs=with_pairs,
        pairs_per_request=np.diff(ptr).astype(np.int64),
        single=single,
        single_pair=single_pair,
        team_pairs=np.flatnonzero(~single_pair),
    )


def _cheapest_items(item_cost: F64, pair_cost: F64, it: Items, sep: Separation) -> I64:
    """The first cheapest item of each pair that has items (in ``pair_with_items`` order)."""
    if sep.one_item_each:
        return np.arange(it.n_items, dtype=np.int64)
    at_min = np.flatnonzero(item_cost <= np.repeat(pair_cost, sep.items_per_pair))
    pair = it.pair[at_min]
    return at_min[np.concatenate(([True], pair[1:] != pair[:-1]))]


def lagrangian_value(
    part: Part, it: Items, rows: Coupling, sep: Separation, u: F64
) -> tuple[float, F64]:
    """``L(u)`` in floating point and a subgradient ``b - A z`` there (``u >= 0``).

    The same value as :func:`lagrangian_bound` before its rounding (tested),
    in time linear in the items: no sort but over team requests' pairs. ``z``
    is a maximiser of the Lagrangian over *X*, averaged over ties: a request
    with one volunteer spreads evenly over all its cheapest pairs (each pair
    on its first cheapest item). Any such average is a convex combination of
    maximisers, hence a subgradient; spreading keeps the many ties at ``u = 0``
    from loading a single row.
    """
    item_cost = rows.matrix.T @ u
    pair_cost = np.zeros(part.n_pairs)
    if it.n_items:
        pair_cost[sep.pair_with_items] = np.minimum.reduceat(item_cost, sep.first_item)
    request_min = np.zeros(part.n_requests)
    if sep.first_pair.size:
        request_min[sep.request_with_pairs] = np.minimum.reduceat(pair_cost, sep.first_pair)
    cost = np.where(sep.single, request_min, 0.0)
    tied = (pair_cost <= np.repeat(request_min, sep.pairs_per_request)) & sep.single_pair
    ties = np.bincount(part.p_req, weights=tied, minlength=part.n_requests)
    take = np.zeros(0, dtype=np.int64)
    if sep.team_pairs.size:
        team, p_req = sep.team_pairs, part.p_req
        order = team[np.lexsort((pair_cost[team], p_req[team]))]
        rank = np.arange(order.size) - np.searchsorted(p_req[order], p_req[order])
        take = order[rank < part.need[p_req[order]]]
        cost += np.bincount(p_req[take], weights=pair_cost[take], minlength=part.n_requests)
    value = part.priority - cost
    served = value > 0
    share = np.where(served & sep.single, 1.0 / np.maximum(ties, 1.0), 0.0)
    weight = tied * np.repeat(share, sep.pairs_per_request)
    weight[take] = served[part.p_req[take]]
    cheapest = _cheapest_items(item_cost, pair_cost, it, sep)
    z = np.bincount(cheapest, weights=weight[sep.pair_with_items], minlength=it.n_items)
    total = float(u @ rows.rhs) + float(value[served].sum())
    return total, rows.rhs - rows.matrix @ z


def subgradient_multipliers(
    part: Part,
    it: Items,
    rows: Coupling,
    deadline: Deadline | None = None,
    params: RelaxationParams = DEFAULT_PARAMS.relaxation,
    iteration_s: float = 0.0,
) -> F64:
    """Multipliers with a small ``L(u)``, by a projected subgradient method.

    Polyak steps toward a target ``subgradient_target`` below the best value
    so far, the step factor halved after ``subgradient_patience`` iterations
    without progress, along the subgradient deflected by the last direction
    (Camerini, Fratta and Maffioli, ``subgradient_deflection``); rows are
    scaled to a right-hand side of 1 (the knapsack rows in minutes and the
    counting rows then move alike). Each iteration is linear in the items
    (:func:`lagrangian_value`). Stops at ``subgradient_iterations``, when the
    step factor falls below ``subgradient_min_step``, at a zero projected
    subgradient (``u`` is then optimal), or when the next iteration, timed as
    the last one (the first as ``iteration_s``), would pass ``deadline``: with
    the deadline already gone it returns ``u = 0`` without evaluating anything.
    Returns the ``u`` of the smallest ``L(u)`` seen; any ``u >= 0`` gives a
    bound (:func:`lagrangian_bound`), so stopping anywhere is safe.
    Deterministic for a given number of iterations.
    """
    u = np.zeros(rows.rhs.size)
    if rows.rhs.size == 0 or (deadline is not None and deadline.expired()):
        return u
    sep = separation(part, it)
    scale = np.maximum(rows.rhs, 1.0)
    best_value, best_u = math.inf, u
    step, stalled, last_s = params.subgradient_step, 0, iteration_s
    previous: F64 | None = None
    for _ in range(params.subgradient_iterations):
        if step < params.subgradient_min_step or (
            deadline is not None and deadline.remaining() <= last_s
        ):
            break
        tick = time.perf_counter()
        value, grad = lagrangian_value(part, it, rows, sep, u)
        if value < best_value:
            best_value, best_u, stalled = value, u, 0
        else:
            stalled += 1
            if stalled >= params.subgradient_patience:
                step, stalled = step / 2, 0
        # Gradient in the scaled rows; a row at 0 with slack cannot move down.
        g = grad / scale
        g[(u <= 0) & (g > 0)] = 0.0
        if previous is not None:  # deflected: less zig-zag between two faces
            beta = -params.subgradient_deflection * float(g @ previous)
            g = g + max(beta / max(float(previous @ previous), 1e-300), 0.0) * previous
        previous = g
        norm = float(g @ g)
        if norm == 0.0 or best_value <= 0.0:
            return u if norm == 0.0 else best_u
        target = best_value * (1.0 - params.subgradient_target)
        u = np.maximum(u - step * (value - target) / norm * g / scale, 0.0)
        last_s = time.perf_counter() - tick
    return best_u


def lp_multipliers(part: Part, it: Items, rows: Coupling, time_limit_s: float) -> F64:
    """Approximate optimal LP duals of the coupling rows, by PDLP within the time limit.

    The LP solved: items in [0, 1], per request at most ``need`` items, each
    worth ``priority / need``, and the coupling rows. Rows are scaled to a
    right-hand side of 1 and the objective to at most 1 in size, which makes
    PDLP converge several times faster here; the duals are scaled back. Any
    duals serve: ``L(u)`` is a bound for every ``u >= 0``.
    """
    from ortools.pdlp import solvers_pb2
    from ortools.pdlp.python import pdlp

    n_i, n_r, m = it.n_items, part.n_requests, rows.rhs.size
    row_scale = 1.0 / np.maximum(rows.rhs, 1.0)
    value = (part.priority / part.need)[it.req].astype(np.float64)
    obj_scale = float(value.max(initial=1.0))
    per_request = coo_matrix((np.ones(n_i), (it.req, np.arange(n_i))), shape=(n_r, n_i))
    qp = pdlp.QuadraticProgram()
    qp.resize_and_initialize(n_i, m + n_r)
    qp.objective_vector = -value / obj_scale
    qp.constraint_matrix = csc_matrix(vstack([diags(row_scale) @ rows.matrix, per_request]))
    qp.constraint_lower_bounds = np.full(m + n_r, -np.inf)
    qp.constraint_upper_bounds = np.concatenate((rows.rhs * row_scale, part.need.astype(float)))
    qp.variable_lower_bounds = np.zeros(n_i)
    qp.variable_upper_bounds = np.ones(n_i)
    params = solvers_pb2.PrimalDualHybridGradientParams()
    params.termination_criteria.time_sec_limit = max(time_limit_s, 0.01)
    params.termination_criteria.eps_optimal_relative = 1e-7
    params.termination_criteria.eps_optimal_absolute = 1e-7
    params.num_threads = 1
    result = pdlp.primal_dual_hybrid_gradient(qp, params)
    # PDLP minimises; the dual of an active "<=" row is then <= 0.
    dual = -np.asarray(result.dual_solution[:m], dtype=np.float64)
    return np.maximum(dual * row_scale * obj_scale, 0.0)


# -- the bound --------------------------------------------------------------------------


def _multiplier_bound(
    part: Part,
    it: Items,
    rows: Coupling,
    until: Deadline,
    rp: RelaxationParams,
    evaluation_s: float,
) -> int:
    """The Lagrangian bound at the best multipliers found by ``until``.

    PDLP where its time per item suffices; else the subgradient method, and
    PDLP after it in the time it leaves (past PDLP's set-up): the subgradient
    stops early on parts where ``L`` is degenerate at ``u = 0``, and PDLP,
    even short of converging, is the only chance there. Time for one more
    evaluation is kept (an iteration took about twice an evaluation on the
    2.7M-pair proxy).
    """
    total = int(part.priority.sum())

    def at(u: F64) -> int:  # u = 0 was evaluated by the caller already
        return min(total, lagrangian_bound(part, it, rows, u)) if u.any() else total

    left = until.remaining()
    if left > 0.05 and left * rp.lp_share >= it.n_items * rp.pdlp_seconds_per_item:
        return at(lp_multipliers(part, it, rows, left * rp.lp_share))
    keep = 2 * evaluation_s
    bound = at(subgradient_multipliers(part, it, rows, until.cap(left - keep), rp, keep))
    left = until.remaining() - keep - it.n_items * rp.pdlp_setup_seconds_per_item
    if left > 0.05:
        bound = min(bound, at(lp_multipliers(part, it, rows, left * rp.lp_share)))
    return bound


def priority_bound(
    part: Part, deadline: Deadline | None = None, params: SolveParams = DEFAULT_PARAMS
) -> int:
    """A proven upper bound on ``part``'s scaled served priority.

    The smallest of: the total priority, the flow relaxation (skipped on
    large parts when a deadline is given) and the Lagrangian bound at
    multipliers found in the time to ``deadline`` (a few seconds without
    one): the LP duals of PDLP where that time gives it
    ``RelaxationParams.pdlp_seconds_per_item`` per item, else those of the
    subgradient method (:func:`subgradient_multipliers`) and of PDLP in the
    time it leaves (:func:`_multiplier_bound`). See the module notes for the
    proofs.
    """
    rp = params.relaxation
    started = time.perf_counter()
    time_limit_s = None if deadline is None else deadline.remaining()
    bound = int(part.priority.sum())
    if part.n_pairs == 0:
        return 0
    # Building the items and rows alone is linear in the pairs: not started
    # when the time to the deadline would not cover it.
    if time_limit_s is not None and time_limit_s <= 0.05 + part.n_pairs * rp.seconds_per_pair:
        return bound
    it = items_of(part)
    flow_s = it.n_items * rp.flow_seconds_per_item  # a flow solve cannot be stopped
    if time_limit_s is None or (it.n_items <= rp.flow_max_items and flow_s < time_limit_s):
        bound = min(bound, flow_bound(part, it))
    if deadline is not None and deadline.expired():
        return bound
    rows = coupling_rows(part, it, rp.long_block_counts)
    if rows.rhs.size and not (deadline is not None and deadline.expired()):
        tick = time.perf_counter()
        bound = min(bound, lagrangian_bound(part, it, rows, np.zeros(rows.rhs.size)))
        evaluation_s = time.perf_counter() - tick
        until = Deadline.after(5.0 - (tick - started)) if deadline is None else deadline
        bound = min(bound, _multiplier_bound(part, it, rows, until, rp, evaluation_s))
    log.debug(
        "priority bound %d of %d in %.2fs (%d items)",
        bound,
        int(part.priority.sum()),
        time.perf_counter() - started,
        it.n_items,
    )
    return bound
