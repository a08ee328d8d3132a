"""The HTML report over HTTP: a finished job's report, and a match answered in HTML."""

from __future__ import annotations

import html
import sqlite3
from typing import Any

import pytest
from flask.testing import FlaskClient
from service_testlib import AUTH_A, AUTH_B, assert_problem_json

from service.jobqueue import JobStore, run_job

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _finished_job(make_app: Any, problem: Any, db_path: str) -> tuple[FlaskClient, str]:
    """A job submitted over HTTP and run in this process (as the runner's worker runs it)."""
    client = make_app().test_client()
    resp = client.post("/v1/jobs", json=problem, headers=AUTH_A)
    assert resp.status_code == 202
    job_id = resp.get_json()["id"]
    store = JobStore(db_path, create=False)
    assert store.claim_next("claim-1") == job_id
    assert run_job(db_path, job_id, "claim-1", 1) == "done"
    return client, job_id


def _csp_meta(page: str) -> str:
    marker = '<meta http-equiv="Content-Security-Policy" content="'
    start = page.index(marker) + len(marker)
    return html.unescape(page[start : page.index('"', start)])


def test_a_finished_job_has_its_report(make_app: Any, problem: Any, db_path: str) -> None:
    client, job_id = _finished_job(make_app, problem, db_path)
    resp = client.get(f"/v1/jobs/{job_id}/report", headers=AUTH_A)
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert '<html lang="nl">' in page and resp.headers["Content-Language"] == "nl"
    for rid in ("r1", "r2"):
        assert f"<td>{rid}</td>" in page
    # the header repeats the page's own policy: nothing but its style and script
    assert resp.headers["Content-Security-Policy"] == _csp_meta(page)
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    english = client.get(f"/v1/jobs/{job_id}/report?lang=en", headers=AUTH_A)
    assert '<html lang="en">' in english.get_data(as_text=True)
    preferred = client.get(
        f"/v1/jobs/{job_id}/report", headers={**AUTH_A, "Accept-Language": "en-GB,en;q=0.8"}
    )
    assert '<html lang="en">' in preferred.get_data(as_text=True)


def test_the_report_is_the_owners_only(make_app: Any, problem: Any, db_path: str) -> None:
    client, job_id = _finished_job(make_app, problem, db_path)
    body = assert_problem_json(client.get(f"/v1/jobs/{job_id}/report", headers=AUTH_B), 404)
    assert body["type"].endswith("/job-not-found")
    assert_problem_json(client.get(f"/v1/jobs/{job_id}/report"), 401)
    assert_problem_json(client.get("/v1/jobs/not-a-job-id-at-all-xyz/report", headers=AUTH_A), 404)


def test_the_report_goes_with_its_job(make_app: Any, problem: Any, db_path: str) -> None:
    client, job_id = _finished_job(make_app, problem, db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM job_reports").fetchone() == (1,)
    assert client.delete(f"/v1/jobs/{job_id}", headers=AUTH_A).status_code == 204
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM job_reports").fetchone() == (0,)
    assert_problem_json(client.get(f"/v1/jobs/{job_id}/report", headers=AUTH_A), 404)


def test_a_job_not_done_has_no_report_yet(make_app: Any, problem: Any) -> None:
    client = make_app().test_client()
    job_id = client.post("/v1/jobs", json=problem, headers=AUTH_A).get_json()["id"]
    body = assert_problem_json(client.get(f"/v1/jobs/{job_id}/report", headers=AUTH_A), 409)
    assert body["type"].endswith("/job-not-done") and "queued" in body["detail"]


def test_an_unknown_language_is_a_400(make_app: Any, problem: Any, db_path: str) -> None:
    client, job_id = _finished_job(make_app, problem, db_path)
    resp = client.get(f"/v1/jobs/{job_id}/report?lang=fr", headers=AUTH_A)
    body = assert_problem_json(resp, 400)
    assert body["type"].endswith("/invalid-parameter")


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("application/json", False),
        ("*/*", False),
        ("text/html", True),
        (BROWSER_ACCEPT, True),
    ],
)
def test_match_answers_html_when_asked(
    client: FlaskClient, problem: Any, accept: str | None, html: bool
) -> None:
    headers = {**AUTH_A, "Accept-Language": "en"}
    if accept is not None:
        headers["Accept"] = accept
    resp = client.post("/v1/match", json=problem, headers=headers)
    assert resp.status_code == 200
    if html:
        assert resp.mimetype == "text/html"
        page = resp.get_data(as_text=True)
        assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
        assert resp.headers["Content-Security-Policy"] == _csp_meta(page)
    else:
        assert resp.mimetype == "application/json"
        assert resp.get_json()["objective"]["served_requests"] == 2


def test_a_report_that_fails_never_fails_its_job(
    make_app: Any, problem: Any, db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("r1 at 50.851,5.691")  # a message with input data: never logged

    monkeypatch.setattr("service.report.build_report", broken)
    client, job_id = _finished_job(make_app, problem, db_path)
    assert client.get(f"/v1/jobs/{job_id}", headers=AUTH_A).get_json()["status"] == "done"
    body = assert_problem_json(client.get(f"/v1/jobs/{job_id}/report", headers=AUTH_A), 404)
    assert body["type"].endswith("/report-not-found")
