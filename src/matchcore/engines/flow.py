"""Min-cost-flow engine for parts that a flow can represent exactly.

A part is flow-representable when every request needs one volunteer, no
volunteer has two timed candidates (so no two blocks can overlap), minute
limits cannot bind and nothing is pinned. Then serving requests is a
bipartite b-matching: source -> request (capacity 1) -> volunteer ->
sink (capacity ``max_tasks``), plus a source -> sink bypass for requests left
unserved. All such parts go into one network, built from numpy arrays in a
single call, and OR-Tools' ``SimpleMinCostFlow`` solves it exactly.

The lexicographic objective becomes one cost with weights per part: one unit
of priority outweighs all continuity, and one preferred pair outweighs all
distance the part could ever travel. Parts share nothing, so per-part weights
give each part its own lexicographic optimum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from matchcore.engines.part import NO_START, Part, PartResult, limits_bind

I64 = NDArray[np.int64]
# Keep every cost sum well inside int64.
_COST_LIMIT = 2**62


def flow_eligible(part: Part) -> bool:
    """Whether a min-cost flow solves this part exactly."""
    if (part.need != 1).any() or part.pinned.any():
        return False
    timed_pairs = part.timed[part.p_req]
    if (np.bincount(part.p_vol[timed_pairs], minlength=part.n_volunteers) > 1).any():
        return False
    _, minutes_bind = limits_bind(part)
    return not minutes_bind.any()


def solve_flow(parts: list[Part]) -> list[PartResult]:
    """Solve flow-representable parts together; optimal unless costs must be coarsened."""
    if not parts:
        return []
    unit = 1
    while True:
        net = _Network(parts, unit)
        if net.fits:
            break
        unit *= 10  # coarser distance, so that costs fit in int64
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, net.capacity, net.cost)
    smcf.set_nodes_supplies(np.arange(net.n_nodes), net.supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flow = smcf.flows(np.arange(net.first_pair_arc, net.first_pair_arc + net.n_pairs))
    used = flow > 0
    results = []
    for k, part in enumerate(parts):
        a, b = net.pair_offset[k], net.pair_offset[k + 1]
        chosen = used[a:b]
        start = np.full(part.n_requests, NO_START, dtype=np.int64)
        served_timed = np.flatnonzero(chosen & part.timed[part.p_req])
        start[part.p_req[served_timed]] = part.start_lo[part.start_ptr[served_timed]]
        served = int(part.priority[part.p_req[chosen]].sum())
        results.append(PartResult(chosen, start, unit == 1, served, "min-cost-flow"))
    return results


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
        prio = np.concatenate([p.priority for p in parts])
        max_tasks = np.concatenate([p.max_tasks for p in parts])
        pair_part = np.repeat(np.arange(len(parts)), n_pair)
        req_part = np.repeat(np.arange(len(parts)), n_req)

        # Per part: most distance any plan can travel, most continuity it can gain.
        worst = np.zeros(total_r, dtype=np.int64)
        np.maximum.at(worst, p_req, dist)
        w_pref = np.bincount(req_part, weights=worst, minlength=len(parts)).astype(np.int64) + 1
        has_pref = np.zeros(total_r, dtype=np.int64)
        np.maximum.at(has_pref, p_req, pref)
        most_pref = np.bincount(req_part, weights=has_pref, minlength=len(parts)).astype(np.int64)
        w_prio = (most_pref + 1) * w_pref

        req_cost = -prio * w_prio[req_part]
        pair_cost = dist - pref * w_pref[pair_part]
        magnitude = (
            float(np.abs(req_cost).sum()) + float(np.abs(pair_cost).max(initial=0)) * total_r
        )
        self.fits = magnitude < _COST_LIMIT

        cap_tasks = np.minimum(max_tasks, total_r)
        self.tail = np.concatenate(([source], np.full(total_r, source), r_node[p_req], v_node))
        self.head = np.concatenate(([sink], r_node, v_node[p_vol], np.full(total_v, sink)))
        self.capacity = np.concatenate(
            ([total_r], np.ones(total_r + self.n_pairs, dtype=np.int64), cap_tasks)
        )
        self.cost = np.concatenate(([0], req_cost, pair_cost, np.zeros(total_v, dtype=np.int64)))
        self.first_pair_arc = 1 + total_r
        self.supply = np.zeros(self.n_nodes, dtype=np.int64)
        self.supply[source], self.supply[sink] = total_r, -total_r
