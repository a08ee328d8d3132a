"""Split matchcore's gap on the untimed budgets family into the plan's and the bound's.

On the L budgets family matchcore's plan sits ~3% below its proven bound, the
optimum of the flow relaxation (teams pro rata, minute budgets as task
counts) on the full candidate graph. Which part of that gap is the plan's,
which the bound's? This tool answers it on instances of the same kind small
enough to solve exactly:

- matchcore's own path for L, forced (and again with
  ``PricingParams.budget_minutes``): the graph pruned to each request's
  nearest pairs (``CandidateParams.keep_nearest``), one pricing flow of
  priority alone, its repaired plan against the two greedy plans
  (:func:`matchcore.tasks.pricing.solve_pruned` with L's mode), and its bound;
- the exact optimum of served priority on the *full* candidate graph: a MIP
  (HiGHS through ``scipy.optimize.milp``) with teams all-or-nothing, task
  limits and minute budgets (task plus travel both ways), see
  :func:`exact_model`; and the value of its LP relaxation.

Then ``bound - plan = (bound - optimum) + (optimum - plan)``.

Run::

    .venv/bin/python -m benchmarks.gap_split --case zorg:200:800 --case national:2000:8000
    .venv/bin/python -m benchmarks.gap_split --case lregion:5.5:52.0:6.2:52.4

A case is ``REGION:VOLUNTEERS:REQUESTS`` (the generator with the budgets
family's shares and every volunteer a task limit) or
``lregion:LON0:LAT0:LON1:LAT1`` (the L family's own instance, cut to the
volunteers and requests in that box: the same local density).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.families import (
    BUDGETS_MINUTE_SHARE,
    BUDGETS_TEAM_SHARE,
    CAPPED_TASK_LIMIT_SHARE,
    Family,
    problem_from_spec,
)
from matchcore.params import DEFAULT_PARAMS, CandidateParams, Deadline, PricingParams, SolveParams
from matchcore.problem import Problem
from matchcore.synth.generate import generate
from matchcore.tasks.arrays import NO_LIMIT_HI, task_arrays
from matchcore.tasks.candidates import build_candidates
from matchcore.tasks.parts import Part, pair_load, whole_part
from matchcore.tasks.pins import check_pins
from matchcore.tasks.pricing import _plan_key, solve_pruned

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def l_like_params(keep_nearest: int = 50, budget_minutes: bool = False) -> SolveParams:
    """matchcore's parameters forced onto the path it takes on the L family: a pruned
    graph, one pricing flow of priority alone (a flow in metres never fits), the plan
    the best of its repaired flow, the budget-weighted plan flow (on by default since
    w5-big2: ``PricingParams.budget_weight``) and the two greedy plans."""
    return dataclasses.replace(
        DEFAULT_PARAMS,
        candidates=CandidateParams(prune_above_pairs=1, keep_nearest=keep_nearest),
        pricing=PricingParams(
            flow_seconds_per_arc=1.0,
            coarse_flow_factors=(1.0, 1e-9),
            budget_minutes=budget_minutes,
        ),
    )


def full_params() -> SolveParams:
    """Parameters that keep every valid pair (the graph the optimum is taken on)."""
    return dataclasses.replace(
        DEFAULT_PARAMS, candidates=CandidateParams(prune_above_pairs=10**12, dense_cells=10**12)
    )


@dataclasses.dataclass
class ExactModel:
    """The MIP of an untimed part as scipy arrays: columns are pairs, then one
    ``y`` per team request; rows: each request at most once (a team all or
    nothing: its pairs sum to ``need * y``), per volunteer its task limit and
    minute budget (task plus travel both ways) where they can bind."""

    cost: F64  # to minimise (minus the priority each column serves)
    matrix: Any
    lb: F64
    ub: F64
    integrality: F64


def exact_model(part: Part, task_cap: I64 | None = None) -> ExactModel:
    """The exact untimed model of ``part`` on served priority (see :class:`ExactModel`);
    ``task_cap`` per local volunteer (the most tasks its smallest loads fit in its
    minutes) tightens the task rows of the LP relaxation, not the integer optimum."""
    from scipy.sparse import coo_matrix

    n_p, n_r = part.n_pairs, part.n_requests
    team = part.need > 1
    teams = np.flatnonzero(team)
    y_of = np.full(n_r, -1, dtype=np.int64)
    y_of[teams] = n_p + np.arange(teams.size)
    n_cols = n_p + teams.size
    cost = np.zeros(n_cols)
    single_pair = ~team[part.p_req]
    cost[:n_p][single_pair] = -part.priority[part.p_req[single_pair]]
    cost[n_p:] = -part.priority[teams]
    rows: list[I64] = []
    cols: list[I64] = []
    vals: list[F64] = []
    lbs: list[F64] = []
    ubs: list[F64] = []
    n_rows = 0
    # requests: singles sum x <= 1; teams sum x - need * y = 0 (y <= 1 by its bounds)
    rows += [part.p_req, teams]
    cols += [np.arange(n_p), y_of[teams]]
    vals += [np.ones(n_p), -part.need[teams].astype(np.float64)]
    lbs.append(np.where(team, 0.0, -np.inf))
    ubs.append(np.where(team, 0.0, 1.0))
    n_rows += n_r
    load = pair_load(part).astype(np.float64)
    tasks = part.max_tasks if task_cap is None else np.minimum(part.max_tasks, task_cap)
    for limit, coef in ((tasks, np.ones(n_p)), (part.max_minutes, load)):
        most = np.bincount(part.p_vol, weights=coef, minlength=part.n_volunteers)
        binds = (limit < NO_LIMIT_HI) & (limit < most)
        row_of = np.full(part.n_volunteers, -1, dtype=np.int64)
        row_of[binds] = n_rows + np.arange(int(binds.sum()))
        take = binds[part.p_vol]
        rows.append(row_of[part.p_vol[take]])
        cols.append(np.flatnonzero(take))
        vals.append(coef[take])
        lbs.append(np.full(int(binds.sum()), -np.inf))
        ubs.append(limit[binds].astype(np.float64))
        n_rows += int(binds.sum())
    matrix = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_cols),
    ).tocsr()
    return ExactModel(cost, matrix, np.concatenate(lbs), np.concatenate(ubs), np.ones(n_cols))


def solve_exact(part: Part, task_cap: I64, time_limit_s: float) -> dict[str, Any]:
    """The model's LP value and its MIP optimum (or best plan and dual bound)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    model = exact_model(part, task_cap)
    cons = [LinearConstraint(model.matrix, model.lb, model.ub)]
    tick = time.perf_counter()
    lp = milp(model.cost, integrality=np.zeros_like(model.integrality), bounds=Bounds(0, 1),
              constraints=cons)  # fmt: skip
    lp_s = time.perf_counter() - tick
    tick = time.perf_counter()
    mip = milp(
        model.cost,
        integrality=model.integrality,
        bounds=Bounds(0, 1),
        constraints=cons,
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0},
    )
    mip_s = time.perf_counter() - tick
    dual = getattr(mip, "mip_dual_bound", None)
    out: dict[str, Any] = {
        "columns": int(model.cost.size),
        "rows": int(model.lb.size),
        "lp": None if lp.fun is None else -float(lp.fun),
        "lp_s": round(lp_s, 2),
        "mip_status": int(mip.status),
        "mip_s": round(mip_s, 2),
        "mip_plan": None if mip.fun is None else round(-float(mip.fun)),
        "mip_dual": None if dual is None else -float(dual),
    }
    out["optimal"] = mip.status == 0
    return out


