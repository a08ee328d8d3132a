"""The spreadsheet and the CSV: read back, the counts round-trip."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, time

import pytest
from openpyxl import load_workbook
from report_cases import NASTY_ID, plan, with_extras

from matchcore.report import build_report, write_csv, write_xlsx
from matchcore.report.xlsx import SHEETS


def _book(
    redact: bool = False, extras: bool = False
) -> tuple[object, dict[str, list[tuple[object, ...]]]]:
    problem, doc = with_extras() if extras else plan()
    book = load_workbook(
        io.BytesIO(write_xlsx(build_report(problem, doc, redact=redact), lang="en"))
    )
    rows = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    return doc, rows


def test_sheets_are_named_as_the_issue_says_with_frozen_filtered_headers() -> None:
    problem, doc = plan()
    book = load_workbook(io.BytesIO(write_xlsx(build_report(problem, doc))))
    assert book.sheetnames == list(SHEETS)
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert all(isinstance(c.value, str) and c.value for c in sheet[1])


def test_counts_round_trip() -> None:
    doc, rows = _book()
    assignments = rows["assignments"][1:]
    assert Counter(r[0] for r in assignments) == Counter(
        a["request_id"] for a in doc["assignments"]
    )
    assert Counter(r[0] for r in rows["unserved"][1:]) == Counter(
        u["request_id"] for u in doc["unassigned"]
    )
    tasks = Counter(vid for a in doc["assignments"] for vid in a["volunteer_ids"])
    assert Counter(r[0] for r in rows["schedule"][1:]) == tasks
    header = rows["unserved"][0]
    code = header.index("Reason code")
    assert Counter(r[code] for r in rows["unserved"][1:]) == Counter(
        u["reason"] for u in doc["unassigned"]
    )
    km = rows["assignments"][0].index("km")
    assert sum(r[km] for r in assignments) == pytest.approx(doc["objective"]["travel_km"], abs=0.01)


def test_dates_and_times_are_real_spreadsheet_values() -> None:
    doc, rows = _book()
    header = rows["assignments"][0]
    day, start = header.index("Date"), header.index("Start")
    timed = {a["request_id"]: a for a in doc["assignments"] if "start" in a}
    checked = 0
    for row in rows["assignments"][1:]:
        a = timed.get(row[0])
        if a is None:
            assert row[day] is None and row[start] is None
            continue
        moment = datetime.fromisoformat(a["start"])
        # openpyxl reads a date cell back as a datetime at midnight
        assert isinstance(row[day], datetime | date) and row[day].date() == moment.date()
        assert isinstance(row[start], time) and row[start] == moment.time().replace(tzinfo=None)
        checked += 1
    assert checked >= 3


def test_later_sheets_fill_with_their_data() -> None:
    _, rows = _book(extras=True)
    assert rows["referrals"][1][:2] == ("req-skill", "Thuisverpleging Brugge")
    assert {r[0] for r in rows["signals"][1:]} == {"unmet", "recruit", "near_misses"}
    assert [r[:2] for r in rows["groups"][1:]] == [
        ("grp-debts", "open"),
        ("grp-grief", "too_few_participants"),
    ]
    _, bare = _book()
    assert [len(bare[name]) for name in ("referrals", "signals", "groups")] == [1, 1, 1]


def test_ids_stay_text_even_when_they_look_like_formulas() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    book = load_workbook(io.BytesIO(write_xlsx(report)))
    values = [c for row in book["schedule"].iter_rows(values_only=True) for c in row]
    assert NASTY_ID in values
    object.__setattr__(report.weeks[0], "volunteer_id", "=HYPERLINK(1)")
    book = load_workbook(io.BytesIO(write_xlsx(report)))
    values = [c for row in book["schedule"].iter_rows(values_only=True) for c in row]
    assert "'=HYPERLINK(1)" in values and "=HYPERLINK(1)" not in values


def test_csv_has_one_row_per_assignment() -> None:
    problem, doc = plan()
    data = write_csv(build_report(problem, doc), lang="en")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Request", "Client", "Date"]
    assert Counter(r[0] for r in rows[1:]) == Counter(a["request_id"] for a in doc["assignments"])
    timed = {a["request_id"]: a["start"] for a in doc["assignments"] if "start" in a}
    for r in rows[1:]:
        if r[0] in timed:
            assert r[2] == timed[r[0]][:10] and r[3] == timed[r[0]][11:16]


def test_csv_defuses_formula_cells() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    object.__setattr__(report.assignments[0], "client_id", "=1+1")
    text = write_csv(report).decode("utf-8-sig")
    assert "'=1+1" in text and ",=1+1" not in text


def test_redacted_workbook_has_no_original_id() -> None:
    doc, rows = _book(redact=True, extras=True)
    cells = {str(c) for sheet in rows.values() for row in sheet for c in row if c is not None}
    text = " ".join(cells)
    for a in doc["assignments"]:
        assert a["request_id"] not in cells
        assert all(v not in text for v in a["volunteer_ids"])
