"""The ``/v1`` endpoints: match, validate, check and jobs. All need a Bearer key."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for

from matchcore import ProblemError, candidate_funnels, check, solve
from service.core import cap_solver_threads, effective_time_limit
from service.errors import ApiError, validation_error
from service.jobs import TooManyJobs
from service.solving import enforce_size, funnel_report, parse_problem, read_json_body
from service.state import state

bp = Blueprint("api", __name__, url_prefix="/v1")

_JOB_HINT = "Submit it as a job (POST /v1/jobs)."
_CHECK_FIELDS = ("problem", "solution")


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
    return jsonify(solution.to_dict())


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


# -- jobs ------------------------------------------------------------------------------

_JOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.post("/jobs")
def create_job() -> tuple[Response, int, dict[str, str]]:
    """Queue a problem; 202 with ``Location: /v1/jobs/{id}``."""
    st = state()
    cfg = st.settings
    doc = read_json_body(cfg.job_max_body_bytes, workbook=True)
    enforce_size(doc, cfg.job_max_volunteers, cfg.job_max_requests)
    problem = parse_problem(doc)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    try:
        job = st.store.create(
            g.key_id,
            text,
            volunteers=len(problem.volunteers),
            requests=len(problem.requests),
            time_limit_s=effective_time_limit(problem, cfg.job_time_limit_cap_s),
            max_active=cfg.job_max_active_per_key,
        )
    except TooManyJobs:
        raise ApiError(
            429,
            "too-many-jobs",
            f"This API key already has {cfg.job_max_active_per_key} queued or running jobs; "
            "wait for one to finish or cancel one.",
            headers={"Retry-After": "30"},
        ) from None
    st.runner.wake()
    location = url_for("api.get_job", job_id=job.id)
    return jsonify(job.to_dict()), 202, {"Location": location}


def _job_or_404(job_id: str) -> Any:
    st = state()
    job = st.store.get(job_id, g.key_id) if _JOB_ID_RE.match(job_id) else None
    if job is None:
        raise _job_not_found()
    return job


def _job_not_found() -> ApiError:
    return ApiError(404, "job-not-found", "There is no job with this id for this API key.")


@bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    """Status, progress and, when done, the solution. Another key's job is a 404."""
    job = _job_or_404(job_id)
    g.n_volunteers, g.n_requests = job.volunteers, job.requests
    return jsonify(job.to_dict())


@bp.delete("/jobs/<job_id>")
def delete_job(job_id: str) -> tuple[str, int]:
    """Cancel a queued/running job (erasing its problem) or erase a finished one."""
    st = state()
    if not (_JOB_ID_RE.match(job_id) and st.store.cancel(job_id, g.key_id)):
        raise _job_not_found()
    return "", 204
