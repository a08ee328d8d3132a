"""Spreadsheets in: a workbook (``.xlsx``) or a folder of CSV files, as a v1 problem.

Coordinators keep their week in a spreadsheet. A workbook has the sheets
below (a folder has one CSV file per sheet, ``volunteers.csv`` ...); the
first row of each names its columns, in any order. Column and sheet names are
the contract (:data:`SHEETS`); other sheets, such as the template's ``help``,
are ignored, an unknown column is an error.

The sheets are turned into the JSON document the same week would be written
as (:func:`read_sheets`), which the one validator reads; every error is
reported at once and named by sheet, cell and column, e.g.
``requests!D14 (duration_minutes): must be a whole number``. Cell values never
appear in a message.

Cells: lists are comma-separated (``driving, shopping``); dates are ISO
(``2026-12-01``), Dutch/Flemish day-first (``01-12-2026``, ``1/12/2026``) or
real spreadsheet dates; times are ``HH:MM`` or spreadsheet times; numbers may
use a decimal comma in a text cell (``51,2``). Times are wall-clock times in
the ``timezone`` of the settings sheet.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from matchcore.errors import ErrorCollector, PathSegment, ProblemError
from matchcore.problem import Problem

JsonPath = tuple[PathSegment, ...]


@dataclass(frozen=True)
class Column:
    """A column of the spreadsheet format: its name, kind and a line of help."""

    name: str
    kind: str  # text, id, ids, list, number, integer, date, clock, moment, mode
    help: str
    example: Any = None


def _c(name: str, kind: str, help_text: str, example: Any = None) -> Column:
    return Column(name, kind, help_text, example)


#: Every sheet and its columns; these names are the contract.
SHEETS: Mapping[str, tuple[Column, ...]] = {
    "settings": (
        _c("key", "text", "timezone, default_max_distance_km, time_limit_seconds, "
           "horizon_start, horizon_end, seed or fairness", "timezone"),
        _c("value", "text", "The setting's value", "Europe/Brussels"),
    ),
    "volunteers": (
        _c("id", "id", "Unique id of the volunteer (no names needed)", "vol-01"),
        _c("lat", "number", "Latitude of home, degrees (WGS84)", 51.2093),
        _c("lon", "number", "Longitude of home, degrees (WGS84)", 3.2247),
        _c("skills", "list", "Skills, comma-separated (case and spaces do not matter)",
           "driving, shopping"),
        _c("languages", "list", "Languages as BCP 47 tags, comma-separated", "nl, fr"),
        _c("travel_mode", "mode", "walk, bike, car or transit (default car)", "car"),
        _c("max_distance_km", "number", "How far they travel to a client (default: setting)", 15),
        _c("max_tasks", "integer", "Most tasks in the plan (empty: no limit)", 3),
        _c("max_minutes", "integer", "Most minutes of tasks in the plan (empty: no limit)", 480),
        _c("excluded_clients", "ids", "Client ids this volunteer does not visit", ""),
        _c("max_tasks_per_day", "integer", "Most tasks starting on one day (empty: no limit)", 2),
        _c("max_minutes_per_day", "integer", "Most minutes of tasks starting on one day "
           "(empty: no limit)", 240),
    ),
    "availability": (
        _c("volunteer_id", "id", "The volunteer this availability belongs to", "vol-01"),
        _c("days", "list", "Weekdays for a weekly window: mon,tue,wed,thu,fri,sat,sun "
           "(or ma,di,wo,do,vr,za,zo); or leave empty and give a date", "tue, thu"),
        _c("date", "date", "A single date (YYYY-MM-DD or DD-MM-YYYY) instead of days", None),
        _c("start", "clock", "From (HH:MM, local time)", "09:00"),
        _c("end", "clock", "Until (HH:MM, local time)", "12:00"),
        _c("from", "date", "Weekly only: first date it holds (optional)", None),
        _c("until", "date", "Weekly only: last date it holds, inclusive (optional)", None),
        _c("rrule", "text", "Instead of days: an RFC 5545 rule, e.g. "
           "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO (optional)", None),
    ),
    "unavailable": (
        _c("volunteer_id", "id", "The volunteer who is away", "vol-01"),
        _c("start", "moment", "Away from (date, or date and time; local time)", "2026-12-24"),
        _c("end", "moment", "Away until (a date alone means to the end of that day)",
           "2026-12-26"),
    ),
    "credentials": (
        _c("volunteer_id", "id", "The volunteer holding the credential", "vol-01"),
        _c("name", "text", "The credential, e.g. vog (spelled as in the requests' "
           "credentials)", "vog"),
        _c("valid_from", "moment", "First day it is valid, or a date and time (optional)",
           None),
        _c("valid_until", "moment", "Last day it is valid (inclusive), or a date and time",
           "2027-06-30"),
    ),
    "requests": (
        _c("id", "id", "Unique id of the request", "req-01"),
        _c("client_id", "id", "Who asks (several requests may share a client)", "client-01"),
        _c("lat", "number", "Latitude of the client, degrees", 51.1950),
        _c("lon", "number", "Longitude of the client, degrees", 3.2120),
        _c("destination_lat", "number", "A ride: latitude of the destination (with "
           "destination_lon; empty: no ride)", None),
        _c("destination_lon", "number", "A ride: longitude of the destination (with "
           "destination_lat)", None),
        _c("skills", "list", "Skills every helper needs, comma-separated", "shopping"),
        _c("languages", "list", "Languages, one of which the helper must speak", "nl"),
        _c("credentials", "list", "Credentials every helper needs, valid over the whole "
           "task, comma-separated (e.g. vog)", None),
        _c("duration_minutes", "integer", "How long the task takes on site, minutes", 60),
        _c("date", "date", "The day (empty with empty times: any time)", "2026-12-01"),
        _c("window_start", "clock", "Earliest start (HH:MM, local time)", "09:00"),
        _c("window_end", "clock", "Latest end (HH:MM, local time; 24:00 for midnight)", "12:00"),
        _c("volunteers_needed", "integer", "How many volunteers together (default 1)", 1),
        _c("priority", "number", "Weight of serving this request (default 1)", 1),
        _c("preferred_volunteers", "ids", "The client's usual volunteers, comma-separated", ""),
        _c("excluded_volunteers", "ids", "Volunteers who must not go, comma-separated", ""),
        _c("repeat", "text", "Repeats from its date at the same times: weekly:DAYS until DATE "
           "(weekly:tue,thu until 2027-02-23) or an RFC 5545 rule with COUNT or UNTIL "
           "(FREQ=WEEKLY;COUNT=6); occurrences get ids id@YYYY-MM-DD (optional)", None),
    ),
    "roles": (
        _c("request_id", "id", "The team request this role belongs to (one row per role)",
           "req-01"),
        _c("role", "integer", "The role's number in its request: 0 for the first, 1 for the "
           "next, ... (as the solution's role)", 0),
        _c("skills", "list", "Skills a member in this role needs, besides the request's own",
           "driving"),
        _c("languages", "list", "Languages, one of which a member in this role must speak "
           "(optional)", None),
        _c("count", "integer", "How many members fill this role (default 1); "
           "volunteers_needed is then their total or empty", 1),
    ),
}  # fmt: skip

_VOLUNTEER_INTEGERS = ("max_tasks", "max_minutes", "max_tasks_per_day", "max_minutes_per_day")
#: The settings keys and the option each sets.
SETTINGS = {
    "timezone": ("timezone",),
    "default_max_distance_km": ("default_max_distance_km",),
    "time_limit_seconds": ("time_limit_seconds",),
    "horizon_start": ("horizon", "start"),
    "horizon_end": ("horizon", "end"),
    "seed": ("seed",),
    "fairness": ("fairness",),
}
#: The sheets a problem needs; the others may be left out.
REQUIRED_SHEETS = ("volunteers", "requests")
#: Columns a sheet must have when it is there.
REQUIRED_COLUMNS = {
    "settings": ("key", "value"),
    "volunteers": ("id", "lat", "lon"),
    "availability": ("volunteer_id", "start", "end"),
    "unavailable": ("volunteer_id", "start", "end"),
    "credentials": ("volunteer_id", "name"),
    "requests": ("id", "lat", "lon", "duration_minutes"),
    "roles": ("request_id", "role"),
}
#: Columns of features that are not read yet: a value there is an error, not silently dropped.
NOT_YET: dict[tuple[str, str], str] = {}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

# -- cells --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A non-empty cell: its value and where it is."""

    sheet: str
    row: int  # 1-based, as the spreadsheet shows it
    col: int  # 1-based
    column: str  # the header name
    value: Any

    @property
    def place(self) -> str:
        return f"{self.sheet}!{get_column_letter(self.col)}{self.row} ({self.column})"