def flow_relaxation_lp(part: Part, task_cap: I64) -> float:
    """The flow relaxation's optimum by LP on ``part`` (teams pro rata, each volunteer
    at most ``task_cap`` tasks): what matchcore's bound is the value of, computed
    independently."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    n_p = part.n_pairs
    cost = -part.priority[part.p_req] / part.need[part.p_req]
    a_req = coo_matrix((np.ones(n_p), (part.p_req, np.arange(n_p))), shape=(part.n_requests, n_p))
    a_vol = coo_matrix((np.ones(n_p), (part.p_vol, np.arange(n_p))), shape=(part.n_volunteers, n_p))
    matrix = vstack((a_req, a_vol)).tocsr()
    ub = np.concatenate((part.need, task_cap)).astype(np.float64)
    res = milp(cost, integrality=np.zeros(n_p), bounds=Bounds(0, 1),
               constraints=[LinearConstraint(matrix, -np.inf, ub)])  # fmt: skip
    return -float(res.fun)


def matchcore_l_path(
    problem: Problem, time_limit_s: float, budget_minutes: bool = False
) -> dict[str, Any]:
    """matchcore's plan and bound by the path it takes on L (see :func:`l_like_params`;
    ``budget_minutes``: ``PricingParams.budget_minutes``), and the plans it chose from
    (greedy plans from its log)."""
    params = l_like_params(budget_minutes=budget_minutes)
    arrays = task_arrays(problem, params)
    cand = build_candidates(problem, arrays, params)
    arrays = check_pins(problem, cand, arrays)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    log = logging.getLogger("matchcore")
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.INFO)
    tick = time.perf_counter()
    try:
        priced = solve_pruned(cand, arrays, params, Deadline.after(time_limit_s))
    finally:
        log.removeHandler(handler)
        log.setLevel(old)
    part, res = priced.parts[0], priced.results[0]
    return {
        "pairs_kept": int(cand.n_pairs),
        "pairs_pruned": int(cand.pruned.sum()) if cand.pruned.size else 0,
        "plan": _plan_key(part, res.chosen)[0],
        "bound": int(res.bound),
        "proven": priced.report.proven,
        "seconds": round(time.perf_counter() - tick, 2),
        "log": [r for r in records if "greedy plan" in r or "proven" in r or "round" in r],
        "task_cap": cand.task_cap,
        "scale": int(arrays.scale),
    }


def l_region(box: tuple[float, float, float, float], cache: Path) -> Problem:
    """The L budgets family's instance cut to the volunteers and requests in ``box``
    (lon0, lat0, lon1, lat1)."""
    if cache.exists():
        with cache.open("rb") as fh:
            full: Problem = pickle.load(fh)
    else:
        full = problem_from_spec(Family("L", "untimed", "budgets", "capped").spec())
        cache.write_bytes(pickle.dumps(full, protocol=5))
    lon0, lat0, lon1, lat1 = box

    def inside(loc: Any) -> bool:
        return bool(lon0 <= loc.lon <= lon1 and lat0 <= loc.lat <= lat1)

    vols = tuple(v for v in full.volunteers if inside(v.location))
    ids = {v.id for v in vols}
    reqs = tuple(
        dataclasses.replace(
            r,
            preferred_volunteers=r.preferred_volunteers & ids,
            excluded_volunteers=r.excluded_volunteers & ids,
        )
        for r in full.requests
        if inside(r.location)
    )
    return dataclasses.replace(full, volunteers=vols, requests=reqs, assignments=())


def case_problem(case: str, cache: Path) -> Problem:
    """The problem a ``--case`` names (see the module docstring)."""
    head, *rest = case.split(":")
    if head == "lregion":
        lon0, lat0, lon1, lat1 = (float(x) for x in rest)
        return l_region((lon0, lat0, lon1, lat1), cache)
    n_v, n_r = int(rest[0]), int(rest[1])
    seed = int(rest[2]) if len(rest) > 2 else 0
    return generate(
        n_v,
        n_r,
        region=head if head != "zorg" else "zorgnetwerken",
        timed=False,
        seed=seed,
        multi_volunteer_share=BUDGETS_TEAM_SHARE,
        minute_limit_share=BUDGETS_MINUTE_SHARE,
        task_limit_share=CAPPED_TASK_LIMIT_SHARE,
    )


def split(problem: Problem, time_limit_s: float, mip_limit_s: float) -> dict[str, Any]:
    """matchcore's L path and the exact optimum on one problem (see the module)."""
    mc = matchcore_l_path(problem, time_limit_s)
    aware = matchcore_l_path(problem, time_limit_s, budget_minutes=True)
    aware.pop("task_cap")
    aware.pop("scale")
    params = full_params()
    arrays = task_arrays(problem, params)
    cand = build_candidates(problem, arrays, params)
    arrays = check_pins(problem, cand, arrays)
    part = whole_part(cand, arrays)
    # the flow relaxation's task caps of the full graph (matchcore's, from the pruned build)
    task_cap = mc.pop("task_cap")
    cap = task_cap[part.volunteers] if task_cap.size else part.max_tasks
    exact = solve_exact(part, cap, mip_limit_s)
    scale = mc.pop("scale")
    out = {
        "volunteers": len(problem.volunteers),
        "requests": len(problem.requests),
        "teams": int((arrays.need > 1).sum()),
        "budgets": int(sum(v.max_minutes is not None for v in problem.volunteers)),
        "pairs_full": int(cand.n_pairs),
        "scale": scale,
        "matchcore": mc,
        "matchcore_budget_minutes": aware,
        "flow_relaxation_lp": flow_relaxation_lp(part, np.minimum(cap, part.max_tasks)),
        "exact": exact,
    }
    opt = exact["mip_plan"] if exact["optimal"] else None
    bound = mc["bound"]
    if opt is not None and bound > 0:
        out["gap_pct"] = 100.0 * (bound - mc["plan"]) / bound
        out["plan_gap_pct"] = 100.0 * (opt - mc["plan"]) / bound
        out["bound_gap_pct"] = 100.0 * (bound - opt) / bound
        out["budget_minutes_plan_gap_pct"] = 100.0 * (opt - aware["plan"]) / bound
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", required=True)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--mip-limit", type=float, default=600.0)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/L-untimed-budgets-capped.pkl"))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    results = {}
    for case in args.case:
        problem = case_problem(case, args.cache)
        results[case] = split(problem, args.time_limit, args.mip_limit)
        print(json.dumps({case: results[case]}, default=str), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
