"""Flask-free helpers shared by the web process and the job worker processes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from matchcore import Problem, ProblemError, TimeWindow

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://matchcore.example/problems/"


# Sanity bounds the service adds to the v1 format (defence in depth: every number
# that reaches the solver's 64-bit arithmetic is physically meaningful and small).
MIN_SPEED_KMH, MAX_SPEED_KMH = 0.1, 1000.0
MAX_DETOUR_FACTOR = 10.0
MAX_DURATION_MINUTES = 525_600  # one year
MAX_VOLUNTEERS_NEEDED = 1_000
MAX_PRIORITY = 1_000_000.0
MAX_TASKS = 1_000_000
MAX_MINUTES = 1_000_000_000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def service_rules(problem: Problem) -> None:
    """Bounds the service adds to the v1 format; raises :class:`ProblemError`.

    ``options.seed`` is a 32-bit integer (CP-SAT's); speeds lie in 0.1-1000 km/h;
    the detour factor is at most 10; a duration at most a year; at most 1000
    volunteers per request; priority at most 1e6; ``max_tasks`` at most 1e6 and
    ``max_minutes`` at most 1e9; every date-time lies in 1970-2199 (UTC).
    """
    opts = problem.options
    if not INT32_MIN <= opts.seed <= INT32_MAX:
        raise ProblemError(("options", "seed"), "must be a 32-bit integer")
    for mode, speed in opts.travel.speeds_kmh.items():
        if not MIN_SPEED_KMH <= speed <= MAX_SPEED_KMH:
            raise ProblemError(
                ("options", "travel", "speeds_kmh", mode.value),
                f"must be between {MIN_SPEED_KMH:g} and {MAX_SPEED_KMH:g} km/h",
            )
    if opts.travel.detour_factor > MAX_DETOUR_FACTOR:
        raise ProblemError(
            ("options", "travel", "detour_factor"), f"must be at most {MAX_DETOUR_FACTOR:g}"
        )
    for i, vol in enumerate(problem.volunteers):
        _at_most(vol.max_tasks, MAX_TASKS, ("volunteers", i, "max_tasks"))
        _at_most(vol.max_minutes, MAX_MINUTES, ("volunteers", i, "max_minutes"))
        for window in vol.availability or ():  # merged windows: name the list only
            _window(window, ("volunteers", i, "availability"))
    for j, req in enumerate(problem.requests):
        _at_most(req.duration_minutes, MAX_DURATION_MINUTES, ("requests", j, "duration_minutes"))
        _at_most(req.volunteers_needed, MAX_VOLUNTEERS_NEEDED, ("requests", j, "volunteers_needed"))
        _at_most(req.priority, MAX_PRIORITY, ("requests", j, "priority"))
        if req.window is not None:
            _window(req.window, ("requests", j, "window"))
    for p, pin in enumerate(problem.assignments):
        if pin.start is not None:
            _moment(pin.start, ("assignments", p, "start"))


def _at_most(value: float | None, limit: float, path: tuple[str | int, ...]) -> None:
    if value is not None and value > limit:
        raise ProblemError(path, f"must be at most {limit:g}")


def _window(window: TimeWindow, path: tuple[str | int, ...]) -> None:
    named = path[-1] != "availability"
    _moment(window.start, (*path, "start") if named else path)
    _moment(window.end, (*path, "end") if named else path)


def _moment(moment: datetime, path: tuple[str | int, ...]) -> None:
    if not EARLIEST <= moment <= LATEST:
        raise ProblemError(path, "must lie between 1970-01-01 and 2200-01-01 (UTC)")


def cap_solver_threads(problem: Problem, max_threads: int) -> Problem:
    """The problem with its CP-SAT ``workers`` (0 = one per core) capped by the server."""
    wanted = problem.options.workers
    if 0 < wanted <= max_threads:
        return problem
    return replace(problem, options=replace(problem.options, workers=max_threads))


def effective_time_limit(problem: Problem, cap_s: float) -> float:
    """The problem's own time limit, capped by the server's."""
    return float(min(problem.options.time_limit_seconds, cap_s))


def problem_details(
    status: int, kind: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem document as a dict (``type`` under the service's base URI)."""
    doc: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        doc["errors"] = errors
    return doc


def validation_details(err: ProblemError, prefix: str = "") -> dict[str, Any]:
    """A :class:`ProblemError` as a 422 problem document naming its pointer."""
    return problem_details(
        422,
        "validation-error",
        "Unprocessable Content",
        "The document breaks the v1 format or a hard rule; see errors.",
        [
            {"pointer": prefix + e.pointer, "detail": e.message, "message": e.message}
            for e in err.errors
        ],
    )
