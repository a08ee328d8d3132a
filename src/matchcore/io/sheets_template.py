"""Writing workbooks: the empty template, and a problem in the spreadsheet format."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from matchcore.io.localtime import wall_time
from matchcore.io.sheets import SETTINGS, SHEETS
from matchcore.problem import Problem, TimeWindow, TravelMode

_INTRO = (
    "How to fill in this workbook",
    "One sheet per kind of thing; the first row of each names its columns (keep them).",
    "Lists are comma-separated (driving, shopping). Dates: 2026-12-01 or 01-12-2026. "
    "Times: HH:MM, local time in the settings' timezone.",
    "Skills and languages: case, spaces and accents written differently still match.",
    "Delete the example rows and add your own. Other sheets (like this one) are ignored.",
    "Solve it with:  matchcore solve week.xlsx   or turn it into JSON with:  "
    "matchcore import week.xlsx -o problem.json",
)

# Drop-down lists: (sheet, column) -> choices.
_CHOICES: dict[tuple[str, str], Sequence[str]] = {
    ("volunteers", "travel_mode"): [m.value for m in TravelMode],
    ("settings", "key"): list(SETTINGS),
}
# Whole-number checks: (sheet, column) -> smallest value.
_WHOLE: dict[tuple[str, str], int] = {
    ("requests", "duration_minutes"): 1,
    ("requests", "volunteers_needed"): 1,
    ("volunteers", "max_tasks"): 0,
    ("volunteers", "max_minutes"): 0,
    ("volunteers", "max_tasks_per_day"): 0,
    ("volunteers", "max_minutes_per_day"): 0,
    ("roles", "role"): 0,
    ("roles", "count"): 1,
}
_ROWS = 1000  # rows the checks cover


def build_template() -> Workbook:
    """The empty workbook: a help sheet, every sheet with its columns, one example row each."""
    book = Workbook()
    help_sheet = book.active
    assert help_sheet is not None
    help_sheet.title = "help"
    _help(help_sheet)
    examples: dict[str, list[list[Any]]] = {
        "settings": [["timezone", "Europe/Brussels"]],
    }
    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        rows = examples.get(name, [[c.example for c in columns]])
        _fill(sheet, [c.name for c in columns], rows)
        _checks(sheet, name, [c.name for c in columns])
    return book


def _help(sheet: Worksheet) -> None:
    sheet.append([_INTRO[0]])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in _INTRO[1:]:
        sheet.append([line])
    sheet.append([])
    sheet.append(["sheet", "column", "what to write", "example"])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for name, columns in SHEETS.items():
        for column in columns:
            example = "" if column.example is None else str(column.example)
            sheet.append([name, column.name, column.help, example])
    sheet.append([])
    sheet.append(["settings keys", ", ".join(SETTINGS)])
    for letter, width in zip("ABCD", (16, 22, 90, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1):
        row[2].alignment = Alignment(wrap_text=True)


def _fill(sheet: Worksheet, header: list[str], rows: Iterable[Sequence[Any]]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    for i, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(title) + 4)


def _checks(sheet: Worksheet, name: str, header: list[str]) -> None:
    for i, title in enumerate(header, start=1):
        area = f"{get_column_letter(i)}2:{get_column_letter(i)}{_ROWS}"
        choices = _CHOICES.get((name, title))
        if choices:
            check = DataValidation(
                type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
            )
            check.error = f"Choose one of: {', '.join(choices)}"
            check.errorTitle = title
        elif (name, title) in _WHOLE:
            low = _WHOLE[(name, title)]
            check = DataValidation(
                type="whole", operator="greaterThanOrEqual", formula1=str(low), allow_blank=True
            )
            check.error = f"A whole number, {low} or more"
            check.errorTitle = title
        elif title in ("lat", "destination_lat"):
            check = DataValidation(
                type="decimal", operator="between", formula1="-90", formula2="90", allow_blank=True
            )
            check.error = "A latitude between -90 and 90 (degrees)"
        elif title in ("lon", "destination_lon"):
            check = DataValidation(
                type="decimal", operator="between", formula1="-180", formula2="180",
                allow_blank=True,
            )  # fmt: skip
            check.error = "A longitude between -180 and 180 (degrees)"
        else:
            continue
        check.showErrorMessage = True
        sheet.add_data_validation(check)
        check.add(area)


# -- a problem as a workbook ---------------------------------------------------------------


def build_problem_workbook(problem: Problem) -> Workbook:
    """``problem`` in the spreadsheet format (local times in ``options.timezone``).

    Availability is written as dated rows, split at local midnight (touching
    rows merge again on reading). What the format has no column for is left
    out: pinned assignments, travel speeds, the detour factor, workers, and a
    volunteer who is never available.

    Raises
    ------
    ValueError
        When the problem has no time zone, or a request window spans midnight.
    """
    zone = problem.options.zone
    if zone is None:
        raise ValueError("a problem needs options.timezone to be written as a workbook")
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    opts = problem.options
    settings: list[list[Any]] = [
        ["timezone", opts.timezone],
        ["default_max_distance_km", opts.default_max_distance_km],
        ["time_limit_seconds", opts.time_limit_seconds],
        ["seed", opts.seed],
    ]
    if opts.fairness != "none":
        settings.append(["fairness", opts.fairness])
    if opts.horizon is not None:
        settings.append(["horizon_start", _local(opts.horizon.start, zone)])
        settings.append(["horizon_end", _local(opts.horizon.end, zone)])
    _fill(book.create_sheet("settings"), ["key", "value"], settings)
    vol_cols = [c.name for c in SHEETS["volunteers"]]
    vol_rows = []
    avail_rows = []
    for v in problem.volunteers:
        vol_rows.append(
            [
                v.id,
                v.location.lat,
                v.location.lon,
                ", ".join(sorted(v.as_written(k) for k in v.skills)),
                ", ".join(sorted(v.as_written(k) for k in v.languages)),
                v.travel_mode.value,
                v.max_distance_km,
                v.max_tasks,
                v.max_minutes,
                ", ".join(sorted(v.excluded_clients)),
                v.max_tasks_per_day,
                v.max_minutes_per_day,
            ]
        )
        for window in v.availability or ():
            for piece in _day_pieces(window, zone):
                avail_rows.append([v.id, None, *piece, None, None, None])
    _fill(book.create_sheet("volunteers"), vol_cols, vol_rows)
    _fill(book.create_sheet("availability"), [c.name for c in SHEETS["availability"]], avail_rows)
    req_rows = []
    for r in problem.requests:
        when: tuple[str | None, ...] = (None, None, None)
        if r.window is not None:
            pieces = _day_pieces(r.window, zone)
            if len(pieces) != 1:
                raise ValueError(f"request {r.id}: a window across midnight has no sheet row")
            when = pieces[0]
        req_rows.append(
            [
                r.id,
                r.client_id,
                r.location.lat,
                r.location.lon,
                None if r.destination is None else r.destination.lat,
                None if r.destination is None else r.destination.lon,
                ", ".join(sorted(r.as_written(k) for k in r.skills)),
                ", ".join(sorted(r.as_written(k) for k in r.languages)),
                ", ".join(sorted(r.as_written(k) for k in r.credentials)),
                r.duration_minutes,
                *when,
                r.volunteers_needed,
                r.priority,
                ", ".join(sorted(r.preferred_volunteers)),
                ", ".join(sorted(r.excluded_volunteers)),
                None,  # repeat: occurrences are written as rows of their own
            ]
        )
    _fill(book.create_sheet("requests"), [c.name for c in SHEETS["requests"]], req_rows)
    cred_rows = [
        [
            v.id,
            c.name,
            None if c.valid_from is None else _day_or_moment(c.valid_from, zone, end=False),
            _day_or_moment(c.valid_until, zone, end=True),
        ]
        for v in problem.volunteers
        for c in v.credentials
    ]
    if cred_rows:
        _fill(book.create_sheet("credentials"), [c.name for c in SHEETS["credentials"]], cred_rows)
    role_rows = [
        [
            r.id,
            i,
            ", ".join(sorted(role.as_written(k) for k in role.skills)),
            ", ".join(sorted(role.as_written(k) for k in role.languages)),
            role.count,
        ]
        for r in problem.requests
        for i, role in enumerate(r.roles)
    ]
    if role_rows:
        _fill(book.create_sheet("roles"), [c.name for c in SHEETS["roles"]], role_rows)
    return book


def _day_or_moment(moment: datetime, zone: ZoneInfo, *, end: bool) -> str:
    """A local date when ``moment`` is a local midnight (for an end: the day before it,
    the last day of validity), else the local date and time."""
    local = moment.astimezone(zone)
    if local.time() == time(0):
        return (local.date() - timedelta(days=1 if end else 0)).isoformat()
    return _local(moment, zone)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def _day_pieces(window: TimeWindow, zone: ZoneInfo) -> list[tuple[str, str, str]]:
    """``window`` as (date, HH:MM, HH:MM) rows of local days; an end at midnight is 24:00."""
    out = []
    start = window.start
    while start < window.end:
        local = start.astimezone(zone)
        midnight = wall_time(
            datetime.combine(local.date() + timedelta(days=1), time(0)), zone, lenient=True
        )
        end = min(window.end, midnight)
        end_text = "24:00" if end == midnight else _clock(end.astimezone(zone))
        out.append((local.date().isoformat(), _clock(local), end_text))
        start = end
    return out
