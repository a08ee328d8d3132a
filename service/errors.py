"""Errors as ``application/problem+json`` (RFC 9457), and the handlers that make them.

Policy (see ``service/README.md``):

- every error answer is a problem document with ``type``, ``title``, ``status``
  and ``detail``; validation errors add ``errors: [{"pointer", "message"}]``;
- texts come from this module or from :class:`matchcore.ProblemError` (a JSON
  pointer and a rule message); they never repeat values from the request;
- the service never answers 500. An unexpected exception is logged by its type
  and code location only (no message: messages can hold input values) and
  answered ``503 service-error`` — the request may be retried later, and the
  request id in the answer lets an operator find the log line.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, json
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from matchcore.errors import ProblemError
from service.core import PROBLEM_JSON, problem_details

log = logging.getLogger("matchcore.service")

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error answer, raised anywhere in a request and rendered by the handler."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        title: str | None = None,
        errors: Iterable[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        members: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title or _TITLES.get(status, "Error")
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})
        self.members = dict(members or {})  # RFC 9457 extension members, e.g. a limit


def body_too_large(limit_bytes: int) -> ApiError:
    """413 for a body over ``limit_bytes``, saying the limit (text and ``max_body_bytes``)."""
    return ApiError(
        413,
        "body-too-large",
        f"The request body is larger than this endpoint accepts: at most {limit_bytes} bytes.",
        members={"max_body_bytes": limit_bytes},
    )


def validation_error(err: ProblemError, *, prefix: str = "", status: int = 422) -> ApiError:
    """A :class:`ProblemError` as a 422 naming every error's JSON pointer (under ``prefix``).

    Each item is ``{pointer, detail}`` (RFC 9457 style); ``message`` repeats
    ``detail`` for clients of the first v1 answers; an error in an uploaded
    workbook adds ``cell`` (``requests!J14 (duration_minutes)``).
    """
    return ApiError(
        status,
        "validation-error",
        "The document breaks the v1 format or a hard rule; see errors.",
        errors=[
            {
                "pointer": prefix + e.pointer,
                "detail": e.message,
                "message": e.message,
                **({"cell": e.place} if e.place else {}),  # a workbook's sheet!cell (column)
            }
            for e in err.errors
        ],
    )


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    members: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = problem_details(status, kind, title, detail, errors)
    body.update(members or {})
    request_id = g.get("request_id") if has_app_context() else None
    if request_id:
        body["request_id"] = request_id
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def _render_api_error(err: ApiError) -> Response:
    return problem_response(
        err.status,
        err.kind,
        err.title,
        err.detail,
        errors=err.errors,
        headers=err.headers,
        members=err.members,
    )


_HTTP_KINDS = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
}


def _render_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 400
    if status >= 500:  # werkzeug's own 5xx (none expected): never pass one on as 500
        return _render_unexpected(exc)
    if isinstance(exc, RequestEntityTooLarge):  # over the app-wide cap, outside the endpoints
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if isinstance(limit, int):
            return _render_api_error(body_too_large(limit))
        detail = "The request body is larger than this server accepts."
    else:
        # werkzeug's descriptions are fixed texts; they never contain request data
        detail = exc.description or exc.name
    headers: dict[str, str] = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    kind = _HTTP_KINDS.get(status, "http-error")
    return problem_response(
        status, kind, _TITLES.get(status, exc.name), str(detail), headers=headers
    )


def _render_unexpected(exc: BaseException) -> Response:
    # type and innermost code location only: messages and locals can hold input data
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
    log.error(
        "unexpected error request_id=%s type=%s.%s at=%s",
        g.get("request_id", "-"),
        type(exc).__module__,
        type(exc).__qualname__,
        where,
    )
    return problem_response(
        503,
        "service-error",
        "Service Unavailable",
        "The service could not complete this request. It has been logged under the "
        "request id; try again later or contact the operator.",
        headers={"Retry-After": "30"},
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _render_api_error)
    app.register_error_handler(HTTPException, _render_http_exception)
    app.register_error_handler(Exception, _render_unexpected)
