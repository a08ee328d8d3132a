"""Fixtures for the HTTP service tests: apps on a temporary SQLite file, clients, keys."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from service_testlib import SECRET_A, SECRET_B, tiny_problem

from service.app import create_app


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MATCHCORE_* variables must not leak into the tests."""
    import os

    for name in list(os.environ):
        if name.startswith("MATCHCORE_"):
            monkeypatch.delenv(name)


AppFactory = Callable[..., Flask]


@pytest.fixture
def db_path(tmp_path: Any) -> str:
    return str(tmp_path / "db" / "jobs.sqlite3")


@pytest.fixture
def make_app(db_path: str) -> Iterator[AppFactory]:
    """Build apps on one temporary database; all are closed at the end of the test."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "TESTING": True,
            "API_KEYS": f"alpha:{SECRET_A},beta:{SECRET_B}",
            "JOBS_DB": db_path,
            "JOB_RUNNER": False,
            "JOB_POLL_INTERVAL_S": 0.1,
            "TIME_LIMIT_CAP_S": 5,
            "MAX_SOLVER_THREADS": 1,
            "RATE_LIMIT_PER_MINUTE": 6000,
            "RATE_LIMIT_BURST": 1000,
        }
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["matchcore"].close()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def problem() -> dict[str, Any]:
    return copy.deepcopy(tiny_problem())