Row = dict[str, Cell]


@dataclass
class Table:
    """One sheet: its header cells and its non-empty data rows."""

    name: str
    header: dict[str, int]
    rows: list[tuple[int, Row]]


def _table(name: str, raw_rows: Iterator[tuple[Any, ...]], errors: ErrorCollector) -> Table:
    header: dict[str, int] = {}
    rows: list[tuple[int, Row]] = []
    known = {c.name for c in SHEETS[name]}
    for r, values in enumerate(raw_rows, start=1):
        if r == 1:
            for c, value in enumerate(values, start=1):
                title = _text(value).strip().lower() if value is not None else ""
                if not title:
                    continue
                place = f"{name}!{get_column_letter(c)}1"
                if title not in known:
                    errors.add(
                        ProblemError(
                            (), f"unknown column (known: {', '.join(sorted(known))})", place=place
                        )
                    )
                elif title in header:
                    errors.add(ProblemError((), "names a column twice", place=place))
                else:
                    header[title] = c
            continue
        row: Row = {}
        for title, c in header.items():
            value = values[c - 1] if c - 1 < len(values) else None
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                continue
            row[title] = Cell(name, r, c, title, value)
        if row:
            rows.append((r, row))
    for title in REQUIRED_COLUMNS[name]:
        if title not in header and (header or rows):  # a blank sheet is an absent one
            errors.add(ProblemError((), f"has no column {title}", place=f"{name}!1"))
    return Table(name, header, rows)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- sources: a workbook or a folder of CSV files ---------------------------------------


