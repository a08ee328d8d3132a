"""The independent checker: one test per rule, the objective, and cross-checks.

The property tests pit the checker against the brute-force oracle (two
implementations of the rules written apart: every optimal plan the oracle
finds must pass the checker, with the same objective), and the numpy
distance used by the solver against geopy.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from geopy.distance import great_circle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import solve_oracle
from strategies import small_problems, tiny_problems

from matchcore.check import CheckReport, Violation, check
from matchcore.errors import ProblemError
from matchcore.geo import great_circle_km
from matchcore.problem import (
    Location,
    PinnedAssignment,
    Problem,
    Request,
    TimeWindow,
    TravelMode,
    Volunteer,
)
from matchcore.solution import (
    AssignedVolunteer,
    Assignment,
    Funnel,
    Objective,
    Reason,
    Solution,
    Status,
    Unassigned,
)

CET = timezone(timedelta(hours=1))
LAT, LON = 50.8514, 5.6910  # Maastricht


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=CET)


def window(start: tuple[int, int], end: tuple[int, int]) -> TimeWindow:
    return TimeWindow(at(*start), at(*end))


def near(dlat: float, dlon: float) -> Location:
    return Location(LAT + dlat, LON + dlon)


def base_problem() -> Problem:
    """Five volunteers, four requests; the plan of :func:`base_document` is valid."""
    volunteers = (
        Volunteer(
            "v1",
            near(0.002, 0.003),
            skills=frozenset({"driving"}),
            languages=frozenset({"nl", "fr"}),
            travel_mode=TravelMode.CAR,
            availability=(window((8, 0), (13, 0)),),
            max_tasks=2,
            max_minutes=240,
        ),
        Volunteer(
            "v2",
            near(0.01, 0.01),
            skills=frozenset({"shopping", "driving"}),
            languages=frozenset({"nl"}),
            travel_mode=TravelMode.BIKE,
        ),
        Volunteer(
            "v3",
            near(-0.01, -0.01),
            skills=frozenset({"cooking", "shopping"}),
            languages=frozenset({"en", "nl"}),
            availability=(window((9, 0), (17, 0)),),
            max_distance_km=5.0,
        ),
        Volunteer("v4", near(0.0, 0.0), skills=frozenset({"shopping"}), availability=()),
        Volunteer("v5", Location(50.8280, 3.2650), skills=frozenset({"shopping"})),  # Kortrijk
    )
    requests = (
        Request(
            "r1",
            near(0.004, 0.005),
            60,
            client_id="c1",
            skills=frozenset({"driving"}),
            languages=frozenset({"fr"}),
            window=window((9, 0), (11, 0)),
            priority=2.0,
            preferred_volunteers=frozenset({"v1"}),
        ),
        Request("r2", near(0.008, 0.006), 45, skills=frozenset({"shopping"})),
        Request(
            "r3",
            near(0.0, 0.004),
            60,
            window=window((13, 0), (15, 0)),
            volunteers_needed=2,
            priority=1.5,
            preferred_volunteers=frozenset({"v3"}),
        ),
        Request("r4", near(-0.003, 0.0), 30, window=window((10, 0), (12, 0))),
    )
    return Problem(volunteers, requests)


def base_document() -> dict[str, Any]:
    """A valid plan for :func:`base_problem`: r1, r2 and r3 served, r4 not."""
    return {
        "assignments": [
            {"request_id": "r1", "volunteer_ids": ["v1"], "start": at(9, 30).isoformat()},
            {"request_id": "r2", "volunteer_ids": ["v2"]},
            {"request_id": "r3", "volunteer_ids": ["v2", "v3"], "start": at(13, 30).isoformat()},
        ],
        "unassigned": [{"request_id": "r4"}],
    }


def geopy_km(problem: Problem, vid: str, rid: str) -> float:
    v = problem.volunteers[problem.volunteer_index[vid]].location
    r = problem.requests[problem.request_index[rid]].location
    return float(great_circle((v.lat, v.lon), (r.lat, r.lon)).km)


def ride_geopy_km(problem: Problem, rid: str) -> float:
    """Client to destination of a ride (0 for other requests)."""
    req = problem.requests[problem.request_index[rid]]
    if req.destination is None:
        return 0.0
    a, b = req.location, req.destination
    return float(great_circle((a.lat, a.lon), (b.lat, b.lon)).km)


def expected_objective(problem: Problem) -> Objective:
    """The base plan's objective, straight from the spec and geopy."""
    pairs = [("v1", "r1"), ("v2", "r2"), ("v2", "r3"), ("v3", "r3")]
    travel = sum(2 * geopy_km(problem, v, r) for v, r in pairs)
    # Tasks: v1 1, v2 2, v3 1, v5 0 (v4 is never available: not in the spread).
    return Objective(
        served_requests=3,
        served_priority=4.5,
        continuity=2,
        travel_km=travel,
        max_tasks_per_volunteer=2,
        task_spread=2,
    )


