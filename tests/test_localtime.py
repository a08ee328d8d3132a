"""Local time (issue 8 item 1) and weekly availability (item 2).

The oracle for wall-clock times searches UTC instants directly: the instants
whose local clock in the zone reads the given wall time (0: the clocks skip
it, 2: they show it twice). It only ever converts UTC to local time, the
direction in which a zone is a plain function, so it shares nothing with the
fold arithmetic under test.
"""

# The case table keeps one case per line, however wide:
# ruff: noqa: E501

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchcore import solve
from matchcore.errors import ProblemError
from matchcore.io import read_problem
from matchcore.io.localtime import WallTimeError, wall_time
from matchcore.io.recurring import MAX_WINDOWS_PER_ENTRY

BRUSSELS = ZoneInfo("Europe/Brussels")
ZONES = [BRUSSELS, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]


def instants_showing(naive: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every UTC instant (on the quarter hour) whose wall clock in ``zone`` reads ``naive``."""
    found = []
    guess = naive.replace(tzinfo=UTC)
    for quarter in range(-4 * 15, 4 * 15 + 1):  # offsets from -15 h to +15 h
        instant = guess - timedelta(minutes=15 * quarter)
        if instant.astimezone(zone).replace(tzinfo=None) == naive:
            found.append(instant)
    return sorted(found)


# Wall times near the clock changes of the zones above, where the rules bite (skipped and
# repeated times are a few quarter hours a year: uniform draws would almost never meet them).
_CHANGES = [
    datetime(2027, 3, 28, 2), datetime(2027, 10, 31, 2), datetime(2026, 3, 29, 2),
    datetime(2027, 3, 14, 2), datetime(2027, 11, 7, 1),
    datetime(2027, 4, 4, 1, 30), datetime(2027, 10, 3, 2),
]  # fmt: skip
_near_changes = st.builds(
    lambda base, quarters: base + timedelta(minutes=15 * quarters),
    st.sampled_from(_CHANGES),
    st.integers(-8, 8),
)
wall_times = st.one_of(
    _near_changes,
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)).map(
        lambda d: d.replace(minute=d.minute // 15 * 15, second=0, microsecond=0)
    ),
)


@settings(max_examples=300, deadline=None)
@given(naive=wall_times, zone=st.sampled_from(ZONES))
def test_wall_time_agrees_with_a_search_of_utc_instants(naive: datetime, zone: ZoneInfo) -> None:
    truth = instants_showing(naive, zone)
    try:
        moment = wall_time(naive, zone)
    except WallTimeError as err:
        assert err.kind == ("nonexistent" if not truth else "ambiguous")
        assert len(truth) != 1
        return
    assert truth == [moment]
    assert moment.utcoffset() == moment.astimezone(zone).utcoffset()  # the zone's real offset


@settings(max_examples=200, deadline=None)
@given(naive=wall_times, zone=st.sampled_from(ZONES))
def test_lenient_wall_time_follows_rfc_5545(naive: datetime, zone: ZoneInfo) -> None:
    truth = instants_showing(naive, zone)
    moment = wall_time(naive, zone, lenient=True)
    if truth:
        assert moment == truth[0]  # the first of a repeated time
    else:  # skipped: read with the offset before the gap, i.e. moved forward by it
        before = (naive - timedelta(hours=3)).replace(tzinfo=zone).utcoffset()
        assert before is not None
        assert moment == naive.replace(tzinfo=UTC) - before


# -- options.timezone in the document ----------------------------------------------------


def problem_doc(**request_window: str) -> dict[str, Any]:
    return {
        "options": {"timezone": "Europe/Brussels", "time_limit_seconds": 5},
        "volunteers": [{"id": "v", "location": {"lat": 51.2, "lon": 3.2}}],
        "requests": [
            {
                "id": "r",
                "location": {"lat": 51.2, "lon": 3.2},
                "duration_minutes": 60,
                "window": request_window,
            }
        ],
    }


def errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(doc))
    return [(e.location, e.message) for e in info.value.errors]


def test_local_time_is_read_in_the_zone() -> None:
    problem = read_problem(
        json.dumps(problem_doc(start="2027-03-26T09:00", end="2027-03-29T12:00"))
    )
    window = problem.requests[0].window
    assert window is not None
    assert window.start == datetime(2027, 3, 26, 8, 0, tzinfo=UTC)  # winter time, +01:00
    assert window.end == datetime(2027, 3, 29, 10, 0, tzinfo=UTC)  # summer time, +02:00


def test_nonexistent_wall_time_is_an_error_naming_its_path() -> None:
    found = errors(problem_doc(start="2027-03-28T02:30", end="2027-03-28T05:00"))
    assert found == [
        (
            "requests[0].window.start",
            "does not exist in Europe/Brussels: the clocks skip this hour (summer time)",
        )
    ]


def test_ambiguous_wall_time_must_carry_its_offset() -> None:
    (found,) = errors(problem_doc(start="2027-10-31T02:30", end="2027-10-31T05:00"))
    assert found[0] == "requests[0].window.start"
    assert "happens twice" in found[1]
    for offset, utc_hour in (("+02:00", 0), ("+01:00", 1)):
        doc = problem_doc(start=f"2027-10-31T02:30{offset}", end="2027-10-31T05:00")
        window = read_problem(json.dumps(doc)).requests[0].window
        assert window is not None
        assert window.start == datetime(2027, 10, 31, utc_hour, 30, tzinfo=UTC)


def test_without_timezone_offsets_stay_required() -> None:
    doc = problem_doc(start="2027-03-26T09:00", end="2027-03-26T12:00")
    del doc["options"]["timezone"]
    assert next(m for _, m in errors(doc)).startswith("has no UTC offset")


def test_unknown_zone_is_an_error() -> None:
    doc = problem_doc(start="2027-03-26T09:00+01:00", end="2027-03-26T12:00+01:00")
    doc["options"]["timezone"] = "Europe/Bruges"
    assert errors(doc)[0] == (
        "options.timezone",
        "is not a known IANA time zone (write e.g. Europe/Brussels)",
    )


def test_solution_times_carry_the_zones_offset_at_that_instant() -> None:
    # A window written in winter time that runs past the change to summer time:
    # the only free hour of the volunteer is after the change.
    doc = problem_doc(start="2027-03-27T22:00+01:00", end="2027-03-28T12:00+01:00")
    doc["volunteers"][0]["availability"] = [
        {"start": "2027-03-28T09:00", "end": "2027-03-28T10:00"}
    ]
    solution = solve(read_problem(json.dumps(doc)), time_limit_s=5)
    (assignment,) = solution.to_dict()["assignments"]
    assert assignment["start"] == "2027-03-28T09:00:00+02:00"
    assert assignment["end"] == "2027-03-28T10:00:00+02:00"


def test_without_timezone_solution_times_keep_the_windows_offset() -> None:
    doc = problem_doc(start="2027-03-27T22:00+01:00", end="2027-03-28T12:00+01:00")
    del doc["options"]["timezone"]
    doc["volunteers"][0]["availability"] = [
        {"start": "2027-03-28T09:00+02:00", "end": "2027-03-28T10:00+02:00"}
    ]
    (assignment,) = solve(read_problem(json.dumps(doc)), time_limit_s=5).to_dict()["assignments"]
    assert assignment["start"] == "2027-03-28T08:00:00+01:00"  # as in format v1


# -- weekly availability ---------------------------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly_doc(entry: dict[str, Any], horizon: tuple[str, str] | None) -> dict[str, Any]:
    doc = problem_doc(start="2027-03-22T08:00", end="2027-03-22T18:00")
    doc["volunteers"][0]["availability"] = [entry]
    if horizon:
        doc["options"]["horizon"] = {"start": horizon[0], "end": horizon[1]}
    return doc


def expected_windows(
    days: set[int], start: time, end: time, first: date, last: date
) -> list[tuple[datetime, datetime]]:
    """Day by day, by plain date arithmetic: the independent computation."""
    out = []
    day = first
    while day <= last:
        if day.weekday() in days:
            begin = datetime.combine(day, start)
            finish = datetime.combine(day, end)
            out.append((_first_instant(begin), _first_instant(finish)))
        day += timedelta(days=1)
    return [(a, b) for a, b in out if b > a]


def _first_instant(naive: datetime) -> datetime:
    truth = instants_showing(naive, BRUSSELS)
    if truth:
        return truth[0]
    return naive.replace(tzinfo=UTC) - timedelta(hours=1)  # skipped: the winter offset


@settings(max_examples=60, deadline=None)
@given(
    days=st.sets(st.integers(0, 6), min_size=1),
    start_q=st.integers(0, 90),
    length_q=st.integers(1, 6 * 4),
    first_offset=st.integers(0, 40),
    span=st.integers(0, 40),
    bounds=st.tuples(st.none() | st.integers(-5, 45), st.none() | st.integers(-5, 45)),
)
def test_weekly_expansion_agrees_with_day_by_day_arithmetic(
    days: set[int],
    start_q: int,
    length_q: int,
    first_offset: int,
    span: int,
    bounds: tuple[int | None, int | None],
) -> None:
    base = date(2027, 3, 1)  # the horizon crosses the change to summer time (28 March)
    first = base + timedelta(days=first_offset)
    last = first + timedelta(days=span)
    start = (datetime.min + timedelta(minutes=15 * start_q)).time()
    end_minutes = min(15 * (start_q + length_q), 24 * 60 - 15)
    end = (datetime.min + timedelta(minutes=end_minutes)).time()
    if end <= start:
        return
    entry: dict[str, Any] = {
        "weekly": {
            "days": [DAYS[d] for d in sorted(days)],
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
        }
    }
    lo, hi = first, last
    if bounds[0] is not None:
        entry["from"] = (base + timedelta(days=bounds[0])).isoformat()
        lo = max(lo, base + timedelta(days=bounds[0]))
    if bounds[1] is not None:
        entry["until"] = (base + timedelta(days=bounds[1])).isoformat()
        hi = min(hi, base + timedelta(days=bounds[1]))
    if "from" in entry and "until" in entry and entry["until"] < entry["from"]:
        return
    horizon = (f"{first}T00:00", f"{last}T23:00")
    problem = read_problem(json.dumps(weekly_doc(entry, horizon)))
    got = [(w.start, w.end) for w in problem.volunteers[0].availability or ()]
    assert got == expected_windows(days, start, end, lo, hi)


def test_every_other_monday_by_rrule_counts_from_from() -> None:
    entry = {
        "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        "start": "13:00",
        "end": "17:00",
        "from": "2027-03-08",
    }
    problem = read_problem(json.dumps(weekly_doc(entry, ("2027-03-01T00:00", "2027-04-30T00:00"))))
    starts = [w.start.astimezone(BRUSSELS) for w in problem.volunteers[0].availability or ()]
    assert [s.date() for s in starts] == [
        date(2027, 3, 8),
        date(2027, 3, 22),
        date(2027, 4, 5),
        date(2027, 4, 19),
    ]
    assert {s.time() for s in starts} == {time(13)}


def test_first_monday_of_the_month() -> None:
    entry = {"rrule": "FREQ=MONTHLY;BYDAY=1MO", "start": "09:00", "end": "10:00"}
    problem = read_problem(json.dumps(weekly_doc(entry, ("2027-01-01T00:00", "2027-04-30T00:00"))))
    days = [w.start.astimezone(BRUSSELS).date() for w in problem.volunteers[0].availability or ()]
    assert days == [date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 5)]


def test_horizon_defaults_to_the_request_windows() -> None:
    entry = {"weekly": {"days": ["mon", "tue"], "start": "09:00", "end": "12:00"}}
    problem = read_problem(json.dumps(weekly_doc(entry, None)))  # the request is on Mon 22 March
    windows = problem.volunteers[0].availability or ()
    assert [w.start.astimezone(BRUSSELS).date() for w in windows] == [date(2027, 3, 22)]


def test_unavailable_is_subtracted() -> None:
    entry = {"weekly": {"days": ["mon", "tue", "wed"], "start": "09:00", "end": "17:00"}}
    doc = weekly_doc(entry, ("2027-03-22T00:00", "2027-03-25T00:00"))
    doc["volunteers"][0]["unavailable"] = [
        {
            "start": "2027-03-22T12:00",
            "end": "2027-03-23T10:00",
        },  # Monday afternoon to Tuesday 10:00
        {"start": "2027-03-24T00:00", "end": "2027-03-25T00:00"},  # all of Wednesday
    ]
    windows = read_problem(json.dumps(doc)).volunteers[0].availability or ()
    local = [
        (f"{w.start.astimezone(BRUSSELS):%a %H:%M}", f"{w.end.astimezone(BRUSSELS):%H:%M}")
        for w in windows
    ]
    assert local == [("Mon 09:00", "12:00"), ("Tue 10:00", "17:00")]


def test_unavailable_without_availability_cuts_the_horizon() -> None:
    doc = weekly_doc(
        {"start": "2027-03-22T08:00", "end": "2027-03-22T18:00"},
        ("2027-03-22T00:00", "2027-03-24T00:00"),
    )
    doc["volunteers"][0].pop("availability")
    doc["volunteers"][0]["unavailable"] = [{"start": "2027-03-22T00:00", "end": "2027-03-23T00:00"}]
    (window,) = read_problem(json.dumps(doc)).volunteers[0].availability or ()
    assert window.start.astimezone(BRUSSELS) == datetime(2027, 3, 23, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("entry", "location", "fragment"),
    [
        ({"weekly": {"days": ["tuesday"], "start": "09:00", "end": "12:00"}}, "volunteers[0].availability[0].weekly.days[0]", "must be a day"),
        ({"weekly": {"days": [], "start": "09:00", "end": "12:00"}}, "volunteers[0].availability[0].weekly.days", "at least one day"),
        ({"weekly": {"days": ["mon"], "start": "9h", "end": "12:00"}}, "volunteers[0].availability[0].weekly.start", "HH:MM"),
        ({"weekly": {"days": ["mon"], "start": "12:00", "end": "09:00"}}, "volunteers[0].availability[0].weekly.end", "later than start"),
        ({"weekly": {"days": ["mon"], "start": "09:00", "end": "12:00"}, "from": "01/03/2027"}, "volunteers[0].availability[0].from", "YYYY-MM-DD"),
        ({"weekly": {"days": ["mon"], "start": "09:00", "end": "12:00"}, "from": "2027-03-10", "until": "2027-03-01"}, "volunteers[0].availability[0].until", "not be before from"),
        ({"weekly": {"days": ["mon"], "start": "09:00", "end": "12:00"}, "every": 2}, "volunteers[0].availability[0].every", "unknown field"),
        ({"rrule": "FREQ=HOURLY", "start": "09:00", "end": "12:00"}, "volunteers[0].availability[0].rrule", "FREQ=DAILY"),
        ({"rrule": "FREQ=WEEKLY;BYHOUR=9", "start": "09:00", "end": "12:00"}, "volunteers[0].availability[0].rrule", "BYHOUR"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX", "start": "09:00", "end": "12:00"}, "volunteers[0].availability[0].rrule", "not a valid RFC 5545 rule"),
        ({"rrule": "FREQ=DAILY", "start": "09:00"}, "volunteers[0].availability[0].end", "is required"),
    ],
)  # fmt: skip
def test_bad_recurring_entries_name_their_path(
    entry: dict[str, Any], location: str, fragment: str
) -> None:
    found = errors(weekly_doc(entry, None))
    assert found[0][0] == location, found
    assert fragment in found[0][1]


def test_recurring_needs_a_timezone() -> None:
    doc = weekly_doc({"weekly": {"days": ["mon"], "start": "09:00", "end": "12:00"}}, None)
    del doc["options"]["timezone"]
    doc["requests"][0]["window"] = {
        "start": "2027-03-22T08:00+01:00",
        "end": "2027-03-22T18:00+01:00",
    }
    assert errors(doc) == [
        (
            "volunteers[0].availability[0]",
            "is recurring and needs options.timezone (e.g. Europe/Brussels)",
        )
    ]


def test_recurring_needs_a_horizon() -> None:
    doc = weekly_doc({"weekly": {"days": ["mon"], "start": "09:00", "end": "12:00"}}, None)
    doc["requests"][0].pop("window")
    assert errors(doc)[0][0] == "volunteers[0].availability[0]"
    assert "no planning horizon" in errors(doc)[0][1]


def test_a_rule_cannot_flood_the_problem() -> None:
    entry = {"rrule": "FREQ=DAILY", "start": "09:00", "end": "10:00"}
    doc = weekly_doc(entry, ("2020-01-01T00:00", "2035-01-01T00:00"))
    (found,) = errors(doc)
    assert found == (
        "volunteers[0].availability[0]",
        f"gives more than {MAX_WINDOWS_PER_ENTRY} windows over the horizon; shorten options.horizon or the rule",
    )
