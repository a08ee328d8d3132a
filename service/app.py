"""The application factory: ``create_app(config) -> Flask``.

Production::

    gunicorn -c service/gunicorn_conf.py 'service.app:create_app()'

Settings come from ``config`` (upper- or lower-case setting names), the
``MATCHCORE_*`` environment variables and the file named by
``MATCHCORE_CONFIG``; see :mod:`service.config`. Without API keys the factory
raises :class:`~service.config.ConfigError`, unless ``MATCHCORE_INSECURE_DEV=1``.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import secrets
import sys
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request

from service.config import ConfigError, Settings, load_settings
from service.errors import register_error_handlers
from service.jobqueue import JobRunner, JobStore
from service.security import KeyStore, RateLimiter
from service.solving import SolveGate
from service.state import ServiceState, state

__all__ = ["ConfigError", "create_app"]

log = logging.getLogger("matchcore.service")
access_log = logging.getLogger("matchcore.service.access")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the service app; refuses (ConfigError) to start insecurely by accident."""
    settings = load_settings(config)
    # no static folder: every route is one of the OpenAPI document's (tests hold that)
    app = Flask("service", root_path=str(_HERE), instance_path=_instance_path(), static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=max(settings.max_body_bytes, settings.job_max_body_bytes),
        JSON_SORT_KEYS=False,
    )
    for key, value in (config or {}).items():
        if str(key).isupper():
            app.config[str(key)] = value
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    if settings.insecure_dev:
        banner = "!" * 72
        log.warning(
            "\n%s\nINSECURE DEVELOPMENT MODE: no API keys, every request is accepted as key "
            "'insecure-dev'.\nNever run this with real personal data or on a reachable "
            "address.\n%s",
            banner,
            banner,
        )

    st = _build_state(app, settings)
    app.extensions["matchcore"] = st

    # one blueprint per resource, each in its own module beside this factory
    from service import check, docs, health, jobs, match, report, schema, zorgpad

    for resource in (match, check, jobs, report, schema, zorgpad, health, docs):
        app.register_blueprint(resource.bp)
    register_error_handlers(app)
    app.before_request(_before_request)
    app.after_request(_after_request)

    if settings.job_runner:
        st.runner.ensure_started()
        atexit.register(_close_at_exit, weakref.ref(st))
    return app


_HERE = Path(__file__).resolve().parent


def _instance_path() -> str:
    """``<checkout>/instance`` in a source checkout, else ``<prefix>/var/matchcore-instance``.

    Given explicitly: Flask cannot find it for a package loaded by an editable-install hook.
    """
    checkout = _HERE.parent
    if (checkout / "pyproject.toml").is_file():
        return str(checkout / "instance")
    return str(Path(sys.prefix) / "var" / "matchcore-instance")


def _build_state(app: Flask, settings: Settings) -> ServiceState:
    db_path = settings.jobs_db or os.path.join(app.instance_path, "matchcore-jobs.sqlite3")
    store = JobStore(db_path)
    runner = JobRunner(
        store,
        workers=settings.job_workers,
        solver_threads=settings.max_solver_threads,
        poll_interval_s=settings.job_poll_interval_s,
        retention_s=settings.job_retention_hours * 3600.0,
        max_attempts=settings.job_max_attempts,
    )
    return ServiceState(
        settings=settings,
        keys=KeyStore(settings.api_keys, insecure_dev=settings.insecure_dev),
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        gate=SolveGate(settings.max_concurrent_solves, settings.solve_queue_timeout_s),
        store=store,
        runner=runner,
    )


def _close_at_exit(ref: weakref.ref[ServiceState]) -> None:
    st = ref()
    if st is not None:
        st.close()


def _before_request() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else secrets.token_hex(8)
    st = state()
    if st.settings.job_runner:
        st.runner.ensure_started()  # again in a process forked after create_app
    if request.path == "/v1" or request.path.startswith("/v1/"):
        g.key_id = st.keys.identify(request.headers.get("Authorization"))
        st.limiter.take(g.key_id)


def _after_request(resp: Response) -> Response:
    headers = resp.headers
    headers["X-Request-Id"] = g.get("request_id", "-")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "no-store"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers.setdefault("Content-Security-Policy", API_CSP)
    _log_request(resp.status_code)
    return resp


def _log_request(status: int) -> None:
    """One line per request: ids, sizes, status, time. Never bodies or values from them."""
    started = g.get("started")
    duration_ms = (time.perf_counter() - started) * 1000.0 if started is not None else -1.0
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    access_log.info(
        "request id=%s key=%s method=%s route=%s status=%d bytes_in=%s volunteers=%s "
        "requests=%s duration_ms=%.1f",
        g.get("request_id", "-"),
        g.get("key_id", "-"),
        request.method if request.method.isalpha() else "?",
        rule,
        status,
        g.get("body_bytes", request.content_length or 0),
        g.get("n_volunteers", "-"),
        g.get("n_requests", "-"),
        duration_ms,
    )
