"""``POST /v1/match``: solve a problem synchronously, or only report its funnels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from matchcore import Funnel, Problem, ProblemError, Reason, candidate_funnels, solve
from matchcore.explain import reason_for
from matchcore.tasks.solve import funnel_blocks
from service.core import cap_solver_threads, effective_time_limit
from service.errors import ApiError, validation_error
from service.report import match_report, wants_html
from service.solving import enforce_size, parse_problem, read_json_body
from service.state import state

bp = Blueprint("match", __name__, url_prefix="/v1")

_JOB_HINT = "Submit it as a job (POST /v1/jobs)."


@bp.post("/match")
def match() -> Response:
    """Solve a problem synchronously, or with ``validate_only=true`` report its funnels."""
    st = state()
    cfg = st.settings
    validate_only = _query_bool("validate_only")
    doc = read_json_body(cfg.max_body_bytes, workbook=True)
    enforce_size(doc, cfg.max_volunteers, cfg.max_requests, hint=_JOB_HINT)
    problem = parse_problem(doc)
    if validate_only:
        funnels = st.gate.run(
            lambda: candidate_funnels(problem), cfg.time_limit_cap_s + cfg.solve_margin_s
        )
        return jsonify(funnel_report(problem, funnels))
    time_limit = effective_time_limit(problem, cfg.time_limit_cap_s)
    capped = cap_solver_threads(problem, cfg.max_solver_threads)
    try:
        solution = st.gate.run(
            lambda: solve(capped, time_limit_s=time_limit), time_limit + cfg.solve_margin_s
        )
    except ProblemError as err:  # pins that break a hard rule
        raise validation_error(err) from None
    if wants_html():  # Accept: text/html: the report page (service/report.py)
        return match_report(problem, solution)
    return jsonify(solution.to_dict())


def _query_bool(name: str) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return False
    if raw in ("true", "false"):
        return raw == "true"
    raise ApiError(
        400,
        "invalid-parameter",
        f"The query parameter {name} must be true or false.",
        errors=[{"parameter": name, "message": "must be true or false"}],
    )


def blocked_at(funnel: Funnel, need: int) -> Reason | None:
    """The funnel stage that leaves fewer than ``need`` volunteers, by the library's rule.

    None when enough volunteers pass every stage (the library's ``capacity``:
    whether they are needed elsewhere is only known after solving).
    """
    reason = reason_for(funnel, need)
    return None if reason is Reason.CAPACITY else reason


def funnel_report(problem: Problem, funnels: tuple[Funnel, ...]) -> dict[str, Any]:
    """The answer of ``validate_only``: counts per request, no solving."""
    items = []
    # A team of roles can fail where its any-role funnel passes: the roles-aware
    # stage (the one a solve reports) costs a second candidate pass, so only then.
    roles = funnel_blocks(problem) if any(r.roles for r in problem.requests) else None
    for i, (req, funnel) in enumerate(zip(problem.requests, funnels, strict=True)):
        blocked = roles[i] if roles is not None else blocked_at(funnel, req.volunteers_needed)
        items.append(
            {
                "request_id": req.id,
                "volunteers_needed": req.volunteers_needed,
                "funnel": {
                    "volunteers": funnel.volunteers,
                    "skills": funnel.skills,
                    "not_excluded": funnel.not_excluded,
                    "in_range": funnel.in_range,
                    "available": funnel.available,
                    **({} if funnel.credentials is None else {"credentials": funnel.credentials}),
                },
                "blocked_at": None if blocked is None else blocked.value,
            }
        )
    return {
        "valid": True,
        "volunteers": len(problem.volunteers),
        "requests": len(problem.requests),
        "pinned": len(problem.assignments),
        "funnels": items,
    }
