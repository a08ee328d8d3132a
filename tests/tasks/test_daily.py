"""Limits per day: ``max_tasks_per_day`` and ``max_minutes_per_day``.

- read from JSON and spreadsheets, every error at once with its place;
- days are local days of ``options.timezone`` (UTC without one), 23 or 25
  hours long on daylight-saving days; start rows are cut at local midnight;
- on random tiny problems with limits per day the plan is the brute-force
  optimum, passes the checker, and a request left out by them has reason
  ``capacity`` only when it could be served on its own next to the pins;
- the checker reports a plan that breaks them, on the local day.
"""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from oracle import solve_oracle
from strategies import tiny_problems

from matchcore import Problem, check, solve
from matchcore.errors import ProblemError
from matchcore.io import problem_from_dict, read_problem
from matchcore.io.sheets import problem_workbook, read_sheets
from matchcore.problem import Volunteer
from matchcore.tasks.arrays import local_midnights
from matchcore.tasks.parts import day_of_start, has_daily, split_parts
from matchcore.tasks.solve import prepare

HERE = {"lat": 50.85, "lon": 2.88}
NEAR = {"lat": 50.855, "lon": 2.88}


def _doc(**volunteer: Any) -> dict[str, Any]:
    return {
        "volunteers": [{"id": "v1", "location": NEAR, **volunteer}],
        "requests": [
            {
                "id": f"r{i}",
                "location": HERE,
                "duration_minutes": 60,
                "window": {"start": start, "end": end},
            }
            for i, (start, end) in enumerate(
                [
                    ("2026-03-02T09:00:00+01:00", "2026-03-02T12:00:00+01:00"),
                    ("2026-03-02T14:00:00+01:00", "2026-03-02T17:00:00+01:00"),
                    ("2026-03-03T09:00:00+01:00", "2026-03-03T12:00:00+01:00"),
                ]
            )
        ],
        "options": {"timezone": "Europe/Brussels"},
    }


# -- input -------------------------------------------------------------------------------


def test_the_reader_reads_both_limits_and_writes_them_back() -> None:
    problem = read_problem(json.dumps(_doc(max_tasks_per_day=1, max_minutes_per_day=90)))
    vol = problem.volunteers[0]
    assert (vol.max_tasks_per_day, vol.max_minutes_per_day) == (1, 90)
    again = Problem.from_dict(problem.to_dict())
    assert again.volunteers[0] == vol


def test_bad_limits_are_all_reported_at_once_with_their_pointers() -> None:
    doc = _doc(max_tasks_per_day=-1, max_minutes_per_day="a lot")
    doc["options"]["fairness"] = "equal"
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(doc))
    found = {e.pointer: e.message for e in info.value.errors}
    assert "/volunteers/0/max_minutes_per_day" in found
    assert "/options/fairness" in found and "balance" in found["/options/fairness"]
    doc["volunteers"][0]["max_minutes_per_day"] = 10
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(doc))
    pointers = {e.pointer for e in info.value.errors}
    assert "/volunteers/0/max_tasks_per_day" in pointers and "/options/fairness" in pointers


def test_spreadsheets_carry_the_limits_per_day_and_fairness() -> None:
    doc = _doc(max_tasks_per_day=2, max_minutes_per_day=240)
    doc["options"]["fairness"] = "balance"
    problem = Problem.from_dict(doc)
    buffer = io.BytesIO()
    problem_workbook(problem).save(buffer)
    back = problem_from_dict(read_sheets(buffer.getvalue()))
    assert back.volunteers[0].max_tasks_per_day == 2
    assert back.volunteers[0].max_minutes_per_day == 240
    assert back.options.fairness == "balance"
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    header = [c.value for c in book["volunteers"][1]]
    assert {"max_tasks_per_day", "max_minutes_per_day"} <= set(header)
    sheet = book["volunteers"]
    column = header.index("max_tasks_per_day") + 1
    sheet.cell(2, column).value = "two"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ProblemError) as info:
        read_sheets(buffer.getvalue())
    assert any("volunteers!" in e.location for e in info.value.errors)


