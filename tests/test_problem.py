"""The problem format v1: every kind of bad input names its JSON path.

Each error case starts from one small valid problem, breaks one thing, and
checks the exact ``ProblemError.location`` and a fragment of the message.
Inputs go through ``Problem.from_json`` (the CLI's path), so NaN and Infinity
arrive as JSON text, exactly as ``json.loads`` accepts them.
"""
# The case table keeps one case per line, however wide:
# ruff: noqa: E501

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from matchcore.errors import ProblemError
from matchcore.problem import (
    DEFAULT_SPEEDS_KMH,
    Location,
    Problem,
    TimeWindow,
    TravelMode,
    Volunteer,
)

Doc = dict[str, Any]
Mutation = Callable[[Doc], None]

T0 = "2026-03-02T08:00:00+01:00"


def valid() -> Doc:
    """A small problem that uses every part of the format."""
    return {
        "version": 1,
        "volunteers": [
            {
                "id": "v1",
                "location": {"lat": 50.851, "lon": 5.691},
                "skills": ["driving"],
                "languages": ["nl", "fr"],
                "travel_mode": "car",
                "max_distance_km": 15,
                "availability": [
                    {"start": "2026-03-02T08:00:00+01:00", "end": "2026-03-02T13:00:00+01:00"},
                    {"start": "2026-03-03T08:00:00+01:00", "end": "2026-03-03T13:00:00+01:00"},
                ],
                "max_tasks": 3,
                "max_minutes": 600,
                "excluded_clients": ["c9"],
            },
            {"id": "v2", "location": {"lat": 50.86, "lon": 5.70}},
            {"id": "v3", "location": {"lat": 50.84, "lon": 5.68}, "travel_mode": "bike"},
        ],
        "requests": [
            {
                "id": "r1",
                "client_id": "c1",
                "location": {"lat": 50.85, "lon": 5.69},
                "skills": ["driving"],
                "languages": ["nl"],
                "duration_minutes": 60,
                "window": {
                    "start": "2026-03-02T09:00:00+01:00",
                    "end": "2026-03-02T12:00:00+01:00",
                },
                "priority": 2,
                "preferred_volunteers": ["v1"],
                "excluded_volunteers": ["v3"],
            },
            {
                "id": "r2",
                "location": {"lat": 50.87, "lon": 5.71},
                "duration_minutes": 30,
                "volunteers_needed": 2,
            },
        ],
        "assignments": [
            {"request_id": "r1", "volunteer_ids": ["v1"], "start": "2026-03-02T10:00:00+01:00"}
        ],
        "options": {
            "time_limit_seconds": 5,
            "default_max_distance_km": 12,
            "travel": {"speeds_kmh": {"walk": 5, "bike": 16}, "detour_factor": 1.2},
            "seed": 7,
            "workers": 1,
        },
    }


# -- mutation helpers: paths written as ProblemError.location writes them -------------


