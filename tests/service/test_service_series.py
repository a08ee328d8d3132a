"""POST /v1/match with repeating requests: occurrences in the plan; a bad repeat is a 422."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from service_testlib import AUTH_A

import matchcore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "series_three_weeks.json"


def _example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return doc


def test_match_expands_a_series_and_the_checker_agrees(client: FlaskClient) -> None:
    doc = _example()
    resp = client.post("/v1/match", json=doc, headers=AUTH_A)
    assert resp.status_code == 200
    plan = resp.get_json()
    ids = {a["request_id"] for a in plan["assignments"]}
    assert {f"req-bezoek-janssens@2027-03-{d}" for d in (16, 23, 30)} <= ids
    problem = matchcore.Problem.from_dict(doc)
    assert matchcore.check(problem, plan, document=doc).ok


def test_a_repeat_without_a_timezone_is_a_422_naming_the_pointer(client: FlaskClient) -> None:
    doc = _example()
    del doc["options"]["timezone"]
    del doc["options"]["horizon"]
    for volunteer in doc["volunteers"]:
        volunteer.pop("availability")
        volunteer.pop("unavailable", None)
    for request in doc["requests"]:
        request["window"] = {k: v + "+01:00" for k, v in request["window"].items()}
    resp = client.post("/v1/match", json=doc, headers=AUTH_A)
    assert resp.status_code == 422
    pointers = {e["pointer"] for e in resp.get_json()["errors"]}
    assert pointers == {"/requests/0/repeat", "/requests/1/repeat"}
