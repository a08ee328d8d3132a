"""What one app instance holds: settings, keys, limiter, solve gate, jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from service.config import Settings
from service.jobqueue import JobRunner, JobStore
from service.security import KeyStore, RateLimiter
from service.solving import SolveGate


@dataclass
class ReadyCache:
    checked_at: float = -1e18
    ok: bool = False
    detail: str = ""


@dataclass
class ServiceState:
    settings: Settings
    keys: KeyStore
    limiter: RateLimiter
    gate: SolveGate
    store: JobStore
    runner: JobRunner
    ready: ReadyCache = field(default_factory=ReadyCache)
    openapi: dict[str, Any] | None = None

    def close(self) -> None:
        """Stop the job runner and the solve threads (tests, shutdown)."""
        self.runner.close()
        self.gate.shutdown()


def state() -> ServiceState:
    """The :class:`ServiceState` of the current app."""
    st: ServiceState = current_app.extensions["matchcore"]
    return st
