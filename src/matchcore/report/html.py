"""The HTML report: one self-contained page, readable offline and printable.

Rendered from Jinja2 templates in ``templates/`` with autoescaping on, so
every id and text from the input is escaped. The page carries its CSS and
script inline and a Content-Security-Policy of ``default-src 'none'`` that
admits only that one style block and that one script (by their SHA-256), so
it can make no network request at all, whatever the input holds.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from matchcore.problem import Problem
from matchcore.report.i18n import DEFAULT_LANGUAGE, labels
from matchcore.report.model import (
    MAP_HEIGHT,
    MAP_WIDTH,
    SERVED_COLOUR,
    Report,
    VolunteerWeek,
    build_report,
    day_key,
    reason_text,
)

TEMPLATE = "report.html.j2"
# More bars than this make the load chart unreadable; it then shows the most loaded.
MAX_LOAD_BARS = 40


def render_html(
    problem: Problem, solution: Any, *, lang: str = DEFAULT_LANGUAGE, redact: bool = False
) -> str:
    """The HTML report of ``solution`` (a Solution or its JSON document) for ``problem``."""
    return render_report_html(build_report(problem, solution, redact=redact), lang=lang)


def render_report_html(report: Report, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """The HTML report of an already built report model, in ``lang`` (``nl`` or ``en``)."""
    t = labels(lang)
    css, script = _asset("report.css"), _asset("report.js")
    glosses = {rc.reason: reason_text(rc.reason, lang) for rc in report.reasons}
    for outcome in (*report.closed_groups, *report.unplaced):
        glosses.setdefault(outcome.reason, reason_text(outcome.reason, lang))
    load, cut = _load_bars(report.busy_weeks)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            r=report,
            t=t,
            lang=lang,
            title=f"{t['report_of']}: {t['title'].lower()}",
            css=Markup(css),
            script=Markup(script),
            csp=content_security_policy(css, script),
            glosses=glosses,
            served_colour=SERVED_COLOUR,
            width=MAP_WIDTH,
            height=MAP_HEIGHT,
            load=load,
            load_cut=cut,
            day_key=day_key,
        )
    )


def content_security_policy(css: str, script: str) -> str:
    """No source at all, except the page's own style block and script, by hash."""
    return (
        "default-src 'none'; "
        f"style-src '{_sha256(css)}'; "
        f"script-src '{_sha256(script)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def page_policy() -> str:
    """The Content-Security-Policy every report page declares (for an HTTP header too)."""
    return content_security_policy(_asset("report.css"), _asset("report.js"))


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class LoadBar:
    """One bar of the load chart: tasks against the volunteer's maximum."""

    volunteer_id: str
    tasks: int
    max_tasks: int | None
    share: float  # of the bar's full width


def _load_bars(weeks: tuple[VolunteerWeek, ...]) -> tuple[list[LoadBar], bool]:
    """The most loaded volunteers first; without a maximum, against the busiest one."""
    busiest = max((w.tasks for w in weeks), default=1)
    bars = [
        LoadBar(w.volunteer_id, w.tasks, w.max_tasks, w.tasks / (w.max_tasks or busiest))
        for w in weeks
    ]
    bars.sort(key=lambda b: (-b.share, -b.tasks, b.volunteer_id))
    return bars[:MAX_LOAD_BARS], len(bars) > MAX_LOAD_BARS


@cache
def _asset(name: str) -> str:
    return resources.files("matchcore.report").joinpath("templates", name).read_text("utf-8")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("matchcore.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
