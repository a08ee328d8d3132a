"""The workbook media type on /v1/match and /v1/jobs (issue 8 item 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from service_testlib import AUTH_A, assert_problem_json, wait_for_job

import matchcore
from matchcore.io import read_problem_file

WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEEK = Path(__file__).resolve().parents[2] / "examples" / "west_flanders_week.xlsx"


def _post(client: FlaskClient, path: str, data: bytes) -> Any:
    return client.post(path, data=data, headers={**AUTH_A, "Content-Type": WORKBOOK})


def test_match_accepts_a_workbook(client: FlaskClient) -> None:
    resp = _post(client, "/v1/match", WEEK.read_bytes())
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    report = matchcore.check(read_problem_file(WEEK), resp.get_json())
    assert report.ok
    assert report.objective.served_requests == 27  # req-14: vol-11's VOG lapsed (README)


def test_workbook_errors_name_their_cells(client: FlaskClient, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(WEEK)
    book["requests"]["J14"] = "sixty"
    path = tmp_path / "week.xlsx"
    book.save(path)
    body = assert_problem_json(_post(client, "/v1/match", path.read_bytes()), 422)
    assert body["errors"] == [
        {
            "pointer": "/requests/12/duration_minutes",
            "detail": "must be a whole number",
            "message": "must be a whole number",
            "cell": "requests!J14 (duration_minutes)",
        }
    ]
    assert "sixty" not in str(body)


def test_not_a_workbook_is_422(client: FlaskClient) -> None:
    body = assert_problem_json(_post(client, "/v1/match", b"PK\x03\x04nonsense"), 422)
    assert body["errors"][0]["detail"] == "is not an .xlsx workbook"


def test_check_still_takes_json_only(client: FlaskClient) -> None:
    resp = _post(client, "/v1/check", WEEK.read_bytes())
    assert_problem_json(resp, 415)


def test_jobs_accept_a_workbook(make_app: Any) -> None:
    app: Flask = make_app(JOB_RUNNER=True)
    client = app.test_client()
    resp = _post(client, "/v1/jobs", WEEK.read_bytes())
    assert resp.status_code == 202, resp.get_data(as_text=True)[:300]
    job = wait_for_job(client, resp.headers["Location"], AUTH_A)
    assert job["status"] == "done"
    assert matchcore.check(read_problem_file(WEEK), job["solution"]).ok