def _segments(location: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", location):
        out.append(int(index) if index else name)
    return out


def _parent(doc: Doc, location: str) -> tuple[Any, str | int]:
    *head, last = _segments(location)
    node: Any = doc
    for seg in head:
        node = node[seg]
    return node, last


def put(location: str, value: Any) -> Mutation:
    """Set the value at ``location`` (creating the key when missing)."""

    def mutate(doc: Doc) -> None:
        node, last = _parent(doc, location)
        node[last] = value

    return mutate


def drop(location: str) -> Mutation:
    """Remove the key or list item at ``location``."""

    def mutate(doc: Doc) -> None:
        node, last = _parent(doc, location)
        del node[last]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(doc: Doc) -> None:
        for m in mutations:
            m(doc)

    return mutate


def load(doc: Any) -> Problem:
    """Through JSON text, as the CLI reads it (NaN and Infinity included)."""
    return Problem.from_json(json.dumps(doc).encode("utf-8"))


def error_of(doc: Any) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        load(doc)
    return info.value


# -- the valid base ------------------------------------------------------------------


def test_base_problem_is_valid() -> None:
    problem = load(valid())
    assert [v.id for v in problem.volunteers] == ["v1", "v2", "v3"]
    assert [r.id for r in problem.requests] == ["r1", "r2"]
    assert problem.assignments[0].volunteer_ids == ("v1",)


# -- one broken thing at a time --------------------------------------------------------

CASES: list[tuple[str, Mutation, str, str]] = [
    # document level
    ("missing volunteers", drop("volunteers"), "volunteers", "is required"),
    ("missing requests", drop("requests"), "requests", "is required"),
    ("volunteers object", put("volunteers", {"v1": {}}), "volunteers", "must be a list, not an object"),
    ("requests string", put("requests", "r1"), "requests", "must be a list, not a string"),
    ("assignments object", put("assignments", {}), "assignments", "must be a list, not an object"),
    ("options list", put("options", []), "options", "must be an object, not a list"),
    ("unknown top field", put("volunteer", []), "volunteer", "unknown field"),
    ("version 2", put("version", 2), "version", "must be 1"),
    ("version string", put("version", "1"), "version", "must be a whole number, not a string"),
    # volunteer: shapes and types
    ("volunteer string", put("volunteers[1]", "v2"), "volunteers[1]", "must be an object, not a string"),
    ("volunteer null", put("volunteers[0]", None), "volunteers[0]", "must be an object, not null"),
    ("volunteer id missing", drop("volunteers[1].id"), "volunteers[1].id", "is required"),
    ("volunteer id number", put("volunteers[0].id", 17), "volunteers[0].id", "must be a string, not a number"),
    ("volunteer id empty", put("volunteers[0].id", "  "), "volunteers[0].id", "must not be empty"),
    ("location missing", drop("volunteers[2].location"), "volunteers[2].location", "is required"),
    ("location list", put("volunteers[0].location", [50.8, 5.6]), "volunteers[0].location", "must be an object, not a list"),
    ("lat missing", drop("volunteers[0].location.lat"), "volunteers[0].location.lat", "is required"),
    ("lat string", put("volunteers[0].location.lat", "50.8"), "volunteers[0].location.lat", "must be a number, not a string"),
    ("lat bool", put("volunteers[0].location.lat", True), "volunteers[0].location.lat", "must be a number, not a boolean"),
    ("lat null", put("volunteers[0].location.lat", None), "volunteers[0].location.lat", "must be a number, not null"),
    ("location extra field", put("volunteers[0].location.alt", 3), "volunteers[0].location.alt", "unknown field"),
    ("skills string", put("volunteers[0].skills", "driving"), "volunteers[0].skills", "must be a list, not a string"),
    ("skill number", put("volunteers[0].skills", ["driving", 4]), "volunteers[0].skills[1]", "must be a string, not a number"),
    ("languages object", put("volunteers[0].languages", {"nl": True}), "volunteers[0].languages", "must be a list, not an object"),
    ("travel_mode unknown", put("volunteers[0].travel_mode", "plane"), "volunteers[0].travel_mode", "must be one of walk, bike, car, transit"),
    ("travel_mode number", put("volunteers[0].travel_mode", 2), "volunteers[0].travel_mode", "must be a string, not a number"),
    ("travel_mode wrong case", put("volunteers[0].travel_mode", "Car"), "volunteers[0].travel_mode", "must be one of"),
    ("max_distance string", put("volunteers[0].max_distance_km", "10"), "volunteers[0].max_distance_km", "must be a number, not a string"),
    ("max_distance zero", put("volunteers[0].max_distance_km", 0), "volunteers[0].max_distance_km", "must be greater than 0"),
    ("max_distance negative", put("volunteers[0].max_distance_km", -3.5), "volunteers[0].max_distance_km", "must be greater than 0"),
    ("max_tasks negative", put("volunteers[0].max_tasks", -1), "volunteers[0].max_tasks", "must be 0 or more"),
    ("max_tasks bool", put("volunteers[0].max_tasks", True), "volunteers[0].max_tasks", "must be a whole number, not a boolean"),
    ("max_tasks fraction", put("volunteers[0].max_tasks", 1.5), "volunteers[0].max_tasks", "must be a whole number"),
    ("max_tasks string", put("volunteers[0].max_tasks", "3"), "volunteers[0].max_tasks", "must be a whole number, not a string"),
    ("max_minutes negative", put("volunteers[0].max_minutes", -30), "volunteers[0].max_minutes", "must be 0 or more"),
    ("max_minutes list", put("volunteers[0].max_minutes", [60]), "volunteers[0].max_minutes", "must be a whole number, not a list"),
    ("excluded_clients null item", put("volunteers[0].excluded_clients", [None]), "volunteers[0].excluded_clients[0]", "must be a string, not null"),
    ("volunteer unknown field", put("volunteers[0].skils", ["driving"]), "volunteers[0].skils", "unknown field"),
    # volunteer availability
    ("availability object", put("volunteers[0].availability", {"start": T0}), "volunteers[0].availability", "must be a list, not an object"),
    ("availability null", put("volunteers[0].availability", None), "volunteers[0].availability", "must be a list, not null"),
    ("availability item list", put("volunteers[0].availability[1]", [T0]), "volunteers[0].availability[1]", "must be an object, not a list"),
    ("availability reversed", put("volunteers[0].availability[1].end", "2026-03-03T07:00:00+01:00"), "volunteers[0].availability[1].end", "must be later than start"),
    ("availability empty", put("volunteers[0].availability[0].end", "2026-03-02T08:00:00+01:00"), "volunteers[0].availability[0].end", "must be later than start"),
    ("availability naive start", put("volunteers[0].availability[0].start", "2026-03-02T08:00:00"), "volunteers[0].availability[0].start", "has no UTC offset"),
    ("availability date only", put("volunteers[0].availability[0].start", "2026-03-02"), "volunteers[0].availability[0].start", "has no UTC offset"),
    ("availability unparsable", put("volunteers[0].availability[0].end", "tomorrow at noon"), "volunteers[0].availability[0].end", "is not an ISO-8601 date-time"),
    ("availability impossible date", put("volunteers[0].availability[0].end", "2026-02-30T12:00:00+01:00"), "volunteers[0].availability[0].end", "is not an ISO-8601 date-time"),
    ("availability epoch number", put("volunteers[0].availability[0].start", 1772434800), "volunteers[0].availability[0].start", "must be a string, not a number"),
    ("availability end missing", drop("volunteers[0].availability[0].end"), "volunteers[0].availability[0].end", "is required"),
    ("availability extra field", put("volunteers[0].availability[0].note", "x"), "volunteers[0].availability[0].note", "unknown field"),
    # request: shapes and types
    ("request number", put("requests[0]", 1), "requests[0]", "must be an object, not a number"),
    ("request id missing", drop("requests[1].id"), "requests[1].id", "is required"),
    ("request id list", put("requests[1].id", ["r2"]), "requests[1].id", "must be a string, not a list"),
    ("client_id number", put("requests[1].client_id", 7), "requests[1].client_id", "must be a string, not a number"),
    ("client_id empty", put("requests[1].client_id", ""), "requests[1].client_id", "must not be empty"),
    ("request location missing", drop("requests[0].location"), "requests[0].location", "is required"),
    ("request lon string", put("requests[1].location.lon", "5.7E"), "requests[1].location.lon", "must be a number, not a string"),
    ("request skills object", put("requests[0].skills", {}), "requests[0].skills", "must be a list, not an object"),
    ("request language bool", put("requests[0].languages", [True]), "requests[0].languages[0]", "must be a string, not a boolean"),
    ("duration missing", drop("requests[1].duration_minutes"), "requests[1].duration_minutes", "is required"),
    ("duration string", put("requests[0].duration_minutes", "60"), "requests[0].duration_minutes", "must be a whole number, not a string"),
    ("duration bool", put("requests[0].duration_minutes", True), "requests[0].duration_minutes", "must be a whole number, not a boolean"),
    ("duration fraction", put("requests[0].duration_minutes", 59.5), "requests[0].duration_minutes", "must be a whole number"),
    ("duration zero", put("requests[1].duration_minutes", 0), "requests[1].duration_minutes", "must be greater than 0"),
    ("duration negative", put("requests[1].duration_minutes", -15), "requests[1].duration_minutes", "must be greater than 0"),
    ("duration NaN", put("requests[1].duration_minutes", float("nan")), "requests[1].duration_minutes", "must be a whole number"),
    ("duration longer than window", put("requests[0].duration_minutes", 181), "requests[0].duration_minutes", "do not fit in the window"),
    ("volunteers_needed zero", put("requests[1].volunteers_needed", 0), "requests[1].volunteers_needed", "must be 1 or more"),
    ("volunteers_needed negative", put("requests[1].volunteers_needed", -2), "requests[1].volunteers_needed", "must be 1 or more"),
    ("volunteers_needed string", put("requests[1].volunteers_needed", "2"), "requests[1].volunteers_needed", "must be a whole number, not a string"),
    ("priority zero", put("requests[0].priority", 0), "requests[0].priority", "must be greater than 0"),
    ("priority negative", put("requests[0].priority", -1), "requests[0].priority", "must be greater than 0"),
    ("priority string", put("requests[0].priority", "high"), "requests[0].priority", "must be a number, not a string"),
    ("priority bool", put("requests[0].priority", True), "requests[0].priority", "must be a number, not a boolean"),
    ("priority NaN", put("requests[0].priority", float("nan")), "requests[0].priority", "must be a finite number"),
    ("priority Infinity", put("requests[0].priority", float("inf")), "requests[0].priority", "must be a finite number"),
    ("request unknown field", put("requests[0].volunteer_needed", 2), "requests[0].volunteer_needed", "unknown field"),
    # request window
    ("window string", put("requests[0].window", "morning"), "requests[0].window", "must be an object, not a string"),
    ("window list", put("requests[0].window", [T0, T0]), "requests[0].window", "must be an object, not a list"),
    ("window start missing", drop("requests[0].window.start"), "requests[0].window.start", "is required"),
    ("window reversed", put("requests[0].window.end", "2026-03-02T08:59:00+01:00"), "requests[0].window.end", "must be later than start"),
    ("window empty", put("requests[0].window.end", "2026-03-02T09:00:00+01:00"), "requests[0].window.end", "must be later than start"),
    ("window reversed across offsets", put("requests[0].window.end", "2026-03-02T09:30:00+02:00"), "requests[0].window.end", "must be later than start"),
    ("window naive end", put("requests[0].window.end", "2026-03-02T12:00:00"), "requests[0].window.end", "has no UTC offset"),
    ("window unparsable", put("requests[0].window.start", "2026-03-02 9h"), "requests[0].window.start", "is not an ISO-8601 date-time"),
    ("window bad hour", put("requests[0].window.start", "2026-03-02T25:00:00+01:00"), "requests[0].window.start", "is not an ISO-8601 date-time"),
    ("window empty string", put("requests[0].window.start", ""), "requests[0].window.start", "must not be empty"),
    # ids across the document
    ("duplicate volunteer id", put("volunteers[2].id", "v1"), "volunteers[2].id", "is used twice"),
    ("duplicate request id", put("requests[1].id", "r1"), "requests[1].id", "is used twice"),
    ("unknown preferred volunteer", put("requests[0].preferred_volunteers", ["v1", "v9"]), "requests[0].preferred_volunteers", "names an unknown volunteer"),
    ("unknown excluded volunteer", put("requests[1].excluded_volunteers", ["nobody"]), "requests[1].excluded_volunteers", "names an unknown volunteer"),
    ("preferred and excluded", put("requests[0].excluded_volunteers", ["v1"]), "requests[0].excluded_volunteers", "also preferred"),
    # pinned assignments
    ("pin not an object", put("assignments[0]", "r1"), "assignments[0]", "must be an object, not a string"),
    ("pin request missing", drop("assignments[0].request_id"), "assignments[0].request_id", "is required"),
    ("pin unknown request", put("assignments[0].request_id", "r9"), "assignments[0].request_id", "names an unknown request"),
    ("pin unknown volunteer", put("assignments[0].volunteer_ids", ["v7"]), "assignments[0].volunteer_ids[0]", "names an unknown volunteer"),
    ("pin volunteer_ids string", put("assignments[0].volunteer_ids", "v1"), "assignments[0].volunteer_ids", "must be a list, not a string"),
    ("pin no volunteers", put("assignments[0].volunteer_ids", []), "assignments[0].volunteer_ids", "must name at least one volunteer"),
    ("pin team too big", put("assignments[0].volunteer_ids", ["v1", "v2"]), "assignments[0].volunteer_ids", "names 2 volunteers; the request needs 1"),
    ("pin team too small", put("assignments[0]", {"request_id": "r2", "volunteer_ids": ["v2"]}), "assignments[0].volunteer_ids", "names 1 volunteer; the request needs 2"),
    ("pin same volunteer twice", put("assignments[0]", {"request_id": "r2", "volunteer_ids": ["v2", "v2"]}), "assignments[0].volunteer_ids[1]", "names the same volunteer twice"),
    ("pin start after window", put("assignments[0].start", "2026-03-02T11:01:00+01:00"), "assignments[0].start", "does not fit the request's window"),
    ("pin start before window", put("assignments[0].start", "2026-03-02T08:59:00+01:00"), "assignments[0].start", "does not fit the request's window"),
    ("pin start other day", put("assignments[0].start", "2026-03-03T10:00:00+01:00"), "assignments[0].start", "does not fit the request's window"),
    ("pin start on untimed request", put("assignments[0]", {"request_id": "r2", "volunteer_ids": ["v1", "v2"], "start": T0}), "assignments[0].start", "is given but the request has no window"),
    ("pin start naive", put("assignments[0].start", "2026-03-02T10:00:00"), "assignments[0].start", "has no UTC offset"),
    ("pin start seconds", put("assignments[0].start", "2026-03-02T10:00:30+01:00"), "assignments[0].start", "must be at a whole minute"),
    ("pin start unparsable", put("assignments[0].start", "10:00"), "assignments[0].start", "is not an ISO-8601 date-time"),
    ("pinned twice", put("assignments", [{"request_id": "r1", "volunteer_ids": ["v1"]}, {"request_id": "r1", "volunteer_ids": ["v2"]}]), "assignments[1].request_id", "is pinned twice"),
    ("pin unknown field", put("assignments[0].volunteers", ["v1"]), "assignments[0].volunteers", "unknown field"),
    # options
    ("time_limit zero", put("options.time_limit_seconds", 0), "options.time_limit_seconds", "must be greater than 0"),
    ("time_limit negative", put("options.time_limit_seconds", -1), "options.time_limit_seconds", "must be greater than 0"),
    ("time_limit string", put("options.time_limit_seconds", "10s"), "options.time_limit_seconds", "must be a number, not a string"),
    ("time_limit Infinity", put("options.time_limit_seconds", float("inf")), "options.time_limit_seconds", "must be a finite number"),
    ("default range zero", put("options.default_max_distance_km", 0), "options.default_max_distance_km", "must be greater than 0"),
    ("travel not object", put("options.travel", 1.3), "options.travel", "must be an object, not a number"),
    ("unknown speed key", put("options.travel.speeds_kmh.rocket", 900), "options.travel.speeds_kmh.rocket", "unknown field"),
    ("speed zero", put("options.travel.speeds_kmh.walk", 0), "options.travel.speeds_kmh.walk", "must be greater than 0"),
    ("speed string", put("options.travel.speeds_kmh.bike", "fast"), "options.travel.speeds_kmh.bike", "must be a number, not a string"),
    ("speed NaN", put("options.travel.speeds_kmh.car", float("nan")), "options.travel.speeds_kmh.car", "must be a finite number"),
    ("detour below 1", put("options.travel.detour_factor", 0.9), "options.travel.detour_factor", "must be 1 or more"),
    ("detour -Infinity", put("options.travel.detour_factor", float("-inf")), "options.travel.detour_factor", "must be a finite number"),
    ("travel unknown field", put("options.travel.detour", 1.3), "options.travel.detour", "unknown field"),
    ("workers negative", put("options.workers", -1), "options.workers", "must be 0 (matchcore's default) or more"),
    ("seed fraction", put("options.seed", 1.5), "options.seed", "must be a whole number"),
    ("options unknown field", put("options.time_limit", 10), "options.time_limit", "unknown field"),
    # NaN and Infinity anywhere a number goes
    ("lat NaN", put("volunteers[0].location.lat", float("nan")), "volunteers[0].location.lat", "must be a finite number"),
    ("lon Infinity", put("requests[1].location.lon", float("inf")), "requests[1].location.lon", "must be a finite number"),
    ("max_distance -Infinity", put("volunteers[1].max_distance_km", float("-inf")), "volunteers[1].max_distance_km", "must be a finite number"),
    # numbers too large to compute with (64-bit sums, travel minutes)
    ("max_tasks beyond 2^53", put("volunteers[0].max_tasks", 2**53), "volunteers[0].max_tasks", "must be a whole number between -9007199254740991 and 9007199254740991"),
    ("max_minutes 1e30", put("volunteers[0].max_minutes", 10**30), "volunteers[0].max_minutes", "must be a whole number between"),
    ("duration huge float", put("requests[1].duration_minutes", 1e300), "requests[1].duration_minutes", "must be a whole number between"),
    ("seed beyond 2^53", put("options.seed", -(2**63)), "options.seed", "must be a whole number between"),
    ("priority above the maximum", put("requests[1].priority", 1e308), "requests[1].priority", "must be at most 1000000"),
    ("priority below the resolution", put("requests[1].priority", 1e-300), "requests[1].priority", "must be at least 0.001"),
    ("speed below the minimum", put("options.travel.speeds_kmh.walk", 1e-300), "options.travel.speeds_kmh.walk", "must be at least 0.1"),
    ("detour above the maximum", put("options.travel.detour_factor", 1e300), "options.travel.detour_factor", "must be at most 10"),
    # coordinates out of range
    ("lat above 90", put("volunteers[0].location.lat", 90.000001), "volunteers[0].location.lat", "must be a latitude between -90 and 90"),
    ("lat below -90", put("requests[0].location.lat", -91), "requests[0].location.lat", "must be a latitude between -90 and 90"),
    ("lon above 180", put("volunteers[2].location.lon", 180.5), "volunteers[2].location.lon", "must be a longitude between -180 and 180"),
    ("lon below -180", put("requests[1].location.lon", -181), "requests[1].location.lon", "must be a longitude between -180 and 180"),
    ("lat and lon both bad: lat first", both(put("requests[0].location.lat", 95), put("requests[0].location.lon", 250)), "requests[0].location.lat", "must be a latitude"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "location", "fragment"),
    [pytest.param(m, loc, frag, id=name) for name, m, loc, frag in CASES],
)
def test_bad_input_names_its_path(mutation: Mutation, location: str, fragment: str) -> None:
    doc = valid()
    mutation(doc)
    err = error_of(doc)
    assert err.location == location, str(err)
    assert fragment in err.message, str(err)
    assert str(err) == f"{location}: {err.message}"
    assert "\n" not in str(err)


def test_case_names_are_unique() -> None:
    names = [name for name, *_ in CASES]
    assert len(names) == len(set(names))


# -- input that is not a problem document at all ---------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(b"", "is not valid JSON", id="empty"),
        pytest.param(b"{not json", "is not valid JSON (line 1 column 2", id="broken"),
        pytest.param(
            b'{"volunteers": [], "requests": [],}', "is not valid JSON", id="trailing comma"
        ),
        pytest.param(b"\xff\xfe\xfa", "is not valid JSON", id="not text"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deep nesting"),
        pytest.param(
            b'{"volunteers": [], "requests": [], "options": {"seed": ' + b"9" * 5000 + b"}}",
            "too many digits",
            id="huge integer literal",
        ),
    ],
)
def test_not_json(text: bytes, fragment: str) -> None:
    with pytest.raises(ProblemError) as info:
        Problem.from_json(text)
    assert info.value.path == ()
    assert info.value.location == "(document)"
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("value", "kind"),
    [([], "a list"), ("problem", "a string"), (3, "a number"), (None, "null"), (True, "a boolean")],
)
def test_top_level_not_an_object(value: Any, kind: str) -> None:
    err = error_of(value)
    assert err.location == "(document)"
    assert err.message == f"must be an object, not {kind}"


