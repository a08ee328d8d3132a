"""Min-cost-flow engine for parts that a flow can represent.

A part goes to this engine when no volunteer has two timed candidates (so no
two blocks can overlap), nothing is pinned, and every request needing a team
is untimed, and no request has more than one role (a single role is a
plain team). Serving requests is then a
bipartite b-matching: source -> request (capacity ``volunteers_needed``) ->
volunteer -> sink (capacity ``max_tasks``), plus a source -> sink bypass for
requests left unserved. All such parts go into one network, built from numpy
arrays in a single call, and OR-Tools' ``SimpleMinCostFlow`` solves it.

With one volunteer per request the flow is exact. A team of ``k`` enters as
``k`` units worth ``priority / k`` each, which relaxes "all or nothing": the
flow's priority is then a proven upper bound, and a team the flow staffs only
in part is completed from volunteers with capacity left, or else released.
Likewise a volunteer's minute budget enters as the most tasks it could ever
hold (their smallest candidate loads first); a volunteer the flow leaves over
budget drops tasks, which others may take. When nothing needs repair, the
relaxation's optimum is feasible, hence optimal.

The lexicographic objective (:mod:`matchcore.engines.objective`) becomes one
cost with weights per part: one unit of priority outweighs all kept
assignments and continuity, one kept pair (a previous assignment, kept with
its previous start, which no other block can clash with here) outweighs all
continuity, and one preferred pair outweighs all distance the part could
ever travel. A part where a team could be kept goes to CP-SAT.
Parts share nothing, so per-part weights give each part its own
lexicographic optimum.

A pruned candidate graph (see :mod:`matchcore.tasks.candidates`) goes to
:mod:`matchcore.tasks.pricing` instead, which builds one network with weights that
hold for the full graph, solves it with :func:`min_cost_flow_arcs`, and uses
:func:`relaxed_priority` and :func:`repair` from here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from matchcore.engines import objective
from matchcore.engines.roles import many_roles
from matchcore.params import Deadline
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, daily_bind, pair_load

I64 = NDArray[np.int64]
# Keep every cost sum well inside int64.
_COST_LIMIT = 2**62


def flow_eligible(part: Part) -> bool:
    """Whether this part goes to the flow engine (see the module docstring)."""
    if part.pinned.any() or (part.timed & (part.need > 1)).any():
        return False
    if many_roles(part):  # a flow cannot say which member fills which role
        return False
    if (objective.keepable(part) & (part.need > 1)).any():
        return False  # kept teams are all or nothing: a per-pair bonus would not rank them
    if part.fair or daily_bind(part).any():
        return False  # loads and days are not arcs of this network: CP-SAT has them
    if (part.series >= 0).any():
        return False  # series continuity is a maximum, not a flow cost: CP-SAT models it
    timed_pairs = part.timed[part.p_req]
    return not (np.bincount(part.p_vol[timed_pairs], minlength=part.n_volunteers) > 1).any()


def solve_flow(parts: list[Part]) -> list[PartResult]:
    """Solve flow parts together; exact unless teams stay partial or costs are coarsened."""
    if not parts:
        return []
    unit = 1
    while True:
        net = _Network(parts, unit)
        if net.fits:
            break
        unit *= 10  # coarser distance, so that costs fit in int64
    flows = min_cost_flow_arcs(net.tail, net.head, net.capacity, net.cost, net.supply)
    if flows is None:
        raise RuntimeError("min-cost flow failed")
    used = flows[net.first_pair_arc : net.first_pair_arc + net.n_pairs] > 0
    results = []
    for k, part in enumerate(parts):
        chosen = used[net.pair_offset[k] : net.pair_offset[k + 1]]
        relaxed = relaxed_priority(part, chosen)
        complete = repair(part, chosen)
        start = np.full(part.n_requests, NO_START, dtype=np.int64)
        served_timed = np.flatnonzero(chosen & part.timed[part.p_req])
        start[part.p_req[served_timed]] = part.start_lo[part.start_ptr[served_timed]]
        if part.keep_pair.size:
            # A kept pair starts where it did: its volunteer has no other timed
            # candidate here, and the start lies in the pair's intervals.
            kept = served_timed[part.keep_pair[served_timed]]
            start[part.p_req[kept]] = part.keep_start[part.p_req[kept]]
        results.append(PartResult(chosen, start, unit == 1 and complete, relaxed, "min-cost-flow"))
    return results


def min_cost_flow_arcs(tail: I64, head: I64, capacity: I64, cost: I64, supply: I64) -> I64 | None:
    """The flow on every arc of an optimal flow, from arc arrays (one OR-Tools call
    each way); None when OR-Tools finds no optimum (e.g. costs out of its range)."""
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, cost)
    smcf.set_nodes_supplies(np.arange(supply.size), supply)
    if smcf.solve() != smcf.OPTIMAL:
        return None
    return np.asarray(smcf.flows(np.arange(tail.size)), dtype=np.int64)


def relaxed_priority(part: Part, chosen: NDArray[np.bool_]) -> int:
    """Served priority with partial teams counted pro rata: the flow's bound."""
    staffed = np.bincount(part.p_req[chosen], minlength=part.n_requests)
    return int(np.floor((staffed * part.priority / part.need).sum() + 1e-9))