def rules(report: CheckReport) -> set[str]:
    return {v.rule for v in report.violations}


# -- a valid plan ---------------------------------------------------------------------


def test_valid_plan_passes_with_its_objective() -> None:
    problem = base_problem()
    doc = base_document()
    want = expected_objective(problem)
    doc["objective"] = dataclasses.asdict(want)
    report = check(problem, doc)
    assert report.ok, report.violations
    assert report.violations == ()
    assert report.objective.served_requests == 3
    assert report.objective.served_priority == 4.5
    assert report.objective.continuity == 2
    assert report.objective.travel_km == pytest.approx(want.travel_km, rel=1e-12)


def test_objective_tolerates_distances_rounded_to_metres() -> None:
    problem = base_problem()
    doc = base_document()
    want = expected_objective(problem)
    doc["objective"] = dataclasses.asdict(want) | {"travel_km": want.travel_km + 0.0009}
    assert check(problem, doc).ok


def test_solution_object_is_checked_like_its_document() -> None:
    problem = base_problem()
    want = expected_objective(problem)

    def team(rid: str, *vids: str) -> tuple[AssignedVolunteer, ...]:
        return tuple(AssignedVolunteer(v, geopy_km(problem, v, rid), 1, False) for v in vids)

    solution = Solution(
        status=Status.OPTIMAL,
        assignments=(
            Assignment("r1", team("r1", "v1"), at(9, 30), at(10, 30)),
            Assignment("r2", team("r2", "v2")),
            Assignment("r3", team("r3", "v2", "v3"), at(13, 30), at(14, 30)),
        ),
        unassigned=(Unassigned("r4", Reason.CAPACITY, "", Funnel(5, 5, 5, 4, 3)),),
        objective=want,
        bound=4.5,
    )
    report = check(problem, solution)
    assert report.ok, report.violations
    assert report.objective.travel_km == pytest.approx(want.travel_km, rel=1e-12)

    broken = dataclasses.replace(solution, unassigned=())
    assert rules(check(problem, broken)) == {"unassigned_mismatch"}


def test_a_start_in_another_utc_offset_is_the_same_moment() -> None:
    doc = base_document()
    doc["assignments"][0]["start"] = "2026-03-02T08:30:00+00:00"  # 09:30 in Brussels
    assert check(base_problem(), doc).ok


def test_empty_plan_for_empty_problem() -> None:
    problem = Problem((), ())
    report = check(problem, {"assignments": [], "unassigned": []})
    assert report.ok
    assert report.objective == Objective(0, 0.0, 0, 0.0)


def test_violation_reads_as_one_line() -> None:
    v = Violation("assignments[0].start", "start_missing", "needs a start")
    assert str(v) == "assignments[0].start: needs a start [start_missing]"


# -- one broken rule at a time ----------------------------------------------------------

Doc = dict[str, Any]
Mutation = Callable[[Problem, Doc], tuple[Problem, Doc]]


def volunteer(problem: Problem, vid: str, **changes: Any) -> Problem:
    vols = tuple(
        dataclasses.replace(v, **changes) if v.id == vid else v for v in problem.volunteers
    )
    return dataclasses.replace(problem, volunteers=vols)


def request(problem: Problem, rid: str, **changes: Any) -> Problem:
    reqs = tuple(dataclasses.replace(r, **changes) if r.id == rid else r for r in problem.requests)
    return dataclasses.replace(problem, requests=reqs)


def pins(problem: Problem, *pinned: PinnedAssignment) -> Problem:
    return dataclasses.replace(problem, assignments=pinned)


