"""One spelling for skills and languages (issue 8 item 6) and warnings (item 7)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import small_problems

from matchcore import candidate_funnels, solve
from matchcore.check import check
from matchcore.io import read_problem
from matchcore.problem import Location, Problem, Request, Volunteer, normal_language, normal_term
from matchcore.warnings import FAR_KM, MAX_PER_CODE, problem_warnings

# -- one spelling ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Driving", "driving"),
        (" driving ", "driving"),
        ("driving\u200b", "driving"),  # zero-width space
        ("\uff24\uff52\uff49\uff56\uff49\uff4e\uff47", "driving"),  # full-width letters
        ("home  care", "Home Care"),
        ("Straße", "STRASSE"),  # case folding, not lower()
        ("ﬁetsen", "fietsen"),  # the fi ligature
    ],
)
def test_spellings_of_one_skill_meet(a: str, b: str) -> None:
    assert normal_term(a) == normal_term(b)


@pytest.mark.parametrize(("a", "b"), [("NL", "nl"), ("nl-BE", "nl_be"), (" fr ", "FR")])
def test_language_tags_are_case_insensitive(a: str, b: str) -> None:
    assert normal_language(a) == normal_language(b)


@pytest.mark.parametrize(("a", "b"), [("nl", "nl-BE"), ("driving", "drivng"), ("en", "eng")])
def test_different_terms_stay_different(a: str, b: str) -> None:
    assert normal_language(a) != normal_language(b)


def test_normal_term_is_idempotent() -> None:
    for text in ("Straße", "ǅemal", "ﬃ", "\u0130stanbul", "Ⅻ", "x\u00ad y"):
        assert normal_term(normal_term(text)) == normal_term(text)


def test_a_differently_spelled_skill_is_served_and_the_input_spelling_kept() -> None:
    doc = {
        "volunteers": [
            {
                "id": "v",
                "location": {"lat": 51.2, "lon": 3.2},
                "skills": ["Driving "],
                "languages": ["NL"],
            }
        ],
        "requests": [
            {
                "id": "r",
                "location": {"lat": 51.2, "lon": 3.2},
                "duration_minutes": 30,
                "skills": ["driving\u200b"],
                "languages": ["nl", "fr"],
            }
        ],
    }
    problem = read_problem(json.dumps(doc))
    solution = solve(problem, time_limit_s=5)
    assert [a.request_id for a in solution.assignments] == ["r"]
    written = problem.to_dict()
    assert written["volunteers"][0]["skills"] == ["Driving "]
    assert written["volunteers"][0]["languages"] == ["NL"]
    assert sorted(written["requests"][0]["skills"]) == ["driving\u200b"]
    assert read_problem(json.dumps(written)) == problem


def _respell(text: str, rnd: random.Random) -> str:
    """Another spelling with the same key: case, spaces, full width, a zero-width space."""
    kind = rnd.randrange(5)
    if kind == 0:
        return text.upper()
    if kind == 1:
        return f"  {text.title()} "
    if kind == 2:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if kind == 3:
        return text[:1] + "\u200b" + text[1:]
    return text


def _respelled(problem: Problem, seed: int) -> Problem:
    rnd = random.Random(seed)

    def terms(keys: frozenset[str]) -> frozenset[str]:
        return frozenset(_respell(k, rnd) for k in sorted(keys))

    vols = [
        replace(v, skills=terms(v.skills), languages=terms(v.languages), spelling={})
        for v in problem.volunteers
    ]
    reqs = [
        replace(r, skills=terms(r.skills), languages=terms(r.languages), spelling={})
        for r in problem.requests
    ]
    return Problem(tuple(vols), tuple(reqs), problem.assignments, problem.options)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(problem=small_problems(), seed=st.integers(0, 2**16))
def test_respelling_never_changes_the_candidates(problem: Problem, seed: int) -> None:
    again = _respelled(problem, seed)
    assert again == problem  # the same keys: the same problem
    assert candidate_funnels(again) == candidate_funnels(problem)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(problem=small_problems(), seed=st.integers(0, 2**16))
def test_respelling_never_changes_feasibility(problem: Problem, seed: int) -> None:
    again = _respelled(problem, seed)
    plan = solve(problem, time_limit_s=5).to_dict()
    assert check(again, plan).ok
    assert check(problem, solve(again, time_limit_s=5).to_dict()).ok


# -- warnings ---------------------------------------------------------------------------------


def _doc() -> dict[str, Any]:
    return {
        "options": {"timezone": "Europe/Brussels"},
        "volunteers": [
            {
                "id": "v1",
                "location": {"lat": 51.21, "lon": 3.22},
                "skills": ["Shopping", "driving"],
            },
            {"id": "v2", "location": {"lat": 51.19, "lon": 3.20}, "languages": ["nl"]},
            {"id": "v3", "location": {"lat": 51.20, "lon": 3.25}},
        ],
        "requests": [
            {
                "id": "r1",
                "location": {"lat": 51.2, "lon": 3.21},
                "duration_minutes": 30,
                "window": {"start": "2026-12-01T09:00", "end": "2026-12-01T12:00"},
            },
            {"id": "r2", "location": {"lat": 51.2, "lon": 3.23}, "duration_minutes": 30},
        ],
    }


def warnings_of(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(w.code, w.pointer, w.message) for w in problem_warnings(read_problem(json.dumps(doc)))]


def test_a_clean_problem_has_no_warnings() -> None:
    assert warnings_of(_doc()) == []


def test_unknown_skill_suggests_the_closest_spelling() -> None:
    doc = _doc()
    doc["requests"][1]["skills"] = ["shoping", "gardening"]
    assert warnings_of(doc) == [
        ("unknown_skill", "/requests/1/skills", "no volunteer has the skill 'gardening'"),
        (
            "unknown_skill",
            "/requests/1/skills",
            "no volunteer has the skill 'shoping'; did you mean 'Shopping'?",
        ),
    ]


def test_unknown_language_only_when_none_of_them_is_spoken() -> None:
    doc = _doc()
    doc["requests"][0]["languages"] = ["NL", "ar"]
    assert warnings_of(doc) == []
    doc["requests"][0]["languages"] = ["nld"]
    assert warnings_of(doc) == [
        (
            "unknown_language",
            "/requests/0/languages",
            "no volunteer has the language 'nld'; did you mean 'nl'?",
        )
    ]


def test_swapped_coordinates_are_far_from_the_others() -> None:
    doc = _doc()
    doc["volunteers"][2]["location"] = {"lat": 3.25, "lon": 51.20}
    ((code, pointer, message),) = warnings_of(doc)
    assert (code, pointer) == ("far_location", "/volunteers/2/location")
    assert "swapped" in message
    assert "3.25" not in message and "51.2" not in message


def test_a_rides_swapped_destination_is_far_from_the_others() -> None:
    doc = _doc()
    doc["requests"][0]["destination"] = dict(doc["requests"][0]["location"])
    assert warnings_of(doc) == []  # a ride near the others is no warning
    doc["requests"][0]["destination"] = {"lat": 3.2446, "lon": 51.2126}
    ((code, pointer, message),) = warnings_of(doc)
    assert (code, pointer) == ("far_location", "/requests/0/destination")
    assert "swapped" in message


def test_a_location_just_inside_the_limit_is_not_reported() -> None:
    doc = _doc()
    doc["requests"][1]["location"] = {"lat": 51.2 + (FAR_KM - 5) / 111.2, "lon": 3.21}
    assert warnings_of(doc) == []


def test_volunteer_without_availability_in_the_horizon() -> None:
    doc = _doc()
    doc["volunteers"][1]["availability"] = [
        {"start": "2026-11-20T09:00", "end": "2026-11-20T12:00"}
    ]
    doc["volunteers"][2]["availability"] = []
    assert warnings_of(doc) == [
        (
            "no_availability",
            "/volunteers/1/availability",
            "has no time within the planning horizon: this volunteer can take no task",
        ),
        (
            "no_availability",
            "/volunteers/2/availability",
            "has no time within the planning horizon: this volunteer can take no task",
        ),
    ]


def test_warnings_of_one_kind_are_capped() -> None:
    vols = [Volunteer("v", Location(51.2, 3.2), skills=frozenset({"a"}))]
    reqs = [
        Request(f"r{i}", Location(51.2, 3.2), 30, skills=frozenset({f"x{i}"}))
        for i in range(MAX_PER_CODE + 7)
    ]
    found = problem_warnings(Problem(tuple(vols), tuple(reqs)))
    assert len(found) == MAX_PER_CODE + 1
    assert found[-1].message == "... and 7 more warnings of this kind"


def test_the_solution_carries_the_warnings() -> None:
    doc = _doc()
    doc["requests"][0]["skills"] = ["drving"]
    solution = solve(read_problem(json.dumps(doc)), time_limit_s=5).to_dict()
    assert solution["warnings"] == [
        {
            "code": "unknown_skill",
            "pointer": "/requests/0/skills",
            "message": "no volunteer has the skill 'drving'; did you mean 'driving'?",
        }
    ]


def test_an_offset_the_zone_does_not_have_then_is_reported() -> None:
    doc = _doc()
    # Monday after the change to summer time, typed with last week's winter offset
    doc["requests"][0]["window"] = {
        "start": "2027-03-29T09:00:00+01:00",
        "end": "2027-03-29T12:00:00+02:00",
    }
    assert warnings_of(doc) == [
        (
            "offset_not_in_zone",
            "/requests/0/window/start",
            "is written with UTC offset +01:00, but Europe/Brussels is at +02:00 then: "
            "is it off by the clock change?",
        )
    ]
    del doc["options"]["timezone"]  # without a zone there is nothing to compare with
    assert warnings_of(doc) == []
