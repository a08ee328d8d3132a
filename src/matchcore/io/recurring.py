"""Recurring availability ("every Tuesday morning"), expanded into dated windows.

A recurring entry is read into a :class:`Recurring` rule and expanded over the
planning horizon into the :class:`~matchcore.problem.TimeWindow` s that the
engines understand, so nothing downstream knows that a window was recurring.
The calendar arithmetic is python-dateutil's ``rrule`` (RFC 5545); wall-clock
times become instants with :func:`matchcore.io.localtime.wall_time` by RFC
5545's rule (a time the clocks skip moves forward by the gap; a repeated one is
the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil import rrule

from matchcore.errors import ProblemError
from matchcore.io.localtime import in_zone, wall_time
from matchcore.problem import TimeWindow

#: Day names accepted in ``weekly.days``: English three letters, Dutch two.
DAYS: dict[str, rrule.weekday] = {
    **dict(zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), rrule.weekdays, strict=True)),
    **dict(zip(("ma", "di", "wo", "do", "vr", "za", "zo"), rrule.weekdays, strict=True)),
}
#: Frequencies a rule may use: availability is a time of day on some days.
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
#: Rule parts that would set the time or the start: those come from start/end/from.
FORBIDDEN_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART", "TZID"}
#: Most windows one recurring entry may give over the horizon.
MAX_WINDOWS_PER_ENTRY = 2_000

_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Recurring:
    """One recurring availability entry: a rule, a time of day, optional first/last date.

    ``rule`` is an RFC 5545 RRULE body (``FREQ=WEEKLY;BYDAY=TU,TH``); it counts
    from ``first`` (``from``), else from the horizon's first day.
    """

    rule: str
    start: time
    end: time
    first: date | None = None
    last: date | None = None


def weekly_rule(days: list[str], path: _Path) -> str:
    """The RRULE body of a ``weekly.days`` list (``["tue", "thu"]``)."""
    codes = []
    for i, day in enumerate(days):
        key = day.strip().lower()
        if key not in DAYS:
            raise ProblemError((*path, i), "must be a day: mon, tue, wed, thu, fri, sat or sun")
        codes.append(str(DAYS[key]))
    if not codes:
        raise ProblemError(path, "must name at least one day")
    return "FREQ=WEEKLY;BYDAY=" + ",".join(dict.fromkeys(codes))


def check_rule(text: str, path: _Path) -> str:
    """``text`` as an RRULE body this format accepts, or a :class:`ProblemError`."""
    body = text.strip().removeprefix("RRULE:").strip()
    if "\n" in body or "\r" in body:
        raise ProblemError(path, "must be one RRULE line (no DTSTART, EXDATE or other lines)")
    parts = {}
    for item in body.split(";"):
        name, _, value = item.partition("=")
        parts[name.strip().upper()] = value.strip()
    if parts.get("FREQ") not in FREQUENCIES:
        raise ProblemError(path, "must have FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")
    bad = sorted(FORBIDDEN_PARTS & parts.keys())
    if bad:
        raise ProblemError(
            path, f"must not set {', '.join(bad)}: the times come from start and end"
        )
    try:
        rrule.rrulestr(body, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError):
        raise ProblemError(
            path, "is not a valid RFC 5545 rule (e.g. FREQ=WEEKLY;BYDAY=MO)"
        ) from None
    return body


def expand(entry: Recurring, zone: ZoneInfo, horizon: TimeWindow, path: _Path) -> list[TimeWindow]:
    """The dated windows of ``entry`` on the horizon's days (in ``zone``)."""
    first_day = in_zone(horizon.start, zone).date()
    last_day = in_zone(horizon.end, zone).date()
    origin = entry.first or first_day
    lo = max(first_day, origin)
    hi = min(last_day, entry.last) if entry.last is not None else last_day
    if hi < lo:
        return []
    rule = rrule.rrulestr(entry.rule, dtstart=datetime.combine(origin, entry.start))
    out: list[TimeWindow] = []
    for day in rule.xafter(datetime.combine(lo, time.min), inc=True):
        if day.date() > hi:
            break
        if len(out) >= MAX_WINDOWS_PER_ENTRY:
            raise ProblemError(
                path,
                f"gives more than {MAX_WINDOWS_PER_ENTRY} windows over the horizon; "
                "shorten options.horizon or the rule",
            )
        start = wall_time(datetime.combine(day.date(), entry.start), zone, lenient=True)
        end = wall_time(datetime.combine(day.date(), entry.end), zone, lenient=True)
        if end > start:  # a window swallowed by the spring-forward gap is no window
            out.append(TimeWindow(start, end))
    return out


def subtract(windows: tuple[TimeWindow, ...], holes: list[TimeWindow]) -> tuple[TimeWindow, ...]:
    """``windows`` (merged, sorted) without the times in ``holes``."""
    out: list[TimeWindow] = []
    cuts = sorted(holes, key=lambda w: w.start)
    for window in windows:
        pieces = [window]
        for hole in cuts:
            if hole.end <= window.start or hole.start >= window.end:
                continue
            rest: list[TimeWindow] = []
            for piece in pieces:
                if hole.end <= piece.start or hole.start >= piece.end:
                    rest.append(piece)
                    continue
                if piece.start < hole.start:
                    rest.append(TimeWindow(piece.start, hole.start))
                if hole.end < piece.end:
                    rest.append(TimeWindow(hole.end, piece.end))
            pieces = rest
        out.extend(pieces)
    return tuple(out)
