"""Rides (issue 8 item 3): a request with a ``destination``.

The volunteer drives home -> client -> destination, stays there for the task,
and drives destination -> client -> home. Reading, the solution's legs, the
checker's independent account of blocks and km, and the reasons.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from strategies import small_problems

from matchcore import Problem, Reason, check, solve
from matchcore.check import route_legs, travel_around
from matchcore.errors import ProblemError
from matchcore.io import read_problem
from matchcore.report.model import build_report
from matchcore.solution import read_planned_assignments

ROOT = Path(__file__).resolve().parents[1]
T8, T9, T12 = (f"2026-03-02T{h}:00:00+01:00" for h in ("08:00", "09:00", "12:00"))
HOME = {"lat": 50.855, "lon": 2.88}
CLIENT = {"lat": 50.85, "lon": 2.88}  # ~0.56 km from HOME: 2 minutes by car
HOSPITAL = {"lat": 50.90, "lon": 2.88}  # ~5.6 km from CLIENT: 11 minutes by car


def ride_doc(**vol: Any) -> dict[str, Any]:
    """One volunteer, a ride (r1, 09:00-10:00 at the earliest) and a plain visit (r2)."""
    return {
        "volunteers": [{"id": "v1", "location": HOME, **vol}],
        "requests": [
            {
                "id": "r1",
                "location": CLIENT,
                "destination": HOSPITAL,
                "duration_minutes": 60,
                "window": {"start": T9, "end": T12},
            },
            {
                "id": "r2",
                "location": CLIENT,
                "duration_minutes": 30,
                "window": {"start": T8, "end": T12},
            },
        ],
    }


def errors_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(data))
    return [(e.pointer, e.message) for e in info.value.errors]


# -- reading -------------------------------------------------------------------------


def test_destination_is_read_written_back_and_optional() -> None:
    problem = Problem.from_dict(ride_doc())
    ride, plain = problem.requests
    assert ride.is_ride and ride.destination is not None
    assert (ride.destination.lat, ride.destination.lon) == (HOSPITAL["lat"], HOSPITAL["lon"])
    assert not plain.is_ride and plain.destination is None
    again = Problem.from_dict(problem.to_dict())
    assert again == problem
    assert "destination" not in problem.to_dict()["requests"][1]
    data = ride_doc()
    data["requests"][0]["destination"] = None  # null: no ride
    assert not Problem.from_dict(data).requests[0].is_ride


def test_destination_errors_name_their_pointers_all_at_once() -> None:
    data = ride_doc()
    data["requests"][0]["destination"] = {"lat": 95, "lon": 3.1}
    data["requests"][1]["destination"] = {"lat": "north", "lng": 3.1}
    data["requests"].append(
        {"id": "r3", "location": CLIENT, "duration_minutes": 0, "destination": [50.9, 2.8]}
    )
    assert errors_of(data) == [
        ("/requests/0/destination/lat", "must be a latitude between -90 and 90"),
        (
            "/requests/1/destination/lng",
            "unknown field (known fields: lat, lon)",
        ),
        ("/requests/2/destination", "must be an object, not a list"),
        ("/requests/2/duration_minutes", "must be greater than 0"),
    ]


# -- the plan's legs, blocks and km --------------------------------------------------


def test_ride_member_shows_four_legs_and_its_block_holds_them() -> None:
    problem = Problem.from_dict(ride_doc())
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    doc = solution.to_dict()
    by_id = {a["request_id"]: a for a in doc["assignments"]}
    member = by_id["r1"]["volunteers"][0]
    assert [(g["from"], g["to"]) for g in member["legs"]] == [
        ("home", "client"),
        ("client", "destination"),
        ("destination", "client"),
        ("client", "home"),
    ]
    assert [g["minutes"] for g in member["legs"]] == [2, 11, 11, 2]
    assert member["legs"][0]["km"] == member["distance_km"] == pytest.approx(0.556, abs=1e-3)
    assert member["legs"][1]["km"] == pytest.approx(5.560, abs=1e-3)
    assert member["travel_minutes"] == 13  # before the start, and after the end
    assert "legs" not in by_id["r2"]["volunteers"][0]  # a plain visit keeps today's fields
    # r2 (2 minutes each way) must end its block before the ride's block begins, or
    # start after it ends: 08:00 + 30 + 2 <= start - 13, so the ride starts at 09:00.
    assert by_id["r1"]["start"].startswith("2026-03-02T09:00")
    ride_km = sum(g["km"] for g in member["legs"])
    assert doc["objective"]["travel_km"] == pytest.approx(ride_km + 2 * 0.556, abs=2e-3)


def test_untimed_ride_costs_its_legs_in_minutes_and_km() -> None:
    data = ride_doc(max_minutes=85)  # the ride needs 60 + 2 * 13 = 86
    for req in data["requests"]:
        del req["window"]
    problem = Problem.from_dict(data)
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    assert [a.request_id for a in solution.assignments] == ["r2"]
    (unserved,) = solution.unassigned
    assert unserved.request_id == "r1" and unserved.reason is Reason.NOT_AVAILABLE
    data["volunteers"][0]["max_minutes"] = 86 + 34  # both fit, legs included
    problem = Problem.from_dict(data)
    solution = solve(problem, time_limit_s=10)
    assert len(solution.assignments) == 2
    assert solution.objective.travel_km == pytest.approx(2 * (0.556 + 5.560) + 2 * 0.556, abs=2e-3)


def test_range_applies_to_home_to_client_only_and_reasons_follow() -> None:
    problem = Problem.from_dict(ride_doc(max_distance_km=1))  # the hospital is 5 km beyond
    solution = solve(problem, time_limit_s=10)
    assert {a.request_id for a in solution.assignments} >= {"r1"}
    far_home = {"lat": 50.95, "lon": 2.88}  # 11 km from the client, 5.6 from the hospital
    problem = Problem.from_dict(ride_doc(max_distance_km=10, location=far_home))
    solution = solve(problem, time_limit_s=10)
    reasons = {u.request_id: u.reason for u in solution.unassigned}
    assert reasons == {"r1": Reason.OUT_OF_RANGE, "r2": Reason.OUT_OF_RANGE}


def test_not_available_weighs_the_longer_block_of_a_ride() -> None:
    # Free 08:47-10:12: the visit's block (2 minutes each way) fits a 60-minute task,
    # the ride's (13 minutes each way) does not.
    window = [{"start": "2026-03-02T08:47:00+01:00", "end": "2026-03-02T10:12:00+01:00"}]
    data = ride_doc(availability=window)
    data["requests"][1]["duration_minutes"] = 60
    problem = Problem.from_dict(data)
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    assert [a.request_id for a in solution.assignments] == ["r2"]
    (unserved,) = solution.unassigned
    assert unserved.reason is Reason.NOT_AVAILABLE
    assert unserved.funnel.in_range == 1 and unserved.funnel.available == 0


def test_a_pin_must_leave_room_for_the_rides_legs() -> None:
    window = [{"start": "2026-03-02T08:50:00+01:00", "end": T12}]
    data = ride_doc(availability=window)
    data["assignments"] = [{"request_id": "r1", "volunteer_ids": ["v1"], "start": T9}]
    with pytest.raises(ProblemError) as info:  # the ride leaves at 08:47 (a visit at 08:58)
        solve(Problem.from_dict(data), time_limit_s=10)
    assert [e.pointer for e in info.value.errors] == ["/assignments/0/start"]
    data["assignments"][0]["start"] = "2026-03-02T09:03:00+01:00"  # leaves at 08:50
    problem = Problem.from_dict(data)
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    assert {a.request_id for a in solution.assignments} == {"r1", "r2"}


# -- the checker -----------------------------------------------------------------------


def plan(start: str, r2_start: str = "2026-03-02T08:00:00+01:00") -> dict[str, Any]:
    return {
        "assignments": [
            {"request_id": "r1", "volunteer_ids": ["v1"], "start": start},
            {"request_id": "r2", "volunteer_ids": ["v1"], "start": r2_start},
        ]
    }


def rules(problem: Problem, doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.path, v.rule) for v in check(problem, doc).violations]


def test_checker_catches_a_ride_block_that_a_visit_would_not_have() -> None:
    problem = Problem.from_dict(ride_doc())
    # r2 08:00-08:30 is back home at 08:32; the ride leaves 13 minutes before its start.
    assert rules(problem, plan("2026-03-02T09:00:00+01:00")) == []
    # The ride 09:40-10:40 is back home at 10:53; r2 at 10:54 leaves at 10:52 (after a
    # visit 09:40-10:40 the volunteer would be home at 10:42: no overlap).
    assert rules(problem, plan("2026-03-02T09:40:00+01:00", "2026-03-02T10:54:00+01:00")) == [
        ("assignments[1].volunteer_ids[0]", "overlap")
    ]
    # The ride 09:00-10:00 is back home at 10:13: r2 may leave then, not a minute before.
    assert rules(problem, plan("2026-03-02T09:00:00+01:00", "2026-03-02T10:14:00+01:00")) == [
        ("assignments[1].volunteer_ids[0]", "overlap")
    ]
    assert rules(problem, plan("2026-03-02T09:00:00+01:00", "2026-03-02T10:15:00+01:00")) == []


def test_checker_fits_the_whole_ride_in_the_availability_and_the_budget() -> None:
    window = [{"start": "2026-03-02T08:50:00+01:00", "end": T12}]
    problem = Problem.from_dict(ride_doc(availability=window))
    single = {"assignments": [{"request_id": "r1", "volunteer_ids": ["v1"], "start": T9}]}
    assert rules(problem, single) == [("assignments[0].volunteer_ids[0]", "outside_window")]
    problem = Problem.from_dict(ride_doc(max_minutes=85))
    assert rules(problem, single) == [("assignments[0].volunteer_ids[0]", "max_minutes")]
    problem = Problem.from_dict(ride_doc(max_minutes=86, max_distance_km=1))
    assert rules(problem, single) == []  # the hospital lies beyond the range: no matter
    assert check(problem, single).objective.travel_km == pytest.approx(2 * 6.116, abs=1e-3)


def solved_doc(problem: Problem) -> dict[str, Any]:
    return solve(problem, time_limit_s=10).to_dict()


def test_checker_compares_reported_legs_with_its_own() -> None:
    problem = Problem.from_dict(ride_doc())
    doc = solved_doc(problem)
    at = next(i for i, a in enumerate(doc["assignments"]) if a["request_id"] == "r1")
    legs_path = f"assignments[{at}].volunteers[0].legs"
    assert rules(problem, doc) == []

    wrong_km = copy.deepcopy(doc)
    wrong_km["assignments"][at]["volunteers"][0]["legs"][1]["km"] += 0.01
    assert rules(problem, wrong_km) == [(f"{legs_path}[1]", "legs_mismatch")]

    wrong_minutes = copy.deepcopy(doc)
    wrong_minutes["assignments"][at]["volunteers"][0]["legs"][3]["minutes"] = 1
    assert rules(problem, wrong_minutes) == [(f"{legs_path}[3]", "legs_mismatch")]

    one_way = copy.deepcopy(doc)
    del one_way["assignments"][at]["volunteers"][0]["legs"][2:]
    assert rules(problem, one_way) == [(legs_path, "legs_mismatch")]

    other = 1 - at
    on_a_visit = copy.deepcopy(doc)
    on_a_visit["assignments"][other]["volunteers"][0]["legs"] = doc["assignments"][at][
        "volunteers"
    ][0]["legs"]
    assert rules(problem, on_a_visit) == [
        (f"assignments[{other}].volunteers[0].legs", "legs_mismatch")
    ]


@pytest.mark.parametrize(
    ("legs", "pointer", "message"),
    [
        ("home", "/assignments/0/volunteers/0/legs", "must be a list, not a string"),
        (
            [{"from": "home", "to": "work", "km": 1, "minutes": 2}],
            "/assignments/0/volunteers/0/legs/0/to",
            "must be home, client, destination",
        ),
        (
            [{"from": "home", "to": "client", "km": -1, "minutes": 2}],
            "/assignments/0/volunteers/0/legs/0/km",
            "must be 0 or more",
        ),
        (
            [{"from": "home", "to": "client", "km": 1, "minutes": 2.5}],
            "/assignments/0/volunteers/0/legs/0/minutes",
            "must be a whole number, not a number",
        ),
        (
            [{"from": "home", "to": "client", "km": 1}],
            "/assignments/0/volunteers/0/legs/0/minutes",
            "is required",
        ),
        (
            [{"from": "home", "to": "client", "km": 1, "minutes": 2, "via": "x"}],
            "/assignments/0/volunteers/0/legs/0/via",
            "unknown field (known fields: from, km, minutes, to)",
        ),
    ],
)
def test_solution_reader_checks_the_shape_of_legs(legs: Any, pointer: str, message: str) -> None:
    doc = {
        "assignments": [
            {
                "request_id": "r1",
                "volunteer_ids": ["v1"],
                "volunteers": [{"id": "v1", "legs": legs}],
            }
        ]
    }
    with pytest.raises(ProblemError) as info:
        read_planned_assignments(doc)
    assert [(e.pointer, e.message) for e in info.value.errors] == [(pointer, message)]


# -- the property: the plan's legs and blocks are the checker's ------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(small_problems())
def test_a_rides_block_and_km_agree_with_the_checker(problem: Problem) -> None:
    solution = solve(problem, time_limit_s=10)
    note(solution.to_json(indent=None))
    report = check(problem, solution)
    assert report.ok, report.violations
    assert solution.objective.travel_km == pytest.approx(report.objective.travel_km, abs=1e-6 * 8)
    vols = {v.id: v for v in problem.volunteers}
    for a in solution.assignments:
        req = problem.requests[problem.request_index[a.request_id]]
        for member in a.volunteers:
            legs = route_legs(problem, vols[member.volunteer_id], req)
            before, after = travel_around(legs)
            assert member.travel_minutes == before == after
            assert member.distance_km == pytest.approx(legs[0][2], abs=1e-6)
            if not req.is_ride:
                assert member.legs == ()
                continue
            assert [(g.origin, g.to, g.minutes) for g in member.legs] == [
                (x, y, m) for x, y, _, m in legs
            ]
            assert [g.km for g in member.legs] == pytest.approx(
                [k for _, _, k, _ in legs], abs=1e-6
            )


# -- the example and the report ----------------------------------------------------------------


def test_west_flemish_week_has_rides_to_both_hospitals_and_the_report_shows_them() -> None:
    problem = read_problem((ROOT / "examples" / "west_flanders_week.json").read_bytes())
    rides = [r for r in problem.requests if r.destination is not None]
    places = {(r.destination.lat, r.destination.lon) for r in rides if r.destination}
    assert places == {(51.2126, 3.2446), (50.9314, 3.1222)}
    solution = solve(problem, time_limit_s=10)
    assert check(problem, solution).ok
    by_id = {a.request_id: a for a in solution.assignments}
    # The README's walk-through: req-19 rides from Torhout via Roeselare to AZ Delta.
    (member,) = by_id["req-19"].volunteers
    assert member.volunteer_id == "vol-08" and member.travel_minutes == 31
    assert [round(g.km, 1) for g in member.legs] == [12.9, 2.1, 2.1, 12.9]
    served = [a for a in solution.assignments if a.volunteers[0].legs]
    assert served, "some ride is served"
    report = build_report(problem, solution.to_dict())
    assert report.has_rides
    ride_rows = [a for a in report.assignments if a.destination is not None]
    assert len(ride_rows) == len(served)
    for row, a in zip(ride_rows, served, strict=True):
        assert row.km == pytest.approx(sum(g.km for v in a.volunteers for g in v.legs), abs=1e-2)
