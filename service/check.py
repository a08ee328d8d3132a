"""``POST /v1/check``: check a plan against its problem with the independent checker."""

from __future__ import annotations

import re
from dataclasses import asdict

from flask import Blueprint, Response, jsonify

from matchcore import ProblemError, check
from service.errors import validation_error
from service.solving import enforce_size, parse_problem, read_json_body
from service.state import state

bp = Blueprint("check", __name__, url_prefix="/v1")

_CHECK_FIELDS = ("problem", "solution")


@bp.post("/check")
def check_plan() -> Response:
    """Check a plan against its problem: violations and the recomputed objective."""
    st = state()
    cfg = st.settings
    doc = read_json_body(cfg.max_body_bytes)
    if not isinstance(doc, dict):
        raise validation_error(ProblemError((), "must be an object with problem and solution"))
    for name in doc:
        if name not in _CHECK_FIELDS:
            raise validation_error(
                ProblemError((name,), "unknown field (known fields: problem, solution)")
            )
    for name in _CHECK_FIELDS:
        if name not in doc:
            raise validation_error(ProblemError((name,), "is required"))
    enforce_size(doc["problem"], cfg.max_volunteers, cfg.max_requests, prefix="/problem")
    problem = parse_problem(doc["problem"], prefix="/problem")
    solution_doc = doc["solution"]
    if not isinstance(solution_doc, dict):
        raise validation_error(ProblemError(("solution",), "must be an object"))
    try:
        report = st.gate.run(
            lambda: check(problem, solution_doc), cfg.time_limit_cap_s + cfg.solve_margin_s
        )
    except ProblemError as err:
        raise validation_error(err, prefix="/solution") from None
    return jsonify(
        {
            "ok": report.ok,
            "violations": [
                {
                    "pointer": "/solution" + location_to_pointer(v.path),
                    "path": v.path,
                    "rule": v.rule,
                    "message": v.message,
                }
                for v in report.violations
            ],
            "objective": asdict(report.objective),
        }
    )


_SEGMENT_RE = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def location_to_pointer(location: str) -> str:
    """``assignments[2].volunteer_ids[1]`` -> ``/assignments/2/volunteer_ids/1``."""
    if location in ("", "(document)"):
        return ""
    out = []
    for index, name in _SEGMENT_RE.findall(location):
        seg = index or name
        out.append("/" + seg.replace("~", "~0").replace("/", "~1"))
    return "".join(out)
