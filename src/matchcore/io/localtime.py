"""Local time: wall-clock date-times in an IANA zone, read strictly and written truthfully.

Date-times inside a :class:`~matchcore.problem.Problem` always carry a fixed UTC
offset (``datetime.timezone``): arithmetic and comparison on them are then exact
instants, which they are not between two ``ZoneInfo`` date-times of one zone
(Python compares those by wall clock). This module turns wall-clock times into
such fixed-offset moments with :mod:`zoneinfo`, and back into the zone's real
offset for output.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timezone
from zoneinfo import ZoneInfo

from matchcore.errors import ProblemError

_PATH = tuple[str | int, ...]


class WallTimeError(ValueError):
    """A wall-clock time that the zone skips (spring forward) or repeats (fall back)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "nonexistent" or "ambiguous"


def fixed(moment: datetime) -> datetime:
    """``moment`` (aware) with its current UTC offset as a fixed ``timezone``."""
    offset = moment.utcoffset()
    assert offset is not None
    return moment.replace(tzinfo=timezone(offset), fold=0)


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same instant with the zone's real offset at that instant (fixed offset)."""
    return fixed(moment.astimezone(zone))


def wall_time(naive: datetime, zone: ZoneInfo, *, lenient: bool = False) -> datetime:
    """The instant a wall-clock time in ``zone`` names, with a fixed offset.

    Raises :class:`WallTimeError` when the zone skips the time (it does not
    exist) or shows it twice (ambiguous: only an offset can say which). With
    ``lenient``, RFC 5545's rule for recurring events applies instead: a
    skipped time is read with the offset before the gap (so it moves forward by
    the gap), an ambiguous one is the first of the two.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    exists = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    if not exists:
        if not lenient:
            raise WallTimeError("nonexistent")
        return in_zone(first, zone)
    if first.utcoffset() != second.utcoffset() and not lenient:
        raise WallTimeError("ambiguous")
    return fixed(first)


def read_local_datetime(text: str, zone: ZoneInfo | None, path: _PATH) -> datetime:
    """An ISO-8601 date-time; without an offset it is wall-clock time in ``zone``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ProblemError(path, "is not an ISO-8601 date-time") from None
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return moment
    if zone is None:
        raise ProblemError(
            path,
            "has no UTC offset (write e.g. 2026-03-02T09:00:00+01:00, "
            "or set options.timezone to write local time)",
        )
    return resolve(moment, zone, path)


def resolve(naive: datetime, zone: ZoneInfo, path: _PATH) -> datetime:
    """:func:`wall_time`, with its errors as :class:`ProblemError` at ``path``."""
    try:
        return wall_time(naive, zone)
    except WallTimeError as err:
        if err.kind == "nonexistent":
            raise ProblemError(
                path, f"does not exist in {zone.key}: the clocks skip this hour (summer time)"
            ) from None
        raise ProblemError(
            path,
            f"happens twice in {zone.key} (the clocks go back): write its UTC offset, "
            "e.g. +02:00 for the first, +01:00 for the second",
        ) from None


def read_date(text: str, path: _PATH) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ProblemError(path, "is not a date (write YYYY-MM-DD)") from None


def read_clock(text: str, path: _PATH) -> time:
    """A wall-clock time ``HH:MM`` (or ``HH:MM:SS``)."""
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        raise ProblemError(path, "is not a time of day (write HH:MM, e.g. 09:30)") from None
    if clock.tzinfo is not None:
        raise ProblemError(path, "is a time of day in options.timezone; write it without offset")
    return clock
