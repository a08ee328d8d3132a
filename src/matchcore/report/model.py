"""The report model: one plain view of a plan, built once, read by every format.

:func:`build_report` turns a :class:`~matchcore.problem.Problem` and its
solution (a :class:`~matchcore.solution.Solution` or its JSON document) into a
:class:`Report`: every assignment, every unserved request with its reason,
each volunteer's week, counts per day and per reason, loads, and, when the
solution carries them, rides, roles, groups, referrals, signals and warnings.
The text summary, the HTML page and the spreadsheet only lay this out; none of
them computes anything of its own.

Fields added by later versions of the format are read defensively: a section
is empty when its data is absent, and the formats leave it out.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from matchcore.errors import ProblemError
from matchcore.problem import Problem
from matchcore.report.signal_text import signal_lines
from matchcore.solution import Reason

# Colour of each reason on the map and in the charts (served is green). Codes
# that later versions add get the spare colours in order of appearance.
SERVED_COLOUR = "#2e7d32"
_REASON_COLOURS = {
    Reason.NO_SKILL_MATCH.value: "#6a1b9a",
    Reason.EXCLUDED.value: "#455a64",
    Reason.OUT_OF_RANGE.value: "#c62828",
    Reason.NOT_AVAILABLE.value: "#ef6c00",
    Reason.CAPACITY.value: "#1565c0",
}
_SPARE_COLOURS = ("#ad1457", "#00838f", "#6d4c41", "#9e9d24", "#5d4037", "#283593")
_REASON_ORDER = tuple(_REASON_COLOURS)

MAP_WIDTH = 960
MAP_HEIGHT = 600
_MAP_PAD = 24
_KM_PER_DEGREE = 6371.009 * math.pi / 180  # along a meridian


@dataclass(frozen=True)
class Point:
    """A place in degrees, and where it lands on the map (SVG user units)."""

    lat: float
    lon: float
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Visit:
    """One volunteer on one served request: a line of that volunteer's week."""

    request_id: str
    client_id: str
    volunteer_id: str
    start: datetime | None
    end: datetime | None
    place: Point
    destination: Point | None
    km: float
    travel_minutes: int
    preferred: bool
    pinned: bool
    role: int | None
    legs: int

    @property
    def day(self) -> date | None:
        return self.start.date() if self.start is not None else None


@dataclass(frozen=True)
class AssignmentRow:
    """A served request with its team."""

    request_id: str
    client_id: str
    volunteer_ids: tuple[str, ...]
    preferred: tuple[bool, ...]
    start: datetime | None
    end: datetime | None
    place: Point
    destination: Point | None
    km: float
    priority: float
    pinned: bool
    explanation: str

    @property
    def day(self) -> date | None:
        return self.start.date() if self.start is not None else None


@dataclass(frozen=True)
class Referral:
    """A professional service proposed for an unserved request."""

    request_id: str
    service_id: str
    name: str
    organization: str
    distance_km: float | None
    why: str


@dataclass(frozen=True)
class UnservedRow:
    """A request that was not served, with its reason."""

    request_id: str
    client_id: str
    reason: str
    detail: str
    priority: float
    place: Point
    destination: Point | None
    window_start: datetime | None
    window_end: datetime | None
    referrals: tuple[Referral, ...] = ()
    near_miss: str = ""  # the summary of its near miss (issue 11), when there is one

    @property
    def day(self) -> date | None:
        return self.window_start.date() if self.window_start is not None else None


@dataclass(frozen=True)
class VolunteerWeek:
    """One volunteer's tasks in the plan, in time order, and their load."""

    volunteer_id: str
    home: Point
    visits: tuple[Visit, ...]
    max_tasks: int | None
    minutes: int
    km: float

    @property
    def tasks(self) -> int:
        return len(self.visits)


@dataclass(frozen=True)
class DayCount:
    """Requests served and not served on one day (``None``: untimed requests)."""

    day: date | None
    served: int
    unserved: int


@dataclass(frozen=True)
class ReasonCount:
    """How many requests stayed open for one reason, and their priority."""

    reason: str
    count: int
    priority: float
    colour: str