def test_utf8_bom_is_accepted() -> None:
    problem = Problem.from_json(b"\xef\xbb\xbf" + json.dumps(valid()).encode())
    assert len(problem.requests) == 2


def test_number_beyond_float_range() -> None:
    text = json.dumps(valid()).replace("50.851", "1" + "0" * 400).encode()
    with pytest.raises(ProblemError) as info:
        Problem.from_json(text)
    assert info.value.location == "volunteers[0].location.lat"
    assert "finite" in info.value.message
    assert "0000" not in info.value.message


def test_from_dict_gives_the_same_errors() -> None:
    doc = valid()
    doc["requests"][1]["window"] = {"start": T0, "end": "2026-03-02T07:00:00+01:00"}
    with pytest.raises(ProblemError) as info:
        Problem.from_dict(doc)
    assert info.value.location == "requests[1].window.end"


# -- messages carry no personal data -----------------------------------------------------

SECRET_CASES: list[tuple[str, Any, str]] = [
    ("volunteers[0].location.lat", 95.123456, "95.123456"),
    ("volunteers[0].location.lon", -200.654321, "200.654321"),
    ("requests[0].location.lat", "50.9123 (home of Mrs Peeters)", "Peeters"),
    ("requests[0].window.start", "Tuesday at Jan Janssens'", "Janssens"),
    ("volunteers[0].availability[0].end", "2026-03-02 after visiting Anna", "Anna"),
    ("volunteers[0].id", 32475123456, "475123456"),
    ("volunteers[0].travel_mode", "Eva's car", "Eva"),
    ("requests[1].client_id", {"name": "Mr Claes"}, "Claes"),
]


