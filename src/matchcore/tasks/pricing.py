"""Optimality for the full candidate graph after pruning, by pricing.

When the candidate graph is too large, each request keeps only its nearest
pairs (:attr:`matchcore.params.CandidateParams.keep_nearest`). A plan that is optimal on
those pairs proves nothing by itself; this module re-establishes optimality
for the full graph, the column-generation way:

1. One min-cost-flow network of the pairs kept (untimed, unpinned problems;
   teams and minute budgets enter relaxed, as in :mod:`matchcore.engines.flow`),
   with weights that hold for the *full* graph: one unit of priority outweighs
   any continuity and travel any plan of the full graph can have, and the
   volunteers' task capacities come from all their valid pairs
   (``Candidates.task_cap``). Pairs that an optimal plan never needs (no
   better than a request's own best pairs to volunteers without limits, see
   :func:`undominated`) stay out of the network: in dense cities that is
   most of them.
2. Node potentials from the optimal flow: shortest-path distances in its
   residual graph (Bellman-Ford from a virtual root, vectorised over the arcs
   of the nodes that changed). The distances are *lexicographic*
   (priority, continuity, metres) so that they certify the lexicographic
   optimum exactly even where the flow's single cost had to use a continuity
   weight smaller than all possible travel (int64 limits of OR-Tools); if
   they do not settle, the flow's own scalar costs are used, which certify
   priority only.
3. Pricing: the pruned pairs are streamed again (chunked, as candidates are
   made), restricted to the requests and volunteers whose potentials leave
   room for a negative reduced cost. No pruned pair with a negative reduced
   cost means the flow is optimal for the full graph's relaxation. Otherwise
   the most negative pairs per request are added back and the flow solved
   again, for a bounded number of rounds; if pairs still price out then,
   the reduced costs give a proven bound (the flow's value plus every
   negative reduced cost).
4. :func:`matchcore.engines.flow.repair` turns the relaxed plan into a
   feasible one (the whole graph as one part: the flow was solved whole).
   The plan is ``optimal`` only when pricing proved the relaxation optimal
   on the full graph, the certificate covers the whole lexicographic
   objective, and nothing needed repair; the bound is always the
   relaxation's proven value, so it holds for the full graph.
5. Time: a flow solve cannot be stopped, so each round is budgeted before it
   starts (see :func:`solve_pruned`); when the lexicographic costs do not fit,
   coarser ones (:data:`FLOW_MODES`) prove the same bound on priority faster,
   and the plan is then the best of a flow on finer costs (when it fits) and
   two greedy plans; after flows of priority alone also of a flow weighing
   priority against minute budgets (``PricingParams.budget_weight``, a plan
   only), whose time the rounds keep back when its estimate fits.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from matchcore.engines import objective
from matchcore.engines.flow import min_cost_flow_arcs, relaxed_priority, repair
from matchcore.engines.greedy import solve_greedy
from matchcore.params import DEFAULT_PARAMS, Deadline, PricingParams, SolveParams
from matchcore.tasks.arrays import NO_LIMIT_HI, NO_START, TaskArrays, csr_rows
from matchcore.tasks.candidates import Candidates, add_pairs, valid_pairs
from matchcore.tasks.parts import Part, PartResult, whole_part

log = logging.getLogger("matchcore")

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

ENGINE = "min-cost-flow+pricing"


@dataclass(frozen=True)
class PricingReport:
    """How pricing went (informative)."""

    pruned_pairs: int  # valid pairs candidate generation left out
    priced_back: int  # pruned pairs added back because they priced out
    rounds: int  # flow solves
    proven: bool  # no pruned pair prices out: the relaxation's optimum holds for the full graph
    lexicographic: bool  # the proof covers continuity and travel too, not only priority
    repaired: bool  # the relaxed plan needed repair (teams or minute budgets)
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Priced:
    """A pruned problem solved: the final candidate graph, its parts and results."""

    cand: Candidates
    arrays: TaskArrays
    parts: list[Part]
    results: list[PartResult]
    report: PricingReport


def applies(cand: Candidates, arrays: TaskArrays) -> bool:
    """Whether pricing can prove a pruned graph: untimed and unpinned, so that
    every part is a flow (teams and minute budgets relaxed)."""
    if arrays.keep_pair.any() or arrays.fair:  # its network has no kept or fairness level
        return False
    if arrays.roles is not None and bool((arrays.roles.n_roles > 1).any()):
        return False  # a flow cannot say which member fills which role
    if arrays.series.size and (arrays.series >= 0).any():
        return False  # nor series continuity (a maximum, not a flow cost)
    return not bool(arrays.pinned.any()) and not bool(arrays.timed[cand.req].any())


def unproven(parts: list[Part], results: list[PartResult]) -> list[PartResult]:
    """Results on a pruned graph that could not be priced: the plans stand, but
    no proof does; each part's bound becomes all the priority of its requests
    (a valid bound whatever the pruned pairs could have added)."""
    return [
        PartResult(res.chosen, res.start, False, int(part.priority.sum()), res.engine)
        for part, res in zip(parts, results, strict=True)
    ]


def solve_pruned(
    cand: Candidates,
    arrays: TaskArrays,
    params: SolveParams = DEFAULT_PARAMS,
    deadline: Deadline | None = None,
) -> Priced:
    """Solve a pruned, untimed, unpinned problem and prove it for the full graph
    (see the module docstring).

    ``deadline`` is kept by budgeting: a flow solve cannot be stopped once
    started, so a round starts only when its estimate fits the time left (the
    first from the network's arcs, ``PricingParams.flow_seconds_per_arc``,
    later ones from the last round's measured time); the potentials, the
    pricing and the repair watch the deadline as they go. When not even the
    first round fits, the greedy plan is returned with the trivial bound.
    """
    pp = params.pricing
    if not (arrays.max_minutes < NO_LIMIT_HI).any():  # nothing for a budget-weighted flow
        pp = replace(pp, budget_weight=0)
    deadline = deadline or Deadline.after(math.inf)
    phases: dict[str, float] = {}
    pruned_at_start = cand.pruned_pairs
    added = 0
    rounds = 0
    proven = lexicographic = False
    # The best bound of any round, in priority (each holds for the full graph). Each
    # round's units are its own network's (lcm of its teams' sizes): converted per round.
    round_bound: int | None = None
    first_flow_s = 0.0  # measured: the speed of this machine on this network
    # The first round's network keeps only the undominated pairs: in dense cities with
    # free volunteers a few percent of the candidates, so its estimate is made on them.
    # The round's time counts their sort: later rounds (and plan flows) sort their own.
    # The sort cannot stop either: not started when not even a network of no pairs fits.
    round_tick = time.perf_counter()
    kept: I64 | None = None
    mode = _flow_mode(_arcs(np.empty(0, dtype=np.int64), arrays), pp, deadline)
    if mode is not None:
        kept = _undominated(cand, arrays, arrays.n_r)
        mode = _flow_mode(_arcs(kept, arrays), pp, deadline)
    if mode is None:
        log.info("pricing: no time for a flow; the greedy plan")
        return _greedy_only(cand, arrays, params, deadline, phases)
    while True:
        rounds += 1
        tick = time.perf_counter()
        round_tick = round_tick if rounds == 1 else tick
        net, flows = _solved_network(
            cand, arrays, pp.cost_headroom, mode, pp.budget_minutes, kept=kept
        )
        kept = None  # later rounds price pairs back in: their networks are their own
        _lap(phases, "flow", tick)
        if rounds == 1:
            first_flow_s = time.perf_counter() - round_tick
        tick = time.perf_counter()
        pot = settle_potentials(net, flows, pp.bf_max_iterations, deadline)
        _lap(phases, "potentials", tick)
        if pot is None:  # the bound of an earlier round, if any, still holds
            log.info("pricing: potentials did not settle; no proof")
            break
        tick = time.perf_counter()
        found = _price(arrays, cand, net, flows, pot, params, deadline)
        _lap(phases, "pricing", tick)
        log.info(
            "pricing round %d: %d pairs (%d in the flow), potentials in %d passes (%s), "
            "%d pruned pairs priced%s, %d price out",
            rounds,
            cand.n_pairs,
            net.n_pairs,
            pot.iterations,
            "lexicographic" if pot.lexicographic else "scalar",
            found.priced,
            "" if found.complete else " (cut short by the deadline)",
            found.req.size,
        )
        this_bound = found.bound_units // net.w.lcm
        round_bound = this_bound if round_bound is None else min(round_bound, this_bound)
        if found.complete and found.req.size == 0:
            proven = True
            lexicographic = (pot.lexicographic or net.w.exact) and net.w.unit == 1
            break
        spent = time.perf_counter() - round_tick
        # A plan from finer costs comes before further coarse rounds (it is worth
        # more than a tighter bound): its time is kept back.
        keep_back = _plan_flows_time(pp, mode, first_flow_s, deadline.remaining())
        if rounds >= pp.max_rounds or deadline.remaining() < pp.round_margin * spent + keep_back:
            break
        keep = _most_negative(found, pp.add_per_request)
        cand = add_pairs(cand, arrays, found.req[keep], found.vol[keep], found.dist[keep])
        added += int(keep.size)

    tick = time.perf_counter()
    chosen = net.chosen(flows, cand.n_pairs)
    budget_aware = net.budget_minutes
    del net, flows, pot  # before the part's copies of the pair arrays
    # One part for the whole graph: its parts share nothing the plan could
    # break, and repair works request by request anyway.
    arrays = arrays.with_pins(np.zeros(cand.n_pairs, dtype=bool))
    part = whole_part(cand, arrays)
    relaxed = relaxed_priority(part, chosen)
    flow_served = np.bincount(part.p_req[chosen], minlength=part.n_requests) > 0
    complete = repair(part, chosen, deadline)
    _lap(phases, "repair", tick)
    if mode != FLOW_MODES[0]:
        if mode == "priority" and not budget_aware:
            tick = time.perf_counter()
            chosen = _budget_plan(cand, arrays, part, pp, deadline, first_flow_s, chosen)
            _lap(phases, "budget plan", tick)
        tick = time.perf_counter()
        chosen = _finer_plan(cand, arrays, part, pp, deadline, (mode, first_flow_s), chosen)
        # A flow that spared the budgets needs repair far less: the plain greedy plan
        # stays as the floor, the flow-first one (another greedy pass) is left out. (Not
        # so after the budget-weighted plan: kept, every plan stays at least as good.)
        firsts = (None,) if budget_aware else (None, flow_served)
        chosen = _greedy_if_better(part, params, deadline, chosen, firsts)
        _lap(phases, "plan", tick)
    # Without potentials no proof at all: the whole priority of every request.
    total = int(part.priority.sum())
    bound = total if round_bound is None else min(max(round_bound, relaxed), total)
    optimal = proven and lexicographic and complete
    start = np.full(part.n_requests, NO_START, dtype=np.int64)
    results = [PartResult(chosen, start, optimal, bound, ENGINE)]
    report = PricingReport(
        pruned_at_start, added, rounds, proven, lexicographic, not complete, phases
    )
    log.info(
        "pricing: %s after %d rounds; %d of %d pruned pairs added back%s",
        "proven for the full graph" if proven else "not proven",
        rounds,
        added,
        pruned_at_start,
        "; the plan needed repair" if not complete else "",
    )
    return Priced(cand, arrays, [part], results, report)


FLOW_MODES = ("metres", "km", "priority")
"""The pricing network's costs, finest first: priority, continuity and travel in
metres (the lexicographic objective); the same with travel in whole km; priority
alone. Coarser costs solve faster (fewer cost-scaling phases) and bound priority
just as well; only the first can prove the whole objective."""


def _arcs(kept: I64, arrays: TaskArrays) -> int:
    """Arcs of the pricing network on the ``kept`` pairs (a bound: every request and
    volunteer counted, though only those with pairs get an arc)."""
    return int(kept.size) + arrays.n_r + arrays.n_v


def _flow_mode(arcs: int, pp: PricingParams, deadline: Deadline) -> str | None:
    """The finest costs whose estimated round on ``arcs`` arcs fits before ``deadline``
    (None: none fits)."""
    metres = pp.flow_seconds_per_arc * arcs
    left = deadline.remaining()
    for mode, factor in zip(FLOW_MODES, (1.0, *pp.coarse_flow_factors), strict=True):
        if left >= pp.round_margin * metres * factor:  # the flow cannot stop: a margin
            if mode != FLOW_MODES[0]:
                log.info("pricing: %s costs (a round in metres: about %.0f s)", mode, metres)
            return mode
    return None


def _finer_plan(
    cand: Candidates,
    arrays: TaskArrays,
    part: Part,
    pp: PricingParams,
    deadline: Deadline,
    measured: tuple[str, float],
    chosen: BOOL,
) -> BOOL:
    """The better (by the objective's levels) of ``chosen`` and a repaired plan from
    finer costs than the bound's, when such a flow fits the time left (the bound is
    already proven by the coarse flow; this flow is for the plan alone).

    ``measured`` is the coarse mode and its first flow's time: the finer flow's
    estimate scales it by ``PricingParams.coarse_flow_factors``, so it follows this
    network and this machine's load rather than a constant.
    """
    finer = _finer_mode(pp, *measured, deadline.remaining())
    if finer is None:
        return chosen
    net, flows = _solved_network(cand, arrays, pp.cost_headroom, finer[0])
    other = net.chosen(flows, cand.n_pairs)
    del net, flows
    repair(part, other, deadline)
    better = _plan_key(part, other) > _plan_key(part, chosen)
    log.info("pricing: a plan from %s costs%s", finer[0], "" if better else ", not better")
    return other if better else chosen


def _budget_plan(
    cand: Candidates,
    arrays: TaskArrays,
    part: Part,
    pp: PricingParams,
    deadline: Deadline,
    priority_flow_s: float,
    chosen: BOOL,
) -> BOOL:
    """The better (by the objective's levels) of ``chosen`` and the repaired plan of
    the ``PricingParams.budget_weight`` flow, when its estimate (the measured flow of
    priority alone times ``budget_flow_factor``, with the margin) fits the time left.
    The bound is not touched: that flow's costs
    are not lexicographic, so it is never priced.
    """
    estimate = _budget_flow_estimate(pp, priority_flow_s)
    if estimate is None:
        return chosen
    if deadline.remaining() < pp.round_margin * estimate:
        log.info("pricing: no time for the budget-weighted plan flow (about %.0f s)", estimate)
        return chosen
    net, flows = _solved_network(
        cand, arrays, pp.cost_headroom, "priority", budget_weight=pp.budget_weight,
        nearest=pp.budget_nearest,
    )  # fmt: skip
    if not net.budget_minutes:  # no minute budget, or the weight does not fit int64
        return chosen
    other = net.chosen(flows, cand.n_pairs)
    del net, flows
    repair(part, other, deadline)
    better = _plan_key(part, other) > _plan_key(part, chosen)
    log.info("pricing: the budget-weighted plan: %s%s", _plan_key(part, other),
             "" if better else ", not better")  # fmt: skip
    return other if better else chosen


def _budget_flow_estimate(pp: PricingParams, priority_flow_s: float) -> float | None:
    """The budget-weighted plan flow's estimated time (None: that flow is off)."""
    if pp.budget_weight <= 0 or pp.budget_minutes:
        return None
    return priority_flow_s * pp.budget_flow_factor


def _plan_flows_time(pp: PricingParams, mode: str, flow_s: float, left: float) -> float:
    """The time (with the margin) to keep back for the plan flows that would follow
    the rounds of ``mode`` (whose flow took ``flow_s``), in the order they run: the
    budget-weighted one after flows of priority alone, then one on finer costs."""
    kept = 0.0
    budget = _budget_flow_estimate(pp, flow_s) if mode == "priority" else None
    if budget is not None and left >= pp.round_margin * budget:
        kept = pp.round_margin * budget
    finer = _finer_mode(pp, mode, flow_s, left - kept)
    return kept + (0.0 if finer is None else pp.round_margin * finer[1])


def _greedy_if_better(
    part: Part,
    params: SolveParams,
    deadline: Deadline,
    chosen: BOOL,
    firsts: tuple[BOOL | None, ...],
) -> BOOL:
    """The best on the objective's levels of ``chosen`` and greedy plans: per entry of
    ``firsts``, the plain one (``None``) or one that tries the given requests first
    within their priority (e.g. those the relaxed flow served: the relaxation's choice
    of whom to serve).

    A flow on coarse costs picks volunteers regardless of travel, so more of them
    run over their minute budgets and repair loses requests; the greedy plans,
    nearest first, can then serve as much priority with far less travel.
    """
    best, best_key = chosen, _plan_key(part, chosen)
    for first in firsts:
        if deadline.expired():
            break
        greedy = solve_greedy(part, params, deadline, first).chosen
        key = _plan_key(part, greedy)
        log.info("pricing: the greedy plan%s: %s", "" if first is None else " (flow first)", key)
        if key > best_key:
            best, best_key = greedy, key
    return best


def _finer_mode(
    pp: PricingParams, mode: str, flow_s: float, left: float
) -> tuple[str, float] | None:
    """The finest costs finer than ``mode`` whose flow (estimated from ``mode``'s
    measured ``flow_s``) fits in ``left`` seconds with the margin, and that estimate."""
    factors = dict(zip(FLOW_MODES, (1.0, *pp.coarse_flow_factors), strict=True))
    for finer in FLOW_MODES[: FLOW_MODES.index(mode)]:
        estimate = flow_s * factors[finer] / factors[mode]
        if left >= pp.round_margin * estimate:
            return finer, estimate
    return None


def _plan_key(part: Part, chosen: BOOL) -> tuple[int, int, int]:
    """A repaired plan's served priority, continuity and minus its travel (metres)."""
    staffed = np.bincount(part.p_req[chosen], minlength=part.n_requests)
    served = staffed >= part.need
    priority = int(part.priority[served].sum())
    return priority, int(part.preferred[chosen].sum()), -int(part.dist_m[chosen].sum())


def _greedy_only(
    cand: Candidates,
    arrays: TaskArrays,
    params: SolveParams,
    deadline: Deadline,
    phases: dict[str, float],
) -> Priced:
    """The greedy plan (by the deadline) and the trivial bound, with no flow at all."""
    tick = time.perf_counter()
    arrays = arrays.with_pins(np.zeros(cand.n_pairs, dtype=bool))
    part = whole_part(cand, arrays)
    greedy = solve_greedy(part, params, deadline)
    _lap(phases, "greedy", tick)
    results = [PartResult(greedy.chosen, greedy.start, False, int(part.priority.sum()), "greedy")]
    report = PricingReport(cand.pruned_pairs, 0, 0, False, False, True, phases)
    return Priced(cand, arrays, [part], results, report)


def _lap(phases: dict[str, float], name: str, tick: float) -> None:
    phases[name] = round(phases.get(name, 0.0) + time.perf_counter() - tick, 4)


# -- the network -------------------------------------------------------------------------


_NO_TRAVEL = 2**62  # a distance unit that turns every trip into 0


@dataclass(frozen=True)
class _Weights:
    """The flow's single cost: ``-units * w_prio - preferred * w_pref + metres // unit``.

    ``exact`` when ``w_pref`` exceeds all travel of any plan of the full graph
    (then the scalar optimum is the lexicographic one); ``w_prio`` always
    exceeds all continuity and travel, so priority is always exact.
    """

    lcm: int
    w_prio: int
    w_pref: int
    unit: int
    exact: bool
    d_max: int  # most travel (in units) any plan of the full graph can have


def _weights(
    cand: Candidates,
    arrays: TaskArrays,
    has_r: BOOL,
    n_nodes: int,
    reach_km: float,
    headroom: int,
    mode: str = FLOW_MODES[0],
) -> _Weights:
    need = arrays.need[has_r]
    lcm = int(np.lcm.reduce(np.unique(need))) if need.size else 1
    if mode == "priority":  # no travel, no continuity: every pair arc costs 0
        return _Weights(lcm, 1, 0, _NO_TRAVEL, False, 0)
    p_max = int((arrays.priority[has_r] * (lcm // need)).max(initial=1))
    pref = np.bincount(cand.req[cand.preferred], minlength=has_r.size)
    q_max = int(np.minimum(pref, arrays.need).sum())
    # Full-graph travel: every staffed unit at most the longest range of anyone.
    far_m = math.ceil(reach_km * 1000.0) + 1
    limit = (2**63 - 1) // (2 * (n_nodes + 3)) // headroom
    unit = 1000 if mode == "km" else 1
    while True:
        d_max = int(need.sum()) * (far_m // unit + 1)
        w_prio, w_pref = objective.level_weights(q_max, d_max)
        if p_max * w_prio <= limit:
            return _Weights(lcm, w_prio, w_pref, unit, True, d_max)
        w_pref = (limit // p_max - d_max - 1) // (q_max + 1)
        if w_pref > far_m // unit:
            return _Weights(lcm, q_max * w_pref + d_max + 1, w_pref, unit, False, d_max)
        unit *= 10


def _undominated(cand: Candidates, arrays: TaskArrays, n_r: int) -> I64:
    """The kept pairs an optimal plan of the full graph may need, sorted.

    A volunteer without task or minute limit ("free") can take any number of
    tasks. Let ``u_1..u_k`` be a request's ``k = volunteers_needed`` best free
    pairs (more preferred, then nearer). Any other pair of that request that
    is no better than ``u_k`` is never needed: a plan using it leaves one of
    ``u_1..u_k`` unused and can switch to it without losing on any level of
    the objective or breaking a limit (in the relaxation as in the plan).
    In dense cities most pairs are such; the flow solves the rest.
    """
    free = (arrays.max_tasks >= n_r) & (arrays.max_minutes >= NO_LIMIT_HI)
    metres = arrays.trip_metres(cand.req, cand.distance_km)
    notpref = (~cand.preferred).astype(np.int64)  # 0 before 1: preferred first
    u = np.flatnonzero(free[cand.vol])  # by request, then volunteer (cand's order)
    # A stable sort on one integer key (request, not preferred, metres): the order of a
    # lexsort on (request, not preferred, metres, volunteer), several times faster.
    top = int(metres[u].max(initial=0)) + 1
    u = u[np.argsort((cand.req[u] * 2 + notpref[u]) * top + metres[u], kind="stable")]
    rank = _rank_in_runs(cand.req[u])
    need = arrays.need[cand.req[u]]
    last = u[rank == need - 1]  # each request's k-th best free pair, if it has k
    has = np.zeros(n_r, dtype=bool)
    t_pref = np.zeros(n_r, dtype=np.int64)
    t_metres = np.zeros(n_r, dtype=np.int64)
    has[cand.req[last]] = True
    t_pref[cand.req[last]] = notpref[last]
    t_metres[cand.req[last]] = metres[last]
    other = np.flatnonzero(~free[cand.vol])
    r = cand.req[other]
    worse = (notpref[other] > t_pref[r]) | (
        (notpref[other] == t_pref[r]) & (metres[other] >= t_metres[r])
    )
    return np.sort(np.concatenate((u[rank < need], other[~(has[r] & worse)])))


def _nearest(cand: Candidates, arrays: TaskArrays, pairs: I64, k: int) -> I64:
    """Of ``pairs`` (sorted, so by request, then volunteer), each request's ``k`` nearest
    (at least as many as it needs; ties by volunteer), sorted."""
    req = cand.req[pairs]
    # A stable sort on request and distance rank: the same order as a lexsort on
    # (request, distance, volunteer), several times faster on millions of pairs.
    _, rank = np.unique(cand.distance_km[pairs], return_inverse=True)
    order = np.argsort(req * (int(rank.max(initial=0)) + 1) + rank, kind="stable")
    rank = _rank_in_runs(req[order])
    return np.sort(pairs[order[rank < np.maximum(k, arrays.need[req[order]])]])


def _rank_in_runs(sorted_keys: I64) -> I64:
    """Each element's position within its run of equal keys."""
    n = sorted_keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))


class PricingNetwork:
    """source -> request -> volunteer -> sink, plus a bypass, over the kept pairs
    that an optimal plan may need (see :func:`undominated`).

    Nodes: 0 source, 1 sink, ``2 + r`` request ``r``, ``2 + n_r + v``
    volunteer ``v`` (every request and volunteer has a node, arcs only those
    with pairs). ``pairs`` are the candidate pairs that have an arc.
    """

    def __init__(
        self,
        cand: Candidates,
        arrays: TaskArrays,
        n_r: int,
        n_v: int,
        reach_km: float,
        headroom: int = DEFAULT_PARAMS.pricing.cost_headroom[0],
        mode: str = FLOW_MODES[0],
        budget_minutes: bool = False,
        budget_weight: int = 0,
        nearest: int = 0,
        kept: I64 | None = None,
    ) -> None:
        # budget_weight > 0: budget minutes at that weight per priority unit, not a
        # level below priority (PricingParams.budget_weight): a plan's flow, never priced.
        self.n_r, self.n_v, self.mode = n_r, n_v, mode
        self.n_nodes = 2 + n_r + n_v
        self.pairs = pairs = _undominated(cand, arrays, n_r) if kept is None else kept
        if nearest > 0:  # a plan's flow on a smaller graph (never priced)
            self.pairs = pairs = _nearest(cand, arrays, pairs, nearest)
        p_req, p_vol = cand.req[pairs], cand.vol[pairs]
        has_r = np.bincount(p_req, minlength=n_r) > 0
        has_v = np.bincount(p_vol, minlength=n_v) > 0
        self.w = w = _weights(cand, arrays, has_r, self.n_nodes, reach_km, headroom, mode)
        reqs, vols = np.flatnonzero(has_r), np.flatnonzero(has_v)
        need = arrays.need[reqs]
        total = int(need.sum())
        units = arrays.priority[reqs] * (w.lcm // need)
        metres = arrays.trip_metres(p_req, cand.distance_km[pairs])
        pref = cand.preferred[pairs].astype(np.int64)
        cap = (
            np.minimum(cand.task_cap[vols], total)
            if cand.task_cap.size
            else np.full(vols.size, total, dtype=np.int64)
        )
        minutes = np.zeros(pairs.size, dtype=np.int64)
        if (budget_minutes or budget_weight > 0) and mode == "priority":
            budget = _budget_level(cand, arrays, pairs, cap, vols, int(units.max(initial=1)),
                                   self.n_nodes, headroom, budget_weight)  # fmt: skip
            if budget is not None:
                minutes, d_max = budget
                w_prio = budget_weight if budget_weight > 0 else d_max + 1
                self.w = w = _Weights(w.lcm, w_prio, 0, _NO_TRAVEL, False, d_max)
        self.budget_minutes = bool(minutes.any())
        n_pairs = self.n_pairs = int(pairs.size)
        self.first_pair = 1 + reqs.size
        self.tail = np.concatenate(([0], np.zeros(reqs.size, np.int64), 2 + p_req, 2 + n_r + vols))
        self.head = np.concatenate(([1], 2 + reqs, 2 + n_r + p_vol, np.ones(vols.size, np.int64)))
        self.capacity = np.concatenate(([total], need, np.ones(n_pairs, np.int64), cap))
        self.cost = np.concatenate(
            (
                [0],
                -units * w.w_prio,
                metres // w.unit - pref * w.w_pref + minutes,
                np.zeros(vols.size, np.int64),
            )
        ).astype(np.int64)
        zeros_r, zeros_v = np.zeros(reqs.size, np.int64), np.zeros(vols.size, np.int64)
        # Lexicographic arc costs: priority units, continuity, metres.
        self.p = np.concatenate(([0], -units, np.zeros(n_pairs, np.int64), zeros_v))
        self.q = np.concatenate(([0], zeros_r, -pref, zeros_v))
        self.d = np.concatenate(([0], zeros_r, metres, zeros_v))
        self.supply = np.zeros(self.n_nodes, dtype=np.int64)
        self.supply[0], self.supply[1] = total, -total
        self.units = np.concatenate(([0], units, np.zeros(n_pairs + vols.size, np.int64)))

    def chosen(self, flows: I64, n_pairs: int) -> BOOL:
        """Per candidate pair: whether the flow uses it."""
        out = np.zeros(n_pairs, dtype=bool)
        out[self.pairs] = flows[self.first_pair : self.first_pair + self.n_pairs] > 0
        return out

    def solve(self) -> I64 | None:
        return min_cost_flow_arcs(self.tail, self.head, self.capacity, self.cost, self.supply)

    def relaxed_units(self, flows: I64) -> int:
        """Priority units the flow serves (priority times lcm, teams pro rata)."""
        return int((self.units * flows).sum())


def _budget_level(
    cand: Candidates,
    arrays: TaskArrays,
    pairs: I64,
    cap: I64,
    vols: I64,
    units_max: int,
    n_nodes: int,
    headroom: int,
    weight: int = 0,
) -> tuple[I64, int] | None:
    """The minutes each pair arc takes from a minute budget (``PricingParams.budget_minutes``)
    and the most any flow of the full graph's relaxation can take, or None when there is
    no budget or the level does not fit in int64 beside priority (at ``weight`` budget
    minutes per priority unit when it is positive, else a level below priority).

    A pair's cost is its load (task plus travel both ways) capped at its volunteer's
    budget, so a volunteer's arcs cost at most ``cap * max_minutes`` in any flow (``cap``
    its task capacity in the network). Pruned pairs are priced at cost 0, below their
    true cost: their reduced costs are then lower, which only loosens the bound.
    """
    budgeted = arrays.max_minutes < NO_LIMIT_HI
    if not budgeted[vols].any():
        return None
    p_vol = cand.vol[pairs]
    load = arrays.duration[cand.req[pairs]] + 2 * cand.travel_min[pairs]
    minutes = np.where(budgeted[p_vol], np.minimum(load, arrays.max_minutes[p_vol]), 0)
    minutes = minutes.astype(np.int64)
    # every budgeted volunteer of the full graph, not only those with arcs here
    caps = cand.task_cap if cand.task_cap.size else np.full(arrays.n_v, int(cap.max()))
    d_max = sum(int(x) for x in (caps * np.where(budgeted, arrays.max_minutes, 0)).tolist())
    limit = (2**63 - 1) // (2 * (n_nodes + 3)) // headroom
    if units_max * (weight if weight > 0 else d_max + 1) > limit:
        return None
    return minutes, d_max


def _solved_network(
    cand: Candidates,
    arrays: TaskArrays,
    headrooms: tuple[int, ...],
    mode: str = FLOW_MODES[0],
    budget_minutes: bool = False,
    budget_weight: int = 0,
    nearest: int = 0,
    kept: I64 | None = None,
) -> tuple[PricingNetwork, I64]:
    """The network and its optimal flow, with smaller weights if OR-Tools needs room
    (``kept``: the undominated pairs when already known)."""
    # A pair's travel level is at most the longest range plus the longest ride leg.
    reach = float(arrays.reach.max(initial=0.0)) + arrays.longest_ride_km
    for headroom in headrooms:
        net = PricingNetwork(
            cand, arrays, arrays.n_r, arrays.n_v, reach, headroom, mode, budget_minutes,
            budget_weight, nearest, kept,
        )  # fmt: skip
        flows = net.solve()
        if flows is not None:
            return net, flows
    raise RuntimeError("min-cost flow failed on the pricing network")


# -- potentials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Potentials:
    """Feasible potentials of the residual graph as two-level values (hi, lo).

    Lexicographic: ``hi = priority * radix + continuity``, ``lo = metres``;
    scalar: ``hi`` is the flow's own cost, ``lo`` zero.
    """

    hi: I64
    lo: I64
    lexicographic: bool
    radix: int
    iterations: int

    def pair_cost(self, metres: I64, pref: I64, w: _Weights) -> tuple[I64, I64]:
        if self.lexicographic:
            return -pref, metres
        return metres // w.unit - pref * w.w_pref, np.zeros_like(metres)


def settle_potentials(
    net: PricingNetwork, flows: I64, max_iterations: int, deadline: Deadline | None = None
) -> _Potentials | None:
    """Lexicographic potentials, else scalar ones, else None (see the module docstring;
    also None when ``deadline`` passes first)."""
    radix = 4 * (max_iterations + 2) + 1
    forward = flows < net.capacity
    backward = flows > 0
    tail = np.concatenate((net.tail[forward], net.head[backward]))
    head = np.concatenate((net.head[forward], net.tail[backward]))
    if net.mode != FLOW_MODES[0]:  # coarse costs: the flow is not optimal in metres
        return _scalar_potentials(net, tail, head, forward, backward, max_iterations, deadline)
    hi = net.p * radix + net.q
    lo = net.d
    found = bellman_ford(
        net.n_nodes,
        tail,
        head,
        np.concatenate((hi[forward], -hi[backward])),
        np.concatenate((lo[forward], -lo[backward])),
        max_iterations,
        deadline,
    )
    if found is not None:
        return _Potentials(found[0], found[1], True, radix, found[2])
    if deadline is not None and deadline.expired():
        return None
    return _scalar_potentials(net, tail, head, forward, backward, max_iterations, deadline)


def _scalar_potentials(
    net: PricingNetwork,
    tail: I64,
    head: I64,
    forward: BOOL,
    backward: BOOL,
    max_iterations: int,
    deadline: Deadline | None,
) -> _Potentials | None:
    """Potentials of the flow's own scalar costs (they certify priority only)."""
    cost = net.cost
    zeros = np.zeros(tail.size, dtype=np.int64)
    found = bellman_ford(
        net.n_nodes,
        tail,
        head,
        np.concatenate((cost[forward], -cost[backward])),
        zeros,
        max_iterations,
        deadline,
    )
    if found is not None:
        return _Potentials(found[0], found[1], False, 1, found[2])
    return None


def bellman_ford(
    n_nodes: int,
    tail: I64,
    head: I64,
    c_hi: I64,
    c_lo: I64,
    max_iterations: int = DEFAULT_PARAMS.pricing.bf_max_iterations,
    deadline: Deadline | None = None,
) -> tuple[I64, I64, int] | None:
    """Shortest (hi, lo)-lexicographic distances from a virtual root joined to
    every node at cost 0; None if they do not settle in ``max_iterations``
    passes (a negative cycle, or a very deep graph) or before ``deadline``.

    Each pass relaxes the out-arcs of the nodes that changed in the last one.
    Where several arcs improve one node in a pass, any of them may win; the
    tails of the others stay active, so no improvement is ever lost.
    """
    order = np.argsort(tail, kind="stable")
    tail, head, c_hi, c_lo = tail[order], head[order], c_hi[order], c_lo[order]
    ptr = np.searchsorted(tail, np.arange(n_nodes + 1)).astype(np.int64)
    d_hi = np.zeros(n_nodes, dtype=np.int64)
    d_lo = np.zeros(n_nodes, dtype=np.int64)
    mark = np.zeros(n_nodes, dtype=bool)
    active: I64 | None = None  # None: every node
    for it in range(1, max_iterations + 1):
        if deadline is not None and deadline.expired():
            return None
        if active is None:
            t, h, ch, cl = tail, head, c_hi, c_lo
        else:
            arcs = csr_rows(ptr, active)
            t, h, ch, cl = tail[arcs], head[arcs], c_hi[arcs], c_lo[arcs]
        new_hi = d_hi[t] + ch
        new_lo = d_lo[t] + cl
        old_hi = d_hi[h]
        better = np.flatnonzero((new_hi < old_hi) | ((new_hi == old_hi) & (new_lo < d_lo[h])))
        if better.size == 0:
            return d_hi, d_lo, it
        t, h, new_hi, new_lo = t[better], h[better], new_hi[better], new_lo[better]
        d_hi[h] = new_hi
        d_lo[h] = new_lo
        now_hi = d_hi[h]
        still = (new_hi < now_hi) | ((new_hi == now_hi) & (new_lo < d_lo[h]))
        mark[:] = False
        mark[h] = True
        mark[t[still]] = True
        active = np.flatnonzero(mark)
    return None


# -- pricing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """Pruned pairs with a negative reduced cost, and what pricing proved."""

    req: I64
    vol: I64
    dist: F64
    rc_hi: I64
    rc_lo: I64
    priced: int  # pruned pairs whose reduced cost was computed
    bound_units: int  # proven bound on the full graph's relaxed priority units
    complete: bool = True  # every pruned pair that could price out was priced


def _price(
    arr: TaskArrays,
    cand: Candidates,
    net: PricingNetwork,
    flows: I64,
    pot: _Potentials,
    params: SolveParams,
    deadline: Deadline | None = None,
) -> _Found:
    """Reduced costs of the pruned pairs that could be negative (see the module docstring).

    Cut short at ``deadline``, the bound takes each open request's lowest
    possible reduced cost (its own potential and pair cost against the
    highest volunteer potential) instead of the pairs' own.
    """
    n_r, n_v = arr.n_r, arr.n_v
    r_hi, r_lo = pot.hi[2 : 2 + n_r], pot.lo[2 : 2 + n_r]
    v_hi, v_lo = pot.hi[2 + n_r :].copy(), pot.lo[2 + n_r :].copy()
    # A volunteer without an arc in the network: as low as its arc to the sink allows.
    idle = np.bincount(cand.vol[net.pairs], minlength=n_v) == 0
    v_hi[idle], v_lo[idle] = pot.hi[1], pot.lo[1]

    # Pruned pairs are no nearer than the farthest kept pair that is not preferred.
    far = np.zeros(n_r, dtype=np.float64)
    if cand.n_pairs:
        first = np.flatnonzero(np.concatenate(([True], cand.req[1:] != cand.req[:-1])))
        plain_km = np.where(cand.preferred, 0.0, cand.distance_km)
        far[cand.req[first]] = np.maximum.reduceat(plain_km, first)
    far_m = arr.trip_metres(np.arange(n_r, dtype=np.int64), far)
    no_pref = np.zeros(n_r, dtype=np.int64)
    t_hi, t_lo = pot.pair_cost(far_m, no_pref, net.w)
    b_hi, b_lo = r_hi + t_hi, r_lo + t_lo
    top = int(v_hi.max(initial=0))
    top_lo = int(v_lo[v_hi == top].max(initial=0))
    pruned = cand.pruned if cand.pruned.size else np.zeros(n_r, dtype=np.int64)
    open_r = np.flatnonzero((pruned > 0) & ((b_hi < top) | ((b_hi == top) & (b_lo < top_lo))))
    if open_r.size == 0:
        return _Found(*_empty(), 0, net.relaxed_units(flows))
    need = arr.need
    low = int(b_hi[open_r].min())
    low_lo = int(b_lo[open_r][b_hi[open_r] == low].min())
    open_v = np.flatnonzero((v_hi > low) | ((v_hi == low) & (v_lo > low_lo)))

    keys = cand.req * max(n_v, 1) + cand.vol
    out: list[tuple[I64, I64, F64, I64, I64]] = []
    priced = 0
    for req, vol, dist in valid_pairs(arr, open_r, open_v, params.candidates):
        if deadline is not None and deadline.expired():
            lowest = np.minimum(b_hi[open_r] - top, 0)  # no pair of r prices below it
            bound = _bound_units(net, pot, flows, open_r, lowest, need, each_pair=False)
            return _Found(*_empty(), priced, bound, complete=False)
        # Kept pairs: nearer than the farthest kept plain pair, or in the graph.
        maybe = (dist >= far[req]) & ~arr.preferred.contains(req, vol)
        req, vol, dist = req[maybe], vol[maybe], dist[maybe]
        tie = np.flatnonzero(dist == far[req])
        if tie.size:
            k = req[tie] * max(n_v, 1) + vol[tie]
            at = np.minimum(np.searchsorted(keys, k), keys.size - 1)
            drop = np.zeros(req.size, dtype=bool)
            drop[tie[keys[at] == k]] = True
            req, vol, dist = req[~drop], vol[~drop], dist[~drop]
        priced += req.size
        metres = arr.trip_metres(req, dist)
        c_hi, c_lo = pot.pair_cost(metres, np.zeros_like(metres), net.w)
        rc_hi = c_hi + r_hi[req] - v_hi[vol]
        rc_lo = c_lo + r_lo[req] - v_lo[vol]
        neg = np.flatnonzero((rc_hi < 0) | ((rc_hi == 0) & (rc_lo < 0)))
        if neg.size:
            out.append((req[neg], vol[neg], dist[neg], rc_hi[neg], rc_lo[neg]))
    relaxed = net.relaxed_units(flows)
    if not out:
        return _Found(*_empty(), priced, relaxed)
    req, vol, dist, rc_hi, rc_lo = (np.concatenate(c) for c in zip(*out, strict=True))
    bound = _bound_units(net, pot, flows, req, rc_hi, need)
    return _Found(req, vol, dist, rc_hi, rc_lo, priced, bound)


def _bound_units(
    net: PricingNetwork,
    pot: _Potentials,
    flows: I64,
    req: I64,
    rc_hi: I64,
    need: I64,
    each_pair: bool = True,
) -> int:
    """A proven bound on the relaxed priority units of the full graph, from the
    flow and the negative reduced costs ``rc_hi`` of pruned pairs of requests
    ``req`` (with ``each_pair`` one entry per pair; else one per request, its
    lowest possible one).

    Against the optimal flow, any flow of the full graph gains at most
    ``-rc * flow`` on each pruned arc; a request's pruned arcs carry at most
    its ``need`` units in all (the source feeds it no more) and each at most
    one. So a request gains at most the smaller of the sum of its pairs'
    gains and ``need`` times its largest one.
    """
    relaxed = net.relaxed_units(flows)
    if pot.lexicographic:
        # The priority level of a lexicographic reduced cost, exactly.
        gain = np.maximum(-((rc_hi + pot.radix // 2) // pot.radix), 0)
        return relaxed + _request_gains(req, gain, need, each_pair)
    pairs = slice(net.first_pair, net.first_pair + net.n_pairs)
    spent = int((net.cost[pairs] * flows[pairs]).sum())
    total = net.w.d_max - spent + _request_gains(req, np.maximum(-rc_hi, 0), need, each_pair)
    return relaxed + total // net.w.w_prio


def _request_gains(req: I64, gain: I64, need: I64, each_pair: bool) -> int:
    """The most ``gain`` the requests can collect: per request, ``need`` times its
    largest gain, and with ``each_pair`` (one entry per pair of capacity one) no
    more than the sum of its pairs' gains. Exact integers (gains can be ~1e18)."""
    if req.size == 0:
        return 0
    order = np.argsort(req, kind="stable")
    req, gain = req[order], gain[order].astype(np.int64)
    first = np.flatnonzero(np.concatenate(([True], req[1:] != req[:-1])))
    most = need[req[first]] * np.maximum.reduceat(gain, first)
    if each_pair:
        most = np.minimum(most, np.add.reduceat(gain, first))
    return sum(int(x) for x in most.tolist())  # Python ints: no int64 overflow


def _empty() -> tuple[I64, I64, F64, I64, I64]:
    z = np.zeros(0, dtype=np.int64)
    return z, z, np.zeros(0, dtype=np.float64), z, z


def _most_negative(found: _Found, per_request: int) -> I64:
    """Indices of each request's ``per_request`` most negative pairs."""
    order = np.lexsort((found.rc_lo, found.rc_hi, found.req))
    req = found.req[order]
    rank = np.arange(order.size) - np.searchsorted(req, req, side="left")
    return np.asarray(order[rank < per_request], dtype=np.int64)
