"""The exact model of groups, solved together with the task parts they share volunteers with.

One CP-SAT model holds, for every group ``g``, a literal ``open[g]``; for
every facilitator pair ``k`` a literal ``f[k]`` with one optional fixed
interval per session (the session with travel from home and back) in that
volunteer's no-overlap; for every participant pair a literal ``q``. Every
task part that has a potential facilitator among its volunteers is built
into the same model (:func:`matchcore.engines.cpsat.build_shared`), so a
volunteer's group sessions never overlap their tasks, and each group counts
once towards their ``max_tasks`` and its minutes towards ``max_minutes``.
Parts with no potential facilitator are solved as always, on their own.

Rules: ``sum f[g] == facilitators_needed * open[g]``;
``min_participants * open[g] <= sum q[g] <= max_participants * open[g]``;
``q <= open[g]``; each participant in at most ``max_groups`` groups whose
sessions do not overlap. The objective is the lexicographic one of
:mod:`matchcore.engines.objective` over tasks and groups together, solved one
level at a time (priority, then continuity, then travel in metres), each
level held at its proven optimum while the next is optimised. The model
starts from the tasks' greedy plans with the groups' greedy plan beside
them (:mod:`matchcore.groups.greedy`), and returns that plan when CP-SAT
finds nothing better on the levels in time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from matchcore.engines.cpsat import SharedVolunteers, build_shared, hint_plan
from matchcore.engines.greedy import solve_greedy
from matchcore.errors import ProblemError
from matchcore.groups.candidates import GroupCandidates, build_group_candidates
from matchcore.groups.greedy import GreedyGroups, bookings, greedy_groups
from matchcore.groups.greedy import sessions_overlap as sessions_overlap  # re-exported
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams
from matchcore.problem import Problem
from matchcore.tasks.arrays import NO_START, TaskArrays, priority_scale
from matchcore.tasks.parts import Part, PartResult, pair_load

log = logging.getLogger(__name__)
BOOL = NDArray[np.bool_]

SolveRest = Callable[[list[Part], Deadline], list[PartResult]]
"""How the pipeline solves parts without a potential facilitator (its ``solve_parts``)."""


@dataclass(frozen=True)
class GroupChoice:
    """The groups' side of the plan, over :class:`GroupCandidates` pairs."""

    cand: GroupCandidates
    opened: BOOL  # per group
    f_chosen: BOOL  # per facilitator pair
    q_chosen: BOOL  # per participant pair
    optimal: bool
    joint_parts: frozenset[int]  # parts solved in the joint model (their starts are final)


def solve_with_groups(
    problem: Problem,
    arrays: TaskArrays,
    parts: list[Part],
    deadline: Deadline,
    solve_rest: SolveRest,
    params: SolveParams = DEFAULT_PARAMS,
) -> tuple[list[PartResult], GroupChoice]:
    """Every part's result and the groups' choice, tasks and groups in one plan.

    Parts without a potential facilitator go to ``solve_rest`` with a share of
    the time by size; the rest, with every group, to one CP-SAT model.

    Raises
    ------
    ProblemError
        When pinned commitments cannot all be kept beside the groups' rules
        (they always can: a closed group takes nobody's time).
    """
    gc = build_group_candidates(problem)
    facilitators = np.unique(gc.f_vol)
    linked = [i for i, p in enumerate(parts) if np.isin(p.volunteers, facilitators).any()]
    joint = set(linked)
    rest = [i for i in range(len(parts)) if i not in joint]
    size_rest = sum(parts[i].n_pairs for i in rest)
    size_joint = sum(parts[i].n_pairs for i in linked) + gc.f_group.size + gc.q_group.size
    results: dict[int, PartResult] = {}
    if rest:
        share = size_rest / max(size_rest + size_joint, 1)
        for i, res in zip(
            rest, solve_rest([parts[i] for i in rest], deadline.share(share)), strict=True
        ):
            results[i] = res
    joint_parts = [parts[i] for i in linked]
    model = _JointModel(problem, gc, arrays, joint_parts)
    plans = [solve_greedy(part, params, deadline) for part in joint_parts]
    greedy = greedy_groups(problem, gc, bookings(joint_parts, plans))
    model.hint(plans, greedy)
    solved = model.solve(
        deadline, problem.options.workers or params.cpsat.default_workers, problem.options.seed
    )
    part_results, choice = solved
    for i, res in zip(linked, part_results, strict=True):
        results[i] = res
    choice = GroupChoice(
        gc, choice.opened, choice.f_chosen, choice.q_chosen, choice.optimal, frozenset(linked)
    )
    return [results[i] for i in range(len(parts))], choice


