"""API keys, rate limit, configuration, security headers."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from service_testlib import AUTH_A, AUTH_B, SECRET_A, assert_problem_json

from service.app import create_app
from service.config import ConfigError, load_settings
from service.security import RateLimiter


@pytest.mark.parametrize(
    ("headers", "invalid"),
    [
        ({}, False),
        ({"Authorization": ""}, False),
        ({"Authorization": "Bearer"}, True),
        ({"Authorization": "Bearer "}, True),
        ({"Authorization": f"Basic {SECRET_A}"}, True),
        ({"Authorization": "Bearer wrong-secret-wrong-secret-wrong"}, True),
        ({"Authorization": f"Bearer {SECRET_A}x"}, True),
        ({"Authorization": f"Bearer {SECRET_A[:-1]}"}, True),
        ({"Authorization": "Bearer alpha"}, True),  # the key id is not the secret
    ],
)
def test_missing_or_invalid_key_is_401(
    client: FlaskClient, problem: Any, headers: dict[str, str], invalid: bool
) -> None:
    for resp in (
        client.post("/v1/match", json=problem, headers=headers),
        client.post("/v1/check", json={}, headers=headers),
        client.post("/v1/jobs", json=problem, headers=headers),
        client.get("/v1/jobs/abcdefghijklmnopqrstuvwxyz", headers=headers),
        client.delete("/v1/jobs/abcdefghijklmnopqrstuvwxyz", headers=headers),
    ):
        body = assert_problem_json(resp, 401)
        assert body["type"].endswith("/unauthorized")
        challenge = resp.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer")
        assert ('error="invalid_token"' in challenge) is invalid


def test_401_comes_before_reading_the_body(client: FlaskClient) -> None:
    resp = client.post("/v1/match", data=b"{broken", content_type="application/json")
    assert_problem_json(resp, 401)


def test_bearer_scheme_is_case_insensitive(client: FlaskClient, problem: Any) -> None:
    resp = client.post("/v1/match", json=problem, headers={"Authorization": f"bearer {SECRET_A}"})
    assert resp.status_code == 200


def test_both_keys_work(client: FlaskClient, problem: Any) -> None:
    assert client.post("/v1/match", json=problem, headers=AUTH_A).status_code == 200
    assert client.post("/v1/match", json=problem, headers=AUTH_B).status_code == 200


def test_health_and_docs_need_no_key(client: FlaskClient) -> None:
    for url in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert client.get(url).status_code == 200, url


def test_rate_limit_per_key_is_429_with_retry_after(make_app: Any, problem: Any) -> None:
    client = make_app(RATE_LIMIT_PER_MINUTE=1, RATE_LIMIT_BURST=2).test_client()
    url = "/v1/jobs/abcdefghijklmnopqrstuvwxyz"
    assert client.get(url, headers=AUTH_A).status_code == 404
    assert client.get(url, headers=AUTH_A).status_code == 404
    resp = client.get(url, headers=AUTH_A)
    body = assert_problem_json(resp, 429)
    assert body["type"].endswith("/rate-limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    # another key has its own bucket; health is not limited
    assert client.get(url, headers=AUTH_B).status_code == 404
    assert client.get("/healthz").status_code == 200


def test_token_bucket_refills() -> None:
    limiter = RateLimiter(per_minute=60, burst=1)
    limiter.take("k")
    with pytest.raises(Exception, match="Too many"):
        limiter.take("k")
    tokens, last = limiter._buckets["k"]
    limiter._buckets["k"] = (tokens, last - 1.5)  # 1.5 s later
    limiter.take("k")


# -- configuration -----------------------------------------------------------------------------


def test_refuses_to_start_without_keys(db_path: str) -> None:
    with pytest.raises(ConfigError, match="no API keys"):
        create_app({"JOBS_DB": db_path})


def test_insecure_dev_mode_starts_and_says_so_loudly(
    make_app: Any, problem: Any, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING):
        app = make_app(API_KEYS="", INSECURE_DEV=True)
    assert "INSECURE DEVELOPMENT MODE" in caplog.text
    resp = app.test_client().post("/v1/match", json=problem)
    assert resp.status_code == 200


def test_insecure_dev_mode_is_ignored_when_keys_are_set(make_app: Any, problem: Any) -> None:
    app = make_app(INSECURE_DEV=True)
    assert app.test_client().post("/v1/match", json=problem).status_code == 401


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("alpha", "keyid:secret"),
        ("alpha:short", "too weak"),
        ("al pha:" + "x" * 40, "key id"),
        (":" + "x" * 40, "key id"),
        (f"a:{'x' * 40},a:{'y' * 40}", "twice"),
        (f"a:{'x' * 40},b:{'x' * 40}", "same secret"),
        ("a:" + "x" * 20 + " " + "x" * 20, "too weak"),
    ],
)
def test_bad_keys_are_refused(keys: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"API_KEYS": keys}, environ={})


def test_keys_and_settings_from_environment(make_app: Any, monkeypatch: Any, db_path: str) -> None:
    secret = "env-secret-0123456789-abcdefghij"
    monkeypatch.setenv("MATCHCORE_API_KEYS", f"ops:{secret}")
    monkeypatch.setenv("MATCHCORE_MAX_VOLUNTEERS", "7")
    monkeypatch.setenv("MATCHCORE_JOB_RUNNER", "false")
    monkeypatch.setenv("MATCHCORE_JOBS_DB", db_path)
    app = create_app()
    try:
        st = app.extensions["matchcore"]
        assert st.settings.max_volunteers == 7
        assert st.settings.job_runner is False
        assert list(st.settings.api_keys) == ["ops"]
        resp = app.test_client().get("/v1/jobs/abcdefghijklmnopqrstuvwxyz",
                                     headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        assert resp.status_code == 404
    finally:
        app.extensions["matchcore"].close()


def test_config_file_toml_with_hashed_secret(tmp_path: Path, db_path: str) -> None:
    secret = "file-secret-0123456789-abcdefghij"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    path = tmp_path / "matchcore.toml"
    path.write_text(
        f'time_limit_cap_s = 3.5\njobs_db = "{db_path}"\njob_runner = false\n'
        f'[api_keys]\nclinic = "sha256:{digest}"\n'
    )
    app = create_app({"CONFIG": str(path)})
    try:
        assert app.extensions["matchcore"].settings.time_limit_cap_s == 3.5
        client = app.test_client()
        url = "/v1/jobs/abcdefghijklmnopqrstuvwxyz"
        assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 404
        bad = {"Authorization": f"Bearer sha256:{digest}"}  # the digest is not the key
        assert client.get(url, headers=bad).status_code == 401
    finally:
        app.extensions["matchcore"].close()


def test_world_readable_config_with_plain_secrets_warns(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[api_keys]\nk = "' + "x" * 30 + '"\n')
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_settings({"CONFIG": str(path)}, environ={})
    assert "plaintext API secrets" in caplog.text
    assert "x" * 30 not in caplog.text
    caplog.clear()
    path.chmod(0o600)
    with caplog.at_level(logging.WARNING):
        load_settings({"CONFIG": str(path)}, environ={})
    assert "plaintext" not in caplog.text


def test_config_file_json_and_env_override(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"api_keys": {"k": "x" * 30}, "max_requests": 9}))
    monkeypatch.setenv("MATCHCORE_CONFIG", str(path))
    monkeypatch.setenv("MATCHCORE_MAX_REQUESTS", "11")
    settings = load_settings()
    assert settings.max_requests == 11
    assert list(settings.api_keys) == ["k"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("max_requests = 5\nmax_volunteerz = 3\n", "unknown settings max_volunteerz"),
        ("max_requests = 'many'\n", "max_requests"),
        ("max_requests = -1\n", "greater than 0"),
        ("time_limit_cap_s = nan\n", "greater than 0"),
        ("[[", "not valid TOML"),
    ],
)
def test_bad_config_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('api_keys = "k:' + "x" * 30 + '"\n' + content)
    with pytest.raises(ConfigError, match=message):
        load_settings({"CONFIG": str(path)}, environ={})


def test_missing_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings({"CONFIG": str(tmp_path / "none.toml")}, environ={})


def test_bad_boolean_is_refused() -> None:
    with pytest.raises(ConfigError, match="job_runner"):
        load_settings({"API_KEYS": "k:" + "x" * 30, "JOB_RUNNER": "perhaps"}, environ={})


# -- headers ---------------------------------------------------------------------------------


def test_security_headers_on_every_answer(client: FlaskClient, problem: Any) -> None:
    for resp in (
        client.post("/v1/match", json=problem, headers=AUTH_A),
        client.get("/healthz"),
        client.get("/nope"),
        client.post("/v1/match", json=problem),
    ):
        h = resp.headers
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Cache-Control"] == "no-store"
        assert h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in h["Content-Security-Policy"]
        assert h["X-Request-Id"]


def test_request_id_is_taken_from_a_sane_header_only(client: FlaskClient) -> None:
    resp = client.get("/healthz", headers={"X-Request-Id": "trace-1234abcd"})
    assert resp.headers["X-Request-Id"] == "trace-1234abcd"
    resp = client.get("/healthz", headers={"X-Request-Id": "bad id\u00e9 with spaces"})
    assert resp.headers["X-Request-Id"] != "bad id\u00e9 with spaces"
    assert len(resp.headers["X-Request-Id"]) == 16
