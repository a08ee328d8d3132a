"""The HTML report over HTTP: ``GET /v1/jobs/{id}/report``, and ``POST /v1/match`` for HTML.

A job's problem is erased when the job ends, so the report is rendered then,
in the job's worker process, in both languages, and kept compressed beside
the job (table ``job_reports``) until the job itself is erased (``DELETE`` or
retention): a trigger removes it with the job. It holds what the report
shows: ids and places of the problem, so it is kept exactly as long as the
solution, never longer. The report is served to the job's own API key only,
like the job.

The report page carries its own Content-Security-Policy (no source at all
but its own style and script), which the answer's header repeats.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from typing import Any

from flask import Blueprint, Response, g, request

from matchcore.report import build_report, render_report_html
from matchcore.report.i18n import DEFAULT_LANGUAGE, LANGUAGES
from service.errors import ApiError

log = logging.getLogger("matchcore.service")

bp = Blueprint("report", __name__, url_prefix="/v1")

HTML = "text/html"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_reports (
    id    TEXT PRIMARY KEY,
    pages BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS job_reports_go_with_their_job AFTER DELETE ON jobs
BEGIN
    DELETE FROM job_reports WHERE id = old.id;
END;
"""


# -- content negotiation ------------------------------------------------------------------


def wants_html() -> bool:
    """Whether the client prefers HTML to JSON (``Accept: text/html``, as a browser sends)."""
    best = request.accept_mimetypes.best_match(["application/json", HTML])
    return best == HTML


def report_language(*, query: bool = True) -> str:
    """``?lang=nl|en`` (with ``query``), else the best of ``Accept-Language``, else Dutch."""
    asked = request.args.get("lang") if query else None
    if asked is not None:
        if asked not in LANGUAGES:
            raise ApiError(
                400,
                "invalid-parameter",
                f"The query parameter lang must be one of: {', '.join(LANGUAGES)}.",
                errors=[{"parameter": "lang", "message": "unknown language"}],
            )
        return asked
    best = request.accept_languages.best_match(LANGUAGES)
    return best if isinstance(best, str) else DEFAULT_LANGUAGE


def html_response(page: str, lang: str) -> Response:
    """An HTML report as the answer, with the page's own policy as the header."""
    from matchcore.report.html import page_policy

    resp = Response(page, status=200, mimetype=HTML)
    resp.headers["Content-Security-Policy"] = page_policy()
    resp.headers["Content-Language"] = lang
    return resp


def match_report(problem: Any, solution: Any) -> Response:
    """The report of a synchronous match, for ``POST /v1/match`` with ``Accept: text/html``.

    Its language comes from ``Accept-Language`` only: ``/v1/match`` takes no ``lang``.
    """
    lang = report_language(query=False)
    return html_response(render_report_html(build_report(problem, solution), lang=lang), lang)


# -- jobs ------------------------------------------------------------------------------------


def keep_job_report(store: Any, job_id: str, problem: Any, solution: Any) -> None:
    """Render a finished job's report (both languages) and keep it beside the job.

    Called by the job's worker process after the job was marked done; a job
    erased meanwhile keeps nothing. A failure here never fails the job: it is
    logged by its type, and the report endpoint then answers 404.
    """
    try:
        report = build_report(problem, solution)
        pages = {lang: render_report_html(report, lang=lang) for lang in LANGUAGES}
        blob = zlib.compress(json.dumps(pages, ensure_ascii=False).encode("utf-8"), 6)
        with store.connect() as conn:
            conn.executescript(_SCHEMA)
            conn.execute(
                "INSERT OR REPLACE INTO job_reports (id, pages) SELECT ?, ?"
                " WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ? AND status = 'done')",
                (job_id, blob, job_id),
            )
    except Exception as err:  # type only: messages can hold input data
        log.error("job report error type=%s.%s", type(err).__module__, type(err).__qualname__)


def job_report(store: Any, job_id: str, lang: str) -> str | None:
    """The kept report page of a job, or None."""
    try:
        with store.connect() as conn:
            row = conn.execute("SELECT pages FROM job_reports WHERE id = ?", (job_id,)).fetchone()
    except sqlite3.OperationalError:  # no report was ever kept in this database
        return None
    if row is None:
        return None
    pages: dict[str, str] = json.loads(zlib.decompress(row["pages"]).decode("utf-8"))
    return pages.get(lang)


@bp.get("/jobs/<job_id>/report")
def get_job_report(job_id: str) -> Response:
    """The HTML report of a finished job; another key's job is a 404, like the job."""
    from service.jobs import job_or_404
    from service.state import state

    job = job_or_404(job_id)
    g.n_volunteers, g.n_requests = job.volunteers, job.requests
    if job.status != "done":
        raise ApiError(
            409,
            "job-not-done",
            f"The job is {job.status}; its report exists once it is done.",
            title="Conflict",
        )
    lang = report_language()
    page = job_report(state().store, job.id, lang)
    if page is None:
        raise ApiError(404, "report-not-found", "No report was kept for this job.")
    return html_response(page, lang)