def repair(part: Part, chosen: NDArray[np.bool_], deadline: Deadline | None = None) -> bool:
    """Make the relaxed plan feasible, in place; True if it already was.

    Volunteers over their minute budget drop their least urgent tasks first.
    Then every request short of its team, most urgent first, takes the
    nearest candidates with a task and the minutes to spare, or frees the
    volunteers it holds. At ``deadline`` the requests not yet tried free the
    volunteers they hold when short (the plan stays feasible, only less full).
    """
    load = pair_load(part)
    minutes = np.bincount(part.p_vol[chosen], weights=load[chosen], minlength=part.n_volunteers)
    over = np.flatnonzero(minutes > part.max_minutes)
    staffed = np.bincount(part.p_req[chosen], minlength=part.n_requests)
    if over.size == 0 and not ((staffed > 0) & (staffed < part.need)).any():
        return True
    if over.size:
        # Per volunteer over budget, least urgent (then longest) first: a task goes
        # while the minutes before it still exceed the budget.
        mine = np.flatnonzero(chosen & (minutes > part.max_minutes)[part.p_vol])
        vol = part.p_vol[mine]
        mine = mine[np.lexsort((-load[mine], part.priority[part.p_req[mine]], vol))]
        vol, mine_load = part.p_vol[mine], load[mine]
        running = np.cumsum(mine_load)
        first = np.searchsorted(vol, vol, side="left")
        before = running - mine_load - (running[first] - mine_load[first])
        drop = minutes[vol] - before > part.max_minutes[vol]
        chosen[mine[drop]] = False
        minutes -= np.bincount(vol[drop], weights=mine_load[drop], minlength=part.n_volunteers)
    spare = part.max_tasks - np.bincount(part.p_vol[chosen], minlength=part.n_volunteers)
    staffed = np.bincount(part.p_req[chosen], minlength=part.n_requests)
    short = np.flatnonzero(staffed < part.need)
    short = short[np.argsort(-part.priority[short], kind="stable")]
    for k, r in enumerate(short.tolist()):
        if k % 256 == 0 and deadline is not None and deadline.expired():
            _release(part, chosen, short[k:])
            break
        pairs = np.arange(part.pair_ptr[r], part.pair_ptr[r + 1])
        vols = part.p_vol[pairs]
        fits = (
            ~chosen[pairs]
            & (spare[vols] > 0)
            & (minutes[vols] + load[pairs] <= part.max_minutes[vols])
        )
        free = pairs[fits]
        missing = int(part.need[r] - chosen[pairs].sum())
        free = free[np.argsort(part.dist_m[free], kind="stable")][:missing]
        take = free if free.size == missing else pairs[chosen[pairs]]
        sign = 1 if free.size == missing else -1
        chosen[take] = free.size == missing
        spare[part.p_vol[take]] -= sign
        minutes[part.p_vol[take]] += sign * load[take]
    return False


def _release(part: Part, chosen: NDArray[np.bool_], requests: I64) -> None:
    """Unassign every pair of ``requests`` (teams left partial), in place."""
    drop = np.zeros(part.n_requests, dtype=bool)
    drop[requests] = True
    chosen &= ~drop[part.p_req]


def _task_capacity(part: Part) -> I64:
    """Tasks each volunteer could ever take: ``max_tasks``, and no more than
    their smallest candidate loads that fit in their minute budget."""
    load = pair_load(part)
    order = np.lexsort((load, part.p_vol))
    vol, sorted_load = part.p_vol[order], load[order]
    running = np.cumsum(sorted_load)
    first = np.searchsorted(vol, np.arange(part.n_volunteers))
    before = np.concatenate(([0], running))[first]
    within = running - before[vol] <= part.max_minutes[vol]
    fitting = np.bincount(vol[within], minlength=part.n_volunteers)
    return np.minimum(part.max_tasks, fitting)


