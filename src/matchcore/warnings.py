"""Warnings about a problem that is valid but probably not what was meant.

They never block a solve; the solution lists them under ``warnings``, each
``{code, pointer, message}``:

``unknown_skill`` / ``unknown_language`` / ``unknown_credential``
    A request needs a skill or a credential (or speaks only languages) that
    no volunteer has, with the closest spelling a volunteer does have ("did
    you mean").
``far_location``
    A location (or a ride's destination) more than :data:`FAR_KM` from the
    median of all locations: often latitude and longitude swapped, or a typo
    in a coordinate.
``no_availability``
    A volunteer with no availability at all within the planning horizon.
``offset_not_in_zone``
    With ``options.timezone``: a date-time written with a UTC offset that the
    zone does not have at that instant (last week's ``+01:00`` after the
    change to summer time): valid, but probably an hour off.

:func:`finish_solution` is the one place a solution gets them, together with
its date-times in ``options.timezone``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from matchcore.geo import great_circle_km
from matchcore.io.localtime import in_zone
from matchcore.problem import Location, Problem, Request, Role

if TYPE_CHECKING:
    from matchcore.solution import Solution

#: A location farther than this from the median of all locations is reported.
FAR_KM = 200.0
#: Warnings of one code at most; a last one says how many more there were.
MAX_PER_CODE = 100


@dataclass(frozen=True)
class InputWarning:
    """Something in the input that is valid but probably not what was meant."""

    code: str
    pointer: str
    message: str


def problem_warnings(problem: Problem) -> tuple[InputWarning, ...]:
    """Every warning about ``problem``, in a stable order (by code, then document order)."""
    out: list[InputWarning] = []
    for found in (
        _capped(_unknown_terms(problem, "skills", "unknown_skill", "skill")),
        _capped(_unknown_terms(problem, "languages", "unknown_language", "language")),
        _capped(_unknown_terms(problem, "credentials", "unknown_credential", "credential")),
        _capped(_far_locations(problem)),
        _capped(_unavailable_volunteers(problem)),
        _capped(_offsets_not_in_zone(problem)),
    ):
        out.extend(found)
    return tuple(out)


def finish_solution(problem: Problem, solution: Solution) -> Solution:
    """The solution as it is handed out: warnings attached, times in ``options.timezone``.

    Every date-time of an assignment gets the zone's real offset at that
    instant (a start after the change to summer time reads +02:00 even when
    its window began in winter time). Without a time zone the times keep the
    offset of their request's window, as in format v1.
    """
    zone = problem.options.zone
    assignments = solution.assignments
    if zone is not None:
        assignments = tuple(
            replace(
                a,
                start=None if a.start is None else in_zone(a.start, zone),
                end=None if a.end is None else in_zone(a.end, zone),
            )
            for a in assignments
        )
    return replace(solution, assignments=assignments, warnings=problem_warnings(problem))


def _capped(found: Iterable[InputWarning]) -> list[InputWarning]:
    items = list(found)
    if len(items) <= MAX_PER_CODE:
        return items
    more = len(items) - MAX_PER_CODE
    last = items[MAX_PER_CODE - 1]
    note = InputWarning(last.code, "", f"... and {more} more warnings of this kind")
    return [*items[:MAX_PER_CODE], note]


def _unknown_terms(problem: Problem, field: str, code: str, noun: str) -> Iterator[InputWarning]:
    spelled: dict[str, str] = {}
    for vol in problem.volunteers:
        if field == "credentials":  # dated items, each with its own spelling
            for cred in vol.credentials:
                spelled.setdefault(cred.key, cred.name)
            continue
        for key in getattr(vol, field):
            spelled.setdefault(key, vol.as_written(key))
    known = sorted(spelled)
    advice: dict[str, str] = {}
    for r, req in enumerate(problem.requests):
        # the request's own terms, and those of its roles (credentials are the request's only)
        places: list[tuple[str, Request | Role]] = [(f"/requests/{r}/{field}", req)]
        if field != "credentials":
            places += [(f"/requests/{r}/roles/{i}/{field}", x) for i, x in enumerate(req.roles)]
        for pointer, item in places:
            keys: frozenset[str] = getattr(item, field)
            if field == "languages":  # one shared language is enough: warn when none is spoken
                missing = sorted(keys) if keys and not keys & spelled.keys() else []
            else:
                missing = sorted(keys - spelled.keys())
            for key in missing:
                if key not in advice:
                    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                    advice[key] = f"; did you mean {spelled[close[0]]!r}?" if close else ""
                yield InputWarning(
                    code,
                    pointer,
                    f"no volunteer has the {noun} {item.as_written(key)!r}{advice[key]}",
                )


def _far_locations(problem: Problem) -> Iterator[InputWarning]:
    places: list[tuple[str, Location]] = [
        *((f"/volunteers/{i}/location", v.location) for i, v in enumerate(problem.volunteers)),
        *((f"/requests/{j}/location", r.location) for j, r in enumerate(problem.requests)),
        *(
            (f"/requests/{j}/destination", r.destination)
            for j, r in enumerate(problem.requests)
            if r.destination is not None
        ),
    ]
    if len(places) < 3:
        return
    lat = np.fromiter((p.lat for _, p in places), np.float64, len(places))
    lon = np.fromiter((p.lon for _, p in places), np.float64, len(places))
    km = great_circle_km(lat, lon, np.median(lat), np.median(lon))
    for k in np.flatnonzero(km > FAR_KM).tolist():
        yield InputWarning(
            "far_location",
            places[k][0],
            f"is {km[k]:.0f} km from the median of all locations; "
            "are latitude and longitude swapped?",
        )


def _unavailable_volunteers(problem: Problem) -> Iterator[InputWarning]:
    horizon = problem.horizon
    for i, vol in enumerate(problem.volunteers):
        if vol.availability is None:
            continue
        if horizon is None:
            if not vol.availability:
                yield InputWarning(
                    "no_availability",
                    f"/volunteers/{i}/availability",
                    "is empty: this volunteer is never available",
                )
            continue
        if not any(w.start < horizon.end and horizon.start < w.end for w in vol.availability):
            yield InputWarning(
                "no_availability",
                f"/volunteers/{i}/availability",
                "has no time within the planning horizon: this volunteer can take no task",
            )


def _offsets_not_in_zone(problem: Problem) -> Iterator[InputWarning]:
    zone = problem.options.zone
    if zone is None:
        return
    places: list[tuple[str, datetime]] = []
    for r, req in enumerate(problem.requests):
        if req.window is not None:
            places.append((f"/requests/{r}/window/start", req.window.start))
            places.append((f"/requests/{r}/window/end", req.window.end))
    for p, pin in enumerate(problem.assignments):
        if pin.start is not None:
            places.append((f"/assignments/{p}/start", pin.start))
    for pointer, moment in places:
        offset, real = moment.utcoffset(), moment.astimezone(zone).utcoffset()
        if offset != real:
            yield InputWarning(
                "offset_not_in_zone",
                pointer,
                f"is written with UTC offset {_offset(offset)}, but {zone.key} is at "
                f"{_offset(real)} then: is it off by the clock change?",
            )


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
