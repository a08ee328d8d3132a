"""The service takes groups and participants and answers with the groups' fields."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskClient
from service_testlib import AUTH_A

import matchcore
from matchcore.check import check

EXAMPLE = Path(__file__).parents[2] / "examples" / "mixed_week.json"


def test_match_answers_with_groups_that_pass_the_checker(client: FlaskClient) -> None:
    data = json.loads(EXAMPLE.read_text())
    resp = client.post("/v1/match", json=data, headers=AUTH_A)
    assert resp.status_code == 200
    body = resp.get_json()
    assert {"groups", "unplaced", "closed_groups", "group_proposals"} <= set(body)
    assert check(matchcore.Problem.from_dict(data), body).ok


def test_a_broken_group_is_a_problem_answer_with_its_pointer(client: FlaskClient) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["groups"][1]["max_participants"] = 0
    resp = client.post("/v1/match", json=data, headers=AUTH_A)
    assert resp.status_code in (400, 422)
    assert "groups" in resp.get_data(as_text=True)
    assert "max_participants" in resp.get_data(as_text=True)
