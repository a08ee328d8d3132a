"""The ``roles`` sheet: team roles in a workbook, errors by cell, JSON <-> sheet round trip."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import Workbook, load_workbook
from strategies import role_problems
from test_sheets import workbook_round_trip

from matchcore.errors import ProblemError
from matchcore.io import problem_from_dict
from matchcore.io.sheets import SHEETS, read_sheets, template_workbook
from matchcore.problem import Problem

ROOT = Path(__file__).resolve().parents[1]


def to_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def errors_of(book: Workbook) -> list[str]:
    with pytest.raises(ProblemError) as info:
        read_sheets(to_bytes(book))
    return sorted(f"{e.location}: {e.message}" for e in info.value.errors)


def family_book(*role_rows: list[object], needed: object = None) -> Workbook:
    """A workbook with one family request (its team given by ``role_rows``)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)

    def sheet(name: str, rows: list[list[object]]) -> None:
        ws = book.create_sheet(name)
        ws.append([c.name for c in SHEETS[name]])
        for row in rows:
            ws.append(row)

    sheet("settings", [["timezone", "Europe/Brussels"]])
    sheet(
        "volunteers",
        [
            ["d", 51.2, 3.22, "rijden", "nl", "car", None, None, None, None],
            ["s", 51.2, 3.22, "oppas", "nl", "car", None, None, None, None],
        ],
    )
    request = ["fam", "cl-1", 51.2, 3.22, None, None, None, None, None, 60]
    sheet("requests", [[*request, "2026-12-08", "09:00", "12:00", needed, 1, None, None]])
    sheet("roles", [list(r) for r in role_rows])
    return book


def test_the_roles_sheet_reads_as_the_request_roles() -> None:
    book = family_book(["fam", 1, "Oppas", "NL", None], ["fam", 0, "rijden", None, 1])
    doc = read_sheets(to_bytes(book))
    assert doc["requests"][0]["roles"] == [
        {"skills": ["rijden"], "count": 1},
        {"skills": ["Oppas"], "languages": ["NL"]},
    ]
    problem = problem_from_dict(doc)
    assert problem.requests[0].volunteers_needed == 2


@pytest.mark.parametrize(
    ("rows", "needed", "want"),
    [
        (
            [["fam", 0, "rijden", None, 0], ["fam", 1, "oppas", None, 1]],
            None,
            ["roles!E2 (count): must be a whole number, 1 or more"],
        ),
        (
            [["fam", "first", "rijden", None, 1]],
            None,
            ["roles!B2 (role): must be a whole number"],
        ),
        (
            [["fam", 0, "rijden", None, 1], ["fam", 0, "oppas", None, 1]],
            None,
            ["roles!B3 (role): must number the request's roles 0, 1, ... once each"],
        ),
        (
            [["fam", 0, "rijden", None, 1], ["fam", 2, "oppas", None, 1]],
            None,
            ["roles: request fam: roles must be numbered 0 to 1 without gaps"],
        ),
        (
            [["nobody", 0, "rijden", None, 1]],
            None,
            ["roles!A2 (request_id): names no request of the requests sheet"],
        ),
        (
            [["fam", 0, "rijden", None, 1], ["fam", 1, "oppas", None, 1]],
            3,
            [
                "requests!N2 (volunteers_needed): must equal the sum of the roles' counts "
                "(2), or be left out"
            ],
        ),
        (
            [[None, 0, "rijden", None, 1], ["fam", None, "x", None, 1]],
            None,
            ["roles!2: has no request_id", "roles!3: has no role"],
        ),
    ],
)
def test_role_errors_name_the_cell_all_at_once(
    rows: list[list[object]], needed: object, want: list[str]
) -> None:
    assert errors_of(family_book(*rows, needed=needed)) == sorted(want)


def test_the_template_explains_the_roles_sheet_and_reads(tmp_path: Path) -> None:
    path = tmp_path / "week.xlsx"
    template_workbook().save(path)
    book = load_workbook(path)
    assert [c.value for c in book["roles"][1]] == [
        "request_id",
        "role",
        "skills",
        "languages",
        "count",
    ]
    explained = {(r[0].value, r[1].value) for r in book["help"].iter_rows() if len(r) > 1}
    assert {("roles", c.name) for c in SHEETS["roles"]} <= explained
    problem = problem_from_dict(read_sheets(path))
    assert problem.requests[0].roles  # the example row makes req-01 a team of one role


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(problem=role_problems())
def test_a_problem_with_roles_to_workbook_and_back_is_the_same_problem(problem: Problem) -> None:
    local, again = workbook_round_trip(problem)
    assert again == local
    assert [r.roles for r in again.requests] == [r.roles for r in local.requests]


def test_the_west_flemish_family_needs_a_driver_and_a_babysitter() -> None:
    problem = problem_from_dict(read_sheets(ROOT / "examples" / "west_flanders_week.xlsx"))
    family = problem.requests[problem.request_index["req-31"]]
    assert [sorted(r.skills) for r in family.roles] == [["driving"], ["babysitting"]]
    assert family.volunteers_needed == 2