@dataclass(frozen=True)
class GroupRow:
    """An open group with its participants and facilitators."""

    group_id: str
    participants: tuple[str, ...]
    facilitators: tuple[str, ...]
    place: Point | None


@dataclass(frozen=True)
class Outcome:
    """A closed group or an unplaced participant: an id, a reason code, a detail."""

    id: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Table:
    """A list of records of unknown shape, as columns and rows of text.

    Signals (issue 11) are shown this way, so that a field added there
    appears without a change here.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Signal:
    """One kind of signal (``unmet``, ``recruit``, ...) as a table."""

    kind: str
    table: Table


@dataclass(frozen=True)
class Warning:
    """A non-blocking remark about the input."""

    code: str
    pointer: str
    message: str


@dataclass(frozen=True)
class MapLine:
    """A line on the map: an assignment (home to client) or a ride (client to destination)."""

    x1: float
    y1: float
    x2: float
    y2: float
    day: str
    kind: str  # "assignment", "ride" or "group"


@dataclass(frozen=True)
class Report:
    """Everything a report shows, computed once from a problem and its solution.

    The derived views (``busy_weeks``, ``has_rides``, ...) are computed once on
    first use: the formats read them once per row.
    """

    status: str
    wall_seconds: float
    volunteers: int
    requests: int
    served: int
    served_priority: float
    total_priority: float
    bound: float
    continuity: int
    travel_km: float
    assignments: tuple[AssignmentRow, ...]
    unserved: tuple[UnservedRow, ...]
    weeks: tuple[VolunteerWeek, ...]
    days: tuple[DayCount, ...]
    reasons: tuple[ReasonCount, ...]
    lines: tuple[MapLine, ...]
    groups: tuple[GroupRow, ...] = ()
    closed_groups: tuple[Outcome, ...] = ()
    unplaced: tuple[Outcome, ...] = ()
    signals: tuple[Signal, ...] = ()
    signal_lines: tuple[str, ...] = ()
    """The signals as a coordinator reads them in a text summary (``refer.cli.signal_lines``)."""
    warnings: tuple[Warning, ...] = ()
    redacted: bool = False
    reason_colours: Mapping[str, str] = field(default_factory=dict)
    scale_km: float = 0.0  # a round distance for the map's scale bar ...
    scale_units: float = 0.0  # ... and its length on the map

    @property
    def proven(self) -> bool:
        return self.status == "optimal"

    @cached_property
    def referrals(self) -> tuple[Referral, ...]:
        return tuple(ref for u in self.unserved for ref in u.referrals)

    @cached_property
    def has_rides(self) -> bool:
        return any(a.destination is not None for a in self.assignments) or any(
            u.destination is not None for u in self.unserved
        )

    @cached_property
    def has_roles(self) -> bool:
        return any(v.role is not None for w in self.weeks for v in w.visits)

    @cached_property
    def day_keys(self) -> tuple[str, ...]:
        return tuple(day_key(d.day) for d in self.days)

    @cached_property
    def busy_weeks(self) -> tuple[VolunteerWeek, ...]:
        return tuple(w for w in self.weeks if w.visits)

    @cached_property
    def idle_volunteers(self) -> tuple[str, ...]:
        return tuple(w.volunteer_id for w in self.weeks if not w.visits)


def reason_text(reason: str, lang: str) -> str:
    """The gloss of a reason code from the one wording table, or ``""`` if it has none."""
    from matchcore.explain import REASON_GLOSS, reason_gloss

    for known in REASON_GLOSS:
        if known == reason:
            return reason_gloss(known, lang)
    return ""


def day_key(day: date | None) -> str:
    """The filter key of a day: ``2026-03-02``, or ``none`` for untimed requests."""
    return day.isoformat() if day is not None else "none"


# -- building ------------------------------------------------------------------------


def build_report(problem: Problem, solution: Any, *, redact: bool = False) -> Report:
    """Build the report model of ``solution`` for ``problem``.

    Parameters
    ----------
    problem
        The problem that was solved.
    solution
        A :class:`~matchcore.solution.Solution`, or a solution document as
        parsed JSON (what ``matchcore solve`` writes).
    redact
        Replace every id (volunteers, requests, clients, groups, participants)
        by a pseudonym such as ``V-3f2a``: the same id always gets the same
        pseudonym within this report, and a fresh random key per report keeps
        pseudonyms from being traced back by hashing guessed ids.

    Raises
    ------
    ProblemError
        When the solution document is malformed or names a request or
        volunteer the problem does not have (the error names its path).
    """
    doc = solution.to_dict() if hasattr(solution, "to_dict") else solution
    _check_is_solution(doc)
    name = _Pseudonyms() if redact else None
    ident: Callable[[str, str], str] = name.of if name is not None else _same
    project = _Projection(problem)
    assignments, visits = _read_assignments(problem, doc, project, ident)
    unserved = _with_near_misses(_read_unserved(problem, doc, project, ident), doc, ident)
    _check_covers(problem, doc)
    weeks = _weeks(problem, visits, project, ident)
    objective = doc.get("objective") if isinstance(doc.get("objective"), Mapping) else {}
    assert isinstance(objective, Mapping)
    colours = _reason_colours(u.reason for u in unserved)
    text = name.scrub if name is not None else _same_text
    stats = doc.get("stats") if isinstance(doc.get("stats"), Mapping) else {}
    assert isinstance(stats, Mapping)
    groups, closed, unplaced = _read_groups(problem, doc, project, ident, text)
    return Report(
        status=str(doc.get("status", "feasible")),
        wall_seconds=_number(stats.get("wall_seconds"), 0.0),
        volunteers=len(problem.volunteers),
        requests=len(problem.requests),
        served=len(assignments),
        served_priority=_number(
            objective.get("served_priority"), sum(a.priority for a in assignments)
        ),
        total_priority=sum(r.priority for r in problem.requests),
        bound=_number(doc.get("bound"), math.nan),
        continuity=int(_number(objective.get("continuity"), 0)),
        travel_km=_number(objective.get("travel_km"), sum(a.km for a in assignments)),
        assignments=assignments,
        unserved=tuple(_scrub_unserved(u, text) if name is not None else u for u in unserved),
        weeks=weeks,
        days=_day_counts(assignments, unserved),
        reasons=_reason_counts(unserved, colours),
        lines=_map_lines(assignments, weeks, groups, problem, project, ident),
        groups=groups,
        closed_groups=closed,
        unplaced=unplaced,
        signals=_read_signals(doc.get("signals"), text),
        signal_lines=tuple(text(line) for line in signal_lines(doc.get("signals"))),
        warnings=_read_warnings(doc.get("warnings"), text),
        redacted=redact,
        reason_colours=colours,
        scale_km=project.scale_km,
        scale_units=project.scale_km * project.units_per_km,
    )


def _check_is_solution(doc: Any) -> None:
    """Refuse what is not a solution document (a problem, say), before reading it."""
    if not isinstance(doc, Mapping):
        raise ProblemError((), "is not a solution: it must be an object")
    for name in ("status", "unassigned"):
        if name not in doc:
            raise ProblemError((), f"is not a solution: it has no {name!r}")
    if not isinstance(doc["status"], str):
        raise ProblemError(("status",), "must be a string")


def _check_covers(problem: Problem, doc: Mapping[str, Any]) -> None:
    """Every request of the problem is assigned or unassigned, exactly once.

    Called after both lists were read, so every id is known to the problem.
    """
    seen: set[str] = set()
    for name in ("assignments", "unassigned"):
        for i, item in enumerate(_read_list(doc, name)):
            rid = item["request_id"]
            if rid in seen:
                raise ProblemError((name, i, "request_id"), "names a request listed before")
            seen.add(rid)
    missing = len(problem.requests) - len(seen)
    if missing:
        raise ProblemError(
            (),
            f"does not belong to this problem: {missing} of its requests are neither "
            "assigned nor unassigned",
        )


def _same(kind: str, value: str) -> str:
    return value


def _same_text(value: str) -> str:
    return value


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _read_list(doc: Mapping[str, Any], name: str) -> list[Any]:
    value = doc.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProblemError((name,), "must be a list")
    return value


def _item(value: Any, path: tuple[str | int, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProblemError(path, "must be an object")
    return value


def _text(value: Any, path: tuple[str | int, ...], *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ProblemError(path, "must be a string")
    return value


def _moment(value: Any, path: tuple[str | int, ...]) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(_text(value, path))
    except ValueError:
        raise ProblemError(path, "must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise ProblemError(path, "has no UTC offset")
    return moment


# -- pseudonyms ------------------------------------------------------------------------

_PREFIX = {"volunteer": "V", "request": "R", "client": "C", "group": "G", "participant": "P"}


class _Pseudonyms:
    """Stable pseudonyms for one report: a keyed hash, lengthened until unique."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(16)
        self._names: dict[tuple[str, str], str] = {}
        self._taken: set[str] = set()
        self._ids: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def of(self, kind: str, value: str) -> str:
        known = self._names.get((kind, value))
        if known is not None:
            return known
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        prefix = _PREFIX.get(kind, "X")
        size = 4
        while f"{prefix}-{digest[:size]}" in self._taken:
            size += 1
        name = f"{prefix}-{digest[:size]}"
        self._taken.add(name)
        self._names[(kind, value)] = name
        self._ids.setdefault(value, name)  # in texts, an id used twice reads as its first kind
        self._pattern = None
        return name

    def scrub(self, text: str) -> str:
        """``text`` with every id seen so far replaced by its pseudonym.

        Word by word (a dictionary look-up per word, trimmed of punctuation
        around it); only ids with spaces inside need a pattern of their own.
        """
        if not self._ids or not text:
            return text
        if self._pattern is None:
            spaced = sorted((i for i in self._ids if _SPACE.search(i)), key=len, reverse=True)
            alternation = "|".join(re.escape(i) for i in spaced)
            self._pattern = re.compile(alternation) if spaced else _NOTHING
        text = self._pattern.sub(lambda m: self._ids[m.group(0)], text)
        return _WORD.sub(self._word, text)

    def _word(self, match: re.Match[str]) -> str:
        """A word, or the id inside it once punctuation around it is taken off."""
        word = match.group(0)
        lead = len(word) - len(word.lstrip(_PUNCTUATION))
        trail = len(word) - len(word.rstrip(_PUNCTUATION))
        for i in range(lead + 1):
            for j in range(trail + 1):
                core = word[i : len(word) - j]
                if core in self._ids:
                    return word[:i] + self._ids[core] + word[len(word) - j :]
        return word