def serve_r4(doc: Doc, vid: str, start: datetime) -> Doc:
    item = {"request_id": "r4", "volunteer_ids": [vid], "start": start.isoformat()}
    doc["assignments"].append(item)
    doc["unassigned"] = []
    return doc


def team_of(index: int, *vids: str) -> Callable[[Doc], Doc]:
    def change(doc: Doc) -> Doc:
        doc["assignments"][index]["volunteer_ids"] = list(vids)
        return doc

    return change


def start_of(index: int, start: datetime | None) -> Callable[[Doc], Doc]:
    def change(doc: Doc) -> Doc:
        if start is None:
            del doc["assignments"][index]["start"]
        else:
            doc["assignments"][index]["start"] = start.isoformat()
        return doc

    return change


def doc_only(change: Callable[[Doc], Doc]) -> Mutation:
    return lambda problem, doc: (problem, change(doc))


def problem_only(change: Callable[[Problem], Problem]) -> Mutation:
    return lambda problem, doc: (change(problem), doc)


def with_objective(**changes: Any) -> Mutation:
    def mutate(problem: Problem, doc: Doc) -> tuple[Problem, Doc]:
        doc["objective"] = dataclasses.asdict(expected_objective(problem)) | changes
        return problem, doc

    return mutate


def with_unassigned(*rids: str) -> Mutation:
    def mutate(problem: Problem, doc: Doc) -> tuple[Problem, Doc]:
        doc["unassigned"] = [{"request_id": rid} for rid in rids]
        return problem, doc

    return mutate


def append(item: Doc) -> Callable[[Doc], Doc]:
    def change(doc: Doc) -> Doc:
        doc["assignments"].append(item)
        return doc

    return change


# (rule, path of the violation, how to break exactly that rule)
CASES: list[tuple[str, str, Mutation]] = [
    (
        "unknown_request",
        "assignments[3].request_id",
        doc_only(append({"request_id": "r9", "volunteer_ids": ["v1"]})),
    ),
    (
        "duplicate_request",
        "assignments[3].request_id",
        doc_only(append({"request_id": "r2", "volunteer_ids": ["v3"]})),
    ),
    ("unknown_volunteer", "assignments[1].volunteer_ids[0]", doc_only(team_of(1, "ghost"))),
    ("duplicate_volunteer", "assignments[1].volunteer_ids[1]", doc_only(team_of(1, "v2", "v2"))),
    ("wrong_team_size", "assignments[2].volunteer_ids", doc_only(team_of(2, "v2"))),
    ("wrong_team_size", "assignments[1].volunteer_ids", doc_only(team_of(1, "v2", "v3"))),
    ("skills", "assignments[1].volunteer_ids[0]", doc_only(team_of(1, "v1"))),
    ("languages", "assignments[0].volunteer_ids[0]", doc_only(team_of(0, "v2"))),
    (
        "excluded",
        "assignments[1].volunteer_ids[0]",
        problem_only(lambda p: request(p, "r2", excluded_volunteers=frozenset({"v2"}))),
    ),
    (
        "excluded",
        "assignments[1].volunteer_ids[0]",
        problem_only(lambda p: volunteer(p, "v2", excluded_clients=frozenset({"r2"}))),
    ),
    ("out_of_range", "assignments[1].volunteer_ids[0]", doc_only(team_of(1, "v5"))),
    (
        "out_of_range",
        "assignments[2].volunteer_ids[1]",
        problem_only(lambda p: volunteer(p, "v3", max_distance_km=1.0)),
    ),
    ("start_missing", "assignments[0].start", doc_only(start_of(0, None))),
    ("start_not_allowed", "assignments[0].start", doc_only(start_of(0, at(10, 30)))),
    ("start_not_allowed", "assignments[0].start", doc_only(start_of(0, at(8, 59)))),
    ("start_not_allowed", "assignments[1].start", doc_only(start_of(1, at(10, 0)))),
    ("start_not_whole_minute", "assignments[0].start", doc_only(start_of(0, at(9, 30, 30)))),
    (
        "outside_window",
        "assignments[0].volunteer_ids[0]",
        problem_only(lambda p: volunteer(p, "v1", availability=(window((9, 45), (13, 0)),))),
    ),
    (
        "outside_window",
        "assignments[2].volunteer_ids[1]",
        problem_only(lambda p: volunteer(p, "v3", availability=(window((9, 0), (14, 30)),))),
    ),
    ("not_available", "assignments[1].volunteer_ids[0]", doc_only(team_of(1, "v4"))),
    (
        "not_available",
        "assignments[1].volunteer_ids[0]",
        problem_only(lambda p: volunteer(p, "v2", availability=())),
    ),
    ("overlap", "assignments[3].volunteer_ids[0]", doc_only(lambda d: serve_r4(d, "v1", at(10)))),
    (
        "max_tasks",
        "assignments[3].volunteer_ids[0]",
        lambda p, d: (volunteer(p, "v1", max_tasks=1), serve_r4(d, "v1", at(11))),
    ),
    (
        "max_tasks",
        "assignments[0].volunteer_ids[0]",
        problem_only(lambda p: volunteer(p, "v1", max_tasks=0)),
    ),
    (
        "max_minutes",
        "assignments[0].volunteer_ids[0]",
        problem_only(lambda p: volunteer(p, "v1", max_minutes=60)),
    ),
    (
        "pin_broken",
        "assignments[1].volunteer_ids",
        problem_only(lambda p: pins(p, PinnedAssignment("r2", ("v3",)))),
    ),
    (
        "pin_broken",
        "assignments[0].start",
        problem_only(lambda p: pins(p, PinnedAssignment("r1", ("v1",), at(10)))),
    ),
    (
        "pin_broken",
        "assignments",
        problem_only(lambda p: pins(p, PinnedAssignment("r4", ("v3",), at(10)))),
    ),
    ("objective_mismatch", "objective.served_requests", with_objective(served_requests=4)),
    ("objective_mismatch", "objective.served_priority", with_objective(served_priority=5.5)),
    ("objective_mismatch", "objective.continuity", with_objective(continuity=1)),
    ("objective_mismatch", "objective.travel_km", with_objective(travel_km=0.5)),
    ("unassigned_mismatch", "unassigned", with_unassigned()),
    ("unassigned_mismatch", "unassigned[1].request_id", with_unassigned("r4", "r1")),
    ("unassigned_mismatch", "unassigned[1].request_id", with_unassigned("r4", "r4")),
    ("unassigned_mismatch", "unassigned[1].request_id", with_unassigned("r4", "r9")),
]


