"""Reports a coordinator reads: a text summary, an HTML page, a spreadsheet, a CSV.

Every format lays out one :class:`~matchcore.report.model.Report`, built once
by :func:`build_report` from a problem and its solution.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from matchcore.problem import Problem
from matchcore.report.html import render_html, render_report_html
from matchcore.report.i18n import DEFAULT_LANGUAGE, LANGUAGES
from matchcore.report.model import Report, build_report
from matchcore.report.text import format_summary, render_text
from matchcore.report.xlsx import write_csv, write_xlsx

FORMATS = ("html", "xlsx", "csv")


def report_format(path: str | PurePath) -> str:
    """The format named by a file's extension: ``html`` (also ``.htm``), ``xlsx`` or ``csv``.

    Raises
    ------
    ValueError
        For any other extension.
    """
    suffix = PurePath(path).suffix.lower().lstrip(".")
    fmt = "html" if suffix == "htm" else suffix
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the report format from {str(path)!r}: "
            "end the name with .html, .xlsx or .csv"
        )
    return fmt


def render(
    problem: Problem,
    solution: Any,
    fmt: str,
    *,
    lang: str = DEFAULT_LANGUAGE,
    redact: bool = False,
) -> bytes:
    """The report of ``solution`` in format ``fmt`` (``html``, ``xlsx`` or ``csv``), as bytes."""
    report = build_report(problem, solution, redact=redact)
    if fmt == "html":
        return render_report_html(report, lang=lang).encode("utf-8")
    if fmt == "xlsx":
        return write_xlsx(report, lang=lang)
    if fmt == "csv":
        return write_csv(report, lang=lang)
    raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")


__all__ = [
    "DEFAULT_LANGUAGE",
    "FORMATS",
    "LANGUAGES",
    "Report",
    "build_report",
    "format_summary",
    "render",
    "render_html",
    "render_report_html",
    "render_text",
    "report_format",
    "write_csv",
    "write_xlsx",
]