class _Network:
    """The flow network of several parts, as arc arrays."""

    def __init__(self, parts: list[Part], unit: int) -> None:
        n_req = np.array([p.n_requests for p in parts])
        n_vol = np.array([p.n_volunteers for p in parts])
        n_pair = np.array([p.n_pairs for p in parts])
        req_off = np.concatenate(([0], np.cumsum(n_req)))
        vol_off = np.concatenate(([0], np.cumsum(n_vol)))
        self.pair_offset = np.concatenate(([0], np.cumsum(n_pair)))
        total_r, total_v = int(req_off[-1]), int(vol_off[-1])
        source, sink = 0, 1
        r_node = 2 + np.arange(total_r)
        v_node = 2 + total_r + np.arange(total_v)
        self.n_nodes = 2 + total_r + total_v
        self.n_pairs = int(self.pair_offset[-1])

        p_req = np.concatenate([p.p_req + req_off[k] for k, p in enumerate(parts)])
        p_vol = np.concatenate([p.p_vol + vol_off[k] for k, p in enumerate(parts)])
        dist = np.concatenate([p.dist_m for p in parts]) // unit
        pref = np.concatenate([p.preferred for p in parts]).astype(np.int64)
        keep = np.concatenate(
            [p.keep_pair if p.keep_pair.size else np.zeros(p.n_pairs, bool) for p in parts]
        ).astype(np.int64)
        need = np.concatenate([p.need for p in parts])
        # A team of k: k units of priority/k each, kept whole by the lcm of team sizes.
        lcm = int(np.lcm.reduce(np.unique(need))) if need.size else 1
        prio = np.concatenate([p.priority for p in parts]) * (lcm // need)
        max_tasks = np.concatenate([_task_capacity(p) for p in parts])
        pair_part = np.repeat(np.arange(len(parts)), n_pair)
        req_part = np.repeat(np.arange(len(parts)), n_req)

        # Per part: most distance any plan can travel, most continuity it can gain.
        worst = np.zeros(total_r, dtype=np.int64)
        np.maximum.at(worst, p_req, dist)
        worst *= need  # a team travels at most its size times its longest pair
        travel_most = np.bincount(req_part, weights=worst, minlength=len(parts)).astype(np.int64)
        pref_pairs = np.minimum(np.bincount(p_req, weights=pref, minlength=total_r), need)
        most_pref = np.bincount(req_part, weights=pref_pairs, minlength=len(parts)).astype(np.int64)
        most_keep = np.array([objective.most_kept(p) for p in parts], dtype=np.int64)
        w_prio, w_keep, w_pref = objective.kept_weights(most_keep, most_pref, travel_most)

        req_cost = -prio * w_prio[req_part]
        # Kept requests here need one volunteer: a kept pair is a kept assignment.
        pair_cost = dist - pref * w_pref[pair_part] - keep * w_keep[pair_part]
        magnitude = (
            float(np.abs(req_cost).sum()) + float(np.abs(pair_cost).max(initial=0)) * total_r
        )
        # OR-Tools scales every arc cost by the node count (+3) and then needs
        # twice that inside int64 (else BAD_COST_RANGE).
        largest = max(
            float(np.abs(req_cost).max(initial=0)), float(np.abs(pair_cost).max(initial=0))
        )
        scaled = largest * 2.0 * (2 + total_r + total_v + 3)
        self.fits = magnitude < _COST_LIMIT and scaled < _COST_LIMIT

        cap_tasks = np.minimum(max_tasks, int(need.sum()))
        self.tail = np.concatenate(([source], np.full(total_r, source), r_node[p_req], v_node))
        self.head = np.concatenate(([sink], r_node, v_node[p_vol], np.full(total_v, sink)))
        self.capacity = np.concatenate(
            ([int(need.sum())], need, np.ones(self.n_pairs, dtype=np.int64), cap_tasks)
        )
        self.cost = np.concatenate(([0], req_cost, pair_cost, np.zeros(total_v, dtype=np.int64)))
        self.first_pair_arc = 1 + total_r
        self.supply = np.zeros(self.n_nodes, dtype=np.int64)
        self.supply[source], self.supply[sink] = int(need.sum()), -int(need.sum())