class _JointModel:
    """The CP-SAT model of the groups and the task parts that share their volunteers."""

    def __init__(
        self, problem: Problem, gc: GroupCandidates, arrays: TaskArrays, parts: list[Part]
    ) -> None:
        self.problem, self.gc, self.parts = problem, gc, parts
        self.model = model = cp_model.CpModel()
        groups = problem.groups
        n_f, n_q = gc.f_group.size, gc.q_group.size
        self.open = [model.new_bool_var(f"open{g}") for g in range(gc.n_groups)]
        self.f = [model.new_bool_var(f"f{k}") for k in range(n_f)]
        self.q = [model.new_bool_var(f"q{k}") for k in range(n_q)]
        blocks: dict[int, list[cp_model.IntervalVar]] = {}
        for k in range(n_f):
            g, v, t = int(gc.f_group[k]), int(gc.f_vol[k]), int(gc.f_travel[k])
            for s, e in gc.sessions[g]:
                block = model.new_optional_fixed_size_interval_var(
                    s - t, e - s + 2 * t, self.f[k], f"g{k}"
                )
                blocks.setdefault(v, []).append(block)
        for g, group in enumerate(groups):
            fs = [self.f[k] for k in np.flatnonzero(gc.f_group == g).tolist()]
            qs = [self.q[k] for k in np.flatnonzero(gc.q_group == g).tolist()]
            model.add(sum(fs) == group.facilitators_needed * self.open[g])
            model.add(sum(qs) >= group.min_participants * self.open[g])
            model.add(sum(qs) <= group.max_participants * self.open[g])
            for lit in qs:
                model.add_implication(lit, self.open[g])
        self._participants()
        # the task parts, with the session blocks in their volunteers' no-overlap
        self.x: list[list[cp_model.IntVar]] = []
        self.y: list[list[cp_model.IntVar]] = []
        self.s: list[dict[int, cp_model.IntVar]] = []
        self.series_counts: list[cp_model.IntVar] = []  # series continuity of the parts
        in_parts: set[int] = set()
        for part in parts:
            local = {int(v): i for i, v in enumerate(part.volunteers.tolist())}
            shared = SharedVolunteers(model, {local[v]: b for v, b in blocks.items() if v in local})
            x, y, starts = build_shared(part, shared)
            self.series_counts += shared.series_counts
            self.x.append(x)
            self.y.append(y)
            self.s.append(starts)
            in_parts.update(local)
        for v, own in blocks.items():
            if v not in in_parts and len(own) > 1:
                model.add_no_overlap(own)
        self._limits(arrays)
        self._window_capacity(arrays)
        self._objective(arrays)

    def _participants(self) -> None:
        gc, model = self.gc, self.model
        people = self.problem.participants
        for i, person in enumerate(people):
            mine = np.flatnonzero(gc.q_person == i).tolist()
            if len(mine) > person.max_groups:
                model.add(sum(self.q[k] for k in mine) <= person.max_groups)
            for a_idx, a in enumerate(mine):  # groups whose sessions overlap exclude each other
                for b in mine[a_idx + 1 :]:
                    if sessions_overlap(
                        gc.sessions[int(gc.q_group[a])], gc.sessions[int(gc.q_group[b])]
                    ):
                        model.add_bool_or([self.q[a].Not(), self.q[b].Not()])

    def _limits(self, arrays: TaskArrays) -> None:
        """``max_tasks`` and ``max_minutes`` over every part and group of a facilitator."""
        gc, model, vols = self.gc, self.model, self.problem.volunteers
        for v in np.unique(gc.f_vol).tolist():
            vol = vols[v]
            if vol.max_tasks is None and vol.max_minutes is None:
                continue
            mine = np.flatnonzero(gc.f_vol == v).tolist()
            count = [self.f[k] for k in mine]
            minutes = [(gc.session_load(k), self.f[k]) for k in mine]
            for part, x in zip(self.parts, self.x, strict=True):
                hit = np.flatnonzero(part.volunteers == v)
                if not hit.size:
                    continue
                load = pair_load(part)
                for p in np.flatnonzero(part.p_vol == int(hit[0])).tolist():
                    count.append(x[p])
                    minutes.append((int(load[p]), x[p]))
            if vol.max_tasks is not None:
                model.add(sum(count) <= vol.max_tasks)
            if vol.max_minutes is not None:
                model.add(sum(size * lit for size, lit in minutes) <= vol.max_minutes)

    def _window_capacity(self, arrays: TaskArrays) -> None:
        """Redundant, for the bound: a facilitator's session blocks and task blocks inside
        one availability window cannot together be longer than the window.

        The parts' own models say this of their task blocks; with the sessions
        added, the LP sees that leading a group takes time from tasks (the LP
        of no-overlap is weak). Each session block lies inside one merged
        window (a facilitator is available for it); a task pair counts when
        all its start rows lie in that window, others are left out (which
        keeps the constraint valid).
        """
        gc = self.gc
        items: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
        for k in range(gc.f_group.size):
            v, t = int(gc.f_vol[k]), int(gc.f_travel[k])
            lo, hi = (
                arrays.av_lo[arrays.av_ptr[v] : arrays.av_ptr[v + 1]],
                arrays.av_hi[arrays.av_ptr[v] : arrays.av_ptr[v + 1]],
            )
            for s, e in gc.sessions[int(gc.f_group[k])]:
                inside = np.flatnonzero((lo <= s - t) & (e + t <= hi))
                if inside.size:
                    w = int(arrays.av_ptr[v]) + int(inside[0])
                    items.setdefault(w, []).append((e - s + 2 * t, self.f[k]))
        for part, x in zip(self.parts, self.x, strict=True):
            rows = np.diff(part.start_ptr)
            single = np.flatnonzero(part.timed[part.p_req] & (rows == 1))
            wins = part.start_window[part.start_ptr[single]]
            sizes = pair_load(part)[single]
            for p, w, size in zip(single.tolist(), wins.tolist(), sizes.tolist(), strict=True):
                if w in items:
                    items[w].append((int(size), x[p]))
        added = 0
        for w, found in items.items():
            capacity = int(arrays.av_hi[w] - arrays.av_lo[w])
            if sum(size for size, _ in found) > capacity:
                self.model.add(sum(size * lit for size, lit in found) <= capacity)
                added += 1
        log.debug("groups: %d availability windows with a capacity constraint", added)

    def _objective(self, arrays: TaskArrays) -> None:
        gc, groups = self.gc, self.problem.groups
        common = priority_scale(
            [r.priority for r in self.problem.requests] + [g.priority for g in groups]
        )
        factor = max(common // arrays.scale, 1)
        n_sess = np.array([len(s) for s in gc.sessions], dtype=np.int64)
        prio: list[tuple[int, cp_model.IntVar]] = []
        cont: list[cp_model.IntVar] = []
        travel: list[tuple[int, cp_model.IntVar]] = []
        for part, x, y in zip(self.parts, self.x, self.y, strict=True):
            prio += [
                (int(p) * factor, lit) for p, lit in zip(part.priority.tolist(), y, strict=True)
            ]
            cont += [x[p] for p in np.flatnonzero(part.preferred).tolist()]
            travel += [(int(d), lit) for d, lit in zip(part.dist_m.tolist(), x, strict=True)]
        g_prio = [round(g.priority * common) for g in groups]
        prio += [(g_prio[int(g)], lit) for g, lit in zip(gc.q_group.tolist(), self.q, strict=True)]
        cont += [self.q[k] for k in np.flatnonzero(gc.q_first).tolist()]
        cont += self.series_counts  # each counts occurrences: as many preferred pairs
        travel += [
            (int(d * n_sess[g]), lit)
            for d, g, lit in zip(gc.f_dist_m.tolist(), gc.f_group.tolist(), self.f, strict=True)
        ]
        travel += [
            (int(d * n_sess[g]), lit)
            for d, g, lit in zip(gc.q_dist_m.tolist(), gc.q_group.tolist(), self.q, strict=True)
        ]
        self.factor = factor
        # The levels in order, each maximised: priority, continuity, travel (negated).
        # Their terms as arrays too, to weigh a plan given as variable values.
        self.terms = tuple(
            (
                np.array([c for c, _ in terms], dtype=np.int64),
                np.array([lit.index for _, lit in terms], dtype=np.int64),
            )
            for terms in (prio, [(1, lit) for lit in cont], [(-c, lit) for c, lit in travel])
        )
        weighted = cp_model.LinearExpr.weighted_sum
        self.levels = (
            weighted([lit for _, lit in prio], [c for c, _ in prio]),
            cp_model.LinearExpr.sum(cont),
            weighted([lit for _, lit in travel], [-c for c, _ in travel]),
        )

    def hint(self, plans: list[PartResult], greedy: GreedyGroups) -> None:
        """Start from the tasks' greedy plans and the groups' greedy plan beside them.

        ``greedy`` must respect the blocks and loads of ``plans`` (built with
        :func:`~matchcore.groups.greedy.bookings` of them), so the hint is a
        feasible plan; :meth:`solve` falls back on it.
        """
        model = self.model
        self.fallback = plans, greedy
        hinted: list[tuple[int, int]] = []
        for part, x, y, s, plan in zip(self.parts, self.x, self.y, self.s, plans, strict=True):
            served = np.zeros(part.n_requests, dtype=bool)
            served[part.p_req[plan.chosen]] = True
            hinted += [(var.index, int(plan.chosen[p])) for p, var in enumerate(x)]
            hinted += [(var.index, int(served[r])) for r, var in enumerate(y)]
            hinted += [
                (var.index, int(plan.start[r])) for r, var in s.items() if plan.start[r] != NO_START
            ]
        for lits, on in (
            (self.open, greedy.opened),
            (self.f, greedy.f_chosen),
            (self.q, greedy.q_chosen),
        ):
            hinted += [(var.index, int(v)) for var, v in zip(lits, on.tolist(), strict=True)]
        for index, value in hinted:
            model.proto.solution_hint.vars.append(index)
            model.proto.solution_hint.values.append(value)
        values = np.zeros(len(model.proto.variables), dtype=np.int64)
        values[[i for i, _ in hinted]] = [v for _, v in hinted]
        # unhinted variables (series counts) weigh 0: the hint is never overrated
        self.hint_levels = self._levels(values)

    def _levels(self, values: NDArray[np.int64]) -> tuple[int, ...]:
        """The objective levels (each maximised) of a plan given as variable values."""
        return tuple(int(coef @ values[idx]) for coef, idx in self.terms)

    def solve(
        self, deadline: Deadline, workers: int, seed: int
    ) -> tuple[list[PartResult], GroupChoice]:
        """The lexicographic optimum, one level at a time, or the best plan found.

        Each level is maximised with the levels above it held at their proven
        optimum, starting from the previous level's plan; the plan is optimal
        when every level is proven. One weighted sum of all three levels proves
        the same optimum, but its search has to close the travel level's gap
        across every priority and continuity at once (several times slower on
        the zelfregienetwerk example). When time runs out, the best plan so
        far on the levels stands: a stage's unproven plan, the level above's,
        or the greedy hint (:meth:`hint`) when CP-SAT found nothing better.
        """
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        solver.parameters.catch_sigint_signal = False
        best: list[int] | None = None  # None: the greedy hint
        best_levels = self.hint_levels
        for level, expr in enumerate(self.levels):
            self.model.maximize(expr)
            solver.parameters.max_time_in_seconds = max(deadline.remaining(), 0.01)
            status = solver.solve(self.model)
            log.debug(
                "groups cp-sat level %d: %s in %.2fs",
                level,
                solver.status_name(status),
                solver.wall_time,
            )
            if status == cp_model.INFEASIBLE:
                raise ProblemError(
                    ("assignments",),
                    "the pinned commitments cannot all be kept together "
                    "(their volunteers' times, task or minute limits clash)",
                )
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break  # out of time: the best plan so far stands, unproven
            plan = list(solver.response_proto.solution)
            levels = self._levels(np.array(plan, dtype=np.int64))
            if levels >= best_levels:
                best, best_levels = plan, levels
            if status != cp_model.OPTIMAL:
                break
            # hold this level at its optimum; the next level starts from this plan
            self.model.add(expr >= round(solver.objective_value))
            hint_plan(self.model, plan)
        else:  # every level proven: the last level's plan is the lexicographic optimum
            return self._read(list(solver.response_proto.solution), True)
        if best is None:
            log.info("groups: CP-SAT found nothing better than the greedy plan in time")
            return self._greedy()
        return self._read(best, False)

    def _greedy(self) -> tuple[list[PartResult], GroupChoice]:
        """The hint's plan: the tasks' greedy plans and the groups' greedy plan."""
        plans, greedy = self.fallback
        results = [
            PartResult(p.chosen, p.start, False, int(part.priority.sum()), p.engine)
            for part, p in zip(self.parts, plans, strict=True)
        ]
        choice = GroupChoice(
            self.gc, greedy.opened, greedy.f_chosen, greedy.q_chosen, False, frozenset()
        )
        return results, choice

    def _read(self, plan: list[int], optimal: bool) -> tuple[list[PartResult], GroupChoice]:
        """The parts' results and the groups' choice from variable values ``plan``."""

        def value(var: cp_model.IntVar) -> int:
            return plan[var.index]

        results = []
        for part, x, s in zip(self.parts, self.x, self.s, strict=True):
            chosen = np.array([value(v) for v in x], dtype=bool)
            start = np.full(part.n_requests, NO_START, dtype=np.int64)
            served = np.zeros(part.n_requests, dtype=bool)
            served[part.p_req[chosen]] = True
            for r, var in s.items():
                if served[r]:
                    start[r] = value(var)
            achieved = int(part.priority[served].sum())
            total = int(part.priority.sum())
            results.append(
                PartResult(chosen, start, optimal, achieved if optimal else total, "cp-sat+groups")
            )
        choice = GroupChoice(
            self.gc,
            np.array([value(v) for v in self.open], dtype=bool),
            np.array([value(v) for v in self.f], dtype=bool),
            np.array([value(v) for v in self.q], dtype=bool),
            optimal,
            frozenset(),
        )
        return results, choice
