"""``GET`` and ``POST /v1/zorgpad``: per theme and municipality, which help exists (issue 11).

``GET`` answers from the service's own directory: the file or HSDS CSV folder
named by the Flask setting ``DIRECTORY`` or the environment variable
``MATCHCORE_DIRECTORY``, read once. ``POST`` takes a network problem as its
body and adds its informal help (volunteers with the skill, groups on the
topic), from the problem's own ``directory`` or else the service's. Query
parameters ``municipality`` and ``theme`` narrow the table. A problem posted
to ``/v1/match`` names its own directory with its ``directory`` field too.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Blueprint, Response, current_app, jsonify, request

from matchcore.errors import ProblemError
from matchcore.refer.directory import Directory, load_directory
from matchcore.refer.zorgpad import zorgpad
from service.errors import ApiError
from service.solving import enforce_size, parse_problem, read_json_body
from service.state import state

bp = Blueprint("zorgpad", __name__, url_prefix="/v1")
log = logging.getLogger("matchcore.service")
_lock = threading.Lock()
_EXTENSION = "matchcore.directory"
MAX_PARAMETER_CHARS = 200


@bp.get("/zorgpad")
def get_zorgpad() -> Response:
    """The zorgpad of the service's directory, optionally for one municipality or theme."""
    params = _parameters()
    rows = zorgpad(_directory(), municipality=params["municipality"], theme=params["theme"])
    return jsonify({"zorgpad": [r.to_dict() for r in rows]})


@bp.post("/zorgpad")
def post_zorgpad() -> Response:
    """The zorgpad with the informal help of the network problem in the body."""
    params = _parameters()
    cfg = state().settings
    doc = read_json_body(cfg.max_body_bytes)
    enforce_size(doc, cfg.max_volunteers, cfg.max_requests)
    problem = parse_problem(doc)
    directory = problem.directory if problem.directory is not None else _directory()
    rows = zorgpad(
        directory, municipality=params["municipality"], theme=params["theme"], problem=problem
    )
    return jsonify({"zorgpad": [r.to_dict() for r in rows]})


def _parameters() -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for name in ("municipality", "theme"):
        value = request.args.get(name)
        if value is not None and not (0 < len(value.strip()) <= MAX_PARAMETER_CHARS):
            raise ApiError(
                400,
                "invalid-parameter",
                f"The query parameter {name} must be 1 to {MAX_PARAMETER_CHARS} characters.",
                errors=[{"parameter": name, "message": "must not be empty or too long"}],
            )
        params[name] = value
    return params


def _directory() -> Directory:
    with _lock:
        cached = current_app.extensions.get(_EXTENSION)
        if isinstance(cached, Directory):
            return cached
        location = current_app.config.get("DIRECTORY") or os.environ.get("MATCHCORE_DIRECTORY")
        if not location:
            raise ApiError(
                404,
                "no-directory",
                "This service has no directory of services (set DIRECTORY or "
                "MATCHCORE_DIRECTORY); post a problem with a directory field to /v1/match, "
                "or to /v1/zorgpad.",
            )
        try:
            directory = load_directory(str(location))
        except ProblemError as err:
            log.error("the service directory cannot be read: %s", err.location)
            raise ApiError(
                503, "directory-unavailable", "The service's directory cannot be read."
            ) from None
        current_app.extensions[_EXTENSION] = directory
        return directory