# -- days --------------------------------------------------------------------------------


def test_local_days_follow_daylight_saving() -> None:
    zone = ZoneInfo("Europe/Brussels")
    moments = [datetime(2026, 3, 28, 12, tzinfo=zone), datetime(2026, 3, 30, 12, tzinfo=zone)]
    midnights = local_midnights(moments, zone)
    lengths = np.diff(midnights) // 60
    assert 23 in lengths.tolist() and set(lengths.tolist()) <= {23, 24}
    assert local_midnights(moments, None)[1] % (24 * 60) == 0  # UTC days


def test_start_rows_are_cut_at_local_midnight() -> None:
    doc = _doc(max_tasks_per_day=1)
    doc["requests"] = [
        {
            "id": "late",
            "location": HERE,
            "duration_minutes": 30,
            "window": {"start": "2026-03-02T22:00:00+01:00", "end": "2026-03-03T02:00:00+01:00"},
        },
        {
            "id": "early",
            "location": HERE,
            "duration_minutes": 30,
            "window": {"start": "2026-03-03T00:30:00+01:00", "end": "2026-03-03T01:30:00+01:00"},
        },
    ]
    cand, arrays = prepare(Problem.from_dict(doc))
    (part,) = split_parts(cand, arrays)
    assert has_daily(part)
    assert (day_of_start(part, part.start_lo) == part.row_day).all()
    assert (day_of_start(part, part.start_hi) == part.row_day).all()
    assert part.start_ptr[-1] == part.start_lo.size == 3  # "late" spans two days
    solution = solve(Problem.from_dict(doc), time_limit_s=10, advise=False)
    assert check(Problem.from_dict(doc), solution).ok
    assert solution.objective.served_requests == 2  # one before, one after midnight


# -- against brute force -----------------------------------------------------------------

_DAY_TASKS = st.sampled_from((None, 0, 1, 1, 2))
_DAY_MINUTES = st.sampled_from((None, None, 60, 120, 200))
_TIMEZONE = st.sampled_from((None, "Europe/Brussels", "Asia/Tokyo"))  # Tokyo: midday midnight


@st.composite
def daily_problems(draw: st.DrawFn) -> Problem:
    problem = draw(tiny_problems())
    volunteers = tuple(
        dataclasses.replace(
            v, max_tasks_per_day=draw(_DAY_TASKS), max_minutes_per_day=draw(_DAY_MINUTES)
        )
        for v in problem.volunteers
    )
    options = dataclasses.replace(problem.options, timezone=draw(_TIMEZONE))
    return dataclasses.replace(problem, volunteers=volunteers, options=options)


def _alone(problem: Problem, rid: str) -> Problem:
    """The request with only the pinned requests beside it."""
    pinned = {p.request_id for p in problem.assignments}
    keep = tuple(r for r in problem.requests if r.id == rid or r.id in pinned)
    return dataclasses.replace(problem, requests=keep)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(daily_problems())
def test_plans_with_limits_per_day_are_the_brute_force_optimum(problem: Problem) -> None:
    note(f"problem: {json.dumps(problem.to_dict())}")
    oracle = solve_oracle(problem)
    if oracle is None:  # the limits per day broke a pin: an input error, never a plan
        with pytest.raises(ProblemError):
            solve(problem, time_limit_s=20, advise=False)
        return
    solution = solve(problem, time_limit_s=20, advise=False)
    report = check(problem, solution)
    assert report.ok, report.violations
    got, want = solution.objective, oracle.objective
    assert solution.status == "optimal"
    assert (got.served_priority, got.continuity) == (want.served_priority, want.continuity)
    legs = 2 * max(got.served_requests, want.served_requests) * 2
    assert abs(got.travel_km - want.travel_km) <= 1e-3 * legs + 1e-9, (got, want)
    for item in solution.unassigned:
        if item.reason == "capacity":  # left out by others' claims, not by its own limits
            alone = solve_oracle(_alone(problem, item.request_id))
            assert alone is not None and item.request_id not in alone.unassigned