@pytest.mark.parametrize(
    ("rule", "path", "mutate"), CASES, ids=[f"{rule}-{path}" for rule, path, _ in CASES]
)
def test_each_rule_is_reported(rule: str, path: str, mutate: Mutation) -> None:
    problem, doc = mutate(base_problem(), copy.deepcopy(base_document()))
    report = check(problem, doc)
    assert not report.ok
    assert rules(report) == {rule}, report.violations
    assert path in {v.path for v in report.violations}, report.violations


def test_every_rule_code_has_a_case() -> None:
    documented = {
        "unknown_request", "duplicate_request", "unknown_volunteer", "duplicate_volunteer",
        "wrong_team_size", "skills", "languages", "excluded", "out_of_range", "start_missing",
        "start_not_allowed", "start_not_whole_minute", "outside_window", "not_available",
        "overlap", "max_tasks", "max_minutes", "pin_broken", "objective_mismatch",
        "unassigned_mismatch",
    }  # fmt: skip
    assert {rule for rule, _, _ in CASES} == documented


def test_touching_blocks_do_not_overlap() -> None:
    problem = base_problem()
    km = geopy_km(problem, "v1", "r4")
    t_r4 = math.ceil(km * 1.3 / 40 * 60 - 1e-9)
    t_r1 = math.ceil(geopy_km(problem, "v1", "r1") * 1.3 / 40 * 60 - 1e-9)
    r1_block_end = at(9, 30) + timedelta(minutes=60 + t_r1)
    start = r1_block_end + timedelta(minutes=t_r4)
    doc = serve_r4(base_document(), "v1", start)
    assert check(problem, doc).ok
    doc = serve_r4(base_document(), "v1", start - timedelta(minutes=1))
    assert rules(check(problem, doc)) == {"overlap"}