def _workbook_tables(book: Any, errors: ErrorCollector) -> dict[str, Table]:
    tables = {}
    for sheet in book.worksheets:
        name = sheet.title.strip().lower()
        if name in SHEETS:
            tables[name] = _table(name, sheet.iter_rows(values_only=True), errors)
    return tables


def _csv_tables(folder: Path, errors: ErrorCollector) -> dict[str, Table]:
    tables = {}
    for name in SHEETS:
        path = folder / f"{name}.csv"
        if not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            errors.add(ProblemError((), f"is not UTF-8 text (byte {err.start})", place=path.name))
            continue
        first = text.split("\n", 1)[0]
        # Spreadsheets set to a Dutch or French locale write semicolons.
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        tables[name] = _table(name, (tuple(r) for r in rows), errors)
    return tables


def _open(source: Path | bytes, errors: ErrorCollector) -> dict[str, Table]:
    if isinstance(source, Path) and source.is_dir():
        tables = _csv_tables(source, errors)
        where = source.name or str(source)
    else:
        try:
            data = source if isinstance(source, bytes) else source.read_bytes()
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (
            InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, IndexError,
            TypeError,
        ) as err:  # fmt: skip
            if isinstance(err, OSError) and not isinstance(source, bytes):
                raise ProblemError((), f"cannot be read ({err.strerror or 'error'})") from None
            raise ProblemError((), "is not an .xlsx workbook") from None
        try:
            tables = _workbook_tables(book, errors)
        finally:
            book.close()
        where = "workbook"
    folder = isinstance(source, Path) and source.is_dir()
    for name in REQUIRED_SHEETS:
        if name not in tables:
            what = f"{name}.csv" if folder else f"a sheet named {name}"
            errors.add(ProblemError((), f"has no {what}", place=where))
    return tables


# -- cell values ----------------------------------------------------------------------