_SPACE = re.compile(r"\s")
_WORD = re.compile(r"\S+")
_NOTHING = re.compile(r"(?!)")
_PUNCTUATION = ".,;:!?()[]{}'\"«»"


def _scrub_unserved(u: UnservedRow, text: Callable[[str], str]) -> UnservedRow:
    refs = tuple(
        Referral(r.request_id, r.service_id, r.name, r.organization, r.distance_km, text(r.why))
        for r in u.referrals
    )
    return UnservedRow(
        u.request_id,
        u.client_id,
        u.reason,
        text(u.detail),
        u.priority,
        u.place,
        u.destination,
        u.window_start,
        u.window_end,
        refs,
        text(u.near_miss),
    )


# -- the map projection ------------------------------------------------------------------


class _Projection:
    """Equirectangular, scaled by the cosine of the middle latitude, fitted to the map.

    At a network's scale (tens of km) this is within a fraction of a percent of
    a conformal projection, and needs no library.
    """

    def __init__(self, problem: Problem) -> None:
        lats = [v.location.lat for v in problem.volunteers] + [
            r.location.lat for r in problem.requests
        ]
        lons = [v.location.lon for v in problem.volunteers] + [
            r.location.lon for r in problem.requests
        ]
        for r in problem.requests:
            dest = _destination(r)
            if dest is not None:
                lats.append(dest[0])
                lons.append(dest[1])
        for other in (
            *(getattr(problem, "groups", ()) or ()),
            *(getattr(problem, "participants", ()) or ()),
        ):
            latlon = _latlon(other)
            if latlon is not None:
                lats.append(latlon[0])
                lons.append(latlon[1])
        if not lats:
            lats, lons = [0.0], [0.0]
        self.lat0, self.lon0 = min(lats), min(lons)
        self.cos = max(math.cos(math.radians((min(lats) + max(lats)) / 2)), 0.01)
        width = max((max(lons) - self.lon0) * self.cos, 1e-9)
        height = max(max(lats) - self.lat0, 1e-9)
        self.scale = min((MAP_WIDTH - 2 * _MAP_PAD) / width, (MAP_HEIGHT - 2 * _MAP_PAD) / height)
        # centre the drawing in the frame
        self.dx = (MAP_WIDTH - width * self.scale) / 2
        self.dy = (MAP_HEIGHT - height * self.scale) / 2
        self.top = max(lats)

    @property
    def units_per_km(self) -> float:
        return self.scale / _KM_PER_DEGREE

    @property
    def scale_km(self) -> float:
        """The largest round distance whose bar is at most a sixth of the map wide."""
        room = MAP_WIDTH / 6 / self.units_per_km
        steps = [m * 10.0**e for e in range(-2, 5) for m in (1, 2, 5)]
        fitting = [s for s in steps if s <= room]
        return fitting[-1] if fitting else steps[0]

    def point(self, lat: float, lon: float) -> Point:
        x = self.dx + (lon - self.lon0) * self.cos * self.scale
        y = self.dy + (self.top - lat) * self.scale
        return Point(lat, lon, round(x, 1), round(y, 1))