def test_a_request_left_out_by_a_limit_per_day_has_reason_capacity() -> None:
    problem = Problem.from_dict(_doc(max_tasks_per_day=1))
    solution = solve(problem, time_limit_s=10, advise=False)
    assert solution.objective.served_requests == 2
    (left,) = solution.unassigned
    assert left.reason == "capacity"
    assert left.request_id in {"r0", "r1"}


def test_a_limit_per_day_below_one_task_makes_the_volunteer_unavailable_for_timed_tasks() -> None:
    problem = Problem.from_dict(_doc(max_minutes_per_day=30))
    solution = solve(problem, time_limit_s=10, advise=False)
    assert {u.reason for u in solution.unassigned} == {"not_available"}


# -- the checker -------------------------------------------------------------------------


def _plan(*items: tuple[str, str]) -> dict[str, Any]:
    return {
        "assignments": [
            {"request_id": rid, "volunteer_ids": ["v1"], "start": start} for rid, start in items
        ]
    }


def test_the_checker_counts_tasks_on_the_local_day_of_their_start() -> None:
    problem = Problem.from_dict(_doc(max_tasks_per_day=1))
    two_monday = _plan(("r0", "2026-03-02T09:00:00+01:00"), ("r1", "2026-03-02T14:00:00+01:00"))
    report = check(problem, two_monday)
    assert [v.rule for v in report.violations] == ["max_tasks_per_day"]
    apart = _plan(("r0", "2026-03-02T09:00:00+01:00"), ("r2", "2026-03-03T09:00:00+01:00"))
    assert check(problem, apart).ok


def test_the_checker_reports_minutes_per_day() -> None:
    problem = Problem.from_dict(_doc(max_minutes_per_day=125))
    two = _plan(("r0", "2026-03-02T09:00:00+01:00"), ("r1", "2026-03-02T14:00:00+01:00"))
    assert [v.rule for v in check(problem, two).violations] == ["max_minutes_per_day"]


def test_the_checker_recomputes_the_load_figures() -> None:
    problem = Problem.from_dict(_doc())
    plan = _plan(("r0", "2026-03-02T09:00:00+01:00"), ("r2", "2026-03-03T09:00:00+01:00"))
    plan["objective"] = {"max_tasks_per_volunteer": 1, "task_spread": 1}  # one volunteer: 2, 0
    rules = sorted(v.path for v in check(problem, plan).violations)
    assert rules == ["objective.max_tasks_per_volunteer", "objective.task_spread"]
    plan["objective"] = {"max_tasks_per_volunteer": 2, "task_spread": 0}
    assert check(problem, plan).ok


def test_volunteers_who_cannot_take_tasks_are_left_out_of_the_spread() -> None:
    doc = _doc()
    doc["volunteers"].append({"id": "v2", "location": NEAR, "max_tasks": 0})
    doc["volunteers"].append({"id": "v3", "location": NEAR, "availability": []})
    doc["volunteers"].append({"id": "v4", "location": NEAR})
    problem = Problem.from_dict(doc)
    solution = solve(problem, time_limit_s=10, advise=False)
    tasks = {v.id: 0 for v in problem.volunteers}
    for a in solution.assignments:
        for m in a.volunteers:
            tasks[m.volunteer_id] += 1
    assert solution.objective.max_tasks_per_volunteer == max(tasks.values())
    able = [tasks["v1"], tasks["v4"]]
    assert solution.objective.task_spread == max(able) - min(able)
    assert isinstance(problem.volunteers[0], Volunteer)
    assert datetime.now(UTC).year >= 2026
