"""Spreadsheets in (issue 8 item 9): workbook, CSV folder, template, errors by cell."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from openpyxl import Workbook, load_workbook
from strategies import small_problems

from matchcore import cli, solve
from matchcore.check import check
from matchcore.errors import ProblemError
from matchcore.io import problem_from_dict, read_problem, read_problem_file
from matchcore.io.sheets import SHEETS, problem_workbook, read_sheets, template_workbook
from matchcore.problem import Location, Options, Problem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))
import make_west_flanders  # noqa: E402

# The contract of the issue, written out again here on purpose.
CONTRACT = {
    "settings": ["key", "value"],
    "volunteers": ["id", "lat", "lon", "skills", "languages", "travel_mode", "max_distance_km",
                   "max_tasks", "max_minutes", "excluded_clients"],
    "availability": ["volunteer_id", "days", "date", "start", "end", "from", "until"],
    "unavailable": ["volunteer_id", "start", "end"],
    "credentials": ["volunteer_id", "name", "valid_from", "valid_until"],
    "requests": ["id", "client_id", "lat", "lon", "destination_lat", "destination_lon", "skills",
                 "languages", "credentials", "duration_minutes", "date", "window_start",
                 "window_end", "volunteers_needed", "priority", "preferred_volunteers",
                 "excluded_volunteers"],
}  # fmt: skip
SETTINGS_KEYS = {"timezone", "default_max_distance_km", "time_limit_seconds", "horizon_start",
                 "horizon_end"}  # fmt: skip


def to_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def week_book() -> Workbook:
    return make_west_flanders.workbook(make_west_flanders.WEEKS["west_flanders_week"])


def errors_of(source: Path | bytes) -> list[str]:
    with pytest.raises(ProblemError) as info:
        read_sheets(source)
    return [f"{e.location}: {e.message}" for e in info.value.errors]


# -- the template ----------------------------------------------------------------------------------


def test_template_has_every_sheet_and_column_of_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "week.xlsx"
    template_workbook().save(path)
    book = load_workbook(path)
    assert book.sheetnames[0] == "help"
    for name, columns in CONTRACT.items():
        header = [c.value for c in book[name][1]]
        assert header[: len(columns)] == columns or set(columns) <= set(header), name
        assert set(columns) <= set(header)
    settings_keys = {c.name for c in SHEETS["settings"]} | SETTINGS_KEYS
    assert settings_keys >= SETTINGS_KEYS


def test_template_help_explains_every_column_and_offers_drop_downs(tmp_path: Path) -> None:
    path = tmp_path / "week.xlsx"
    template_workbook().save(path)
    book = load_workbook(path)
    explained = {(row[0], row[1]) for row in book["help"].iter_rows(values_only=True) if row[1]}
    for name, columns in CONTRACT.items():
        for column in columns:
            assert (name, column) in explained
    drop_downs = {
        (dv.type, dv.formula1) for dv in book["volunteers"].data_validations.dataValidation
    }
    assert ("list", '"walk,bike,car,transit"') in drop_downs
    keys = [dv.formula1 for dv in book["settings"].data_validations.dataValidation]
    assert all(k in keys[0] for k in SETTINGS_KEYS)


def test_template_has_an_example_row_per_sheet_and_reads_as_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "week.xlsx"
    template_workbook().save(path)
    book = load_workbook(path)
    for name in CONTRACT:
        if name != "credentials":  # credentials are not read by this version yet
            assert book[name].max_row == 2, name
    problem = problem_from_dict(read_sheets(path))
    assert [v.id for v in problem.volunteers] == ["vol-01"]
    assert problem.options.timezone == "Europe/Brussels"


# -- errors by sheet, cell and column, all at once -------------------------------------------------


def test_errors_name_sheet_cell_and_column_all_at_once() -> None:
    book = week_book()
    book["requests"]["J14"] = "sixty"  # duration_minutes of req-13
    book["requests"]["K3"] = "31-02-2026"  # date of req-02
    book["volunteers"]["B5"] = "north"  # lat of vol-04
    book["availability"]["B4"] = "tuesday"  # days of vol-02
    book["requests"]["O6"] = 0  # priority of req-05
    book["unavailable"]["C2"] = "soon"
    assert sorted(errors_of(to_bytes(book))) == sorted(
        [
            "unavailable!C2 (end): must be a date (YYYY-MM-DD or DD-MM-YYYY)",
            "requests!J14 (duration_minutes): must be a whole number",
            "requests!K3 (date): must be a date (YYYY-MM-DD or DD-MM-YYYY)",
            "volunteers!B5 (lat): must be a number, not a string",
            "availability!B4 (days): must be a day: mon, tue, wed, thu, fri, sat or sun",
            "requests!O6 (priority): must be greater than 0",
        ]
    )


def test_structural_errors() -> None:
    book = week_book()
    book["volunteers"]["K1"] = "nickname"
    book["requests"]["D1"] = None  # no lon column any more
    book["availability"].append(["vol-99", "mon", None, "09:00", "10:00"])
    book["availability"].append(["vol-01", None, None, "09:00", "10:00"])
    book["requests"].append(
        ["req-99", None, 51.2, None, None, None, None, None, None, 30, "2026-12-08"]
    )
    last = book["requests"].max_row  # the example week may grow
    found = errors_of(to_bytes(book))
    assert "volunteers!K1: unknown column (known: " in found[0]
    assert "requests!1: has no column lon" in found
    assert (
        "availability!B21 (volunteer_id): names no volunteer of the volunteers sheet" not in found
    )
    assert "availability!A21 (volunteer_id): names no volunteer of the volunteers sheet" in found
    assert "availability!22: needs exactly one of days, date or rrule" in found
    assert (
        f"requests!{last}: needs date, window_start and window_end together (or none: any time)"
        in found
    )


def test_ride_columns_are_read_both_or_neither() -> None:
    book = week_book()
    assert book["requests"]["E1"].value == "destination_lat"
    assert book["requests"]["A3"].value == "req-02"
    book["requests"]["E3"] = 51.2126  # a ride for req-02 to AZ Sint-Jan
    book["requests"]["F3"] = "3,2446"  # decimal comma in a text cell
    doc = read_sheets(to_bytes(book))
    assert doc["requests"][1]["destination"] == {"lat": 51.2126, "lon": 3.2446}
    assert "destination" not in doc["requests"][2]
    book["requests"]["E4"] = 51.2  # latitude without longitude
    book["requests"]["F5"] = 3.1  # longitude without latitude
    book["requests"]["E6"] = "north"
    book["requests"]["F6"] = 3.1
    book["requests"]["E7"] = 95.0  # not a latitude
    book["requests"]["F7"] = 3.1
    assert errors_of(to_bytes(book)) == [
        "requests!E4 (destination_lat): needs destination_lon too (a ride has both, else neither)",
        "requests!F5 (destination_lon): needs destination_lat too (a ride has both, else neither)",
        "requests!E6 (destination_lat): must be a number, not a string",
        "requests!E7 (destination_lat): must be a latitude between -90 and 90",
    ]


def test_not_a_workbook() -> None:
    assert errors_of(b"PK\x03\x04 not really") == ["(document): is not an .xlsx workbook"]


def test_cells_in_flemish_forms() -> None:
    book = week_book()
    book["requests"]["K2"] = "07/12/2026"  # day-first with slashes
    book["requests"]["L2"] = "8.30"  # a time with a dot
    book["volunteers"]["B2"] = "51,2089"  # decimal comma in a text cell
    doc = read_sheets(to_bytes(book))
    assert doc["requests"][0]["window"]["start"] == "2026-12-07T08:30:00"
    assert doc["volunteers"][0]["location"]["lat"] == 51.2089


# -- same week, same plan --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(make_west_flanders.WEEKS))
def test_json_and_workbook_of_a_week_are_one_problem_and_one_plan(name: str) -> None:
    from_json = read_problem((EXAMPLES / f"{name}.json").read_bytes())
    from_book = read_problem_file(EXAMPLES / f"{name}.xlsx")
    assert from_book == from_json
    plan_json = solve(from_json, time_limit_s=10)
    plan_book = solve(from_book, time_limit_s=10)
    assert plan_json.objective == plan_book.objective
    assert plan_json.status.value == plan_book.status.value == "optimal"
    assert check(from_json, plan_book.to_dict()).ok


def test_the_examples_are_what_the_script_writes() -> None:
    for name, monday in make_west_flanders.WEEKS.items():
        doc = read_sheets(to_bytes(make_west_flanders.workbook(monday)))
        assert json.loads((EXAMPLES / f"{name}.json").read_text()) == doc


def test_dst_week_reads_sunday_in_summer_time() -> None:
    problem = read_problem((EXAMPLES / "west_flanders_dst_week.json").read_bytes())
    sunday = next(r for r in problem.requests if r.id == "req-20")
    monday = next(r for r in problem.requests if r.id == "req-01")
    assert sunday.window is not None and monday.window is not None
    assert sunday.window.start.utcoffset() == timedelta(hours=2)
    assert monday.window.start.utcoffset() == timedelta(hours=1)


# -- a folder of CSV files -------------------------------------------------------------------------


def write_csv_folder(book: Workbook, folder: Path, delimiter: str) -> None:
    for sheet in book.worksheets:
        with (folder / f"{sheet.title}.csv").open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh, delimiter=delimiter)
            for row in sheet.iter_rows(values_only=True):
                writer.writerow(["" if v is None else _csv_text(v) for v in row])


def _csv_text(value: Any) -> str:
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat()
    return str(value)


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_folder_reads_as_the_workbook(tmp_path: Path, delimiter: str) -> None:
    book = week_book()
    write_csv_folder(book, tmp_path, delimiter)
    assert read_problem_file(tmp_path) == problem_from_dict(read_sheets(to_bytes(book)))


def test_csv_error_names_the_file_cell(tmp_path: Path) -> None:
    book = week_book()
    book["requests"]["J3"] = "1.5"
    write_csv_folder(book, tmp_path, ";")
    assert errors_of(tmp_path) == ["requests!J3 (duration_minutes): must be a whole number"]


# -- round trip ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(problem=small_problems())
def test_problem_to_workbook_and_back_is_the_same_problem(problem: Problem) -> None:
    local, again = workbook_round_trip(problem)
    assert again == local


def workbook_round_trip(problem: Problem) -> tuple[Problem, Problem]:
    """``problem`` as a workbook can hold it, and that read back from its workbook.

    A spreadsheet keeps 15 significant digits: coordinates go to the micro-degree
    (0.1 m). Problems a workbook cannot hold (a volunteer never available, a
    window across midnight) are rejected with ``assume``.
    """
    assume(all(v.availability != () for v in problem.volunteers))
    local = Problem(
        tuple(replace(v, location=_rounded(v.location)) for v in problem.volunteers),
        tuple(
            replace(
                r,
                location=_rounded(r.location),
                destination=r.destination and _rounded(r.destination),
            )
            for r in problem.requests
        ),
        (),
        Options(seed=problem.options.seed, timezone="Europe/Brussels"),
    )
    try:
        book = problem_workbook(local)
    except ValueError:  # a request window across midnight has no sheet row
        assume(False)
    return local, problem_from_dict(read_sheets(to_bytes(book)))


def _rounded(location: Location) -> Location:
    return Location(round(location.lat, 6), round(location.lon, 6))


def test_workbook_writer_needs_a_timezone() -> None:
    problem = read_problem((ROOT / "examples" / "small_network.json").read_bytes())
    with pytest.raises(ValueError, match="timezone"):
        problem_workbook(replace(problem, options=Options()))


# -- the command line ------------------------------------------------------------------------------


def run_cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    fake_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)  # kept referenced
    sys.stdout = fake_out
    sys.stderr = err
    try:
        code = cli.main([str(a) for a in args])
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue().decode(), err.getvalue()


def test_cli_template_import_and_solve(tmp_path: Path) -> None:
    book = tmp_path / "week.xlsx"
    assert run_cli("template", book)[0] == 0
    assert run_cli("import", book, "-o", tmp_path / "problem.json")[0] == 0
    problem = read_problem((tmp_path / "problem.json").read_bytes())
    assert [r.id for r in problem.requests] == ["req-01"]
    code, out, _ = run_cli("solve", book, "-q")
    assert code == 0
    assert json.loads(out)["assignments"][0]["request_id"] == "req-01"


def test_cli_reports_every_cell_error_one_per_line(tmp_path: Path) -> None:
    book = week_book()
    book["requests"]["J14"] = "sixty"
    book["requests"]["N3"] = "two"
    path = tmp_path / "week.xlsx"
    book.save(path)
    code, out, err = run_cli("solve", path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "matchcore: requests!N3 (volunteers_needed): must be a whole number",
        "matchcore: requests!J14 (duration_minutes): must be a whole number",
    ]
    code, _, err = run_cli("import", path)
    assert code == 2
    assert err.splitlines()[0] == (
        f"matchcore: {path}: requests!N3 (volunteers_needed): must be a whole number"
    )


def test_cli_template_refuses_another_suffix(tmp_path: Path) -> None:
    code, _, err = run_cli("template", tmp_path / "week.csv")
    assert code == 2 and "name it *.xlsx" in err
