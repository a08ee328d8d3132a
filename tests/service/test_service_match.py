"""POST /v1/match (solve and validate_only) and POST /v1/check, the happy paths and 422s."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from service_testlib import AUTH_A, assert_problem_json, grid_problem

import matchcore
from service import check as check_resource
from service import match as match_resource


def test_match_returns_a_checked_plan(client: FlaskClient, problem: dict[str, Any]) -> None:
    resp = client.post("/v1/match", json=problem, headers=AUTH_A)
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["status"] == "optimal"
    assert body["objective"]["served_requests"] == 2
    assert {a["request_id"] for a in body["assignments"]} == {"r1", "r2"}
    # the library's independent checker agrees with the plan the service returned
    report = matchcore.check(matchcore.Problem.from_dict(problem), body)
    assert report.ok, report.violations
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert len(resp.headers["X-Request-Id"]) >= 8


def test_match_accepts_json_suffix_media_type(client: FlaskClient, problem: Any) -> None:
    resp = client.post(
        "/v1/match",
        data=__import__("json").dumps(problem),
        headers={**AUTH_A, "Content-Type": "application/vnd.matchcore+json; charset=utf-8"},
    )
    assert resp.status_code == 200


def test_match_reports_unassigned_with_reason(client: FlaskClient, problem: Any) -> None:
    problem["requests"][0]["skills"] = ["nursing"]
    body = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    assert [u["request_id"] for u in body["unassigned"]] == ["r1"]
    assert body["unassigned"][0]["reason"] == "no_skill_match"


def test_time_limit_is_capped_and_solver_threads_limited(
    make_app: Any, problem: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real_solve = match_resource.solve

    def spy(p: matchcore.Problem, *, time_limit_s: float | None = None) -> Any:
        seen["time_limit_s"] = time_limit_s
        seen["workers"] = p.options.workers
        return real_solve(p, time_limit_s=time_limit_s)

    monkeypatch.setattr(match_resource, "solve", spy)
    client = make_app(TIME_LIMIT_CAP_S=2, MAX_SOLVER_THREADS=3).test_client()
    problem["options"] = {"time_limit_seconds": 3600, "workers": 64}
    assert client.post("/v1/match", json=problem, headers=AUTH_A).status_code == 200
    assert seen == {"time_limit_s": 2.0, "workers": 3}

    problem["options"] = {"time_limit_seconds": 0.5, "workers": 1}
    assert client.post("/v1/match", json=problem, headers=AUTH_A).status_code == 200
    assert seen == {"time_limit_s": 0.5, "workers": 1}

    problem["options"] = {}  # workers 0 = "one per core" becomes the server's cap
    assert client.post("/v1/match", json=problem, headers=AUTH_A).status_code == 200
    assert seen == {"time_limit_s": 2.0, "workers": 3}


def test_validate_only_reports_funnels_without_solving(
    client: FlaskClient, problem: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(match_resource, "solve", lambda *a, **k: pytest.fail("must not solve"))
    problem["requests"][0]["skills"] = ["nursing"]
    resp = client.post("/v1/match?validate_only=true", json=problem, headers=AUTH_A)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["valid"] is True
    assert (body["volunteers"], body["requests"], body["pinned"]) == (2, 2, 0)
    first, second = body["funnels"]
    assert first["request_id"] == "r1"
    assert first["funnel"]["volunteers"] == 2
    assert first["funnel"]["skills"] == 0
    assert first["blocked_at"] == "no_skill_match"
    assert second["blocked_at"] is None
    assert second["funnel"]["available"] == 1


def test_validate_only_blocked_at_is_the_reason_the_solve_gives(client: FlaskClient) -> None:
    problem = grid_problem(6, 12)
    reqs = problem["requests"]
    reqs[0]["skills"] = ["nursing"]  # nobody has it
    reqs[1]["excluded_volunteers"] = [f"v{i}" for i in range(6)]
    reqs[2]["location"] = {"lat": 52.0, "lon": 4.3}  # far from everyone
    reqs[3]["volunteers_needed"] = 7  # more than there are
    reqs[4]["window"] = {"start": "2030-03-04T09:00:00+01:00", "end": "2030-03-04T09:50:00+01:00"}
    report = client.post("/v1/match?validate_only=true", json=problem, headers=AUTH_A).get_json()
    solution = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    reasons = {u["request_id"]: u["reason"] for u in solution["unassigned"]}
    blocked = {f["request_id"]: f["blocked_at"] for f in report["funnels"]}
    assert blocked["r0"] == "no_skill_match"
    assert blocked["r1"] == "excluded"
    assert blocked["r2"] == "out_of_range"
    assert blocked["r3"] == "no_skill_match"  # 7 needed: the first stage already has too few
    for request_id, stage in blocked.items():
        if stage is None:  # passes every stage: served, or left out for capacity
            assert reasons.get(request_id, "capacity") == "capacity"
        else:
            assert reasons[request_id] == stage


def test_validate_only_blocked_at_looks_at_the_role_that_runs_short(client: FlaskClient) -> None:
    problem = grid_problem(6, 3)
    # Every volunteer fits a role ("visit"), but only three drive and the first role needs four.
    problem["requests"][1]["roles"] = [{"skills": ["driving"], "count": 4}, {"skills": ["visit"]}]
    report = client.post("/v1/match?validate_only=true", json=problem, headers=AUTH_A).get_json()
    solution = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    blocked = {f["request_id"]: f["blocked_at"] for f in report["funnels"]}
    assert report["funnels"][1]["funnel"]["skills"] == 6  # the any-role funnel passes
    assert blocked["r1"] == "no_skill_match"
    reasons = {u["request_id"]: u["reason"] for u in solution["unassigned"]}
    assert reasons["r1"] == blocked["r1"]


def test_validate_only_false_solves(client: FlaskClient, problem: Any) -> None:
    resp = client.post("/v1/match?validate_only=false", json=problem, headers=AUTH_A)
    assert resp.status_code == 200
    assert "status" in resp.get_json()


def test_validate_only_bad_value_is_400(client: FlaskClient, problem: Any) -> None:
    resp = client.post("/v1/match?validate_only=maybe", json=problem, headers=AUTH_A)
    body = assert_problem_json(resp, 400)
    assert body["errors"] == [{"parameter": "validate_only", "message": "must be true or false"}]


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda p: p["requests"][1].update(window={"start": "2030-03-04T12:00:00+01:00",
                                                   "end": "2030-03-04T09:00:00+01:00"}),
         "/requests/1/window/end"),
        (lambda p: p["volunteers"][1].update(id="v1"), "/volunteers/1/id"),
        (lambda p: p["volunteers"][0]["location"].update(lat=91), "/volunteers/0/location/lat"),
        (lambda p: p["requests"][0].update(window={"start": "2030-03-04T09:00:00",
                                                   "end": "2030-03-04T10:00:00+01:00"}),
         "/requests/0/window/start"),
        (lambda p: p["requests"][0].update(colour="red"), "/requests/0/colour"),
        (lambda p: p.pop("volunteers"), "/volunteers"),
        (lambda p: p["options"].update(seed=2**40), "/options/seed"),
        (lambda p: p["requests"][0].update(preferred_volunteers=["nobody"]),
         "/requests/0/preferred_volunteers"),
    ],
)  # fmt: skip
def test_invalid_problem_is_422_with_pointer(
    client: FlaskClient, problem: Any, mutate: Any, pointer: str
) -> None:
    mutate(problem)
    for url in ("/v1/match", "/v1/match?validate_only=true", "/v1/jobs"):
        resp = client.post(url, json=problem, headers=AUTH_A)
        body = assert_problem_json(resp, 422)
        assert [e["pointer"] for e in body["errors"]] == [pointer]
        assert body["errors"][0]["message"]


def test_not_an_object_is_422(client: FlaskClient) -> None:
    body = assert_problem_json(client.post("/v1/match", json=[1, 2], headers=AUTH_A), 422)
    assert body["errors"][0]["pointer"] == ""


def test_pin_that_breaks_a_hard_rule_is_422(client: FlaskClient, problem: Any) -> None:
    # v2 lacks the driving skill r1 needs: only the solver finds that out
    problem["assignments"] = [{"request_id": "r1", "volunteer_ids": ["v2"]}]
    body = assert_problem_json(client.post("/v1/match", json=problem, headers=AUTH_A), 422)
    assert body["errors"][0]["pointer"].startswith("/assignments/0")


def test_pin_is_kept(client: FlaskClient, problem: Any) -> None:
    problem["assignments"] = [
        {"request_id": "r1", "volunteer_ids": ["v1"], "start": "2030-03-04T10:00:00+01:00"}
    ]
    body = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    r1 = next(a for a in body["assignments"] if a["request_id"] == "r1")
    assert r1["pinned"] is True
    assert r1["start"] == "2030-03-04T10:00:00+01:00"


def test_bigger_network(client: FlaskClient) -> None:
    problem = grid_problem(60, 40)
    resp = client.post("/v1/match", json=problem, headers=AUTH_A)
    assert resp.status_code == 200
    body = resp.get_json()
    assert len(body["assignments"]) + len(body["unassigned"]) == 40
    assert matchcore.check(matchcore.Problem.from_dict(problem), body).ok


# -- /v1/check ------------------------------------------------------------------------------


def test_check_accepts_the_plan_of_match(client: FlaskClient, problem: Any) -> None:
    solution = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    resp = client.post("/v1/check", json={"problem": problem, "solution": solution}, headers=AUTH_A)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body == {"ok": True, "violations": [], "objective": solution["objective"]} or (
        body["ok"] and body["violations"] == []
    )
    assert body["objective"]["served_requests"] == 2


def test_check_reports_violations_with_pointers(client: FlaskClient, problem: Any) -> None:
    plan = {
        "assignments": [
            {"request_id": "r1", "volunteer_ids": ["v2"], "start": "2030-03-04T09:00:00+01:00"},
            {"request_id": "r2", "volunteer_ids": ["ghost"]},
        ]
    }
    resp = client.post("/v1/check", json={"problem": problem, "solution": plan}, headers=AUTH_A)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["ok"] is False
    by_rule = {v["rule"]: v for v in body["violations"]}
    assert by_rule["skills"]["pointer"] == "/solution/assignments/0/volunteer_ids/0"
    assert by_rule["skills"]["path"] == "assignments[0].volunteer_ids[0]"
    assert by_rule["unknown_volunteer"]["pointer"] == "/solution/assignments/1/volunteer_ids/0"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], ""),
        ({"problem": {}}, "/solution"),
        ({"solution": {"assignments": []}}, "/problem"),
        ({"problem": {}, "solution": {}, "extra": 1}, "/extra"),
        ({"problem": {"volunteers": [], "requests": []}, "solution": []}, "/solution"),
        ({"problem": {"volunteers": [], "requests": 3}, "solution": {"assignments": []}},
         "/problem/requests"),
        ({"problem": {"volunteers": [], "requests": []}, "solution": {"assignments": 5}},
         "/solution/assignments"),
        ({"problem": {"volunteers": [], "requests": []},
          "solution": {"assignments": [{"request_id": "x", "volunteer_ids": ["y"],
                                        "start": "yesterday"}]}},
         "/solution/assignments/0/start"),
        # a problem where the solution belongs, a field no solution has, a bad status
        ({"problem": {"volunteers": [], "requests": []},
          "solution": {"volunteers": [], "requests": [], "assignments": []}}, "/solution"),
        ({"problem": {"volunteers": [], "requests": []},
          "solution": {"assignments": [], "plan": []}}, "/solution/plan"),
        ({"problem": {"volunteers": [], "requests": []},
          "solution": {"assignments": [], "status": "done"}}, "/solution/status"),
    ],
)  # fmt: skip
def test_check_bad_documents_are_422(client: FlaskClient, body: Any, pointer: str) -> None:
    resp = client.post("/v1/check", json=body, headers=AUTH_A)
    problem = assert_problem_json(resp, 422)
    assert problem["errors"][0]["pointer"] == pointer


def test_location_to_pointer() -> None:
    assert check_resource.location_to_pointer("assignments[2].volunteer_ids[1]") == (
        "/assignments/2/volunteer_ids/1"
    )
    assert check_resource.location_to_pointer("objective.travel_km") == "/objective/travel_km"
    assert check_resource.location_to_pointer("(document)") == ""
    assert check_resource.location_to_pointer("unassigned") == "/unassigned"


def test_unknown_query_parameters_are_ignored(app: Flask, problem: Any) -> None:
    resp = app.test_client().post("/v1/match?foo=bar", json=copy.deepcopy(problem), headers=AUTH_A)
    assert resp.status_code == 200


def test_a_lapsed_credential_is_the_reason_and_the_blocked_stage(
    client: FlaskClient, problem: dict[str, Any]
) -> None:
    for vol in problem["volunteers"]:
        vol["credentials"] = [{"name": "VOG", "valid_until": "2001-01-01"}]
    problem["requests"][0]["credentials"] = ["vog"]
    report = client.post("/v1/match?validate_only=true", json=problem, headers=AUTH_A).get_json()
    first = report["funnels"][0]
    assert first["blocked_at"] == "no_valid_credential"
    assert first["funnel"]["credentials"] == 0 < first["funnel"]["skills"]
    body = client.post("/v1/match", json=problem, headers=AUTH_A).get_json()
    assert [(u["request_id"], u["reason"]) for u in body["unassigned"]] == [
        ("r1", "no_valid_credential")
    ]
    assert matchcore.check(matchcore.Problem.from_dict(problem), body).ok