@pytest.mark.parametrize(("location", "value", "secret"), SECRET_CASES)
def test_messages_do_not_echo_values(location: str, value: Any, secret: str) -> None:
    doc = valid()
    put(location, value)(doc)
    err = error_of(doc)
    assert err.location == location
    assert secret not in str(err)


def test_unknown_ids_are_not_echoed() -> None:
    doc = valid()
    doc["requests"][0]["preferred_volunteers"] = ["Maria De Smet"]
    err = error_of(doc)
    assert err.location == "requests[0].preferred_volunteers"
    assert "Maria" not in str(err)


def test_error_pointer() -> None:
    doc = valid()
    doc["requests"][0]["window"]["end"] = "2026-03-02T08:00:00+01:00"
    err = error_of(doc)
    assert err.pointer == "/requests/0/window/end"


# -- defaults and normalisation ------------------------------------------------------------


def minimal() -> Doc:
    return {
        "volunteers": [{"id": "v", "location": {"lat": 51.2, "lon": 3.2}}],
        "requests": [{"id": "r", "location": {"lat": 51.21, "lon": 3.21}, "duration_minutes": 45}],
    }


def test_defaults_applied() -> None:
    problem = load(minimal())
    (vol,) = problem.volunteers
    (req,) = problem.requests
    assert req.client_id == "r"
    assert req.priority == 1
    assert req.volunteers_needed == 1
    assert req.window is None
    assert req.skills == frozenset() and req.languages == frozenset()
    assert vol.travel_mode is TravelMode.CAR
    assert vol.availability is None  # omitted: available at any time
    assert vol.max_distance_km is None
    assert problem.max_distance_km(vol) == 10.0
    assert vol.max_tasks is None and vol.max_minutes is None
    assert problem.assignments == ()
    opt = problem.options
    assert opt.time_limit_seconds == 10
    assert opt.default_max_distance_km == 10
    assert opt.travel.detour_factor == 1.3
    assert dict(opt.travel.speeds_kmh) == {"walk": 4.5, "bike": 15, "car": 40, "transit": 20}