def test_messages_do_not_echo_personal_data() -> None:
    problem = base_problem()
    doc = base_document()
    doc["assignments"][1]["volunteer_ids"] = ["v5"]  # out of range
    doc["assignments"][0]["volunteer_ids"] = ["v2"]  # languages
    doc["assignments"][2]["volunteer_ids"] = ["v1", "v3"]  # skills fine, availability not
    report = check(problem, doc)
    assert rules(report) == {"out_of_range", "languages", "outside_window"}
    text = " ".join(v.message for v in report.violations)
    for secret in ("50.8", "5.69", "3.26", "driving", "shopping", "cooking"):
        assert secret not in text
    assert not {"fr", "nl", "en"} & set(text.replace(",", " ").split())


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"assignments": "r1"},
        {"assignments": [{"volunteer_ids": ["v1"]}]},
        {"assignments": [{"request_id": "r1", "volunteer_ids": "v1"}]},
        {"assignments": [{"request_id": "r1", "volunteer_ids": ["v1"], "start": "09:30"}]},
        {"assignments": [], "objective": [1]},
        {"assignments": [], "objective": {"served_requests": "3"}},
        {"assignments": [], "unassigned": [{"reason": "capacity"}]},
    ],
)
def test_malformed_documents_raise_problem_error(doc: Any) -> None:
    with pytest.raises(ProblemError):
        check(base_problem(), doc)


# -- properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_oracle_plans_pass_the_checker(problem: Problem) -> None:
    result = solve_oracle(problem)
    assert result is not None, "the strategy only makes pins that hold together"
    report = check(problem, result.to_document())
    assert report.ok, report.violations
    assert report.objective.served_requests == result.objective.served_requests
    assert report.objective.served_priority == result.objective.served_priority
    assert report.objective.continuity == result.objective.continuity
    assert report.objective.travel_km == pytest.approx(result.objective.travel_km, rel=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.randoms(use_true_random=False))
def test_checker_objective_is_the_geopy_sum_for_any_plan(problem: Problem, rnd: Any) -> None:
    """On random (mostly infeasible) plans the checker never crashes and sums like geopy."""
    items = []
    for req in problem.requests:
        if not problem.volunteers or rnd.random() < 0.3:
            continue
        vids = rnd.sample([v.id for v in problem.volunteers], k=min(2, len(problem.volunteers)))
        items.append({"request_id": req.id, "volunteer_ids": vids[: req.volunteers_needed]})
    report = check(problem, {"assignments": items})
    travel = sum(
        2 * (geopy_km(problem, vid, it["request_id"]) + ride_geopy_km(problem, it["request_id"]))
        for it in items
        for vid in it["volunteer_ids"]
    )
    assert report.objective.served_requests == len(items)
    assert report.objective.travel_km == pytest.approx(travel, rel=1e-12, abs=1e-12)
    timed = {r.id for r in problem.requests if r.window is not None}
    missing = {v.path for v in report.violations if v.rule == "start_missing"}
    want = {f"assignments[{i}].start" for i, it in enumerate(items) if it["request_id"] in timed}
    assert missing == want


_LATS = st.floats(-90, 90, allow_nan=False)
_LONS = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(_LATS, _LONS, _LATS, _LONS)
def test_numpy_distance_agrees_with_geopy_within_a_metre(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    ours = float(great_circle_km(lat1, lon1, lat2, lon2))
    theirs = float(great_circle((lat1, lon1), (lat2, lon2)).km)
    assert abs(ours - theirs) <= 1e-3


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-60, 60, allow_nan=False),
    st.floats(-180, 180, allow_nan=False),
    st.floats(-0.3, 0.3, allow_nan=False),
    st.floats(-0.3, 0.3, allow_nan=False),
)
def test_numpy_distance_agrees_with_geopy_nearby(
    lat: float, lon: float, dlat: float, dlon: float
) -> None:
    """The distances that matter: a few km, where range and minutes are decided."""
    lon2 = (lon + dlon + 180.0) % 360.0 - 180.0
    ours = float(great_circle_km(lat, lon, lat + dlat, lon2))
    theirs = float(great_circle((lat, lon), (lat + dlat, lon2)).km)
    assert abs(ours - theirs) <= 1e-6
