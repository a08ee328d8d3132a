"""``/healthz`` (the process answers) and ``/readyz`` (it can solve and reach its database).

Neither needs a key, and neither says anything about the data or the version.
``/readyz`` solves a built-in two-person problem at most once per
``readyz_cache_s`` seconds, so probes cannot be used to load the solver.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Blueprint, Response, jsonify

from matchcore import Problem, solve
from service.errors import ApiError
from service.state import state

bp = Blueprint("health", __name__)
log = logging.getLogger("matchcore.service")
_probe_lock = threading.Lock()

TINY_PROBLEM: dict[str, Any] = {
    "volunteers": [{"id": "v", "location": {"lat": 50.85, "lon": 5.69}, "skills": ["visit"]}],
    "requests": [
        {
            "id": "r",
            "location": {"lat": 50.86, "lon": 5.70},
            "skills": ["visit"],
            "duration_minutes": 30,
            "window": {"start": "2030-01-07T09:00:00+01:00", "end": "2030-01-07T12:00:00+01:00"},
        }
    ],
    "options": {"time_limit_seconds": 2, "workers": 1},
}


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    st = state()
    with _probe_lock:
        cache = st.ready
        now = time.monotonic()
        if now - cache.checked_at >= st.settings.readyz_cache_s:
            cache.ok, cache.detail = _probe(st)
            cache.checked_at = now
        ok, detail = cache.ok, cache.detail
    if not ok:
        raise ApiError(503, "not-ready", detail, headers={"Retry-After": "5"})
    return jsonify({"status": "ready", "checks": {"database": "ok", "solver": "ok"}})


def _probe(st: Any) -> tuple[bool, str]:
    try:
        st.store.ping()
    except Exception as err:
        log.error("readyz: database error type=%s", type(err).__qualname__)
        return False, "The job database cannot be read."
    try:
        solution = solve(Problem.from_dict(TINY_PROBLEM), time_limit_s=2.0)
        if solution.objective.served_requests != 1:
            return False, "The solver gave a wrong answer to the readiness problem."
    except Exception as err:
        log.error("readyz: solver error type=%s", type(err).__qualname__)
        return False, "The solver cannot solve the readiness problem."
    return True, ""
