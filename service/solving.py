"""Reading request bodies, the service's extra input rules, and the synchronous solve gate."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from flask import g, request
from werkzeug.exceptions import RequestEntityTooLarge

from matchcore import Problem, ProblemError
from matchcore.io import load_json
from matchcore.io.sheets import read_workbook_bytes
from service.core import service_rules
from service.errors import ApiError, body_too_large, validation_error

log = logging.getLogger("matchcore.service")
T = TypeVar("T")

# -- request bodies ---------------------------------------------------------------


WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_json_body(max_bytes: int, *, workbook: bool = False) -> Any:
    """The request body parsed by matchcore's one JSON reader, or an :class:`ApiError`.

    The rules are the library's and the CLI's (:func:`matchcore.io.load_json`):
    a BOM is dropped, a duplicate key or a lone surrogate is a 400 naming its
    pointer, NaN and Infinity reach the validator (422 at their pointer).
    With ``workbook``, an ``.xlsx`` body (its media type) is read as the
    spreadsheet format and returned as the problem document it describes.
    The error never quotes the body; a 413 says the limit, ``max_bytes``.
    """
    mimetype = request.mimetype
    is_workbook = workbook and mimetype == WORKBOOK
    if (
        not is_workbook
        and mimetype != "application/json"
        and not (mimetype.startswith("application/") and mimetype.endswith("+json"))
    ):
        raise ApiError(
            415,
            "unsupported-media-type",
            "Send the body as JSON with Content-Type: application/json"
            + (f", or a workbook as {WORKBOOK}." if workbook else "."),
        )
    # Content-Length over the cap raises 413 at once; a streamed (chunked) body is cut
    # one byte past the cap by werkzeug, which the length check below turns into 413.
    request.max_content_length = max_bytes + 1
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise body_too_large(max_bytes) from None
    if len(raw) > max_bytes:
        raise body_too_large(max_bytes)
    g.body_bytes = len(raw)
    if not raw.strip():
        raise ApiError(400, "invalid-json", "The request body is empty; send a JSON document.")
    try:
        if is_workbook:
            return read_workbook_bytes(raw)
        return load_json(raw)
    except ProblemError as err:
        if is_workbook:
            raise validation_error(err) from None
        detail = "The request body is not valid JSON" + (
            f" ({err.message})." if not err.path else "; see errors."
        )
        raise ApiError(
            400,
            "invalid-json",
            detail,
            errors=[{"pointer": e.pointer, "detail": e.message} for e in err.errors if e.path],
        ) from None


def count_items(doc: Any) -> tuple[int, int]:
    """Volunteers and requests in a problem document (0 when not a list), for caps and logs."""
    if not isinstance(doc, dict):
        return 0, 0
    vols, reqs = doc.get("volunteers"), doc.get("requests")
    return (len(vols) if isinstance(vols, list) else 0, len(reqs) if isinstance(reqs, list) else 0)


def enforce_size(
    doc: Any, max_volunteers: int, max_requests: int, *, prefix: str = "", hint: str = ""
) -> None:
    """Refuse (413) a problem with more volunteers or requests than allowed here."""
    n_vol, n_req = count_items(doc)
    g.n_volunteers = g.get("n_volunteers", 0) + n_vol
    g.n_requests = g.get("n_requests", 0) + n_req
    errors = []
    if n_vol > max_volunteers:
        errors.append(
            {"pointer": f"{prefix}/volunteers", "message": f"has more than {max_volunteers} items"}
        )
    if n_req > max_requests:
        errors.append(
            {"pointer": f"{prefix}/requests", "message": f"has more than {max_requests} items"}
        )
    if errors:
        raise ApiError(
            413,
            "too-many-items",
            "The problem is larger than this endpoint accepts." + (f" {hint}" if hint else ""),
            errors=errors,
        )


def parse_problem(doc: Any, *, prefix: str = "") -> Problem:
    """Validate a problem document (422 naming the pointer) plus the service's own rules."""
    try:
        problem = Problem.from_dict(doc)
    except ProblemError as err:
        raise validation_error(err, prefix=prefix) from None
    except RecursionError:
        raise ApiError(400, "invalid-json", "The request body is nested too deeply.") from None
    try:
        service_rules(problem)
    except ProblemError as err:
        raise validation_error(err, prefix=prefix) from None
    return problem


# -- the synchronous solve gate ------------------------------------------------------


class SolveGate:
    """At most ``slots`` solves at once per process, each answered within its deadline.

    A request waits up to ``queue_timeout_s`` for a slot (then 503 busy). The
    solve runs on a worker thread; if it is not done by its deadline (the time
    limit plus a margin) the request is answered 503 and the slot stays taken
    until the solver really stops, so an overrun cannot pile up more work.
    """

    def __init__(self, slots: int, queue_timeout_s: float) -> None:
        self.slots = slots
        self.queue_timeout_s = queue_timeout_s
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(self.slots, thread_name_prefix="matchcore-solve")
                self._pid = os.getpid()
            return self._pool

    def run(self, fn: Callable[[], T], deadline_s: float) -> T:
        if not self._sem.acquire(timeout=self.queue_timeout_s):
            raise ApiError(
                503,
                "busy",
                "All solver slots are busy; retry after the number of seconds in "
                "Retry-After, or submit the problem as a job (POST /v1/jobs).",
                headers={"Retry-After": "5"},
            )
        try:
            future: Future[T] = self._executor().submit(fn)
        except BaseException:
            self._sem.release()
            raise
        future.add_done_callback(lambda _f: self._sem.release())
        try:
            return future.result(timeout=deadline_s)
        except FutureTimeout:
            log.warning("solve overran its deadline request_id=%s", g.get("request_id", "-"))
            raise ApiError(
                503,
                "solve-timeout",
                "The solve did not finish within the time limit; submit the problem as a "
                "job (POST /v1/jobs) or lower options.time_limit_seconds.",
                headers={"Retry-After": "30"},
            ) from None

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