_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def _fail(cell: Cell, message: str) -> ProblemError:
    return ProblemError((), message, place=cell.place)


def cell_date(cell: Cell) -> date:
    """A date cell: a spreadsheet date, ISO ``2026-12-01`` or day-first ``01-12-2026``."""
    value = cell.value
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise _fail(cell, "must be a date without a time")
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = _DAY_FIRST.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(cell, "must be a date (YYYY-MM-DD or DD-MM-YYYY)") from None


def cell_clock(cell: Cell) -> tuple[time, int]:
    """A time-of-day cell as (time, days to add): ``24:00`` is midnight at the day's end."""
    value = cell.value
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        return value.replace(tzinfo=None, microsecond=0), 0
    if isinstance(value, timedelta):  # some writers store a duration
        seconds = int(value.total_seconds())
        if 0 <= seconds <= 86_400:
            return (
                (time(0), 1)
                if seconds == 86_400
                else (time(seconds // 3600, seconds // 60 % 60), 0)
            )
    text = _text(value).replace(".", ":")
    if text in ("24:00", "24:00:00"):
        return time(0), 1
    if re.match(r"^\d:\d\d", text):
        text = "0" + text
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        raise _fail(cell, "must be a time of day (HH:MM)") from None
    if clock.tzinfo is not None:
        raise _fail(cell, "must be a local time without offset")
    return clock, 0


def cell_moment(cell: Cell, *, end: bool) -> str:
    """A date or date-and-time cell, as a local ISO date-time (a date alone: day start/end)."""
    value = cell.value
    if isinstance(value, datetime) and value.time() != time(0):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, datetime):  # a spreadsheet date: the whole day
        value = value.date()
    text = _text(value)
    if isinstance(value, date) or len(text) <= 10:
        day = cell_date(cell)
        return datetime.combine(day + timedelta(days=1 if end else 0), time(0)).isoformat()
    head, _, tail = text.replace("T", " ").partition(" ")
    day = cell_date(Cell(cell.sheet, cell.row, cell.col, cell.column, head))
    clock, extra = cell_clock(Cell(cell.sheet, cell.row, cell.col, cell.column, tail.strip()))
    return datetime.combine(day + timedelta(days=extra), clock).isoformat()


def cell_number(cell: Cell) -> Any:
    """A number; text with a decimal comma is read as one. Other text goes on to the validator."""
    value = cell.value
    if isinstance(value, str) and _DECIMAL_COMMA.match(value):
        return float(value.replace(",", "."))
    if isinstance(value, str):
        try:
            return float(value) if re.match(r"^-?\d+(\.\d+)?$", value) else value
        except ValueError:
            return value
    return value


def cell_integer(cell: Cell) -> Any:
    value = cell_number(cell)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | float):
        raise _fail(cell, "must be a whole number")
    return value


def cell_list(cell: Cell) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", _text(cell.value)) if part.strip()]


def cell_text(cell: Cell) -> str:
    return _text(cell.value)


_WEEKLY_REPEAT = re.compile(r"^(?:weekly|wekelijks)\s*:?\s*(.+?)\s+(?:until|tot)\s+(\S+)$", re.I)


def cell_repeat(cell: Cell) -> dict[str, Any]:
    """A ``repeat`` cell: ``weekly:tue,thu until 2027-02-23`` or an RRULE (``FREQ=...``)."""
    text = _text(cell.value).strip()
    if text.upper().startswith(("FREQ=", "RRULE:")):
        return {"rrule": text}
    match = _WEEKLY_REPEAT.match(text)
    if not match:
        raise _fail(
            cell,
            "must be weekly:DAYS until DATE (weekly:tue,thu until 2027-02-23) "
            "or an RRULE (FREQ=WEEKLY;COUNT=6)",
        )
    days = [d for d in re.split(r"[,;\s]+", match[1]) if d]
    until = cell_date(Cell(cell.sheet, cell.row, cell.col, cell.column, match[2]))
    return {"weekly": {"days": days}, "until": until.isoformat()}


# -- sheets to the JSON document --------------------------------------------------------