def test_empty_availability_means_never() -> None:
    doc = minimal()
    doc["volunteers"][0]["availability"] = []
    assert load(doc).volunteers[0].availability == ()


def test_partial_speeds_keep_the_other_defaults() -> None:
    doc = minimal()
    doc["options"] = {"travel": {"speeds_kmh": {"bike": 18}}, "default_max_distance_km": 7}
    problem = load(doc)
    speeds = problem.options.travel.speeds_kmh
    assert speeds[TravelMode.BIKE] == 18
    assert speeds[TravelMode.CAR] == DEFAULT_SPEEDS_KMH[TravelMode.CAR]
    assert problem.max_distance_km(problem.volunteers[0]) == 7


def test_largest_values_are_accepted() -> None:
    doc = minimal()
    doc["volunteers"][0].update(max_tasks=2**53 - 1, max_minutes=2**53 - 1)
    doc["requests"][0]["priority"] = 1_000_000
    doc["options"] = {"travel": {"speeds_kmh": {"walk": 0.1}, "detour_factor": 10}}
    problem = load(doc)
    assert problem.volunteers[0].max_tasks == 2**53 - 1
    assert problem.requests[0].priority == 1_000_000
    assert problem.options.travel.detour_factor == 10


def test_whole_float_is_an_integer() -> None:
    doc = minimal()
    doc["requests"][0]["duration_minutes"] = 45.0
    assert load(doc).requests[0].duration_minutes == 45


