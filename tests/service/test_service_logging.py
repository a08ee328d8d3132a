"""Logs carry ids, sizes, status and time: never bodies, coordinates, ids of people or skills."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from service_testlib import AUTH_A, AUTH_B, SECRET_A, SECRET_B, wait_for_job

# distinctive values that must never reach a log line
PERSON_IDS = ("Vrijwilliger-Annemiek-Claessens", "Client-Wilhelmina-Hendriks")
REQUEST_IDS = ("Hulpvraag-Boodschappen-Mw-Hendriks",)
SKILLS = ("Dementie-Begeleiding-Xq",)
LANGUAGES = ("Limburgs-Plat-Zq",)
COORDS = ("50.123456", "5.987654")
MARKERS = (*PERSON_IDS, *REQUEST_IDS, *SKILLS, *LANGUAGES, *COORDS, SECRET_A, SECRET_B)


def _private_problem() -> dict[str, Any]:
    return {
        "volunteers": [
            {
                "id": PERSON_IDS[0],
                "location": {"lat": 50.123456, "lon": 5.987654},
                "skills": [SKILLS[0]],
                "languages": [LANGUAGES[0]],
            }
        ],
        "requests": [
            {
                "id": REQUEST_IDS[0],
                "client_id": PERSON_IDS[1],
                "location": {"lat": 50.123456, "lon": 5.987654},
                "skills": [SKILLS[0]],
                "languages": [LANGUAGES[0]],
                "duration_minutes": 60,
                "preferred_volunteers": [PERSON_IDS[0]],
            }
        ],
        "options": {"time_limit_seconds": 5},
    }


def _assert_clean(text: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} leaked into the logs"


def test_no_personal_data_in_logs(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    problem = _private_problem()
    with caplog.at_level(logging.DEBUG):
        app = make_app(JOB_RUNNER=True)
        client = app.test_client()
        ok = client.post("/v1/match", json=problem, headers=AUTH_A)
        assert ok.status_code == 200
        assert PERSON_IDS[0] in ok.get_data(as_text=True)  # the answer has it; the log must not
        client.post("/v1/match?validate_only=true", json=problem, headers=AUTH_A)
        client.post(
            "/v1/check", json={"problem": problem, "solution": ok.get_json()}, headers=AUTH_A
        )
        location = client.post("/v1/jobs", json=problem, headers=AUTH_A).headers["Location"]
        assert wait_for_job(client, location, AUTH_A)["status"] == "done"
        client.get(location, headers=AUTH_B)
        client.delete(location, headers=AUTH_A)
        # error paths, with the private values in the offending places
        bad = _private_problem()
        bad["volunteers"][0]["location"]["lat"] = 123.456789
        bad["requests"][0]["window"] = {"start": PERSON_IDS[1], "end": PERSON_IDS[1]}
        client.post("/v1/match", json=bad, headers=AUTH_A)
        client.post("/v1/match", data=f'{{"x": "{PERSON_IDS[0]}"', headers=AUTH_A,
                    content_type="application/json")  # fmt: skip
        client.post("/v1/match", json=problem, headers={"Authorization": f"Bearer {PERSON_IDS[0]}"})
        client.get(f"/v1/jobs/{PERSON_IDS[0]}", headers=AUTH_A)
    text = caplog.text
    _assert_clean(text)
    assert "123.456789" not in text
    # job ids are not personal, but the concrete path is not logged either
    assert location.rsplit("/", 1)[-1] not in text


def test_one_line_per_request_with_the_agreed_fields(
    client: Any, problem: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="matchcore.service.access"):
        resp = client.post(
            "/v1/match", json=problem, headers={**AUTH_A, "X-Request-Id": "req-abcdef123"}
        )
        client.get("/v1/jobs/abcdefghijklmnopqrstuvwxyz", headers=AUTH_B)
        client.get("/nothing-here")
    lines = [r.getMessage() for r in caplog.records if r.name == "matchcore.service.access"]
    assert len(lines) == 3
    first, second, third = lines
    assert resp.headers["X-Request-Id"] == "req-abcdef123"
    assert "id=req-abcdef123" in first
    assert "key=alpha" in first
    assert "method=POST route=/v1/match status=200" in first
    assert "volunteers=2 requests=2" in first
    assert re.search(r"bytes_in=\d+", first)
    assert re.search(r"duration_ms=\d+\.\d", first)
    assert "key=beta" in second
    assert "route=/v1/jobs/<job_id> status=404" in second
    assert "abcdefghijklmnopqrstuvwxyz" not in second
    assert "route=<unmatched> status=404" in third
    assert "key=-" in third
