"""``/v1/jobs``: queue a problem, read its status and solution, cancel or erase it.

The store and the runner that solves jobs in worker processes live in
:mod:`service.jobqueue`; this module is only the HTTP resource.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, g, jsonify, url_for

from service.core import effective_time_limit
from service.errors import ApiError
from service.jobqueue import Job, TooManyJobs
from service.solving import enforce_size, parse_problem, read_json_body
from service.state import state

bp = Blueprint("jobs", __name__, url_prefix="/v1/jobs")

_JOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.post("")
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
    location = url_for("jobs.get_job", job_id=job.id)
    return jsonify(job.to_dict()), 202, {"Location": location}


@bp.get("/<job_id>")
def get_job(job_id: str) -> Response:
    """Status, progress and, when done, the solution. Another key's job is a 404."""
    job = job_or_404(job_id)
    g.n_volunteers, g.n_requests = job.volunteers, job.requests
    return jsonify(job.to_dict())


@bp.delete("/<job_id>")
def delete_job(job_id: str) -> tuple[str, int]:
    """Cancel a queued/running job (erasing its problem) or erase a finished one."""
    st = state()
    if not (_JOB_ID_RE.match(job_id) and st.store.cancel(job_id, g.key_id)):
        raise _job_not_found()
    return "", 204


def job_or_404(job_id: str) -> Job:
    st = state()
    job = st.store.get(job_id, g.key_id) if _JOB_ID_RE.match(job_id) else None
    if job is None:
        raise _job_not_found()
    return job


def _job_not_found() -> ApiError:
    return ApiError(404, "job-not-found", "There is no job with this id for this API key.")