def _destination(request: Any) -> tuple[float, float] | None:
    """A ride's destination (issue 8), from a request that may not have the field."""
    dest = getattr(request, "destination", None)
    if dest is None:
        return None
    lat, lon = getattr(dest, "lat", None), getattr(dest, "lon", None)
    if isinstance(dest, Mapping):
        lat, lon = dest.get("lat"), dest.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    return None


# -- assignments and weeks -------------------------------------------------------------------


def _read_assignments(
    problem: Problem,
    doc: Mapping[str, Any],
    project: _Projection,
    ident: Callable[[str, str], str],
) -> tuple[tuple[AssignmentRow, ...], list[tuple[int, Visit]]]:
    rows: list[AssignmentRow] = []
    visits: list[tuple[int, Visit]] = []
    seen: set[str] = set()
    for i, raw in enumerate(_read_list(doc, "assignments")):
        path: tuple[str | int, ...] = ("assignments", i)
        item = _item(raw, path)
        rid = _text(item.get("request_id"), (*path, "request_id"))
        r = problem.request_index.get(rid)
        if r is None:
            raise ProblemError((*path, "request_id"), "names a request the problem does not have")
        if rid in seen:
            raise ProblemError((*path, "request_id"), "is assigned twice")
        seen.add(rid)
        req = problem.requests[r]
        start = _moment(item.get("start"), (*path, "start"))
        end = _moment(item.get("end"), (*path, "end"))
        if (start is None) != (end is None):
            missing = "end" if end is None else "start"
            raise ProblemError((*path, missing), "is required with the other of start and end")
        place = project.point(req.location.lat, req.location.lon)
        dest = _destination(req)
        dest_point = project.point(*dest) if dest is not None else None
        members = _members(item, path)
        pinned = item.get("pinned") is True
        team: list[Visit] = []
        for m, member in enumerate(members):
            mpath = (*path, "volunteers", m)
            vid = _text(member.get("id"), (*mpath, "id"))
            v = problem.volunteer_index.get(vid)
            if v is None:
                raise ProblemError((*mpath, "id"), "names a volunteer the problem does not have")
            legs = member.get("legs") if isinstance(member.get("legs"), list) else []
            assert isinstance(legs, list)
            km = _member_km(member, legs)
            role = member.get("role")
            team.append(
                Visit(
                    request_id=ident("request", rid),
                    client_id=ident("client", req.client_id),
                    volunteer_id=ident("volunteer", vid),
                    start=start,
                    end=end,
                    place=place,
                    destination=dest_point,
                    km=km,
                    travel_minutes=int(_number(member.get("travel_minutes"), 0)),
                    preferred=member.get("preferred") is True,
                    pinned=pinned,
                    role=role if isinstance(role, int) and not isinstance(role, bool) else None,
                    legs=len(legs),
                )
            )
            visits.append((v, team[-1]))
        rows.append(
            AssignmentRow(
                request_id=ident("request", rid),
                client_id=ident("client", req.client_id),
                volunteer_ids=tuple(t.volunteer_id for t in team),
                preferred=tuple(t.preferred for t in team),
                start=start,
                end=end,
                place=place,
                destination=dest_point,
                km=sum(t.km for t in team),
                priority=req.priority,
                pinned=pinned,
                explanation=_text(item.get("explanation"), (*path, "explanation"), required=False),
            )
        )
    return tuple(rows), visits


