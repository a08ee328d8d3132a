"""Credentials with dates: reading, the funnel stage, clipped starts, the reason, the checker."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from openpyxl import Workbook

from matchcore import Reason, check, solve
from matchcore.errors import ProblemError
from matchcore.explain import REASON_GLOSS
from matchcore.io import problem_from_dict
from matchcore.io.sheets import SHEETS, problem_workbook, read_sheets
from matchcore.problem import Problem

CET = timezone(timedelta(hours=1))
HOME = {"lat": 51.2089, "lon": 3.2242}  # Brugge
CLIENT = {"lat": 51.2150, "lon": 3.2310}  # 0.8 km away: 2 minutes by car


def week(
    credentials: list[dict[str, Any]] | None,
    needs: list[str],
    *,
    day: str = "2026-12-03",
    window: tuple[str, str] | None = ("09:00", "12:00"),
    duration: int = 60,
    timezone_name: str | None = "Europe/Brussels",
) -> dict[str, Any]:
    vol: dict[str, Any] = {"id": "vol-11", "location": HOME}
    if credentials is not None:
        vol["credentials"] = credentials
    req: dict[str, Any] = {
        "id": "req-14",
        "location": CLIENT,
        "duration_minutes": duration,
        "credentials": needs,
    }
    if window is not None:
        req["window"] = {"start": f"{day}T{window[0]}", "end": f"{day}T{window[1]}"}
        if timezone_name is None:
            req["window"] = {k: v + "+01:00" for k, v in req["window"].items()}
    doc: dict[str, Any] = {"volunteers": [vol], "requests": [req]}
    if timezone_name is not None:
        doc["options"] = {"timezone": timezone_name}
    return doc


def served(doc: dict[str, Any]) -> bool:
    problem = problem_from_dict(doc)
    solution = solve(problem, time_limit_s=5)
    assert check(problem, solution).ok
    return not solution.unassigned


# -- reading ---------------------------------------------------------------------------------------


def test_a_date_is_the_whole_day_in_the_zone() -> None:
    problem = problem_from_dict(
        week([{"name": "VOG", "valid_from": "2026-01-05", "valid_until": "2026-12-02"}], ["vog"])
    )
    (cred,) = problem.volunteers[0].credentials
    assert cred.valid_from == datetime(2026, 1, 5, tzinfo=CET)
    assert cred.valid_until == datetime(2026, 12, 3, tzinfo=CET)  # to the end of 2 December
    assert cred.key == "vog" and cred.name == "VOG"
    assert problem.requests[0].credentials == frozenset({"vog"})


def test_a_date_without_a_zone_is_a_day_in_utc_and_date_times_keep_their_offset() -> None:
    creds = [
        {"name": "vog", "valid_until": "2026-12-02"},
        {"name": "ehbo", "valid_until": "2027-01-01T12:00:00+01:00"},
    ]
    doc = week(creds, ["vog"], timezone_name=None)
    creds = problem_from_dict(doc).volunteers[0].credentials
    assert creds[0].valid_until == datetime(2026, 12, 3, tzinfo=UTC)
    assert creds[0].valid_from is None
    assert creds[1].valid_until == datetime(2027, 1, 1, 11, tzinfo=UTC)


def test_credential_errors_come_all_at_once_with_their_pointers() -> None:
    doc = week(
        [
            {"name": "vog"},
            {"name": "", "valid_until": "2026-13-01"},
            {"name": "vog", "valid_from": "2026-12-05", "valid_until": "2026-12-01"},
            {"name": "vog", "valid_until": "2026-12-01", "expires": "soon"},
        ],
        ["vog", ""],
    )
    with pytest.raises(ProblemError) as info:
        problem_from_dict(doc)
    found = {e.pointer: e.message for e in info.value.errors}
    assert "is required" in found["/volunteers/0/credentials/0/valid_until"]
    assert "/volunteers/0/credentials/1/name" in found
    assert "date" in found["/volunteers/0/credentials/1/valid_until"]
    assert "later than valid_from" in found["/volunteers/0/credentials/2/valid_until"]
    assert "unknown field" in found["/volunteers/0/credentials/3/expires"]
    assert "/requests/0/credentials/1" in found


def test_credentials_survive_the_json_round_trip() -> None:
    problem = problem_from_dict(
        week([{"name": "VOG", "valid_from": "2026-01-05", "valid_until": "2026-12-02"}], ["Vog"])
    )
    again = problem_from_dict(problem.to_dict())
    assert again == problem
    assert problem.to_dict()["requests"][0]["credentials"] == ["Vog"]


# -- the engine and the reason ---------------------------------------------------------------------


def test_a_lapsed_credential_gives_no_valid_credential_with_the_count_that_lapsed() -> None:
    doc = week([{"name": "VOG", "valid_until": "2026-12-02"}], ["vog"])
    doc["volunteers"].append({"id": "vol-04", "location": HOME})  # no credential at all
    problem = problem_from_dict(doc)
    solution = solve(problem, time_limit_s=5)
    (u,) = solution.unassigned
    assert u.reason is Reason.NO_VALID_CREDENTIAL
    assert (u.funnel.skills, u.funnel.credentials, u.funnel.not_excluded) == (2, 0, 0)
    assert "1 has every required credential, of whom 1 not valid" in u.detail
    assert set(REASON_GLOSS[Reason.NO_VALID_CREDENTIAL]) == {"en", "nl"}


def test_the_day_before_it_lapses_the_volunteer_goes() -> None:
    assert served(week([{"name": "vog", "valid_until": "2026-12-03"}], ["vog"]))
    assert not served(week([{"name": "vog", "valid_until": "2026-12-02"}], ["vog"]))
    later = [{"name": "vog", "valid_from": "2026-12-04", "valid_until": "2027-12-01"}]
    assert not served(week(later, ["vog"]))


def test_travel_counts_the_block_must_lie_inside_the_validity() -> None:
    # Valid until 10:00: a 60-minute task from 09:00 needs travel back (2 min) after 10:00.
    until_ten = [{"name": "vog", "valid_until": "2026-12-03T10:00"}]
    assert not served(week(until_ten, ["vog"], window=("09:00", "10:00")))
    assert served(week(until_ten, ["vog"], window=("08:00", "10:00")))  # starts earlier
    doc = week(until_ten, ["vog"], window=("08:00", "12:00"))
    problem = problem_from_dict(doc)
    solution = solve(problem, time_limit_s=5)
    (a,) = solution.assignments
    assert a.end is not None and a.end + timedelta(minutes=2) <= datetime(
        2026, 12, 3, 10, tzinfo=CET
    )


def test_renewals_that_touch_cover_a_task_across_them() -> None:
    renewed = [
        {"name": "vog", "valid_until": "2026-12-03T09:30"},
        {"name": "VOG", "valid_from": "2026-12-03T09:30", "valid_until": "2027-12-03"},
    ]
    assert served(week(renewed, ["vog"], window=("09:00", "10:10")))
    gap = [renewed[0], {**renewed[1], "valid_from": "2026-12-03T09:31"}]
    assert not served(week(gap, ["vog"], window=("09:00", "10:10")))


def test_every_named_credential_must_hold_at_once() -> None:
    creds = [
        {"name": "vog", "valid_until": "2026-12-03T10:30"},
        {"name": "first aid", "valid_from": "2026-12-03T10:30", "valid_until": "2027-01-01"},
    ]
    assert not served(week(creds, ["vog", "First Aid"]))
    assert served(week(creds, ["First  aid"]))  # one spelling


def test_untimed_requests_need_the_credential_at_the_end_of_the_horizon() -> None:
    def doc(until: str) -> dict[str, Any]:
        d = week([{"name": "vog", "valid_until": until}], ["vog"], window=None)
        d["options"]["horizon"] = {"start": "2026-12-07T00:00", "end": "2026-12-14T00:00"}
        return d

    assert served(doc("2026-12-14"))
    assert not served(doc("2026-12-12"))  # lapses before the week ends


def test_a_horizon_ending_inside_a_minute_needs_the_credential_to_its_end() -> None:
    """Found by Hypothesis: the horizon ended at 13:00:30, the credential at 13:00;
    the checker rightly refused what the candidates had let through."""

    def doc(until: str) -> dict[str, Any]:
        d = week([{"name": "vog", "valid_until": until}], ["vog"], window=None)
        d["options"]["horizon"] = {"start": "2026-12-07T00:00", "end": "2026-12-07T13:00:30"}
        return d

    assert not served(doc("2026-12-07T13:00"))  # lapsed 30 seconds before the end
    assert served(doc("2026-12-07T13:01"))


# -- the checker -----------------------------------------------------------------------------------


def test_the_checker_rejects_a_lapsed_or_missing_credential() -> None:
    lapsed = problem_from_dict(week([{"name": "vog", "valid_until": "2026-12-02"}], ["vog"]))
    plan = {
        "assignments": [
            {
                "request_id": "req-14",
                "volunteer_ids": ["vol-11"],
                "start": "2026-12-03T09:00:00+01:00",
            }
        ]
    }
    report = check(lapsed, plan)
    assert [v.rule for v in report.violations] == ["credential"]
    missing = problem_from_dict(week(None, ["vog"]))
    assert [v.rule for v in check(missing, plan).violations] == ["credential"]
    valid = problem_from_dict(week([{"name": "VOG ", "valid_until": "2026-12-03"}], ["vog"]))
    assert check(valid, plan).ok


def test_without_a_horizon_an_untimed_request_needs_its_credentials_valid_together() -> None:
    """Found by Hypothesis: the checker let a pin through that the candidates refused
    (a vog lapsed before the first-aid certificate began, no horizon to judge them at)."""
    apart = [
        {"name": "vog", "valid_until": "2026-12-03T10:00"},
        {"name": "first aid", "valid_from": "2026-12-03T12:00", "valid_until": "2026-12-03T13:00"},
    ]
    overlapping = [apart[0], {**apart[1], "valid_from": "2026-12-03T09:00"}]
    plan = {"assignments": [{"request_id": "req-14", "volunteer_ids": ["vol-11"]}]}
    for creds, ok in ((apart, False), (overlapping, True)):
        doc = week(creds, ["vog", "first aid"], window=None)
        problem = problem_from_dict(doc)
        assert problem.horizon is None
        assert [v.rule for v in check(problem, plan).violations] == ([] if ok else ["credential"])
        assert served(doc) is ok  # the candidates agree with the checker


# -- spreadsheets ----------------------------------------------------------------------------------


def _book(rows: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, body in rows.items():
        ws = book.create_sheet(name)
        ws.append([c.name for c in SHEETS[name]])
        for row in body:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_credentials_sheet_and_column_read_and_write_back() -> None:
    data = _book(
        {
            "settings": [["timezone", "Europe/Brussels"]],
            "volunteers": [["vol-11", 51.2089, 3.2242, None, None, None, None, None, None, None]],
            "credentials": [["vol-11", "VOG", "05-01-2026", "2026-12-02"]],
            "requests": [
                ["req-14", None, 51.215, 3.231, None, None, None, None, "vog", 60,
                 "2026-12-03", "09:00", "12:00", None, None, None, None]
            ],
        }
    )  # fmt: skip
    doc = read_sheets(data)
    assert doc["volunteers"][0]["credentials"] == [
        {"name": "VOG", "valid_from": "2026-01-05T00:00:00", "valid_until": "2026-12-03T00:00:00"}
    ]
    assert doc["requests"][0]["credentials"] == ["vog"]
    problem = problem_from_dict(doc)
    assert solve(problem, time_limit_s=5).unassigned[0].reason is Reason.NO_VALID_CREDENTIAL
    out = io.BytesIO()
    problem_workbook(problem).save(out)
    assert problem_from_dict(read_sheets(out.getvalue())) == problem


def test_a_credentials_row_for_an_unknown_volunteer_names_its_cell() -> None:
    data = _book(
        {
            "volunteers": [["vol-11", 51.2, 3.2, None, None, None, None, None, None, None]],
            "credentials": [
                ["vol-99", "vog", None, "2026-12-02"],
                ["vol-11", "vog", None, "32-12-2026"],
            ],
            "requests": [
                ["r", None, 51.2, 3.2, None, None, None, None, None, 60,
                 None, None, None, None, None, None, None]
            ],
        }
    )  # fmt: skip
    with pytest.raises(ProblemError) as info:
        read_sheets(data)
    places = [e.location for e in info.value.errors]
    assert "credentials!A2 (volunteer_id)" in places
    assert "credentials!D3 (valid_until)" in places


def test_problem_type_is_unchanged_without_credentials() -> None:
    problem = problem_from_dict(week(None, []))
    assert isinstance(problem, Problem)
    assert problem.volunteers[0].credentials == ()
    assert "credentials" not in problem.to_dict()["volunteers"][0]


def test_a_credential_no_volunteer_holds_is_a_warning_with_the_closest_spelling() -> None:
    doc = week([{"name": "VOG", "valid_until": "2027-12-02"}], ["vogg"])
    problem = problem_from_dict(doc)
    warnings = [(w.code, w.pointer, w.message) for w in solve(problem, time_limit_s=5).warnings]
    assert warnings == [
        (
            "unknown_credential",
            "/requests/0/credentials",
            "no volunteer has the credential 'vogg'; did you mean 'VOG'?",
        )
    ]
    assert (
        solve(problem_from_dict(week(doc["volunteers"][0]["credentials"], ["vog"]))).warnings == ()
    )
