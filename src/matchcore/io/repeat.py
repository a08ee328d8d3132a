"""Repeating requests ("every Tuesday for three weeks"), expanded into occurrences.

A request may carry ``repeat``, read in ``options.timezone``::

    {"weekly": {"days": ["tue"]}, "until": "2027-02-23"}
    {"rrule": "FREQ=WEEKLY;COUNT=6"}

The request's own window is the first occurrence; each later occurrence is a
request with the same fields and the same local wall-clock times on its own
day, with id ``<id>@<YYYY-MM-DD>`` and :attr:`~matchcore.problem.Request.series`
the request's id (the first occurrence's id carries its date too). The
calendar is python-dateutil's ``rrule`` counted from the window's local start
(RFC 5545's DTSTART), shared with recurring availability
(:mod:`matchcore.io.recurring`); a wall time the clocks skip or repeat on an
occurrence's day follows RFC 5545's rule (:func:`~matchcore.io.localtime.wall_time`
with ``lenient``). The window's own day must be the rule's first day, so
``COUNT`` counts it and nothing is left ambiguous.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule

from matchcore import _json as j
from matchcore.errors import ProblemError
from matchcore.io.localtime import in_zone, read_date, wall_time
from matchcore.io.recurring import check_rule, weekly_rule
from matchcore.problem import Request, TimeWindow

#: Most occurrences one repeating request may give.
MAX_OCCURRENCES = 500
#: Longest RRULE body accepted (as for recurring availability).
MAX_RULE_CHARS = 500
_WEEKLY_REPEAT = {"weekly", "until"}
_WEEKLY = {"days"}
_RRULE_REPEAT = {"rrule"}


def occurrence_id(series: str, day: date) -> str:
    """The id of the occurrence of ``series`` on ``day``: ``<series>@<YYYY-MM-DD>``."""
    return f"{series}@{day.isoformat()}"


def read_repeat(value: Any, path: j.Path, zone: ZoneInfo | None) -> str:
    """A request's ``repeat`` as an RRULE body with an end (``COUNT`` or ``UNTIL``)."""
    if zone is None:
        raise ProblemError(path, "needs options.timezone (e.g. Europe/Brussels)")
    if not isinstance(value, dict) or ("weekly" in value) == ("rrule" in value):
        raise ProblemError(path, 'must be {"weekly": {"days": [...]}, "until": DATE} or {"rrule"}')
    if "weekly" in value:
        obj = j.read_object(value, path, _WEEKLY_REPEAT)
        wpath = (*path, "weekly")
        weekly = j.read_object(obj["weekly"], wpath, _WEEKLY)
        days = j.read_strings(j.require(weekly, "days", wpath), (*wpath, "days"))
        rule = weekly_rule(list(days), (*wpath, "days"))
        upath = (*path, "until")
        until = read_date(j.read_string(j.require(obj, "until", path), upath).strip(), upath)
        return f"{rule};UNTIL={until:%Y%m%d}T235959"
    obj = j.read_object(value, path, _RRULE_REPEAT)
    rpath = (*path, "rrule")
    body = check_rule(j.read_string(obj["rrule"], rpath, MAX_RULE_CHARS), rpath)
    names = {item.partition("=")[0].strip().upper() for item in body.split(";")}
    if not names & {"COUNT", "UNTIL"}:
        raise ProblemError(rpath, "must end: give COUNT or UNTIL")
    return body


def occurrence_days(rule: str, first: datetime, path: j.Path) -> list[date]:
    """The days of ``rule`` counted from ``first`` (naive local), ``first``'s day first."""
    try:
        dates = rrule.rrulestr(rule, dtstart=first)
        days: list[date] = []
        for moment in dates:
            if len(days) >= MAX_OCCURRENCES:
                raise ProblemError(path, f"gives more than {MAX_OCCURRENCES} occurrences")
            days.append(moment.date())
    except (ValueError, TypeError) as err:
        if isinstance(err, ProblemError):
            raise
        raise ProblemError(path, "is not a valid RFC 5545 rule (FREQ=WEEKLY;COUNT=6)") from None
    if not days:
        raise ProblemError(path, "gives no occurrence: its end is before the request's window")
    if days[0] != first.date():
        raise ProblemError(
            path, "must have the day of the request's window as its first occurrence"
        )
    return days


def expand_request(request: Request, rule: str, zone: ZoneInfo, path: j.Path) -> list[Request]:
    """The occurrences of a repeating ``request`` (it needs a window)."""
    if request.window is None:
        raise ProblemError(path, "needs the request's window: it is the first occurrence")
    start = in_zone(request.window.start, zone).replace(tzinfo=None)
    end = in_zone(request.window.end, zone).replace(tzinfo=None)
    days = occurrence_days(rule, start, path)
    out = []
    for day in days:
        shift = datetime.combine(day, time()) - datetime.combine(days[0], time())
        try:
            window = TimeWindow(
                wall_time(start + shift, zone, lenient=True),
                wall_time(end + shift, zone, lenient=True),
            )
            out.append(
                dataclasses.replace(
                    request, id=occurrence_id(request.id, day), window=window, series=request.id
                )
            )
        except ProblemError:
            raise ProblemError(
                path, "gives an occurrence whose window (after a clock change) is too short"
            ) from None
    return out
