"""The published JSON Schema (issue 8 item 10): every example in the repository is valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from matchcore import Reason, Status, solve
from matchcore.io import read_problem
from matchcore.io.schema import openapi_components, schema, schema_text
from matchcore.solution import LEG_PLACES

ROOT = Path(__file__).resolve().parents[1]
# Every problem document the repository ships or shows.
PROBLEM_FILES = sorted(
    [
        *(ROOT / "examples").glob("*.json"),
        ROOT / "examples" / "refer" / "west-flemish-week.json",
        *(ROOT / "src" / "matchcore" / "data").glob("*.json"),
        ROOT / "service" / "example_problem.json",
    ]
)


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def test_schemas_are_valid_2020_12_schemas() -> None:
    for name in ("problem", "solution"):
        doc = schema(name)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(doc)


def test_every_problem_example_is_valid() -> None:
    assert len(PROBLEM_FILES) >= 5
    for path in PROBLEM_FILES:
        errors = list(validator("problem").iter_errors(json.loads(path.read_text())))
        assert errors == [], (path.name, [e.message for e in errors[:3]])


def test_service_documentation_examples_are_valid() -> None:
    from service.openapi import EXAMPLE_PROBLEM, EXAMPLE_SOLUTION

    assert list(validator("problem").iter_errors(EXAMPLE_PROBLEM)) == []
    assert list(validator("solution").iter_errors(EXAMPLE_SOLUTION)) == []


@pytest.mark.parametrize(
    "name", ["west_flanders_dst_week.json", "west_flanders_week.json", "small_network.json"]
)
def test_solutions_of_examples_are_valid(name: str) -> None:
    problem = read_problem((ROOT / "examples" / name).read_bytes())
    solution = solve(problem, time_limit_s=10).to_dict()
    assert list(validator("solution").iter_errors(solution)) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            lambda d: d["volunteers"][0].update(travel_mode="plane"),
            ["volunteers", 0, "travel_mode"],
        ),
        (
            lambda d: d["requests"][0].update(duration_minutes=0),
            ["requests", 0, "duration_minutes"],
        ),
        (lambda d: d["requests"][0].update(id="x" * 201), ["requests", 0, "id"]),
        (lambda d: d.update(colour="red"), []),
        (
            lambda d: d["volunteers"][0]["availability"].append(
                {"weekly": {"days": ["tuesday"], "start": "09:00", "end": "12:00"}}
            ),
            ["volunteers", 0, "availability", 2],
        ),
    ],
)
def test_schema_rejects_what_the_reader_rejects(change: Any, path: list[Any]) -> None:
    doc = json.loads((ROOT / "examples" / "west_flanders_week.json").read_text())
    change(doc)
    errors = list(validator("problem").iter_errors(doc))
    assert errors and list(errors[0].absolute_path)[: len(path)] == path
    with pytest.raises(ValueError):
        read_problem(json.dumps(doc))


def test_openapi_components_come_from_the_schema() -> None:
    components = openapi_components()
    assert components["Problem"]["properties"]["volunteers"]["items"] == {
        "$ref": "#/components/schemas/Volunteer"
    }
    assert components["Volunteer"] == json.loads(
        json.dumps(schema("problem")["$defs"]["Volunteer"]).replace(
            "#/$defs/", "#/components/schemas/"
        )
    )
    assert "Warning" in components and "Solution" in components
    assert "$defs" not in json.dumps(components)


def test_service_serves_the_shipped_schema(tmp_path: Path) -> None:
    from service.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "API_KEYS": "a:" + "s" * 32,
            "JOB_RUNNER": False,
            "JOBS_DB": str(tmp_path / "jobs.sqlite3"),
        }
    )
    try:
        client = app.test_client()
        auth = {"Authorization": "Bearer " + "s" * 32}
        for name in ("problem", "solution"):
            resp = client.get(f"/v1/schema/{name}.json", headers=auth)
            assert resp.status_code == 200
            assert resp.mimetype == "application/schema+json"
            assert resp.get_data(as_text=True) == schema_text(name)
        doc = client.get("/openapi.json").get_json()
        assert doc["components"]["schemas"]["Options"]["properties"]["timezone"]
        assert client.get("/v1/schema/problem.json").status_code == 401
    finally:
        app.extensions["matchcore"].close()


def test_schema_names_every_reason_and_status_of_the_library() -> None:
    """The published enums are the library's own, so a new reason cannot be left out."""

    defs = schema("solution")["$defs"]
    assert defs["Unassigned"]["properties"]["reason"]["enum"] == [r.value for r in Reason]
    assert schema("solution")["properties"]["status"]["enum"] == [s.value for s in Status]
    for end in ("from", "to"):
        assert defs["Leg"]["properties"][end]["enum"] == list(LEG_PLACES)


def test_schema_names_every_kind_of_near_miss() -> None:
    from matchcore.refer.signals import NEAR_MISS_KINDS

    signals = schema("solution")["properties"]["signals"]["properties"]
    kinds = signals["near_misses"]["items"]["properties"]["kind"]["enum"]
    assert kinds == list(NEAR_MISS_KINDS)