def _members(item: Mapping[str, Any], path: tuple[str | int, ...]) -> list[Mapping[str, Any]]:
    """The team of an assignment: ``volunteers`` objects, else bare ``volunteer_ids``."""
    if isinstance(item.get("volunteers"), list):
        return [_item(m, (*path, "volunteers", k)) for k, m in enumerate(item["volunteers"])]
    ids = item.get("volunteer_ids")
    if not isinstance(ids, list):
        raise ProblemError((*path, "volunteer_ids"), "must be a list")
    return [{"id": _text(v, (*path, "volunteer_ids", k))} for k, v in enumerate(ids)]


def _member_km(member: Mapping[str, Any], legs: list[Any]) -> float:
    """Round-trip km of one team member: the sum of a ride's legs, else twice one way."""
    leg_km = [
        _number(leg.get("km", leg.get("distance_km")), math.nan)
        for leg in legs
        if isinstance(leg, Mapping)
    ]
    if leg_km and all(math.isfinite(k) for k in leg_km):
        return sum(leg_km)
    return 2.0 * _number(member.get("distance_km"), 0.0)


def _weeks(
    problem: Problem,
    visits: list[tuple[int, Visit]],
    project: _Projection,
    ident: Callable[[str, str], str],
) -> tuple[VolunteerWeek, ...]:
    per: list[list[Visit]] = [[] for _ in problem.volunteers]
    for v, visit in visits:
        per[v].append(visit)
    weeks = []
    for v, vol in enumerate(problem.volunteers):
        mine = sorted(per[v], key=_visit_order)
        minutes = sum(
            int((x.end - x.start).total_seconds() // 60)
            for x in mine
            if x.start is not None and x.end is not None
        )
        weeks.append(
            VolunteerWeek(
                volunteer_id=ident("volunteer", vol.id),
                home=project.point(vol.location.lat, vol.location.lon),
                visits=tuple(mine),
                max_tasks=vol.max_tasks,
                minutes=minutes,
                km=sum(x.km for x in mine),
            )
        )
    return tuple(weeks)


def _visit_order(visit: Visit) -> tuple[int, float, str]:
    if visit.start is None:
        return (1, 0.0, visit.request_id)
    return (0, visit.start.timestamp(), visit.request_id)


# -- unserved, counts, map lines ------------------------------------------------------------


def _read_unserved(
    problem: Problem,
    doc: Mapping[str, Any],
    project: _Projection,
    ident: Callable[[str, str], str],
) -> tuple[UnservedRow, ...]:
    rows = []
    for i, raw in enumerate(_read_list(doc, "unassigned")):
        path: tuple[str | int, ...] = ("unassigned", i)
        item = _item(raw, path)
        rid = _text(item.get("request_id"), (*path, "request_id"))
        r = problem.request_index.get(rid)
        if r is None:
            raise ProblemError((*path, "request_id"), "names a request the problem does not have")
        req = problem.requests[r]
        dest = _destination(req)
        rows.append(
            UnservedRow(
                request_id=ident("request", rid),
                client_id=ident("client", req.client_id),
                reason=_text(item.get("reason"), (*path, "reason")),
                detail=_text(item.get("detail"), (*path, "detail"), required=False),
                priority=req.priority,
                place=project.point(req.location.lat, req.location.lon),
                destination=project.point(*dest) if dest is not None else None,
                window_start=req.window.start if req.window is not None else None,
                window_end=req.window.end if req.window is not None else None,
                referrals=_read_referrals(item, path, ident("request", rid)),
            )
        )
    return tuple(rows)


def _with_near_misses(
    rows: tuple[UnservedRow, ...], doc: Mapping[str, Any], ident: Callable[[str, str], str]
) -> tuple[UnservedRow, ...]:
    """Each unserved row with the summary of its near miss, from ``signals.near_misses``."""
    signals = doc.get("signals")
    misses = signals.get("near_misses") if isinstance(signals, Mapping) else None
    if not isinstance(misses, list):
        return rows
    summary: dict[str, str] = {}
    for miss in misses:
        if isinstance(miss, Mapping) and isinstance(miss.get("request_id"), str):
            rid = ident("request", miss["request_id"])
            summary.setdefault(rid, _plain(miss.get("summary")))
    return tuple(
        replace(u, near_miss=summary[u.request_id]) if u.request_id in summary else u for u in rows
    )


def _read_referrals(
    item: Mapping[str, Any], path: tuple[str | int, ...], request_id: str
) -> tuple[Referral, ...]:
    out = []
    for k, raw in enumerate(_read_list(item, "referrals")):
        ref = _item(raw, (*path, "referrals", k))
        distance = ref.get("distance_km")
        out.append(
            Referral(
                request_id=request_id,
                service_id=_plain(ref.get("service_id")),
                name=_plain(ref.get("name")),
                organization=_plain(ref.get("organization")),
                distance_km=_number(distance, math.nan) if distance is not None else None,
                why=_plain(ref.get("why")),
            )
        )
    return tuple(out)


def _day_counts(
    assignments: Sequence[AssignmentRow], unserved: Sequence[UnservedRow]
) -> tuple[DayCount, ...]:
    served = Counter(a.day for a in assignments)
    missed = Counter(u.day for u in unserved)
    days = sorted(set(served) | set(missed), key=lambda d: (d is None, d or date.min))
    return tuple(DayCount(d, served[d], missed[d]) for d in days)


def _reason_colours(reasons: Iterable[str]) -> dict[str, str]:
    colours = dict(_REASON_COLOURS)
    spare = iter(_SPARE_COLOURS)
    for reason in reasons:
        if reason not in colours:
            colours[reason] = next(spare, "#757575")
    return colours


def _reason_counts(
    unserved: Sequence[UnservedRow], colours: Mapping[str, str]
) -> tuple[ReasonCount, ...]:
    counts = Counter(u.reason for u in unserved)
    priority: dict[str, float] = {}
    for u in unserved:
        priority[u.reason] = priority.get(u.reason, 0.0) + u.priority
    known = [r for r in _REASON_ORDER if r in counts]
    later = sorted(set(counts) - set(_REASON_ORDER))
    return tuple(ReasonCount(r, counts[r], priority[r], colours[r]) for r in [*known, *later])


def _map_lines(
    assignments: Sequence[AssignmentRow],
    weeks: Sequence[VolunteerWeek],
    groups: Sequence[GroupRow],
    problem: Problem,
    project: _Projection,
    ident: Callable[[str, str], str],
) -> tuple[MapLine, ...]:
    homes = {w.volunteer_id: w.home for w in weeks}
    lines = []
    for a in assignments:
        day = day_key(a.day)
        for vid in a.volunteer_ids:
            h = homes[vid]
            lines.append(MapLine(h.x, h.y, a.place.x, a.place.y, day, "assignment"))
        if a.destination is not None:
            d = a.destination
            lines.append(MapLine(a.place.x, a.place.y, d.x, d.y, day, "ride"))
    people = _participant_places(problem, project, ident)
    for g in groups:
        if g.place is None:
            continue
        for pid in g.participants:
            p = people.get(pid)
            if p is not None:
                lines.append(MapLine(p.x, p.y, g.place.x, g.place.y, "none", "group"))
    return tuple(lines)


# -- groups (issue 10) ----------------------------------------------------------------------


def _latlon(obj: Any) -> tuple[float, float] | None:
    """The ``location`` of a group or participant (issue 10), object or mapping."""
    loc = obj.get("location") if isinstance(obj, Mapping) else getattr(obj, "location", None)
    lat, lon = getattr(loc, "lat", None), getattr(loc, "lon", None)
    if isinstance(loc, Mapping):
        lat, lon = loc.get("lat"), loc.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    return None


def _place_of(obj: Any, project: _Projection) -> Point | None:
    latlon = _latlon(obj)
    return project.point(*latlon) if latlon is not None else None


def _id_of(obj: Any) -> str:
    value = obj.get("id") if isinstance(obj, Mapping) else getattr(obj, "id", None)
    return value if isinstance(value, str) else ""


def _participant_places(
    problem: Problem, project: _Projection, ident: Callable[[str, str], str]
) -> dict[str, Point]:
    out = {}
    for person in getattr(problem, "participants", ()) or ():
        place = _place_of(person, project)
        if place is not None:
            out[ident("participant", _id_of(person))] = place
    return out


def _read_groups(
    problem: Problem,
    doc: Mapping[str, Any],
    project: _Projection,
    ident: Callable[[str, str], str],
    text: Callable[[str], str],
) -> tuple[tuple[GroupRow, ...], tuple[Outcome, ...], tuple[Outcome, ...]]:
    places = {}
    for group in getattr(problem, "groups", ()) or ():
        place = _place_of(group, project)
        if place is not None:
            places[_id_of(group)] = place
    groups = []
    for i, raw in enumerate(_read_list(doc, "groups")):
        item = _item(raw, ("groups", i))
        gid = _plain(item.get("group_id"))
        groups.append(
            GroupRow(
                group_id=ident("group", gid),
                participants=tuple(
                    ident("participant", _plain(p)) for p in _read_list(item, "participants")
                ),
                facilitators=tuple(
                    ident("volunteer", _plain(f)) for f in _read_list(item, "facilitators")
                ),
                place=places.get(gid),
            )
        )
    closed = tuple(
        Outcome(
            ident("group", _plain(_item(raw, ("closed_groups", i)).get("group_id"))),
            _plain(raw.get("reason")),
            text(_plain(raw.get("detail"))),
        )
        for i, raw in enumerate(_read_list(doc, "closed_groups"))
    )
    unplaced = tuple(
        Outcome(
            ident("participant", _plain(_item(raw, ("unplaced", i)).get("participant_id"))),
            _plain(raw.get("reason")),
            text(_plain(raw.get("detail"))),
        )
        for i, raw in enumerate(_read_list(doc, "unplaced"))
    )
    return tuple(groups), closed, unplaced


# -- signals and warnings (issues 8, 10, 11) ---------------------------------------------------

_SIGNAL_ORDER = ("unmet", "recruit", "near_misses", "zorgpad_gaps", "group_proposals")
# Members of a signal that are for machines (a JSON Patch, a whole volunteer object):
# the report shows their summary instead.
_HIDDEN_FIELDS = frozenset({"patch", "volunteer"})


def _plain(value: Any) -> str:
    """A scalar or a list of scalars as one line of text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _table(records: Sequence[Any], text: Callable[[str], str]) -> Table:
    columns: list[str] = []
    for record in records:
        if isinstance(record, Mapping):
            for key in record:
                if key not in columns and key not in _HIDDEN_FIELDS:
                    columns.append(str(key))
    if not columns:
        return Table(("value",), tuple((text(_plain(r)),) for r in records))
    rows = tuple(
        tuple(text(_plain(r.get(c))) if isinstance(r, Mapping) else "" for c in columns)
        for r in records
    )
    return Table(tuple(columns), rows)


def _read_signals(value: Any, text: Callable[[str], str]) -> tuple[Signal, ...]:
    if not isinstance(value, Mapping):
        return ()
    kinds = [k for k in _SIGNAL_ORDER if k in value] + sorted(
        k for k in value if k not in _SIGNAL_ORDER
    )
    out = []
    for kind in kinds:
        records = value[kind]
        if isinstance(records, list) and records:
            out.append(Signal(str(kind), _table(records, text)))
    return tuple(out)


def _read_warnings(value: Any, text: Callable[[str], str]) -> tuple[Warning, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Warning(_plain(w.get("code")), _plain(w.get("pointer")), text(_plain(w.get("message"))))
        for w in value
        if isinstance(w, Mapping)
    )
