"""The plan as a spreadsheet (openpyxl) and the assignments as CSV.

Sheets: ``assignments``, ``schedule`` (one row per volunteer per task, in
time order), ``unserved``, ``referrals``, ``signals``, ``groups``. Dates and
times are real spreadsheet dates and times (in the plan's local offset), the
header row is frozen and filtered. Every value comes from the report model.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from matchcore.report.i18n import DEFAULT_LANGUAGE, labels
from matchcore.report.model import Report, reason_text

SHEETS = ("assignments", "schedule", "unserved", "referrals", "signals", "groups")
Cell = str | int | float | date | time | None


def assignment_rows(report: Report, lang: str) -> tuple[list[str], list[list[Cell]]]:
    """The header and rows of the assignments: one row per assignment."""
    t = labels(lang)
    header = [
        t["request"],
        t["client"],
        t["sheet_date"],
        t["sheet_start"],
        t["sheet_end"],
        t["sheet_volunteers"],
        t["preferred"],
        t["km"],
        t["priority"],
        t["pinned"],
        t["sheet_lat"],
        t["sheet_lon"],
    ]
    if report.has_rides:
        header += [t["sheet_dest_lat"], t["sheet_dest_lon"]]
    rows: list[list[Cell]] = []
    for a in report.assignments:
        usual = [v for v, p in zip(a.volunteer_ids, a.preferred, strict=True) if p]
        row: list[Cell] = [
            a.request_id,
            a.client_id,
            a.day,
            _clock(a.start),
            _clock(a.end),
            ", ".join(a.volunteer_ids),
            ", ".join(usual),
            round(a.km, 3),
            a.priority,
            t["yes"] if a.pinned else t["no"],
            a.place.lat,
            a.place.lon,
        ]
        if report.has_rides:
            dest = a.destination
            row += [dest.lat if dest else None, dest.lon if dest else None]
        rows.append(row)
    return header, rows


def write_csv(report: Report, *, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The assignments as CSV (UTF-8 with a BOM, so spreadsheet programs read accents)."""
    header, rows = assignment_rows(report, lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else _csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Cell) -> str:
    if isinstance(value, date | time):
        return value.isoformat(timespec="minutes") if isinstance(value, time) else value.isoformat()
    text = str(value)
    # A cell starting with = + - @ runs as a formula in a spreadsheet: quote it.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + text
    return text


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float)


def _clock(moment: datetime | None) -> time | None:
    return moment.time().replace(tzinfo=None) if moment is not None else None


def write_xlsx(report: Report, *, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The report as an xlsx workbook (bytes)."""
    from openpyxl import Workbook

    t = labels(lang)
    book = Workbook()
    book.remove(book.worksheets[0])  # the default sheet; ours follow
    header, rows = assignment_rows(report, lang)
    _sheet(book, "assignments", header, rows)
    _sheet(book, "schedule", *_schedule(report, t))
    _sheet(book, "unserved", *_unserved(report, t, lang))
    _sheet(
        book,
        "referrals",
        [t["request"], t["service"], t["organization"], t["distance"], t["why"]],
        [
            [r.request_id, r.name or r.service_id, r.organization, r.distance_km, r.why]
            for r in report.referrals
        ],
    )
    signal_rows: list[list[Cell]] = []
    for s in report.signals:
        for row in s.table.rows:
            cells = "; ".join(f"{c}: {v}" for c, v in zip(s.table.columns, row, strict=True) if v)
            signal_rows.append([s.kind, cells])
    _sheet(book, "signals", [t["sheet_kind"], t["sheet_signal"]], signal_rows)
    _sheet(book, "groups", *_groups(report, t, lang))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _schedule(report: Report, t: Mapping[str, str]) -> tuple[list[str], list[list[Cell]]]:
    header = [
        t["volunteer"],
        t["sheet_date"],
        t["sheet_start"],
        t["sheet_end"],
        t["client"],
        t["request"],
        t["sheet_lat"],
        t["sheet_lon"],
        t["km"],
        t["sheet_travel_minutes"],
        t["sheet_tasks"],
        t["sheet_max_tasks"],
    ]
    rows: list[list[Cell]] = []
    for w in report.busy_weeks:
        for v in w.visits:
            rows.append(
                [
                    w.volunteer_id,
                    v.day,
                    _clock(v.start),
                    _clock(v.end),
                    v.client_id,
                    v.request_id,
                    v.place.lat,
                    v.place.lon,
                    round(v.km, 3),
                    v.travel_minutes,
                    w.tasks,
                    w.max_tasks,
                ]
            )
    return header, rows


def _unserved(
    report: Report, t: Mapping[str, str], lang: str
) -> tuple[list[str], list[list[Cell]]]:
    header = [
        t["request"],
        t["client"],
        t["sheet_date"],
        t["sheet_start"],
        t["sheet_end"],
        t["reason"],
        t["sheet_reason_code"],
        t["detail"],
        t["priority"],
        t["sheet_lat"],
        t["sheet_lon"],
        t["near_miss"],
    ]
    rows: list[list[Cell]] = [
        [
            u.request_id,
            u.client_id,
            u.day,
            _clock(u.window_start),
            _clock(u.window_end),
            reason_text(u.reason, lang) or u.reason,
            u.reason,
            u.detail,
            u.priority,
            u.place.lat,
            u.place.lon,
            u.near_miss or None,
        ]
        for u in report.unserved
    ]
    return header, rows


def _groups(report: Report, t: Mapping[str, str], lang: str) -> tuple[list[str], list[list[Cell]]]:
    header = [t["group"], t["status"], t["facilitators"], t["participants"], t["detail"]]
    rows: list[list[Cell]] = [
        [g.group_id, "open", ", ".join(g.facilitators), ", ".join(g.participants), ""]
        for g in report.groups
    ]
    rows += [
        [o.id, o.reason, "", "", reason_text(o.reason, lang) or o.detail]
        for o in report.closed_groups
    ]
    return header, rows


def _sheet(book: Any, name: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_cell(c) for c in row])
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(header), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for i, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, min(len(title) + 4, 40))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, time):
                cell.number_format = "hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


def _xlsx_cell(value: Cell) -> Cell:
    # openpyxl writes a string starting with "=" as a formula: keep input text as text.
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value