@dataclass
class SheetDocument:
    """The JSON document of a workbook, and the cell behind each JSON path."""

    doc: dict[str, Any]
    cells: dict[JsonPath, str]

    def place_of(self, path: JsonPath) -> str:
        """The cell of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            place = self.cells.get(tuple(path[:end]))
            if place:
                return place
        return "workbook"


class _Builder:
    def __init__(self, tables: dict[str, Table], errors: ErrorCollector) -> None:
        self.tables = tables
        self.errors = errors
        self.cells: dict[JsonPath, str] = {}

    def put(self, target: dict[str, Any], key: str, path: JsonPath, cell: Cell, value: Any) -> None:
        target[key] = value
        self.cells[(*path, key)] = cell.place

    def convert(
        self, target: dict[str, Any], key: str, path: JsonPath, cell: Cell, fn: Any
    ) -> None:
        try:
            self.put(target, key, path, cell, fn(cell))
        except ProblemError as err:
            self.cells[(*path, key)] = cell.place  # so "is required" later finds this cell
            self.errors.add(ProblemError((*path, key), err.message, place=err.place))

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"version": 1}
        doc["options"] = self.settings()
        doc["volunteers"] = self.volunteers()
        doc["requests"] = self.requests()
        self.not_yet()
        return doc

    def settings(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        table = self.tables.get("settings")
        for _, row in table.rows if table else []:
            key_cell, value_cell = row.get("key"), row.get("value")
            if key_cell is None:
                if value_cell is not None:
                    self.errors.add(_fail(value_cell, "has no key beside it"))
                continue
            key = cell_text(key_cell).strip().lower()
            if key not in SETTINGS:
                self.errors.add(_fail(key_cell, f"is not a setting ({', '.join(SETTINGS)})"))
                continue
            if value_cell is None:
                self.errors.add(_fail(key_cell, "has no value beside it"))
                continue
            target = SETTINGS[key]
            if target[0] == "horizon":
                horizon = options.setdefault("horizon", {})
                self.cells[("options", "horizon")] = key_cell.place
                self.convert(
                    horizon, target[1], ("options", "horizon"), value_cell,
                    lambda c, end=target[1] == "end": cell_moment(c, end=end),
                )  # fmt: skip
            elif key in ("timezone", "fairness"):
                self.put(options, key, ("options",), value_cell, cell_text(value_cell))
            elif key == "seed":
                self.convert(options, key, ("options",), value_cell, cell_integer)
            else:
                self.convert(options, key, ("options",), value_cell, cell_number)
        return options

    def volunteers(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        table = self.tables.get("volunteers")
        for _, row in table.rows if table else []:
            path: JsonPath = ("volunteers", len(out))
            vol: dict[str, Any] = {}
            self.row_path(path, row)
            for name, cell in row.items():
                if name in ("lat", "lon"):
                    loc = vol.setdefault("location", {})
                    self.convert(loc, name, (*path, "location"), cell, cell_number)
                elif name in ("skills", "languages", "excluded_clients"):
                    self.convert(vol, name, path, cell, cell_list)
                elif name == "max_distance_km":
                    self.convert(vol, name, path, cell, cell_number)
                elif name in _VOLUNTEER_INTEGERS:
                    self.convert(vol, name, path, cell, cell_integer)
                else:  # id, travel_mode
                    self.put(vol, name, path, cell, cell_text(cell))
            if "id" in vol:
                index.setdefault(vol["id"], len(out))
            out.append(vol)
        self.availability(out, index)
        self.unavailable(out, index)
        self.credentials(out, index)
        return out

    def row_path(self, path: JsonPath, row: Row) -> None:
        first = min(row.values(), key=lambda c: c.col)
        self.cells[path] = f"{first.sheet}!{first.row}"

    def owner(self, row: Row, table: str, index: dict[str, int]) -> int | None:
        cell = row.get("volunteer_id")
        if cell is None:
            first = min(row.values(), key=lambda c: c.col)
            self.errors.add(ProblemError((), "has no volunteer_id", place=f"{table}!{first.row}"))
            return None
        vid = cell_text(cell)
        if vid not in index:
            self.errors.add(_fail(cell, "names no volunteer of the volunteers sheet"))
            return None
        return index[vid]

    def availability(self, vols: list[dict[str, Any]], index: dict[str, int]) -> None:
        table = self.tables.get("availability")
        for _, row in table.rows if table else []:
            k = self.owner(row, "availability", index)
            if k is None:
                continue
            entries = vols[k].setdefault("availability", [])
            path: JsonPath = ("volunteers", k, "availability", len(entries))
            self.row_path(path, row)
            entry = self.availability_entry(row, path)
            if entry is not None:
                entries.append(entry)

    def availability_entry(self, row: Row, path: JsonPath) -> dict[str, Any] | None:
        kinds = [name for name in ("days", "date", "rrule") if name in row]
        first = min(row.values(), key=lambda c: c.col)
        if len(kinds) != 1:
            self.errors.add(
                ProblemError(
                    (),
                    "needs exactly one of days, date or rrule",
                    place=f"availability!{first.row}",
                )
            )
            return None
        clocks: dict[str, tuple[time, int]] = {}
        for name in ("start", "end"):
            cell = row.get(name)
            if cell is None:
                self.errors.add(
                    ProblemError((), f"has no {name}", place=f"availability!{first.row}")
                )
                continue
            try:
                clocks[name] = cell_clock(cell)
            except ProblemError as err:
                self.errors.add(err)
        if len(clocks) < 2:
            return None
        if kinds == ["date"]:
            if {"from", "until"} & row.keys():
                bad = row.get("from") or row["until"]
                self.errors.add(_fail(bad, "is for weekly windows; a dated window has its date"))
            try:
                day = cell_date(row["date"])
            except ProblemError as err:
                self.errors.add(err)
                return None
            entry: dict[str, Any] = {}
            for name in ("start", "end"):
                clock, extra = clocks[name]
                moment = datetime.combine(day + timedelta(days=extra), clock)
                self.put(entry, name, path, row[name], moment.isoformat())
            return entry
        text = {n: f"{clocks[n][0]:%H:%M}" for n in ("start", "end")}
        if clocks["end"][1]:
            self.errors.add(_fail(row["end"], "must be before midnight in a weekly window"))
            return None
        if kinds == ["days"]:
            weekly: dict[str, Any] = {}
            self.put(weekly, "days", (*path, "weekly"), row["days"], cell_list(row["days"]))
            for name in ("start", "end"):
                self.put(weekly, name, (*path, "weekly"), row[name], text[name])
            entry = {"weekly": weekly}
            self.cells[(*path, "weekly")] = row["days"].place
        else:
            entry = {}
            self.put(entry, "rrule", path, row["rrule"], cell_text(row["rrule"]))
            for name in ("start", "end"):
                self.put(entry, name, path, row[name], text[name])
        for name in ("from", "until"):
            if name in row:
                self.convert(entry, name, path, row[name], lambda c: cell_date(c).isoformat())
        return entry

    def unavailable(self, vols: list[dict[str, Any]], index: dict[str, int]) -> None:
        table = self.tables.get("unavailable")
        for _, row in table.rows if table else []:
            k = self.owner(row, "unavailable", index)
            if k is None:
                continue
            entries = vols[k].setdefault("unavailable", [])
            path: JsonPath = ("volunteers", k, "unavailable", len(entries))
            self.row_path(path, row)
            entry: dict[str, Any] = {}
            for name in ("start", "end"):
                if name in row:
                    self.convert(
                        entry, name, path, row[name],
                        lambda c, end=name == "end": cell_moment(c, end=end),
                    )  # fmt: skip
            entries.append(entry)

    def credentials(self, vols: list[dict[str, Any]], index: dict[str, int]) -> None:
        table = self.tables.get("credentials")
        for _, row in table.rows if table else []:
            k = self.owner(row, "credentials", index)
            if k is None:
                continue
            entries = vols[k].setdefault("credentials", [])
            path: JsonPath = ("volunteers", k, "credentials", len(entries))
            self.row_path(path, row)
            entry: dict[str, Any] = {}
            if "name" in row:
                self.put(entry, "name", path, row["name"], cell_text(row["name"]))
            for name in ("valid_from", "valid_until"):
                if name in row:
                    self.convert(
                        entry, name, path, row[name],
                        lambda c, end=name == "valid_until": cell_moment(c, end=end),
                    )  # fmt: skip
            entries.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        table = self.tables.get("requests")
        for _, row in table.rows if table else []:
            path: JsonPath = ("requests", len(out))
            self.row_path(path, row)
            req: dict[str, Any] = {}
            for name, cell in row.items():
                if name in ("lat", "lon"):
                    loc = req.setdefault("location", {})
                    self.convert(loc, name, (*path, "location"), cell, cell_number)
                elif name in (
                    "skills", "languages", "credentials", "preferred_volunteers",
                    "excluded_volunteers",
                ):  # fmt: skip
                    self.convert(req, name, path, cell, cell_list)
                elif name in ("duration_minutes", "volunteers_needed"):
                    self.convert(req, name, path, cell, cell_integer)
                elif name == "priority":
                    self.convert(req, name, path, cell, cell_number)
                elif name in ("id", "client_id"):
                    self.put(req, name, path, cell, cell_text(cell))
                elif name == "repeat":
                    self.convert(req, name, path, cell, cell_repeat)
            self.request_window(req, row, path)
            self.request_destination(req, row, path)
            out.append(req)
        self.roles(out)
        return out

    def roles(self, reqs: list[dict[str, Any]]) -> None:
        """The ``roles`` sheet: one row per role, numbered 0, 1, ... per request."""
        table = self.tables.get("roles")
        index: dict[str, int] = {}
        for k, req in enumerate(reqs):
            if isinstance(req.get("id"), str):
                index.setdefault(req["id"], k)
        found: dict[int, dict[int, dict[str, Any]]] = {}
        for _, row in table.rows if table else []:
            first = min(row.values(), key=lambda c: c.col)
            cell, number = row.get("request_id"), row.get("role")
            if cell is None or number is None:
                missing = "request_id" if cell is None else "role"
                self.errors.add(ProblemError((), f"has no {missing}", place=f"roles!{first.row}"))
                continue
            if cell_text(cell) not in index:
                self.errors.add(_fail(cell, "names no request of the requests sheet"))
                continue
            k = index[cell_text(cell)]
            try:
                i = cell_integer(number)
            except ProblemError as err:
                self.errors.add(err)
                continue
            if not isinstance(i, int) or i < 0 or i in found.get(k, {}):
                self.errors.add(
                    _fail(number, "must number the request's roles 0, 1, ... once each")
                )
                continue
            path: JsonPath = ("requests", k, "roles", i)
            self.row_path(path, row)
            entry: dict[str, Any] = {}
            for name in ("skills", "languages"):
                if name in row:
                    self.convert(entry, name, path, row[name], cell_list)
            if "count" in row:
                self.convert(entry, "count", path, row["count"], cell_integer)
            found.setdefault(k, {})[i] = entry
        for k, roles in sorted(found.items()):
            if sorted(roles) != list(range(len(roles))):
                self.errors.add(
                    ProblemError(
                        (),
                        f"request {reqs[k].get('id')}: roles must be numbered 0 to "
                        f"{len(roles) - 1} without gaps",
                        place="roles",
                    )
                )
                continue
            reqs[k]["roles"] = [roles[i] for i in range(len(roles))]

    def request_window(self, req: dict[str, Any], row: Row, path: JsonPath) -> None:
        parts = [row.get(n) for n in ("date", "window_start", "window_end")]
        given = [c for c in parts if c is not None]
        if not given:
            return
        if len(given) < 3:
            first = min(row.values(), key=lambda c: c.col)
            self.errors.add(
                ProblemError(
                    (),
                    "needs date, window_start and window_end together (or none: any time)",
                    place=f"requests!{first.row}",
                )
            )
            return
        day_cell, start_cell, end_cell = given
        try:
            day = cell_date(day_cell)
            (s, s_extra), (e, e_extra) = cell_clock(start_cell), cell_clock(end_cell)
        except ProblemError as err:
            self.errors.add(err)
            return
        window: dict[str, Any] = {}
        wpath = (*path, "window")
        self.cells[wpath] = day_cell.place
        start = datetime.combine(day + timedelta(days=s_extra), s).isoformat()
        end = datetime.combine(day + timedelta(days=e_extra), e).isoformat()
        self.put(window, "start", wpath, start_cell, start)
        self.put(window, "end", wpath, end_cell, end)
        req["window"] = window

    def request_destination(self, req: dict[str, Any], row: Row, path: JsonPath) -> None:
        """A ride's ``destination`` from ``destination_lat`` and ``destination_lon``
        (both or neither)."""
        cells = {n: row.get(f"destination_{n}") for n in ("lat", "lon")}
        given = {n: c for n, c in cells.items() if c is not None}
        if not given:
            return
        if len(given) < 2:
            (only,) = given.values()
            other = "destination_lon" if "lat" in given else "destination_lat"
            self.errors.add(_fail(only, f"needs {other} too (a ride has both, else neither)"))
            return
        dest: dict[str, Any] = {}
        for name, cell in given.items():
            self.convert(dest, name, (*path, "destination"), cell, cell_number)
        self.cells[(*path, "destination")] = given["lat"].place
        req["destination"] = dest

    def not_yet(self) -> None:
        for (sheet, column), feature in NOT_YET.items():
            table = self.tables.get(sheet)
            for _, row in table.rows if table else []:
                if column in row:
                    self.errors.add(
                        _fail(row[column], f"{feature} are not supported by this version yet")
                    )


def sheets_document(source: Path | bytes) -> SheetDocument:
    """The JSON document of a workbook (path or bytes) or CSV folder, and its cells.

    Raises
    ------
    ProblemError
        Every cell that cannot be read, by sheet, cell and column.
    """
    errors = ErrorCollector()
    tables = _open(source, errors)
    builder = _Builder(tables, errors)
    doc = builder.document()
    errors.raise_if_any()
    return SheetDocument(doc, builder.cells)


def read_sheets(source: Path | bytes) -> dict[str, Any]:
    """The validated JSON document of a workbook or CSV folder.

    Errors of the cells and of the v1 rules come together, each named by the
    cell it comes from (``requests!D14 (duration_minutes): ...``).
    """
    errors = ErrorCollector()
    tables = _open(source, errors)
    builder = _Builder(tables, errors)
    doc = builder.document()
    sheet_doc = SheetDocument(doc, builder.cells)
    from matchcore.io.problem_json import problem_from_dict

    try:
        problem_from_dict(doc)
    except ProblemError as err:
        seen = {e.place for e in errors.errors}
        for e in err.errors:
            place = sheet_doc.place_of(e.path)
            if place not in seen:
                errors.add(ProblemError(e.path, e.message, place=place))
    errors.raise_if_any()
    return doc


def read_workbook_bytes(data: bytes) -> dict[str, Any]:
    """:func:`read_sheets` of an uploaded ``.xlsx`` body."""
    return read_sheets(data)


def is_sheets(path: Path) -> bool:
    """Whether ``path`` is a workbook or a folder of CSV files (else JSON)."""
    return path.is_dir() or path.suffix.lower() in WORKBOOK_SUFFIXES


# -- writing: the template and a problem as a workbook -----------------------------------


def template_workbook() -> Workbook:
    """An empty workbook of the format: a help sheet, one example row per sheet, drop-downs."""
    from matchcore.io.sheets_template import build_template

    return build_template()


def problem_workbook(problem: Problem) -> Workbook:
    """``problem`` as a workbook (needs ``options.timezone``), for round trips and editing."""
    from matchcore.io.sheets_template import build_problem_workbook

    return build_problem_workbook(problem)


__all__ = [
    "REQUIRED_SHEETS",
    "SETTINGS",
    "SHEETS",
    "Column",
    "SheetDocument",
    "is_sheets",
    "problem_workbook",
    "read_sheets",
    "read_workbook_bytes",
    "sheets_document",
    "template_workbook",
]
