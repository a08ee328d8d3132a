"""The checker on team roles: one case per rule, each caught on its own.

The plan under test is written by hand (not solved), so the checker is
tried against a plan whose roles are known to be right, then broken one way
at a time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from matchcore.check import check
from matchcore.problem import Problem

HERE = {"lat": 51.2093, "lon": 3.2247}
Doc = dict[str, Any]


def problem() -> Problem:
    return Problem.from_dict(
        {
            "volunteers": [
                {"id": "d", "location": HERE, "skills": ["rijden"], "languages": ["fr"]},
                {"id": "s", "location": HERE, "skills": ["oppas"], "languages": ["nl"]},
                {"id": "b", "location": HERE, "skills": ["oppas", "rijden"], "languages": ["nl"]},
            ],
            "requests": [
                {
                    "id": "fam",
                    "location": HERE,
                    "duration_minutes": 60,
                    "roles": [{"skills": ["Rijden"]}, {"skills": ["oppas"], "languages": ["NL"]}],
                },
                {"id": "solo", "location": HERE, "duration_minutes": 30},
            ],
        }
    )


def member(vid: str, role: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": vid, "distance_km": 0.0, "travel_minutes": 0, "preferred": False}
    if role is not None:
        out["role"] = role
    return out


def plan() -> Doc:
    """d drives, s minds the children; b does the solo request."""
    return {
        "assignments": [
            {
                "request_id": "fam",
                "volunteer_ids": ["d", "s"],
                "volunteers": [member("d", 0), member("s", 1)],
            },
            {"request_id": "solo", "volunteer_ids": ["b"], "volunteers": [member("b", None)]},
        ]
    }


def set_role(index: int, role: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        doc["assignments"][0]["volunteers"][index]["role"] = role

    return change


def drop_role(doc: Doc) -> None:
    del doc["assignments"][0]["volunteers"][1]["role"]


def solo_role(doc: Doc) -> None:
    doc["assignments"][1]["volunteers"][0]["role"] = 0


def swap_in_b_as_driver(doc: Doc) -> None:
    # b drives and s minds: fine; but make s the driver and b the sitter: s cannot drive
    doc["assignments"][0]["volunteer_ids"] = ["b", "s"]
    doc["assignments"][0]["volunteers"] = [member("b", 1), member("s", 0)]
    doc["assignments"][1]["volunteer_ids"] = ["d"]
    doc["assignments"][1]["volunteers"] = [member("d", None)]


def d_as_sitter(doc: Doc) -> None:
    # b drives, d "minds the children": d has no oppas skill and no Dutch
    doc["assignments"][0]["volunteer_ids"] = ["b", "d"]
    doc["assignments"][0]["volunteers"] = [member("b", 0), member("d", 1)]
    doc["assignments"][1]["volunteer_ids"] = ["s"]
    doc["assignments"][1]["volunteers"] = [member("s", None)]


def no_members(doc: Doc) -> None:
    del doc["assignments"][0]["volunteers"]


CASES: list[tuple[str, Callable[[Doc], None], set[str]]] = [
    ("role_missing", drop_role, {"assignments[0].volunteers[1].role"}),
    ("role_missing", set_role(1, "1"), {"assignments[0].volunteers[1].role"}),
    ("role_missing", set_role(1, True), {"assignments[0].volunteers[1].role"}),
    ("role_missing", no_members, {"assignments[0].volunteer_ids[0]"}),
    ("role_unknown", set_role(1, 2), {"assignments[0].volunteers[1].role"}),
    ("role_unknown", set_role(0, -1), {"assignments[0].volunteers[0].role"}),
    ("role_not_allowed", solo_role, {"assignments[1].volunteers[0].role"}),
    ("role_skills", swap_in_b_as_driver, {"assignments[0].volunteers[1].role"}),
]


@pytest.mark.parametrize(("rule", "mutate", "paths"), CASES)
def test_each_role_rule_is_caught(
    rule: str, mutate: Callable[[Doc], None], paths: set[str]
) -> None:
    doc = plan()
    mutate(doc)
    report = check(problem(), doc)
    found = {v.rule for v in report.violations} - {"role_count"}
    assert found == {rule}, report.violations
    assert paths <= {v.path for v in report.violations if v.rule == rule}


def test_the_right_plan_passes() -> None:
    assert check(problem(), plan()).ok


def test_role_counts_are_checked() -> None:
    doc = plan()
    doc["assignments"][0]["volunteers"][0]["role"] = 1  # d fills "oppas" too: 0 + 2
    report = check(problem(), doc)
    counts = [v for v in report.violations if v.rule == "role_count"]
    assert {v.message for v in counts} == {
        "role 0 of request fam has 0 members; it needs 1",
        "role 1 of request fam has 2 members; it needs 1",
    }
    assert {v.path for v in counts} == {"assignments[0].volunteers"}


def test_the_role_skills_and_languages_are_the_roles_own() -> None:
    doc = plan()
    d_as_sitter(doc)
    report = check(problem(), doc)
    got = {(v.rule, v.path) for v in report.violations}
    assert got == {
        ("role_skills", "assignments[0].volunteers[1].role"),
        ("role_languages", "assignments[0].volunteers[1].role"),
    }


def test_a_solved_plan_passes_and_its_roles_are_checked_not_trusted() -> None:
    from matchcore import solve

    solution = solve(problem(), time_limit_s=5)
    assert check(problem(), solution).ok
    doc = copy.deepcopy(solution.to_dict())
    team = next(a for a in doc["assignments"] if a["request_id"] == "fam")
    for m in team["volunteers"]:
        m["role"] = 1 - m["role"]
    assert not check(problem(), doc).ok
