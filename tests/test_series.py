"""Repeating requests (issue 9 item 2): reading, expansion, continuity, checker, oracle.

- ``repeat`` expands into occurrences ``<id>@<YYYY-MM-DD>`` at the same local
  times (DST-correct), each remembering its series; fields are copied;
- every error names its place (JSON pointer), also with requests after a
  repeating one; pins on a series id, colliding ids and duplicate series ids
  are refused;
- the expansion agrees with two independent computations (a day-by-day walk
  for weekly rules, the checker's own dateutil expansion for any rule);
- series continuity: one volunteer for the whole series when nothing
  competes; the solver's objective equals the brute-force oracle's on tiny
  instances with series; the checker recomputes the figure and refuses a
  wrong one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from oracle import solve_oracle
from strategies import tiny_problems

from matchcore import solve
from matchcore.check import check, series_expansion_errors
from matchcore.errors import ProblemError
from matchcore.io import read_problem_file
from matchcore.problem import PinnedAssignment, Problem, Request
from matchcore.solution import Status

ZONE = "Europe/Brussels"
_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _doc(*requests: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "volunteers": [
            {"id": "anna", "location": {"lat": 50.85, "lon": 2.88}, "skills": ["visiting"]},
            {"id": "bert", "location": {"lat": 50.8505, "lon": 2.8805}, "skills": ["visiting"]},
        ],
        "requests": list(requests),
        "options": {"timezone": ZONE},
    }
    doc.update(extra)
    return doc


def _visit(rid: str = "janssens", day: str = "2027-03-16", **fields: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "location": {"lat": 50.851, "lon": 2.881},
        "skills": ["visiting"],
        "duration_minutes": 60,
        "window": {"start": f"{day}T14:00", "end": f"{day}T16:00"},
        **fields,
    }


WEEKLY = {"weekly": {"days": ["tue"]}, "until": "2027-03-30"}


def _pointers(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ProblemError) as info:
        Problem.from_dict(doc)
    return [(e.pointer, e.message) for e in info.value.errors]


# -- reading and expansion ------------------------------------------------------------


def test_weekly_repeat_expands_into_dated_occurrences_across_the_clock_change() -> None:
    problem = Problem.from_dict(_doc(_visit(repeat=WEEKLY, preferred_volunteers=["bert"])))
    ids = [r.id for r in problem.requests]
    assert ids == ["janssens@2027-03-16", "janssens@2027-03-23", "janssens@2027-03-30"]
    assert {r.series for r in problem.requests} == {"janssens"}
    assert {r.client_id for r in problem.requests} == {"janssens"}
    assert {r.preferred_volunteers for r in problem.requests} == {frozenset({"bert"})}
    zone = ZoneInfo(ZONE)
    for req in problem.requests:
        assert req.window is not None
        local = req.window.start.astimezone(zone)
        assert (local.hour, local.minute) == (14, 0)  # 14:00 in winter and in summer time
    offsets = [r.window.start.utcoffset() for r in problem.requests if r.window is not None]
    assert offsets == [timedelta(hours=1), timedelta(hours=1), timedelta(hours=2)]


def test_rrule_repeat_counts_the_window_as_its_first_occurrence() -> None:
    problem = Problem.from_dict(_doc(_visit(repeat={"rrule": "FREQ=WEEKLY;INTERVAL=2;COUNT=3"})))
    assert [r.id for r in problem.requests] == [
        "janssens@2027-03-16",
        "janssens@2027-03-30",
        "janssens@2027-04-13",
    ]


def test_series_round_trips_through_to_dict() -> None:
    problem = Problem.from_dict(_doc(_visit(repeat=WEEKLY)))
    again = Problem.from_dict(problem.to_dict())
    assert again.requests == problem.requests
    assert all(r.series == "janssens" for r in again.requests)


def test_occurrences_are_pinned_and_remembered_by_their_own_ids() -> None:
    pin = {"request_id": "janssens@2027-03-23", "volunteer_ids": ["bert"]}
    previous = {"assignments": [{"request_id": "janssens@2027-03-16", "volunteer_ids": ["anna"]}]}
    problem = Problem.from_dict(
        _doc(_visit(repeat=WEEKLY), assignments=[pin], previous_plan=previous)
    )
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    team = {a.request_id: a.volunteer_ids for a in solution.assignments}
    assert team["janssens@2027-03-23"] == ("bert",)


@pytest.mark.parametrize(
    ("doc", "pointer", "words"),
    [
        (
            {**_doc(_visit(repeat=WEEKLY)), "options": {}},
            "/requests/0/repeat",
            "options.timezone",
        ),
        (
            _doc(_visit(repeat={"weekly": {"days": ["tue"]}})),
            "/requests/0/repeat/until",
            "required",
        ),
        (
            _doc(_visit(repeat={"weekly": {"days": ["wed"]}, "until": "2027-03-30"})),
            "/requests/0/repeat",
            "first occurrence",
        ),
        (
            _doc(_visit(repeat={"weekly": {"days": ["tue", "dinsdag"]}, "until": "2027-03-30"})),
            "/requests/0/repeat/weekly/days/1",
            "must be a day",
        ),
        (_doc(_visit(repeat={"rrule": "FREQ=WEEKLY"})), "/requests/0/repeat/rrule", "COUNT"),
        (
            _doc(_visit(repeat={"rrule": "FREQ=WEEKLY;UNTIL=20270301"})),
            "/requests/0/repeat",
            "no occurrence",
        ),
        (
            _doc(_visit(repeat={"rrule": "FREQ=WEEKLY;COUNT=2;BYHOUR=9"})),
            "/requests/0/repeat/rrule",
            "BYHOUR",
        ),
        (_doc(_visit(repeat={"rrule": "FREQ=HOURLY;COUNT=2"})), "/requests/0/repeat/rrule", "FREQ"),
        (_doc(_visit(repeat={"every": "week"})), "/requests/0/repeat", "weekly"),
        (
            _doc({**_visit(repeat=WEEKLY), "window": None}),
            "/requests/0/repeat",
            "window",
        ),
        (
            _doc(_visit(repeat={"rrule": "FREQ=DAILY;COUNT=501"})),
            "/requests/0/repeat",
            "500",
        ),
        (
            _doc(_visit(repeat=WEEKLY, series="other")),
            "/requests/0/series",
            "one of the two",
        ),
        (
            _doc(_visit(repeat=WEEKLY), _visit("janssens@2027-03-23", "2027-03-23")),
            "/requests/0/repeat",
            "another request",
        ),
        (
            _doc(_visit(repeat=WEEKLY), _visit(day="2027-04-06", repeat=WEEKLY)),
            "/requests/1/id",
            "used twice",
        ),
        (
            _doc(_visit(repeat=WEEKLY), _visit("x", series="janssens"), _visit("janssens")),
            "/requests/2/id",
            "repeating request",
        ),
        (
            _doc(
                _visit(repeat=WEEKLY),
                _visit("other", preferred_volunteers=["nobody"]),
            ),
            "/requests/1/preferred_volunteers",
            "unknown volunteer",
        ),
        (
            _doc(
                _visit(repeat=WEEKLY),
                assignments=[{"request_id": "janssens", "volunteer_ids": ["anna"]}],
            ),
            "/assignments/0/request_id",
            "occurrence",
        ),
    ],
)
def test_bad_repeats_are_errors_that_name_their_place(
    doc: dict[str, Any], pointer: str, words: str
) -> None:
    found = _pointers(doc)
    assert any(p == pointer and words in m for p, m in found), found
    assert all("Janssens" not in m for _, m in found)


# -- the expansion, computed independently ----------------------------------------------

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZONES = ("Europe/Brussels", "Europe/Amsterdam", "America/New_York", "UTC")


@st.composite
def weekly_series(draw: st.DrawFn) -> tuple[dict[str, Any], date, set[str], date]:
    first = date(2026, 10, 1) + timedelta(days=draw(st.integers(0, 200)))
    days = {_DAYS[first.weekday()], *draw(st.sets(st.sampled_from(_DAYS), max_size=3))}
    until = first + timedelta(days=draw(st.integers(0, 40)))
    hour = draw(st.integers(0, 22))
    window = {
        "start": f"{first}T{hour:02d}:{draw(st.sampled_from((0, 30))):02d}",
        "end": f"{first}T{hour + 1:02d}:59",
    }
    doc = _doc(
        {
            **_visit(),
            "window": window,
            "duration_minutes": 15,
            "repeat": {"weekly": {"days": sorted(days)}, "until": until.isoformat()},
        },
        options={"timezone": draw(st.sampled_from(_ZONES))},
    )
    return doc, first, days, until


def _read(doc: dict[str, Any]) -> Problem | None:
    try:
        return Problem.from_dict(doc)
    except ProblemError as err:
        # only a wall time the clocks skip or repeat may refuse the first window
        assert all(e.pointer.startswith("/requests/0/window") for e in err.errors), err.errors
        return None


@settings(_SETTINGS, max_examples=150)
@given(weekly_series())
def test_weekly_expansion_is_every_listed_weekday_up_to_until(
    case: tuple[dict[str, Any], date, set[str], date],
) -> None:
    doc, first, days, until = case
    note(json.dumps(doc))
    problem = _read(doc)
    if problem is None:
        return
    walk = [first + timedelta(days=k) for k in range((until - first).days + 1)]
    want = [f"janssens@{d}" for d in walk if _DAYS[d.weekday()] in days]
    assert [r.id for r in problem.requests] == want
    zone = ZoneInfo(doc["options"]["timezone"])
    clock = datetime.fromisoformat(doc["requests"][0]["window"]["start"]).time()
    for req in problem.requests:
        assert req.window is not None
        local = req.window.start.astimezone(zone)
        # the same wall time, or moved forward by the gap on a spring-forward day
        moved = datetime.combine(local.date(), clock)
        assert local.date().isoformat() == req.id.split("@")[1]
        assert timedelta(0) <= local.replace(tzinfo=None) - moved <= timedelta(hours=1)
    assert series_expansion_errors(problem, doc) == []


@settings(_SETTINGS, max_examples=100)
@given(
    weekly_series(),
    st.sampled_from(
        (
            "FREQ=DAILY;COUNT=9",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4",
            "FREQ=MONTHLY;COUNT=3",
            "FREQ=DAILY;INTERVAL=3;UNTIL=20271231",
            "RRULE:FREQ=YEARLY;COUNT=2",
        )
    ),
)
def test_rrule_expansion_agrees_with_the_checkers_own(
    case: tuple[dict[str, Any], date, set[str], date], rule: str
) -> None:
    doc = copy.deepcopy(case[0])
    doc["requests"][0]["repeat"] = {"rrule": rule}
    note(json.dumps(doc))
    problem = _read(doc)
    if problem is None:
        return
    assert problem.requests[0].id == f"janssens@{case[1]}"
    assert series_expansion_errors(problem, doc) == []


def test_the_checker_finds_an_occurrence_at_other_times_or_missing() -> None:
    doc = _doc(_visit(repeat=WEEKLY))
    problem = Problem.from_dict(doc)
    moved = list(problem.requests)
    window = moved[2].window
    assert window is not None
    shifted = dataclasses.replace(window, start=window.start + timedelta(hours=1))
    moved[2] = dataclasses.replace(moved[2], window=shifted)
    wrong = dataclasses.replace(problem, requests=tuple(moved))
    assert any("other times" in m for _, m in series_expansion_errors(wrong, doc))
    fewer = dataclasses.replace(problem, requests=problem.requests[:2])
    assert any("should give" in m for _, m in series_expansion_errors(fewer, doc))
    solution = solve(fewer, time_limit_s=10)
    report = check(fewer, solution, document=doc)
    assert [v.rule for v in report.violations] == ["series_expansion"]


# -- series continuity ----------------------------------------------------------------


def test_one_volunteer_serves_every_occurrence_when_nothing_competes() -> None:
    # Bert lives nearer but is free on the second Tuesday only: without series
    # continuity that visit would go to him (less travel).
    doc = _doc(_visit(repeat=WEEKLY))
    tuesday = {"start": "2027-03-23T08:00", "end": "2027-03-23T18:00"}
    doc["volunteers"][1]["availability"] = [tuesday]
    problem = Problem.from_dict(doc)
    solution = solve(problem, time_limit_s=10)
    assert solution.status is Status.OPTIMAL
    assert {a.volunteer_ids for a in solution.assignments} == {("anna",)}
    assert solution.objective.continuity == 3
    assert check(problem, solution, document=doc).ok
    # the same visits as unrelated requests: Bert takes his Tuesday
    plain = dataclasses.replace(
        problem, requests=tuple(dataclasses.replace(r, series=None) for r in problem.requests)
    )
    loose = solve(plain, time_limit_s=10)
    assert {a.volunteer_ids for a in loose.assignments} == {("anna",), ("bert",)}
    assert loose.objective.continuity == 0


@pytest.mark.parametrize("staged", [False, True], ids=["one sum", "in stages"])
def test_series_continuity_comes_before_a_fair_share(
    staged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Balance would split the three Tuesdays 2 + 1; continuity is the higher level,
    # whether the levels are one weighted sum or (no sum fits) solved in stages.
    from matchcore.engines import objective

    if staged:
        monkeypatch.setattr(objective, "OBJECTIVE_LIMIT", 2.0)
    doc = _doc(_visit(repeat=WEEKLY), options={"timezone": ZONE, "fairness": "balance"})
    problem = Problem.from_dict(doc)
    solution = solve(problem, time_limit_s=10, advise=False)
    assert solution.status is Status.OPTIMAL
    assert len({a.volunteer_ids for a in solution.assignments}) == 1
    assert solution.objective.continuity == 3
    assert solution.objective.max_tasks_per_volunteer == 3
    assert check(problem, solution, document=doc).ok
    oracle = solve_oracle(problem)
    assert oracle is not None and oracle.objective.continuity == 3


def test_the_checker_refuses_a_wrong_continuity_figure() -> None:
    problem = Problem.from_dict(_doc(_visit(repeat=WEEKLY)))
    plan = {
        "assignments": [
            {"request_id": r.id, "volunteer_ids": [vid], "start": r.window.start.isoformat()}
            for r, vid in zip(problem.requests, ("anna", "bert", "anna"), strict=True)
            if r.window is not None
        ],
        "objective": {"continuity": 3},
    }
    report = check(problem, plan)
    assert report.objective.continuity == 2  # Anna serves two of the three Tuesdays
    assert [v.rule for v in report.violations] == ["objective_mismatch"]


@st.composite
def tiny_series_problems(draw: st.DrawFn) -> Problem:
    """Tiny problems whose requests are grouped at random into up to two series."""
    problem = draw(tiny_problems())
    labels = [draw(st.sampled_from((None, "s0", "s1"))) for _ in problem.requests]
    requests = tuple(
        dataclasses.replace(r, series=s) for r, s in zip(problem.requests, labels, strict=True)
    )
    return dataclasses.replace(problem, requests=requests)


@settings(_SETTINGS, max_examples=150)
@given(tiny_series_problems())
def test_series_continuity_is_the_brute_force_optimum(problem: Problem) -> None:
    note(f"problem: {json.dumps(problem.to_dict())}")
    solution = solve(problem, time_limit_s=10)
    note(f"solution: {solution.to_json(indent=None)}")
    assert check(problem, solution).ok
    assert solution.status is Status.OPTIMAL
    oracle = solve_oracle(problem)
    assert oracle is not None
    want = oracle.objective
    assert solution.objective.served_priority == want.served_priority
    assert solution.objective.continuity == want.continuity
    assert check(problem, oracle.to_document()).ok  # the oracle's own figure, checked


def test_series_ids_may_not_be_request_ids() -> None:
    where = Problem.from_dict(_doc()).volunteers[0].location
    req = Request(id="a", location=where, duration_minutes=30)
    with pytest.raises(ProblemError) as info:
        Problem((), (req, dataclasses.replace(req, id="b", series="a")))
    assert info.value.pointer == "/requests/0/id"


# -- spreadsheets ---------------------------------------------------------------------

_CSV_VOLUNTEERS = "id,lat,lon,skills\nanna,50.85,2.88,visiting\n"
_CSV_SETTINGS = "key,value\ntimezone,Europe/Brussels\n"
_CSV_HEAD = "id,lat,lon,skills,duration_minutes,date,window_start,window_end,repeat\n"


def _csv_folder(folder: Path, repeat: str) -> Path:
    folder.mkdir()
    (folder / "settings.csv").write_text(_CSV_SETTINGS, encoding="utf-8")
    (folder / "volunteers.csv").write_text(_CSV_VOLUNTEERS, encoding="utf-8")
    row = f"visit,50.851,2.881,visiting,60,16-03-2027,14:00,16:00,{repeat}\n"
    (folder / "requests.csv").write_text(_CSV_HEAD + row, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("cell", "ids"),
    [
        ("weekly:tue until 30-03-2027", ["16", "23", "30"]),
        ("Wekelijks: di do tot 2027-03-19", ["16", "18"]),
        ('"FREQ=WEEKLY;COUNT=2"', ["16", "23"]),
    ],
)
def test_the_requests_sheet_reads_a_repeat_column(
    tmp_path: Path, cell: str, ids: list[str]
) -> None:
    problem = read_problem_file(_csv_folder(tmp_path / "week", cell))
    assert [r.id for r in problem.requests] == [f"visit@2027-03-{d}" for d in ids]


def test_a_bad_repeat_cell_names_its_cell(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as info:
        read_problem_file(_csv_folder(tmp_path / "week", "every tuesday"))
    assert [e.location for e in info.value.errors] == ["requests!I2 (repeat)"]
    assert "weekly:DAYS until DATE" in info.value.errors[0].message


# -- the worked examples ---------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_series_examples_are_what_the_script_writes() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import make_series
    finally:
        sys.path.remove(str(EXAMPLES))
    for name, doc in (
        ("series_three_weeks", make_series.three_weeks()),
        ("series_withdrawn", make_series.withdrawn()),
    ):
        assert json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")) == doc


def _example(name: str) -> tuple[Problem, dict[str, Any]]:
    doc = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return Problem.from_dict(doc), doc


def test_three_tuesdays_go_to_one_volunteer_and_the_withdrawal_changes_only_hers() -> None:
    problem, doc = _example("series_three_weeks.json")
    plan = solve(problem, time_limit_s=20, advise=False)
    assert plan.status is Status.OPTIMAL
    assert check(problem, plan, document=doc).ok
    team = {a.request_id: a.volunteer_ids for a in plan.assignments}
    janssens = [rid for rid in team if rid.startswith("req-bezoek-janssens@")]
    assert len(janssens) == 3 and {team[rid] for rid in janssens} == {("vol-an",)}
    # Chantal is nearer and free on two of the Tuesdays: unrelated visits would go to her
    loose = dataclasses.replace(
        problem, requests=tuple(dataclasses.replace(r, series=None) for r in problem.requests)
    )
    loose_team = {a.request_id: a.volunteer_ids for a in solve(loose, advise=False).assignments}
    assert {loose_team[rid] for rid in janssens} == {("vol-an",), ("vol-chantal",)}

    later, later_doc = _example("series_withdrawn.json")
    previous = tuple(
        PinnedAssignment(a.request_id, a.volunteer_ids, a.start) for a in plan.assignments
    )
    again = dataclasses.replace(later, previous_plan=previous)
    replanned = solve(again, time_limit_s=20, advise=False)
    assert check(again, replanned, document=later_doc).ok
    status = {c.request_id: (c.status, c.reason) for c in replanned.changes or ()}
    for rid, volunteers in team.items():
        if rid not in later.request_index:
            assert status[rid] == ("dropped", None)  # over: no longer in the problem
        elif volunteers == ("vol-an",):
            assert status[rid] == ("reassigned", "volunteer_withdrawn")
        else:
            assert status[rid] == ("kept", None)
    peeters = [a.volunteer_ids for a in replanned.assignments if "peeters" in a.request_id]
    assert len(peeters) == 2 and len(set(peeters)) == 1  # one volunteer for the rest of the series


def test_series_beside_groups_count_in_the_joint_models_continuity() -> None:
    plain, _ = _example("mixed_week.json")
    labels = {f"rit-{k}": f"rides-{k // 3}" for k in range(9)}  # Monday to Wednesday
    requests = tuple(dataclasses.replace(r, series=labels.get(r.id)) for r in plain.requests)
    problem = dataclasses.replace(plain, requests=requests)
    solution = solve(problem, time_limit_s=60, advise=False)
    report = check(problem, solution)
    assert report.ok, report.violations
    assert solution.group_plan is not None  # the rides were solved in the joint model
    # the plan made without series mixes volunteers; valued with series it is worse
    loose = solve(plain, time_limit_s=60, advise=False)
    valued = check(problem, loose.to_dict() | {"objective": None}).objective
    assert solution.status is Status.OPTIMAL and loose.status is Status.OPTIMAL
    assert valued.served_priority == solution.objective.served_priority
    assert valued.continuity < solution.objective.continuity


def test_series_parts_go_to_cp_sat_not_to_the_flow_or_pricing() -> None:
    from matchcore.params import DEFAULT_PARAMS, CandidateParams
    from matchcore.tasks import pricing
    from matchcore.tasks.parts import split_parts
    from matchcore.tasks.solve import prepare, uses_flow

    params = dataclasses.replace(
        DEFAULT_PARAMS,
        candidates=CandidateParams(prune_above_pairs=0, keep_nearest=1, dense_cells=0),
    )
    problem = Problem.from_dict(_doc(_visit(repeat=WEEKLY)))
    untimed = dataclasses.replace(
        problem, requests=tuple(dataclasses.replace(r, window=None) for r in problem.requests)
    )
    plain = dataclasses.replace(
        untimed, requests=tuple(dataclasses.replace(r, series=None) for r in untimed.requests)
    )
    assert pricing.applies(*prepare(plain, params))  # the same graph without series is priced
    assert not pricing.applies(*prepare(untimed, params))
    cand, arrays = prepare(untimed)
    (part,) = split_parts(cand, arrays)  # the three occurrences are one part
    assert part.n_requests == 3 and not uses_flow(part)
    cand, arrays = prepare(plain)
    assert all(uses_flow(p) for p in split_parts(cand, arrays))
    solution = solve(untimed, time_limit_s=10, advise=False)
    assert check(untimed, solution).ok and solution.objective.continuity == 3
