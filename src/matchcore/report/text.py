"""The coordinator's summary of a plan as plain text (``matchcore demo``, ``summary``).

Moved here from ``cli.py``; it lays out the :class:`~matchcore.report.model.Report`
and computes nothing of its own.
"""

from __future__ import annotations

from typing import Any

from matchcore.problem import Problem
from matchcore.report.model import AssignmentRow, Report, build_report, reason_text


def format_summary(
    problem: Problem,
    solution: Any,
    *,
    title: str = "matchcore",
    rows: int = 8,
    details: int = 3,
    redact: bool = False,
) -> str:
    """A coordinator's summary of a plan: totals, some assignments, the unserved.

    Parameters
    ----------
    problem
        The problem that was solved.
    solution
        Its solution (a :class:`~matchcore.solution.Solution` or its JSON document).
    title
        The first words of the first line.
    rows
        How many assignments to list (the earliest first).
    details
        How many unserved requests to list per reason.
    redact
        Show pseudonyms instead of ids.
    """
    return render_text(build_report(problem, solution, redact=redact), title, rows, details)


def render_text(report: Report, title: str = "matchcore", rows: int = 8, details: int = 3) -> str:
    """The summary of an already built report model."""
    status = "optimal (proven)" if report.proven else "feasible (time limit reached before a proof)"
    lines = [
        f"{title}: {report.volunteers} volunteers, {report.requests} open requests",
        "",
        f"  Plan        {status}, {report.wall_seconds:.1f} s",
        f"  Served      {report.served} of {report.requests} requests",
        f"  Priority    {report.served_priority:g} served of {report.total_priority:g} asked"
        f" (at most {report.bound:g} possible)",
        f"  Continuity  {report.continuity} {_plural(report.continuity, 'visit')}"
        " by the client's usual volunteer",
        f"  Travel      {report.travel_km:.1f} km in all (round trips)",
    ]
    if report.groups or report.closed_groups or report.unplaced:
        placed = sum(len(g.participants) for g in report.groups)
        lines.append(
            f"  Groups      {len(report.groups)} open, {len(report.closed_groups)} not opened; "
            f"{placed} participants placed, {len(report.unplaced)} not placed"
        )
    if report.assignments:
        lines += ["", *_assignment_table(report.assignments, rows)]
    if report.unserved:
        lines += ["", *_unserved_lines(report, details)]
    else:
        lines += ["", "Every request is served."]
    lines += [_one_line(line) for line in report.signal_lines]
    shown = {"unmet", "recruit", "near_misses", "zorgpad_gaps"}  # by signal_lines
    for signal in report.signals:
        if signal.kind in shown:
            continue
        lines += ["", f"Signals: {signal.kind} ({len(signal.table.rows)})"]
        column = "summary" if "summary" in signal.table.columns else None
        for row in signal.table.rows[:details]:
            cells = row if column is None else (row[signal.table.columns.index(column)],)
            lines.append("  " + _one_line("; ".join(c for c in cells if c)))
    if report.warnings:
        lines += ["", f"Warnings: {len(report.warnings)}"]
        for w in report.warnings[:details]:
            lines.append(f"  {w.code} {w.pointer}: {_one_line(w.message)}")
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _assignment_table(assignments: tuple[AssignmentRow, ...], rows: int) -> list[str]:
    def when(a: AssignmentRow) -> tuple[int, float]:
        return (0, a.start.timestamp()) if a.start is not None else (1, 0.0)

    shown = sorted(assignments, key=when)[:rows]
    table = [("request", "when (local time)", "volunteers", "km")]
    any_preferred = False
    for a in shown:
        if a.start is not None and a.end is not None:
            slot = f"{a.start:%a %d %b %H:%M}-{a.end:%H:%M}"
        else:
            slot = "any time"
        names = []
        for vid, preferred in zip(a.volunteer_ids, a.preferred, strict=True):
            names.append(vid + ("*" if preferred else ""))
            any_preferred = any_preferred or preferred
        table.append((a.request_id, slot, ", ".join(names), f"{a.km:.1f}"))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    out = ["Assignments"]
    if len(shown) < len(assignments):
        out[0] += f" (the first {len(shown)} of {len(assignments)})"
    for c0, c1, c2, c3 in table:
        out.append(f"  {c0:<{widths[0]}}  {c1:<{widths[1]}}  {c2:<{widths[2]}}  {c3:>6}")
    notes = []
    if any_preferred:
        notes.append("* the client's usual volunteer")
    notes.append("km: round trips from home")
    out.append("  " + "; ".join(notes))
    return out


def _unserved_lines(report: Report, details: int) -> list[str]:
    count = len(report.unserved)
    out = [f"Not served: {count} {_plural(count, 'request')}, by reason"]
    width = max(len(rc.reason) for rc in report.reasons)
    for rc in report.reasons:
        items = [u for u in report.unserved if u.reason == rc.reason]
        gloss = reason_text(rc.reason, "en")
        out.append(f"  {rc.reason:<{width}}  {rc.count:>3}  {gloss}".rstrip())
        id_width = max(len(u.request_id) for u in items[:details])
        for u in items[:details]:
            out.append(f"      {u.request_id:<{id_width}}  {_one_line(u.detail)}")
        if len(items) > details:
            out.append(f"      ... and {len(items) - details} more")
    return out