def test_null_window_means_untimed() -> None:
    doc = minimal()
    doc["requests"][0]["window"] = None
    assert load(doc).requests[0].window is None


def test_duration_exactly_fills_the_window() -> None:
    doc = minimal()
    doc["requests"][0]["window"] = {"start": T0, "end": "2026-03-02T08:45:00+01:00"}
    req = load(doc).requests[0]
    assert req.earliest_start_minute == req.latest_start_minute


def test_window_with_seconds_rounds_inwards() -> None:
    doc = minimal()
    doc["requests"][0]["window"] = {
        "start": "2026-03-02T08:00:30+01:00",
        "end": "2026-03-02T08:45:30+01:00",
    }
    # 45 minutes, but starts are whole minutes: 08:01 + 45 > 08:45:30
    err = error_of(doc)
    assert err.location == "requests[0].duration_minutes"


def test_availability_windows_merged_when_touching_or_overlapping() -> None:
    doc = minimal()
    doc["volunteers"][0]["availability"] = [
        {"start": "2026-03-02T12:00:00+01:00", "end": "2026-03-02T15:00:00+01:00"},
        {"start": "2026-03-02T09:00:00+01:00", "end": "2026-03-02T12:00:00+01:00"},
        {"start": "2026-03-02T14:00:00+01:00", "end": "2026-03-02T16:00:00+01:00"},
        {"start": "2026-03-02T17:00:00+01:00", "end": "2026-03-02T18:00:00+01:00"},
        # the same moment as 18:00+01:00, written in another offset: touching
        {"start": "2026-03-02T19:00:00+02:00", "end": "2026-03-02T20:00:00+02:00"},
    ]
    windows = load(doc).volunteers[0].availability
    assert windows is not None
    cet = timezone(timedelta(hours=1))
    assert [(w.start, w.end) for w in windows] == [
        (datetime(2026, 3, 2, 9, tzinfo=cet), datetime(2026, 3, 2, 16, tzinfo=cet)),
        (datetime(2026, 3, 2, 17, tzinfo=cet), datetime(2026, 3, 2, 19, tzinfo=cet)),
    ]


