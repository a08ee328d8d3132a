"""Rides through the service (issue 8 item 3): a destination in, legs out, errors by pointer."""

from __future__ import annotations

from flask.testing import FlaskClient
from service_testlib import AUTH_A, assert_problem_json, tiny_problem

import matchcore

HOSPITAL = {"lat": 50.88, "lon": 5.69}  # a ride for r1, ~3 km beyond its client


def test_match_plans_a_ride_and_shows_its_legs(client: FlaskClient) -> None:
    data = tiny_problem()
    data["requests"][0]["destination"] = HOSPITAL
    resp = client.post("/v1/match", json=data, headers=AUTH_A)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert matchcore.check(matchcore.Problem.from_dict(data), body).ok
    by_id = {a["request_id"]: a for a in body["assignments"]}
    legs = by_id["r1"]["volunteers"][0]["legs"]
    assert [(g["from"], g["to"]) for g in legs] == [
        ("home", "client"),
        ("client", "destination"),
        ("destination", "client"),
        ("client", "home"),
    ]
    assert "legs" not in by_id["r2"]["volunteers"][0]


def test_a_bad_destination_is_named_by_pointer(client: FlaskClient) -> None:
    data = tiny_problem()
    data["requests"][0]["destination"] = {"lat": 50.88, "lon": 200}
    data["requests"][1]["destination"] = {"lat": 50.88}
    body = assert_problem_json(client.post("/v1/match", json=data, headers=AUTH_A), 422)
    found = [(e["pointer"], e["detail"]) for e in body["errors"]]
    assert found == [
        ("/requests/0/destination/lon", "must be a longitude between -180 and 180"),
        ("/requests/1/destination/lon", "is required"),
    ]
