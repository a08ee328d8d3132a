"""Every error path, one by one: each is problem+json, none is a 500."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from service_testlib import AUTH_A, assert_problem_json, grid_problem

from service import match as match_resource


def _post_raw(client: FlaskClient, data: bytes | str, ctype: str = "application/json") -> Any:
    return client.post("/v1/match", data=data, headers={**AUTH_A, "Content-Type": ctype})


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        b'{"volunteers": [], "requests": [],}',
        b"",
        b"   ",
        b'{"volunteers": [], "volunteers": [], "requests": []}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"volunteers": [], "requests": [], "options": {"seed": ' + b"9" * 5000 + b"}}",
        b"\xff\xfe\x00garbage",
        '{"volunteers": [], "requests": "\ud800"}'.encode("utf-8", "surrogatepass"),
        b'{"volunteers": [], "requests": [], "x": "\\ud800"}',
    ],
)
def test_invalid_json_is_400(client: FlaskClient, data: bytes) -> None:
    body = assert_problem_json(_post_raw(client, data), 400)
    assert body["type"].endswith("/invalid-json")


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_rejected_at_their_pointer(
    client: FlaskClient, literal: bytes
) -> None:
    # one rule with the CLI and the library: they parse, and the field rejects them
    data = (
        b'{"volunteers": [], "requests": [], "options": {"time_limit_seconds": ' + literal + b"}}"
    )
    body = assert_problem_json(_post_raw(client, data), 422)
    assert body["errors"][0]["pointer"] == "/options/time_limit_seconds"


def test_duplicate_keys_are_named_by_pointer(client: FlaskClient) -> None:
    data = b'{"volunteers": [], "requests": [{"id": "a", "id": "b"}], "options": {}}'
    body = assert_problem_json(_post_raw(client, data), 400)
    assert body["errors"] == [
        {"pointer": "/requests/0/id", "detail": "appears twice in this object"}
    ]


def test_lone_surrogate_is_named_by_pointer(client: FlaskClient) -> None:
    body = assert_problem_json(
        _post_raw(client, b'{"volunteers": [], "requests": ["\\udc00"]}'), 400
    )
    assert body["errors"][0]["pointer"] == "/requests/0"


def test_utf8_bom_is_accepted_as_by_the_cli(client: FlaskClient) -> None:
    data = b"\xef\xbb\xbf" + json.dumps(grid_problem(1, 1)).encode()
    assert (
        client.post(
            "/v1/match", data=data, headers={**AUTH_A, "Content-Type": "application/json"}
        ).status_code
        == 200
    )


def test_invalid_json_error_names_line_and_column_only(client: FlaskClient) -> None:
    body = assert_problem_json(_post_raw(client, b'{"volunteers": [SECRETNAME]}'), 400)
    assert "line 1" in body["detail"]
    assert "SECRETNAME" not in json.dumps(body)


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_media_type_is_415(client: FlaskClient, ctype: str) -> None:
    assert_problem_json(_post_raw(client, b"{}", ctype), 415)


def test_body_over_the_cap_is_413(make_app: Any) -> None:
    client = make_app(MAX_BODY_BYTES=2000).test_client()
    big = json.dumps(grid_problem(40, 10))
    assert len(big) > 2000
    body = assert_problem_json(_post_raw(client, big), 413)
    assert body["type"].endswith("/body-too-large")
    assert "at most 2000 bytes" in body["detail"]
    assert body["max_body_bytes"] == 2000
    # the same body goes through where the cap is larger (jobs have their own cap)
    resp = client.post("/v1/jobs", data=big, headers={**AUTH_A, "Content-Type": "application/json"})
    assert resp.status_code == 202


def test_body_over_the_cap_without_content_length_is_413(make_app: Any) -> None:
    client = make_app(MAX_BODY_BYTES=100).test_client()

    resp = client.post(
        "/v1/match",
        input_stream=io.BytesIO(b" " * 10_000),
        headers={**AUTH_A, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    body = assert_problem_json(resp, 413)
    assert "at most 100 bytes" in body["detail"]
    assert body["max_body_bytes"] == 100


def test_jobs_413_says_the_jobs_limit(make_app: Any) -> None:
    client = make_app(MAX_BODY_BYTES=100, JOB_MAX_BODY_BYTES=300).test_client()
    big = json.dumps(grid_problem(40, 10))
    resp = client.post("/v1/jobs", data=big, headers={**AUTH_A, "Content-Type": "application/json"})
    body = assert_problem_json(resp, 413)
    assert "at most 300 bytes" in body["detail"]
    assert body["max_body_bytes"] == 300


def test_413_outside_the_endpoints_says_the_server_limit(make_app: Any) -> None:
    app = make_app(MAX_BODY_BYTES=100, JOB_MAX_BODY_BYTES=300)

    @app.post("/echo-form")
    def echo_form() -> str:  # reads a form: werkzeug applies the app-wide cap
        from flask import request

        return str(len(request.form))

    resp = app.test_client().post(
        "/echo-form",
        data=b"a=" + b"x" * 1000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    body = assert_problem_json(resp, 413)
    assert body["max_body_bytes"] == 300
    assert "at most 300 bytes" in body["detail"]


def test_too_many_volunteers_or_requests_is_413(make_app: Any) -> None:
    client = make_app(MAX_VOLUNTEERS=5, MAX_REQUESTS=3).test_client()
    body = assert_problem_json(
        client.post("/v1/match", json=grid_problem(6, 4), headers=AUTH_A), 413
    )
    assert body["type"].endswith("/too-many-items")
    assert [e["pointer"] for e in body["errors"]] == ["/volunteers", "/requests"]
    assert "/v1/jobs" in body["detail"]
    # check has the same limits, on the embedded problem
    resp = client.post(
        "/v1/check",
        json={"problem": grid_problem(6, 1), "solution": {"assignments": []}},
        headers=AUTH_A,
    )
    assert assert_problem_json(resp, 413)["errors"][0]["pointer"] == "/problem/volunteers"


def test_jobs_have_their_own_size_limits(make_app: Any) -> None:
    client = make_app(MAX_VOLUNTEERS=5, JOB_MAX_VOLUNTEERS=7).test_client()
    assert client.post("/v1/jobs", json=grid_problem(6, 2), headers=AUTH_A).status_code == 202
    assert_problem_json(client.post("/v1/jobs", json=grid_problem(8, 2), headers=AUTH_A), 413)


def test_unknown_route_is_404(client: FlaskClient) -> None:
    body = assert_problem_json(client.get("/nope"), 404)
    assert body["type"].endswith("/not-found")
    assert_problem_json(client.get("/v1/nope", headers=AUTH_A), 404)


def test_unknown_route_under_v1_needs_a_key_first(client: FlaskClient) -> None:
    assert_problem_json(client.get("/v1/nope"), 401)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("get", "/v1/match", {"POST"}),
        ("put", "/v1/check", {"POST"}),
        ("patch", "/v1/jobs/abcdefghijklmnopqrstuvwxyz", {"GET", "DELETE"}),
        ("post", "/healthz", {"GET"}),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: FlaskClient, method: str, url: str, allowed: set[str]
) -> None:
    resp = getattr(client, method)(url, headers=AUTH_A)
    assert_problem_json(resp, 405)
    allow = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert allowed <= allow


def test_unexpected_solver_error_is_503_and_logged_by_type_only(
    client: FlaskClient, problem: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("volunteer Jantje Secret at 50.85,5.69")

    monkeypatch.setattr(match_resource, "solve", boom)
    with caplog.at_level(logging.DEBUG):
        resp = client.post("/v1/match", json=problem, headers=AUTH_A)
    body = assert_problem_json(resp, 503)
    assert body["type"].endswith("/service-error")
    assert body["request_id"] == resp.headers["X-Request-Id"]
    assert resp.headers["Retry-After"]
    assert "Jantje" not in resp.get_data(as_text=True)
    assert "RuntimeError" in caplog.text
    assert "Jantje" not in caplog.text
    assert "50.85" not in caplog.text


def test_unexpected_error_anywhere_is_503(
    client: FlaskClient, problem: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(match_resource, "parse_problem", lambda doc: 1 / 0)
    assert_problem_json(client.post("/v1/match", json=problem, headers=AUTH_A), 503)


def test_solve_over_its_deadline_is_503(
    make_app: Any, problem: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        raise RuntimeError("late")

    monkeypatch.setattr(match_resource, "solve", slow)
    client = make_app(TIME_LIMIT_CAP_S=0.2, SOLVE_MARGIN_S=0.2).test_client()
    started = time.monotonic()
    body = assert_problem_json(client.post("/v1/match", json=problem, headers=AUTH_A), 503)
    took = time.monotonic() - started
    release.set()
    assert body["type"].endswith("/solve-timeout")
    assert took < 3.0


def test_all_solver_slots_busy_is_503(
    make_app: Any, problem: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    real = match_resource.solve

    def blocking(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(match_resource, "solve", blocking)
    app = make_app(MAX_CONCURRENT_SOLVES=1, SOLVE_QUEUE_TIMEOUT_S=0.1)
    results: list[int] = []
    worker = threading.Thread(
        target=lambda: results.append(
            app.test_client().post("/v1/match", json=problem, headers=AUTH_A).status_code
        )
    )
    worker.start()
    assert started.wait(10)
    resp = app.test_client().post("/v1/match", json=problem, headers=AUTH_A)
    body = assert_problem_json(resp, 503)
    assert body["type"].endswith("/busy")
    assert resp.headers["Retry-After"] == "5"
    release.set()
    worker.join(10)
    assert results == [200]
    # the slot is free again
    assert app.test_client().post("/v1/match", json=problem, headers=AUTH_A).status_code == 200


def test_error_bodies_never_echo_input_values(client: FlaskClient, problem: Any) -> None:
    secret = "Mevrouw-Geheim-Straat-12"
    problem["requests"][0]["window"] = {"start": secret, "end": secret}
    problem["volunteers"][0]["travel_mode"] = secret
    resp = client.post("/v1/match", json=problem, headers=AUTH_A)
    assert_problem_json(resp, 422)
    assert secret not in resp.get_data(as_text=True)
