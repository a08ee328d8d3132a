"""Re-planning against a previous plan: the kept level, changes, freeze.

The instances are a week planned, then changed the way a coordinator's week
changes: a volunteer withdraws, requests come in, a priority moves. The
previous plan is matchcore's own plan of the week before the change.

- the plan's served priority is never below that of the freeze solve (every
  still-feasible previous assignment pinned, the rest solved), and with equal
  priority it keeps at least as many previous assignments;
- on tiny instances its objective (priority, kept, continuity, travel) is the
  brute-force optimum of ``oracle.py`` with the kept level;
- ``changes`` is re-derived here from the two plans.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from oracle import solve_oracle
from strategies import problems

from matchcore import solve
from matchcore.check import check
from matchcore.errors import ProblemError
from matchcore.problem import Location, Options, PinnedAssignment, Problem, Request, Volunteer
from matchcore.solution import Solution, Status

ROOT = Path(__file__).resolve().parents[1]
_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIME_LIMIT_S = 10.0


def previous_of(solution: Solution) -> tuple[PinnedAssignment, ...]:
    return tuple(
        PinnedAssignment(a.request_id, a.volunteer_ids, a.start) for a in solution.assignments
    )


def count_kept(previous: tuple[PinnedAssignment, ...], solution: Solution) -> int:
    """Kept, from the spec: same request, same volunteers, same start (to the minute)."""
    now = {a.request_id: a for a in solution.assignments}

    def minute(t: datetime | None) -> int | None:
        return None if t is None else int(t.timestamp() // 60)

    return sum(
        p.request_id in now
        and set(now[p.request_id].volunteer_ids) == set(p.volunteer_ids)
        and minute(now[p.request_id].start) == minute(p.start)
        for p in previous
    )


def without_volunteer(problem: Problem, vid: str) -> Problem:
    """``problem`` after volunteer ``vid`` withdrew (references to them go too)."""
    requests = tuple(
        dataclasses.replace(
            r,
            preferred_volunteers=r.preferred_volunteers - {vid},
            excluded_volunteers=r.excluded_volunteers - {vid},
        )
        for r in problem.requests
    )
    return dataclasses.replace(
        problem,
        volunteers=tuple(v for v in problem.volunteers if v.id != vid),
        requests=requests,
        assignments=tuple(p for p in problem.assignments if vid not in p.volunteer_ids),
    )


@st.composite
def replans(draw: st.DrawFn, max_requests: int = 6, max_volunteers: int = 4) -> Problem:
    """A changed week with the plan of the week before as ``previous_plan``."""
    full = draw(problems(max_requests=max_requests, max_volunteers=max_volunteers, max_pins=1))
    pinned = {p.request_id for p in full.assignments}
    n_new = draw(st.integers(0, 2))
    new_ids = {r.id for r in full.requests[len(full.requests) - n_new :]} - pinned
    before = dataclasses.replace(
        full, requests=tuple(r for r in full.requests if r.id not in new_ids)
    )
    previous = previous_of(solve(before, time_limit_s=TIME_LIMIT_S))
    after = full
    if len(full.volunteers) > 0 and draw(st.booleans()):
        after = without_volunteer(after, draw(st.sampled_from([v.id for v in full.volunteers])))
    if draw(st.booleans()):  # a priority moves
        k = draw(st.integers(0, len(after.requests) - 1))
        bumped = dataclasses.replace(after.requests[k], priority=draw(st.sampled_from([1, 3, 8])))
        after = dataclasses.replace(
            after, requests=(*after.requests[:k], bumped, *after.requests[k + 1 :])
        )
    return dataclasses.replace(after, previous_plan=previous)


def solve_checked(problem: Problem) -> Solution:
    note(f"problem: {json.dumps(problem.to_dict())}")
    solution = solve(problem, time_limit_s=TIME_LIMIT_S)
    note(f"solution: {solution.to_json(indent=None)}")
    report = check(problem, solution)
    assert report.ok, report.violations
    return solution


def freeze(problem: Problem) -> Problem:
    return dataclasses.replace(
        problem, options=dataclasses.replace(problem.options, replan="freeze")
    )


@settings(_SETTINGS, max_examples=40)
@given(replans(max_requests=8, max_volunteers=5))
def test_never_worse_than_freezing_the_previous_plan(problem: Problem) -> None:
    assert problem.previous_plan is not None
    replanned = solve_checked(problem)
    frozen = solve_checked(freeze(problem))
    assert replanned.status is Status.OPTIMAL and frozen.status is Status.OPTIMAL
    got, floor = replanned.objective, frozen.objective
    assert got.served_priority >= floor.served_priority - 1e-9
    kept = count_kept(problem.previous_plan, replanned)
    assert got.kept == kept
    assert frozen.objective.kept == count_kept(problem.previous_plan, frozen)
    if abs(got.served_priority - floor.served_priority) <= 1e-9:
        assert kept >= frozen.objective.kept


@settings(_SETTINGS, max_examples=60)
@given(replans())
def test_kept_level_is_the_brute_force_optimum(problem: Problem) -> None:
    solution = solve_checked(problem)
    assert solution.status is Status.OPTIMAL
    oracle = solve_oracle(problem)
    assert oracle is not None
    got, want = solution.objective, oracle.objective
    assert (got.served_priority, got.kept, got.continuity) == (
        want.served_priority,
        want.kept,
        want.continuity,
    ), (got, want)
    legs = 2 * max(got.served_requests, want.served_requests) * 2
    assert abs(got.travel_km - want.travel_km) <= 1e-3 * legs + 1e-9


@settings(_SETTINGS, max_examples=25)
@given(replans())
def test_changes_follow_the_two_plans(problem: Problem) -> None:
    solution = solve_checked(problem)
    assert solution.changes is not None
    prev = {p.request_id: p for p in problem.previous_plan or ()}
    now = {a.request_id: a for a in solution.assignments}
    by_id = {c.request_id: c for c in solution.changes}
    assert len(by_id) == len(solution.changes)
    for rid in set(prev) | set(now):
        change = by_id[rid]
        if rid not in prev:
            assert change.status == "new" and change.reason is None
        elif rid not in now:
            assert change.status == "dropped"
        elif count_kept((prev[rid],), solution):
            assert change.status == "kept" and change.reason is None
        elif set(now[rid].volunteer_ids) == set(prev[rid].volunteer_ids):
            assert change.status == "moved"
        else:
            assert change.status == "reassigned"
    assert set(by_id) == set(prev) | set(now)  # unserved in both: no entry


# -- worked cases -------------------------------------------------------------------

_HOME = Location(51.2, 3.2)
_MON = datetime(2027, 1, 4, 9, tzinfo=UTC)


def _req(rid: str, priority: float = 1.0) -> Request:
    from matchcore.problem import TimeWindow

    window = TimeWindow(_MON, _MON.replace(hour=12))
    return Request(rid, _HOME, 60, client_id=rid, window=window, priority=priority)


def test_withdrawn_volunteer_reassigns_only_their_request() -> None:
    vols = tuple(Volunteer(vid, _HOME, max_tasks=1) for vid in ("ann", "bob", "cas"))
    week = Problem(vols, (_req("r1"), _req("r2")))
    first = solve(week, time_limit_s=TIME_LIMIT_S)
    who = {a.request_id: a.volunteer_ids[0] for a in first.assignments}
    gone = who["r1"]
    later = dataclasses.replace(without_volunteer(week, gone), previous_plan=previous_of(first))
    again = solve(later, time_limit_s=TIME_LIMIT_S)
    assert again.changes is not None
    status = {c.request_id: (c.status, c.reason) for c in again.changes}
    assert status["r2"] == ("kept", None)
    assert status["r1"] == ("reassigned", "volunteer_withdrawn")
    assert again.objective.kept == 1
    assert check(later, again).ok


def test_freed_for_priority_and_request_changed() -> None:
    vols = (Volunteer("ann", _HOME, max_tasks=1),)
    week = Problem(vols, (_req("low"), _req("urgent", 0.5)))
    first = solve(week, time_limit_s=TIME_LIMIT_S)
    assert [a.request_id for a in first.assignments] == ["low"]
    later = Problem(vols, (_req("low"), _req("urgent", 5.0)), previous_plan=previous_of(first))
    again = solve(later, time_limit_s=TIME_LIMIT_S)
    assert again.changes is not None
    status = {c.request_id: (c.status, c.reason) for c in again.changes}
    assert status == {"low": ("dropped", "freed_for_priority"), "urgent": ("new", None)}
    bigger = dataclasses.replace(_req("low"), volunteers_needed=2)
    two = Problem((*vols, Volunteer("bob", _HOME)), (bigger,), previous_plan=previous_of(first))
    status = {c.request_id: (c.status, c.reason) for c in solve(two).changes or ()}
    assert status["low"][1] == "request_changed"


def test_freeze_pins_what_still_holds() -> None:
    vols = (Volunteer("ann", _HOME, max_tasks=1),)
    first = solve(Problem(vols, (_req("low"),)), time_limit_s=TIME_LIMIT_S)
    later = Problem(
        vols,
        (_req("low"), _req("urgent", 5.0)),
        options=Options(replan="freeze"),
        previous_plan=previous_of(first),
    )
    again = solve(later, time_limit_s=TIME_LIMIT_S)
    assert [a.request_id for a in again.assignments] == ["low"]
    assert again.assignments[0].pinned


def test_unknown_replan_mode_is_an_error_naming_the_option() -> None:
    with pytest.raises(ProblemError) as err:
        Problem.from_dict({"volunteers": [], "requests": [], "options": {"replan": "thaw"}})
    assert "replan" in str(err.value)


def test_previous_plan_is_read_from_a_solution_document() -> None:
    vols = (Volunteer("ann", _HOME),)
    week = Problem(vols, (_req("r1"),))
    plan = solve(week, time_limit_s=TIME_LIMIT_S).to_dict()
    data = week.to_dict()
    data["previous_plan"] = plan
    read = Problem.from_dict(data)
    assert read.previous_plan is not None
    assert [p.request_id for p in read.previous_plan] == ["r1"]
    assert Problem.from_dict(read.to_dict()).previous_plan == read.previous_plan
    data["previous_plan"] = None  # as the schema says: an object, or no field at all
    with pytest.raises(ProblemError) as err:
        Problem.from_dict(data)
    assert "previous_plan" in str(err.value)
    data["previous_plan"] = {"assignments": [{"request_id": 3}]}
    with pytest.raises(ProblemError) as err:
        Problem.from_dict(data)
    assert "previous_plan" in str(err.value)


# -- the CLI and the published schema ------------------------------------------------


def test_cli_solve_previous_lists_changes_valid_against_the_schema(tmp_path: Path) -> None:
    from test_cli import run_main

    from matchcore.io.schema import schema

    problem_file = ROOT / "examples" / "small_network.json"
    plan_file, again_file = tmp_path / "plan.json", tmp_path / "again.json"
    assert run_main("solve", problem_file, "-o", plan_file, "-q").returncode == 0
    plan = json.loads(plan_file.read_text())
    busiest = Counter(v for a in plan["assignments"] for v in a["volunteer_ids"]).most_common(1)
    gone = busiest[0][0]
    week = Problem.from_json(problem_file.read_bytes())
    later_file = tmp_path / "later.json"
    later_file.write_text(json.dumps(without_volunteer(week, gone).to_dict()))
    result = run_main("solve", later_file, "--previous", plan_file, "-o", again_file, "-q")
    assert result.returncode == 0, result.stderr
    again = json.loads(again_file.read_text())
    served_before = {a["request_id"] for a in plan["assignments"]}
    assert {c["request_id"] for c in again["changes"]} >= served_before
    withdrawn = {a["request_id"] for a in plan["assignments"] if gone in a["volunteer_ids"]}
    for change in again["changes"]:
        if change["request_id"] in withdrawn:
            assert change["reason"] == "volunteer_withdrawn"
            assert change["status"] in ("reassigned", "dropped")
    errors = Draft202012Validator(schema("solution")).iter_errors(again)
    assert list(errors) == []
    document = json.loads(later_file.read_text())
    document["previous_plan"] = plan
    assert list(Draft202012Validator(schema("problem")).iter_errors(document)) == []
    assert check(Problem.from_dict(document), again).ok


def test_cli_previous_that_is_no_solution_is_one_error_naming_the_file(tmp_path: Path) -> None:
    from test_cli import run_main

    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps({"assignments": [{"request_id": "r1"}]}))
    result = run_main("solve", ROOT / "examples" / "small_network.json", "--previous", bad)
    assert result.returncode == 2
    assert "plan.json" in result.stderr and "volunteer_ids" in result.stderr
    assert "Traceback" not in result.stderr


def test_previous_pairs_survive_pruning() -> None:
    from matchcore.params import CandidateParams, SolveParams

    near = tuple(Volunteer(f"near{i}", _HOME) for i in range(3))
    far = Volunteer("far", Location(51.25, 3.2))  # about 5.6 km away, still in range
    week = Problem((*near, far), (_req("r1"),))
    previous = (PinnedAssignment("r1", ("far",), _MON),)
    pruning = SolveParams(
        candidates=CandidateParams(dense_cells=0, prune_above_pairs=1, keep_nearest=1)
    )
    later = dataclasses.replace(week, previous_plan=previous)
    again = solve(later, time_limit_s=TIME_LIMIT_S, params=pruning)
    assert again.changes is not None
    assert [(c.status, c.reason) for c in again.changes] == [("kept", None)]
    assert again.assignments[0].volunteer_ids == ("far",)
    without = solve(week, time_limit_s=TIME_LIMIT_S, params=pruning)
    assert without.assignments[0].volunteer_ids != ("far",)  # pruning did bite