def test_nested_window_is_absorbed() -> None:
    cet = timezone(timedelta(hours=1))
    outer = TimeWindow(datetime(2026, 3, 2, 8, tzinfo=cet), datetime(2026, 3, 2, 18, tzinfo=cet))
    inner = TimeWindow(datetime(2026, 3, 2, 9, tzinfo=cet), datetime(2026, 3, 2, 10, tzinfo=cet))
    vol = Volunteer("v", Location(0, 0), availability=(inner, outer))
    assert vol.availability == (outer,)


# -- round trip -----------------------------------------------------------------------------


def test_round_trip_to_dict_from_dict() -> None:
    problem = load(valid())
    data = problem.to_dict()
    again = Problem.from_dict(data)
    assert again == problem
    assert again.to_dict() == data
    # and through JSON text, as files carry it
    assert Problem.from_json(json.dumps(data)) == problem


def test_round_trip_of_minimal_problem_writes_defaults_explicitly() -> None:
    problem = load(minimal())
    data = problem.to_dict()
    assert data["version"] == 1
    assert data["requests"][0]["client_id"] == "r"
    assert data["volunteers"][0]["travel_mode"] == "car"
    assert "availability" not in data["volunteers"][0]  # any time stays any time
    assert Problem.from_dict(data) == problem


def test_round_trip_keeps_never_available() -> None:
    doc = minimal()
    doc["volunteers"][0]["availability"] = []
    problem = load(doc)
    assert problem.to_dict()["volunteers"][0]["availability"] == []
    assert Problem.from_dict(problem.to_dict()) == problem


def test_from_dict_does_not_modify_its_input() -> None:
    doc = valid()
    before = copy.deepcopy(doc)
    load(doc)
    Problem.from_dict(doc)
    assert doc == before


def test_problem_is_immutable() -> None:
    problem = load(minimal())
    with pytest.raises(AttributeError):
        problem.requests[0].priority = 5


def test_problems_pickle_for_process_pools_and_dask() -> None:
    import pickle

    problem = Problem.from_dict(valid())
    _ = problem.volunteer_index  # a cached index must not block pickling
    again = pickle.loads(pickle.dumps(problem))
    assert again == problem
    assert again.to_dict() == problem.to_dict()
