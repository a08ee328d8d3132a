"""Helpers shared by the service tests (imported by name: no package here on purpose)."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient

SECRET_A = "alpha-0123456789-abcdefghijklmnop"
SECRET_B = "beta-0123456789-abcdefghijklmnopq"
AUTH_A = {"Authorization": f"Bearer {SECRET_A}"}
AUTH_B = {"Authorization": f"Bearer {SECRET_B}"}

TIMED = {"start": "2030-03-04T09:00:00+01:00", "end": "2030-03-04T12:00:00+01:00"}


def tiny_problem() -> dict[str, Any]:
    """Two volunteers, two requests: both served."""
    return {
        "volunteers": [
            {"id": "v1", "location": {"lat": 50.85, "lon": 5.69}, "skills": ["driving"]},
            {"id": "v2", "location": {"lat": 50.86, "lon": 5.70}, "skills": ["visit"]},
        ],
        "requests": [
            {
                "id": "r1",
                "location": {"lat": 50.851, "lon": 5.691},
                "skills": ["driving"],
                "duration_minutes": 60,
                "window": dict(TIMED),
            },
            {
                "id": "r2",
                "location": {"lat": 50.861, "lon": 5.701},
                "skills": ["visit"],
                "duration_minutes": 30,
            },
        ],
        "options": {"time_limit_seconds": 5},
    }


def grid_problem(n_volunteers: int, n_requests: int) -> dict[str, Any]:
    """A simple synthetic network around Maastricht (no generator needed)."""
    vols = [
        {
            "id": f"v{i}",
            "location": {"lat": 50.80 + (i % 10) * 0.01, "lon": 5.65 + (i // 10) * 0.01},
            "skills": ["visit"] if i % 2 else ["visit", "driving"],
        }
        for i in range(n_volunteers)
    ]
    reqs = [
        {
            "id": f"r{j}",
            "location": {"lat": 50.80 + (j % 7) * 0.012, "lon": 5.65 + (j // 7) * 0.012},
            "skills": ["driving"] if j % 3 == 0 else ["visit"],
            "duration_minutes": 45,
            "window": dict(TIMED),
        }
        for j in range(n_requests)
    ]
    return {"volunteers": vols, "requests": reqs, "options": {"time_limit_seconds": 5}}


def wait_for_job(
    client: FlaskClient, location: str, headers: dict[str, str], timeout: float = 60.0
) -> dict[str, Any]:
    """Poll a job until it is no longer queued or running."""
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(location, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        body: dict[str, Any] = resp.get_json()
        if body["status"] not in ("queued", "running"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {body['status']} after {timeout} s")
        time.sleep(0.1)


def assert_problem_json(resp: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 error answer with the given status."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/problem+json"
    body: dict[str, Any] = resp.get_json(force=True)
    for field in ("type", "title", "status", "detail"):
        assert field in body, field
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    return body
