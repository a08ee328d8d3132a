"""CP-SAT with the fairness level (``options.fairness == "balance"``), in stages.

The fairness level (:mod:`matchcore.engines.objective`) ranks plans by their
tasks per volunteer sorted from the most loaded down, lexicographically. Its
exact weights (:func:`~matchcore.engines.objective.fairness_weights`) grow
like ``(volunteers + 1) ** (load - 1)``, so they rarely fit in one weighted
sum with the levels around it. The model is solved in stages instead, each
with the levels before it fixed at their optimum:

1. priority, kept and continuity (one weighted sum, as CP-SAT's first stage);
2. fairness: each volunteer's load in unary (``b[v][k]``: at least ``k``
   tasks, ``b[v][k] >= b[v][k+1]``) and ``n_k = sum_v b[v][k]``. When the
   weights of every load do not fit, the largest load ``K`` is minimised
   first (every ``n_k`` above it is then 0); while the weights of loads
   ``1..K`` still do not fit, the largest count ``n_K`` is minimised on its
   own and fixed, and ``K`` goes down; then ``sum_{k<=K} w_k n_k`` in one
   solve. This is the lexicographic order of
   ``(n_max, ..., n_1)`` exactly, which is that of the sorted load vectors;
3. travel, with everything above fixed.

A stage that is not proven optimal fixes its value as a bound (``>=`` or
``<=``) for the next one and the plan is not ``optimal``; a stage that finds
nothing in time ends the search with the best plan so far.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matchcore.engines import objective
from matchcore.engines.cpsat import (
    CpSatSettings,
    _add_hint,
    _extract,
    _Model,
    _total,
    _with,
    _without_plan,
    better_of,
    run_search,
    upper_levels,
)
from matchcore.tasks.parts import Part, PartResult

log = logging.getLogger(__name__)

_STAGE_SHARE = 0.5
"""Of the time left, the share each fairness stage may use (travel gets the rest)."""
_FIRST_SHARE = 0.6
"""Of the time left, the share of the first stage (priority, kept, continuity)."""


@dataclass
class _Stages:
    """The model, the best plan so far and whether every stage was proven."""

    m: _Model
    part: Part
    settings: CpSatSettings
    result: PartResult
    proven: bool = True

    def solve(self, last: bool = False) -> int | None:
        """Solve with the hint of the best plan; the objective value, or None when
        no plan was found in time (the best plan so far stands, unproven)."""
        self.m.model.clear_hints()  # type: ignore[no-untyped-call]
        _add_hint(self.m, self.part, self.result)
        left = self.settings.deadline.remaining()
        solver, status = run_search(
            self.m.model, self.settings, left if last else left * _STAGE_SHARE
        )
        log.debug("cp-sat fair stage: %s in %.2fs", solver.status_name(status), solver.wall_time)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.proven = False
            return None
        self.proven &= status == cp_model.OPTIMAL
        found = _extract(self.m, self.part, solver, False, self.result.bound)
        self.result = better_of(self.part, found, self.result)
        return round(solver.objective_value)

    def fix(self, expr: cp_model.LinearExprT, value: int, *, minimised: bool) -> None:
        """Keep ``expr`` at ``value`` (proven) or no worse than it (not proven)."""
        if self.proven:
            self.m.model.add(expr == value)
        elif minimised:
            self.m.model.add(expr <= value)
        else:
            self.m.model.add(expr >= value)


def solve_fair(
    m: _Model,
    part: Part,
    settings: CpSatSettings,
    weights: tuple[int, int],
    hint: PartResult | None,
) -> PartResult:
    """The part's lexicographic optimum with the fairness level, in stages."""
    weight, _ = weights
    first = upper_levels(m, part, weights)
    m.model.maximize(first)  # the hint, if any, is in the model already
    solver, status = run_search(m.model, settings, settings.deadline.remaining() * _FIRST_SHARE)
    if status == cp_model.UNKNOWN and settings.deadline.remaining() > 0.05:
        # No plan yet: the higher levels come first, so they get all that is left.
        solver, status = run_search(m.model, settings, settings.deadline.remaining())
    fallback = _without_plan(status, hint)
    if fallback is not None:
        return fallback
    bound = min(math.floor((solver.best_objective_bound + 1e-6) / weight), _total(part))
    optimal = status == cp_model.OPTIMAL
    result = better_of(part, _extract(m, part, solver, False, bound), hint)
    stages = _Stages(m, part, settings, result, optimal)
    stages.fix(first, round(solver.objective_value), minimised=False)
    if _balance(stages):
        travel = cp_model.LinearExpr.weighted_sum(m.x, part.dist_m.tolist())
        m.model.minimize(travel)
        stages.solve(last=True)
    return _with(stages.result, optimal=stages.proven)


def _balance(stages: _Stages) -> bool:
    """Stage 2: the fairness level, largest loads first; False when time ran out."""
    m, part = stages.m, stages.part
    caps = objective.volunteer_caps(part)
    levels = int(caps.max(initial=0))
    if levels == 0:
        return True
    at_least: list[list[cp_model.IntVar]] = [[] for _ in range(levels)]  # [k-1]: b[v][k]
    most = m.model.new_int_var(0, levels, "most")  # the largest load
    for v in np.flatnonzero(caps > 0).tolist():
        unary = [m.model.new_bool_var(f"b{v}_{k}") for k in range(int(caps[v]))]
        for a, b in itertools.pairwise(unary):
            m.model.add_implication(b, a)
        mine = np.flatnonzero(part.p_vol == v).tolist()
        m.model.add(sum(m.x[p] for p in mine) == sum(unary))
        m.model.add(sum(unary) <= most)
        for k, var in enumerate(unary):
            at_least[k].append(var)
    weights = objective.fairness_weights(caps)
    top = levels
    if not _fits(stages, weights[:top], caps):
        # The largest load first, in one solve: above it every count is 0, and
        # the weights of the loads up to it usually fit (they grow with it).
        m.model.minimize(most)
        value = stages.solve()
        if value is None:
            return False
        stages.fix(most, value, minimised=True)
        top = value
    while top > 0 and not _fits(stages, weights[:top], caps):
        count = sum(at_least[top - 1])
        m.model.minimize(count)
        value = stages.solve()
        if value is None:
            return False
        stages.fix(count, value, minimised=True)
        top -= 1
    if top == 0:
        return True
    cost = cp_model.LinearExpr.weighted_sum(
        [var for k in range(top) for var in at_least[k]],
        [weights[k] for k in range(top) for _ in at_least[k]],
    )
    m.model.minimize(cost)
    value = stages.solve()
    if value is None:
        return False
    stages.fix(cost, value, minimised=True)
    return True


def _fits(stages: _Stages, weights: list[int], caps: np.ndarray) -> bool:
    """Whether ``sum_k w_k n_k`` over these loads stays well inside CP-SAT's range."""
    counts = objective.load_counts(caps)
    most = sum(w * c for w, c in zip(weights, counts, strict=False))
    return objective.fits(most, 1)
