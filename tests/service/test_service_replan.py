"""POST /v1/match with ``previous_plan``: the plan lists its changes; a bad one is a 422."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from service_testlib import AUTH_A

import matchcore


def test_match_with_previous_plan_lists_changes(
    client: FlaskClient, problem: dict[str, Any]
) -> None:
    first = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    again = client.post(
        "/v1/match", json={**problem, "previous_plan": first}, headers=AUTH_A
    ).get_json()
    statuses = {c["request_id"]: c["status"] for c in again["changes"]}
    assert statuses == {a["request_id"]: "kept" for a in first["assignments"]}
    assert again["objective"]["kept"] == len(first["assignments"])
    doc = {**problem, "previous_plan": first}
    assert matchcore.check(matchcore.Problem.from_dict(doc), again).ok


def test_match_with_a_broken_previous_plan_is_a_422_naming_the_pointer(
    client: FlaskClient, problem: dict[str, Any]
) -> None:
    doc = {**problem, "previous_plan": {"assignments": [{"volunteer_ids": ["v1"]}]}}
    resp = client.post("/v1/match", json=doc, headers=AUTH_A)
    assert resp.status_code == 422
    assert "/previous_plan/assignments/0" in resp.get_data(as_text=True)
