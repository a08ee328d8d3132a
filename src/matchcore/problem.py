"""The matching problem: immutable domain types, validated on construction (format v1).

Every class checks its own values in ``__post_init__`` and raises
:class:`~matchcore.errors.ProblemError` with the path of each offending field
(all of them at once); the JSON reader in :mod:`matchcore.io` adds the path of
the enclosing objects, so an error reads ``requests[3].window.end: ...``.

This module knows nothing of JSON: :meth:`Problem.from_json`,
:meth:`Problem.from_dict` and :meth:`Problem.to_dict` are conveniences that
hand over to the codec :mod:`matchcore.io.problem_json` registers with
:func:`register_codec` (so neither module imports the other's internals).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matchcore.errors import ErrorCollector, ProblemError

if TYPE_CHECKING:
    from matchcore.refer.directory import Directory

FORMAT_VERSION = 1
EARTH_RADIUS_KM = 6371.009  # mean radius, as geopy.distance.great_circle
# Bounds that keep travel minutes and priority sums far inside 64-bit integers.
MAX_PRIORITY = 1_000_000
MIN_PRIORITY = 0.001
MIN_SPEED_KMH = 0.1
MAX_DETOUR_FACTOR = 10.0


class TravelMode(StrEnum):
    """How a volunteer travels; sets the speed used for travel minutes."""

    WALK = "walk"
    BIKE = "bike"
    CAR = "car"
    TRANSIT = "transit"


DEFAULT_SPEEDS_KMH: Mapping[TravelMode, float] = MappingProxyType(
    {TravelMode.WALK: 4.5, TravelMode.BIKE: 15.0, TravelMode.CAR: 40.0, TravelMode.TRANSIT: 20.0}
)


def _frozen_strings(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@lru_cache(maxsize=65_536)  # a network has few distinct skills, written many times
def normal_term(text: str) -> str:
    """The comparison key of a skill or credential: one spelling for one meaning.

    Unicode NFKC (full-width letters, ligatures), format characters such as a
    zero-width space removed, whitespace trimmed and runs of it made one
    space, then case folded (``"Driving"``, ``" driving"`` and
    ``"driving\u200b"`` are one skill).
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.split()).casefold()
    return unicodedata.normalize("NFKC", text)  # casefolding can leave a non-NFKC form


def normal_language(tag: str) -> str:
    """The comparison key of a BCP 47 language tag: case-insensitive, ``_`` read as ``-``.

    ``"NL"``, ``"nl"`` and ``" nl "`` are one language; ``"nl-BE"`` and
    ``"nl_be"`` are one, and differ from ``"nl"`` (as tags do).
    """
    return normal_term(tag).replace("_", "-")


def _normalised(values: Iterable[str], key: Any, spelling: dict[str, str]) -> frozenset[str]:
    """Comparison keys of ``values``; the first input spelling of each goes into ``spelling``."""
    out = set()
    for value in values:
        k = key(value)
        spelling.setdefault(k, value)
        out.add(k)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the earth, in degrees (WGS84)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        lat_ok = math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0
        lon_ok = math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0
        if lat_ok and lon_ok:
            return
        found = []
        if not lat_ok:
            found.append(ProblemError(("lat",), "must be a latitude between -90 and 90"))
        if not lon_ok:
            found.append(ProblemError(("lon",), "must be a longitude between -180 and 180"))
        raise ProblemError.collect(found)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A period ``[start, end]`` between two time-zone aware moments."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        naive = [
            ProblemError((name,), "has no UTC offset")
            for name, moment in (("start", self.start), ("end", self.end))
            if moment.tzinfo is None or moment.utcoffset() is None
        ]
        if naive:
            raise ProblemError.collect(naive)
        if self.end <= self.start:
            raise ProblemError(("end",), "must be later than start")

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60.0


def merge_windows(windows: Iterable[TimeWindow]) -> tuple[TimeWindow, ...]:
    """Sort windows and merge those that overlap or touch.

    A volunteer free 9-12 and 12-15 is free 9-15: a task may run across 12:00.
    """
    merged: list[TimeWindow] = []
    for w in sorted(windows, key=lambda w: (w.start, w.end)):
        if merged and w.start <= merged[-1].end:
            if w.end > merged[-1].end:
                merged[-1] = TimeWindow(merged[-1].start, w.end)
        else:
            merged.append(w)
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class Credential:
    """A volunteer's credential (a certificate of conduct, a first-aid course) and its validity.

    ``name`` keeps the input's spelling; :attr:`key` is the comparison key
    (:func:`normal_term`). The credential counts from ``valid_from`` (``None``:
    since ever) up to ``valid_until``; the reader turns a date into the whole
    day in ``options.timezone`` (else UTC).
    """

    name: str
    valid_until: datetime
    valid_from: datetime | None = None

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        if not isinstance(self.name, str) or not normal_term(self.name):
            errors.add(ProblemError(("name",), "must be a non-empty string"))
        for name in ("valid_from", "valid_until"):
            moment = getattr(self, name)
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                errors.add(ProblemError((name,), "has no UTC offset"))
        errors.raise_if_any()
        if self.valid_from is not None and self.valid_until <= self.valid_from:
            errors.add(ProblemError(("valid_until",), "must be later than valid_from"))
        errors.raise_if_any()

    @property
    def key(self) -> str:
        """The comparison key of the name."""
        return normal_term(self.name)


#: The most roles one request may have (role checks enumerate subsets of roles).
MAX_ROLES = 8


class _Spelled:
    """Skills and languages kept as comparison keys, with the input's spelling beside them."""

    spelling: Mapping[str, str]

    def as_written(self, key: str) -> str:
        """The input's spelling of a skill or language key."""
        return self.spelling.get(key, key)

    def __reduce__(self) -> tuple[Any, ...]:
        # a read-only mapping does not pickle: hand the fields over with a plain dict
        state = {f: getattr(self, f) for f in self.__dataclass_fields__}  # type: ignore[attr-defined]
        state["spelling"] = dict(self.spelling)
        return (_rebuild, (type(self), state))


@dataclass(frozen=True)
class Volunteer(_Spelled):
    """Someone who can help, where they live and what they can do.

    ``availability`` of ``None`` means available at any time; an empty tuple
    means never available. Overlapping or touching windows are merged.
    ``credentials`` are dated :class:`Credential` items (renewals may repeat a name).
    ``max_distance_km`` of ``None`` takes ``Options.default_max_distance_km``.

    ``skills`` and ``languages`` hold comparison keys (:func:`normal_term`,
    :func:`normal_language`), so that "Driving" and "driving" are one skill;
    ``spelling`` maps each key back to the first spelling given, which is
    what :meth:`as_written` and the JSON writer show.
    """

    id: str
    location: Location
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    travel_mode: TravelMode = TravelMode.CAR
    max_distance_km: float | None = None
    availability: tuple[TimeWindow, ...] | None = None
    max_tasks: int | None = None
    max_minutes: int | None = None
    excluded_clients: frozenset[str] = frozenset()
    spelling: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    credentials: tuple[Credential, ...] = ()
    # Per day (in options.timezone, else UTC) of a task's start; see README "Limits per day".
    max_tasks_per_day: int | None = None
    max_minutes_per_day: int | None = None

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        with errors.catching():
            _check_id(self.id)
        spelling = dict(self.spelling)
        object.__setattr__(self, "skills", _normalised(self.skills, normal_term, spelling))
        object.__setattr__(
            self, "languages", _normalised(self.languages, normal_language, spelling)
        )
        object.__setattr__(self, "spelling", MappingProxyType(spelling))
        object.__setattr__(self, "credentials", tuple(self.credentials))
        object.__setattr__(self, "excluded_clients", _frozen_strings(self.excluded_clients))
        object.__setattr__(self, "travel_mode", TravelMode(self.travel_mode))
        if self.max_distance_km is not None and not (
            math.isfinite(self.max_distance_km) and self.max_distance_km > 0
        ):
            errors.add(ProblemError(("max_distance_km",), "must be greater than 0"))
        if self.availability is not None:
            object.__setattr__(self, "availability", merge_windows(self.availability))
        for name in ("max_tasks", "max_minutes", "max_tasks_per_day", "max_minutes_per_day"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors.add(ProblemError((name,), "must be 0 or more"))
        errors.raise_if_any()


@dataclass(frozen=True)
class Role(_Spelled):
    """One role of a team request: ``count`` members with its skills and a shared language.

    A member who fills the role has every skill in ``skills`` and, when
    ``languages`` lists any, speaks one of them (as a request's own
    ``languages``); the request's own skills, languages and credentials hold
    for every member on top. ``skills``, ``languages`` and ``spelling`` as in
    :class:`Volunteer`.
    """

    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    count: int = 1
    spelling: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        spelling = dict(self.spelling)
        object.__setattr__(self, "skills", _normalised(self.skills, normal_term, spelling))
        object.__setattr__(
            self, "languages", _normalised(self.languages, normal_language, spelling)
        )
        object.__setattr__(self, "spelling", MappingProxyType(spelling))
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ProblemError(("count",), "must be a whole number, 1 or more")


@dataclass(frozen=True)
class Request(_Spelled):
    """A help request from a client.

    ``window`` of ``None`` means the request has no time constraint: it gets
    no start time and takes part in no overlap check. ``volunteers_needed``
    volunteers serve it together, starting at the same time, or none does.
    ``skills``, ``languages`` and ``spelling`` as in :class:`Volunteer`;
    ``credentials`` are the comparison keys of the credentials every helper
    needs, valid over the whole block (:class:`Credential`). ``series`` is the
    id of the repeating request this one is an occurrence of (``None``: none);
    occurrences of one series prefer one volunteer (the continuity level of
    :mod:`matchcore.engines.objective`).

    ``destination`` makes the request a ride: each volunteer drives home ->
    client -> destination, stays ``duration_minutes`` there, and drives
    destination -> client -> home. The block then holds the first two legs
    before the start and the last two after the end; travel km are the four
    legs; ``max_distance_km`` applies to home -> client only.
    ``roles`` (:class:`Role`, at most :data:`MAX_ROLES`) make the team one of
    roles: each member fills exactly one role, and each role gets exactly its
    ``count`` members. ``volunteers_needed`` is then the sum of the counts;
    left at its default of 1 it takes that sum.
    """

    id: str
    location: Location
    duration_minutes: int
    client_id: str = ""
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    window: TimeWindow | None = None
    volunteers_needed: int = 1
    priority: float = 1.0
    preferred_volunteers: frozenset[str] = frozenset()
    excluded_volunteers: frozenset[str] = frozenset()
    spelling: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # For referral to professional services (matchcore.refer): never matched on.
    themes: frozenset[str] = frozenset()
    municipality: str | None = None
    age: float | None = None
    refer_only: bool = False
    credentials: frozenset[str] = frozenset()
    destination: Location | None = None
    roles: tuple[Role, ...] = ()
    series: str | None = None

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        with errors.catching():
            _check_id(self.id)
        self._check_roles(errors)
        if self.series is not None and not (isinstance(self.series, str) and self.series.strip()):
            errors.add(ProblemError(("series",), "must be a non-empty string"))
        if not self.client_id:
            object.__setattr__(self, "client_id", self.id)
        spelling = dict(self.spelling)
        object.__setattr__(self, "skills", _normalised(self.skills, normal_term, spelling))
        object.__setattr__(
            self, "languages", _normalised(self.languages, normal_language, spelling)
        )
        object.__setattr__(
            self, "credentials", _normalised(self.credentials, normal_term, spelling)
        )
        object.__setattr__(self, "spelling", MappingProxyType(spelling))
        for name in ("preferred_volunteers", "excluded_volunteers"):
            object.__setattr__(self, name, _frozen_strings(getattr(self, name)))
        object.__setattr__(self, "themes", _frozen_strings(self.themes))
        if self.age is not None and not (math.isfinite(self.age) and self.age >= 0):
            errors.add(ProblemError(("age",), "must be 0 or more"))
        if self.duration_minutes <= 0:
            errors.add(ProblemError(("duration_minutes",), "must be greater than 0"))
        if self.volunteers_needed < 1:
            errors.add(ProblemError(("volunteers_needed",), "must be 1 or more"))
        if not (math.isfinite(self.priority) and self.priority > 0):
            errors.add(ProblemError(("priority",), "must be greater than 0"))
        elif self.priority < MIN_PRIORITY:
            # Priorities count at a resolution of 0.001; less would count as nothing.
            errors.add(ProblemError(("priority",), f"must be at least {MIN_PRIORITY}"))
        elif self.priority > MAX_PRIORITY:
            errors.add(ProblemError(("priority",), f"must be at most {MAX_PRIORITY}"))
        both = self.preferred_volunteers & self.excluded_volunteers
        if both:
            errors.add(
                ProblemError(("excluded_volunteers",), "names a volunteer who is also preferred")
            )
        if (
            self.window is not None
            and self.duration_minutes > 0
            and self.latest_start_minute < self.earliest_start_minute
        ):
            errors.add(
                ProblemError(
                    ("duration_minutes",),
                    f"{self.duration_minutes} minutes do not fit in the window "
                    f"({self.window.minutes:g} minutes, starts at whole minutes)",
                )
            )
        errors.raise_if_any()

    def _check_roles(self, errors: ErrorCollector) -> None:
        """Roles as a tuple; ``volunteers_needed`` their total (set when left at 1)."""
        object.__setattr__(self, "roles", tuple(self.roles))
        if not self.roles:
            return
        if len(self.roles) > MAX_ROLES:
            errors.add(ProblemError(("roles",), f"must list at most {MAX_ROLES} roles"))
        total = sum(role.count for role in self.roles)
        if self.volunteers_needed == 1 and total != 1:
            object.__setattr__(self, "volunteers_needed", total)
        elif self.volunteers_needed != total:
            errors.add(
                ProblemError(
                    ("volunteers_needed",),
                    f"must equal the sum of the roles' counts ({total}), or be left out",
                )
            )

    @property
    def is_ride(self) -> bool:
        """Whether the request is a ride (it has a ``destination``)."""
        return self.destination is not None

    @property
    def earliest_start_minute(self) -> int:
        """First whole minute (since the Unix epoch, UTC) the request may start."""
        assert self.window is not None
        return ceil_minute(self.window.start)

    @property
    def latest_start_minute(self) -> int:
        """Last whole minute (since the Unix epoch, UTC) the request may start."""
        assert self.window is not None
        return floor_minute(self.window.end) - self.duration_minutes


@dataclass(frozen=True)
class Group:
    """A group that meets in sessions: a self-help group, a mamacafé, a coaching trajectory.

    The group is open when it has between ``min_participants`` and
    ``max_participants`` participants and exactly ``facilitators_needed``
    facilitators (volunteers with ``facilitator_skills`` and
    ``facilitator_credentials`` who attend every session), else closed and
    empty. ``languages`` are any-of: a participant must share one when the
    group lists any. ``priority`` counts per placed participant. ``topic``,
    skills, credentials and languages hold comparison keys, as in
    :class:`Volunteer`.
    """

    id: str
    topic: str
    location: Location
    sessions: tuple[TimeWindow, ...]
    max_participants: int
    min_participants: int = 1
    facilitators_needed: int = 2
    facilitator_skills: frozenset[str] = frozenset()
    facilitator_credentials: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    priority: float = 1.0
    spelling: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        with errors.catching():
            _check_id(self.id)
        spelling = dict(self.spelling)
        spelling.setdefault(normal_term(self.topic), self.topic)
        object.__setattr__(self, "topic", normal_term(self.topic))
        for name in ("facilitator_skills", "facilitator_credentials"):
            object.__setattr__(self, name, _normalised(getattr(self, name), normal_term, spelling))
        object.__setattr__(
            self, "languages", _normalised(self.languages, normal_language, spelling)
        )
        object.__setattr__(self, "spelling", MappingProxyType(spelling))
        object.__setattr__(self, "sessions", merge_windows(self.sessions))
        if not self.topic:
            errors.add(ProblemError(("topic",), "must be a non-empty string"))
        if not self.sessions:
            errors.add(ProblemError(("sessions",), "must give at least one session"))
        if self.min_participants < 0:
            errors.add(ProblemError(("min_participants",), "must be 0 or more"))
        if self.max_participants < 1:
            errors.add(ProblemError(("max_participants",), "must be 1 or more"))
        elif self.min_participants > self.max_participants:
            errors.add(ProblemError(("min_participants",), "must not exceed max_participants"))
        if self.facilitators_needed < 0:
            errors.add(ProblemError(("facilitators_needed",), "must be 0 or more"))
        if not (math.isfinite(self.priority) and MIN_PRIORITY <= self.priority <= MAX_PRIORITY):
            errors.add(
                ProblemError(("priority",), f"must be between {MIN_PRIORITY} and {MAX_PRIORITY}")
            )
        errors.raise_if_any()

    def as_written(self, key: str) -> str:
        """The input's spelling of a topic, skill, credential or language key."""
        return self.spelling.get(key, key)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {f: getattr(self, f) for f in self.__dataclass_fields__}
        state["spelling"] = dict(self.spelling)
        return (_rebuild, (Group, state))


@dataclass(frozen=True)
class Participant:
    """Someone who wants to join a group on one of ``topics`` (in order of preference).

    ``availability`` of ``None`` means any time; ``max_distance_km`` of
    ``None`` takes ``Options.default_max_distance_km``.
    """

    id: str
    location: Location
    topics: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    max_distance_km: float | None = None
    travel_mode: TravelMode = TravelMode.CAR
    availability: tuple[TimeWindow, ...] | None = None
    max_groups: int = 1
    excluded_groups: frozenset[str] = frozenset()
    spelling: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        with errors.catching():
            _check_id(self.id)
        spelling = dict(self.spelling)
        topics: dict[str, None] = {}
        for topic in self.topics:
            spelling.setdefault(normal_term(topic), topic)
            topics.setdefault(normal_term(topic), None)
        object.__setattr__(self, "topics", tuple(topics))
        object.__setattr__(
            self, "languages", _normalised(self.languages, normal_language, spelling)
        )
        object.__setattr__(self, "spelling", MappingProxyType(spelling))
        object.__setattr__(self, "excluded_groups", _frozen_strings(self.excluded_groups))
        object.__setattr__(self, "travel_mode", TravelMode(self.travel_mode))
        if not self.topics:
            errors.add(ProblemError(("topics",), "must name at least one topic"))
        if self.max_distance_km is not None and not (
            math.isfinite(self.max_distance_km) and self.max_distance_km > 0
        ):
            errors.add(ProblemError(("max_distance_km",), "must be greater than 0"))
        if self.availability is not None:
            object.__setattr__(self, "availability", merge_windows(self.availability))
        if self.max_groups < 1:
            errors.add(ProblemError(("max_groups",), "must be 1 or more"))
        errors.raise_if_any()

    def __reduce__(self) -> tuple[Any, ...]:
        state = {f: getattr(self, f) for f in self.__dataclass_fields__}
        state["spelling"] = dict(self.spelling)
        return (_rebuild, (Participant, state))


@dataclass(frozen=True)
class PinnedAssignment:
    """An existing commitment the solver must keep as given."""

    request_id: str
    volunteer_ids: tuple[str, ...]
    start: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "volunteer_ids", tuple(self.volunteer_ids))
        errors = ErrorCollector()
        if not self.volunteer_ids:
            errors.add(ProblemError(("volunteer_ids",), "must name at least one volunteer"))
        seen: set[str] = set()
        for i, vid in enumerate(self.volunteer_ids):
            if vid in seen:
                errors.add(ProblemError(("volunteer_ids", i), "names the same volunteer twice"))
            seen.add(vid)
        if self.start is not None:
            if self.start.tzinfo is None or self.start.utcoffset() is None:
                errors.add(ProblemError(("start",), "has no UTC offset"))
            elif self.start.timestamp() % 60:
                errors.add(ProblemError(("start",), "must be at a whole minute"))
        errors.raise_if_any()


@dataclass(frozen=True)
class TravelOptions:
    """Speeds per travel mode and the detour factor over the straight line."""

    speeds_kmh: Mapping[TravelMode, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KMH)
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        speeds = {TravelMode(k): float(v) for k, v in self.speeds_kmh.items()}
        errors = ErrorCollector()
        for mode, speed in speeds.items():
            if not (math.isfinite(speed) and speed > 0):
                errors.add(ProblemError(("speeds_kmh", mode.value), "must be greater than 0"))
            elif speed < MIN_SPEED_KMH:
                errors.add(
                    ProblemError(("speeds_kmh", mode.value), f"must be at least {MIN_SPEED_KMH:g}")
                )
        object.__setattr__(self, "speeds_kmh", MappingProxyType({**DEFAULT_SPEEDS_KMH, **speeds}))
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1.0):
            errors.add(ProblemError(("detour_factor",), "must be 1 or more"))
        elif self.detour_factor > MAX_DETOUR_FACTOR:
            errors.add(ProblemError(("detour_factor",), f"must be at most {MAX_DETOUR_FACTOR:g}"))
        errors.raise_if_any()

    def __reduce__(self) -> tuple[type[TravelOptions], tuple[dict[TravelMode, float], float]]:
        # A read-only mapping does not pickle; rebuild (and revalidate) from a dict.
        return (TravelOptions, (dict(self.speeds_kmh), self.detour_factor))


@dataclass(frozen=True)
class Options:
    """Solver settings; every field is optional in the JSON.

    Attributes
    ----------
    time_limit_seconds
        Wall-clock budget for the whole solve.
    default_max_distance_km
        Range of volunteers that do not set their own ``max_distance_km``.
    travel
        Speeds and detour factor for travel minutes.
    seed
        Random seed of the solver, for reproducible runs.
    workers
        CP-SAT search workers per part; 0 means matchcore's default (8 in one
        process, 4 per part when parts run in parallel processes; see
        ``matchcore.params.CpSatParams``).
    timezone
        An IANA time-zone name (``"Europe/Brussels"``). When set, date-times
        may omit their offset (read as wall-clock time there), recurring
        availability can be used, and every date-time in the solution carries
        the zone's real offset at that instant.
    horizon
        The planning horizon over which recurring availability is expanded;
        ``None`` takes the span of the requests' windows
        (:attr:`Problem.horizon`).
    replan
        How a ``previous_plan`` is used: ``"optimize"`` (default) ranks kept
        assignments right after served priority; ``"freeze"`` pins every
        previous assignment that is still feasible and plans only the rest.
    fairness
        ``"none"`` (default) or ``"balance"``: a level of the objective after
        continuity and before travel that spreads the tasks over the
        volunteers (lexicographic min-max of tasks per volunteer; see
        :mod:`matchcore.engines.objective`).
    """

    time_limit_seconds: float = 10.0
    default_max_distance_km: float = 10.0
    travel: TravelOptions = field(default_factory=TravelOptions)
    seed: int = 0
    workers: int = 0
    timezone: str | None = None
    horizon: TimeWindow | None = None
    referral_max_km: float = 15.0
    replan: str = "optimize"
    fairness: str = "none"

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        if not (math.isfinite(self.referral_max_km) and self.referral_max_km > 0):
            errors.add(ProblemError(("referral_max_km",), "must be greater than 0"))
        if self.replan not in REPLAN_MODES:
            errors.add(ProblemError(("replan",), "must be " + " or ".join(REPLAN_MODES)))
        if self.fairness not in FAIRNESS_MODES:
            errors.add(ProblemError(("fairness",), "must be " + " or ".join(FAIRNESS_MODES)))
        if not (math.isfinite(self.time_limit_seconds) and self.time_limit_seconds > 0):
            errors.add(ProblemError(("time_limit_seconds",), "must be greater than 0"))
        if not (math.isfinite(self.default_max_distance_km) and self.default_max_distance_km > 0):
            errors.add(ProblemError(("default_max_distance_km",), "must be greater than 0"))
        if self.workers < 0:
            errors.add(ProblemError(("workers",), "must be 0 (matchcore's default) or more"))
        if self.timezone is not None:
            with errors.catching():
                zone_named(self.timezone)
        errors.raise_if_any()

    @property
    def zone(self) -> ZoneInfo | None:
        """The :class:`~zoneinfo.ZoneInfo` of ``timezone``, or ``None``."""
        return None if self.timezone is None else zone_named(self.timezone)


REPLAN_MODES = ("optimize", "freeze")
"""The values of ``options.replan``."""

FAIRNESS_MODES = ("none", "balance")
"""The values of ``options.fairness``."""


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a :class:`ProblemError` at ``timezone`` when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ProblemError(
            ("timezone",), "is not a known IANA time zone (write e.g. Europe/Brussels)"
        ) from None


@dataclass(frozen=True)
class Problem:
    """A whole matching problem: who can help, who asks, what is fixed.

    Construct it directly or with :meth:`from_dict` / :meth:`from_json`;
    either way it is validated, and a broken rule raises
    :class:`~matchcore.errors.ProblemError` naming its path.

    ``previous_plan`` holds the assignments of an earlier plan of this
    network (request, volunteers, start), or ``None``; they may name requests
    and volunteers that are gone (see :mod:`matchcore.replan`).
    """

    volunteers: tuple[Volunteer, ...]
    requests: tuple[Request, ...]
    assignments: tuple[PinnedAssignment, ...] = ()
    options: Options = field(default_factory=Options)
    directory: Directory | None = None  # professional services to refer to
    groups: tuple[Group, ...] = ()
    participants: tuple[Participant, ...] = ()
    previous_plan: tuple[PinnedAssignment, ...] | None = None

    def __post_init__(self) -> None:
        if self.previous_plan is not None:
            object.__setattr__(self, "previous_plan", tuple(self.previous_plan))
        for name in ("volunteers", "requests", "assignments", "groups", "participants"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        errors = ErrorCollector()
        _check_unique(self.volunteers, "volunteers", errors)
        _check_unique(self.requests, "requests", errors)
        _check_series_ids(self.requests, errors)
        vols = self.volunteer_index
        for r, req in enumerate(self.requests):
            for name in ("preferred_volunteers", "excluded_volunteers"):
                if any(vid not in vols for vid in getattr(req, name)):
                    errors.add(ProblemError(("requests", r, name), "names an unknown volunteer"))
        pinned: set[str] = set()
        for p, pin in enumerate(self.assignments):
            with errors.catching("assignments", p):
                self._check_pin(pin, pinned)
        _check_unique(self.groups, "groups", errors)
        _check_unique(self.participants, "participants", errors)
        group_ids = {g.id for g in self.groups}
        for i, person in enumerate(self.participants):
            if any(gid not in group_ids for gid in person.excluded_groups):
                errors.add(
                    ProblemError(("participants", i, "excluded_groups"), "names an unknown group")
                )
        errors.raise_if_any()

    def _check_pin(self, pin: PinnedAssignment, pinned: set[str]) -> None:
        if pin.request_id not in self.request_index and pin.request_id in self.series_ids:
            raise ProblemError(
                ("request_id",),
                "names a repeating request: pin each occurrence by its id (id@YYYY-MM-DD)",
            )
        if pin.request_id not in self.request_index:
            raise ProblemError(("request_id",), "names an unknown request")
        if pin.request_id in pinned:
            raise ProblemError(("request_id",), "is pinned twice")
        pinned.add(pin.request_id)
        errors = ErrorCollector()
        for i, vid in enumerate(pin.volunteer_ids):
            if vid not in self.volunteer_index:
                errors.add(ProblemError(("volunteer_ids", i), "names an unknown volunteer"))
        req = self.requests[self.request_index[pin.request_id]]
        if req.refer_only:
            raise ProblemError(("request_id",), "names a refer_only request, never assigned")
        if len(pin.volunteer_ids) != req.volunteers_needed:
            errors.add(
                ProblemError(
                    ("volunteer_ids",),
                    f"names {len(pin.volunteer_ids)} "
                    f"volunteer{'' if len(pin.volunteer_ids) == 1 else 's'}; the request needs "
                    f"{req.volunteers_needed}",
                )
            )
        if req.window is None and pin.start is not None:
            errors.add(ProblemError(("start",), "is given but the request has no window"))
        if req.window is not None and pin.start is not None:
            minute = floor_minute(pin.start)
            if not req.earliest_start_minute <= minute <= req.latest_start_minute:
                errors.add(ProblemError(("start",), "does not fit the request's window"))
        errors.raise_if_any()

    def __reduce__(self) -> tuple[type[Problem], tuple[Any, ...]]:
        # Pickle the fields only (so problems can go to process pools and Dask);
        # the cached indexes are rebuilt, and the problem revalidated, on load.
        return (
            Problem,
            (
                self.volunteers,
                self.requests,
                self.assignments,
                self.options,
                self.directory,
                self.groups,
                self.participants,
                self.previous_plan,
            ),
        )

    @cached_property
    def volunteer_index(self) -> Mapping[str, int]:
        """Position of each volunteer by id."""
        return MappingProxyType({v.id: i for i, v in enumerate(self.volunteers)})

    @cached_property
    def request_index(self) -> Mapping[str, int]:
        """Position of each request by id."""
        return MappingProxyType({r.id: i for i, r in enumerate(self.requests)})

    @cached_property
    def series_ids(self) -> frozenset[str]:
        """The ids of the repeating requests (series) whose occurrences the problem holds."""
        return frozenset(r.series for r in self.requests if r.series is not None)

    def max_distance_km(self, volunteer: Volunteer) -> float:
        """The volunteer's own range, or the problem's default."""
        if volunteer.max_distance_km is None:
            return self.options.default_max_distance_km
        return volunteer.max_distance_km

    @cached_property
    def horizon(self) -> TimeWindow | None:
        """The planning horizon: ``options.horizon``, else the span of the request windows.

        ``None`` when neither is there (no horizon given, no timed request).
        """
        if self.options.horizon is not None:
            return self.options.horizon
        windows = [r.window for r in self.requests if r.window is not None]
        if not windows:
            return None
        return TimeWindow(min(w.start for w in windows), max(w.end for w in windows))

    # -- JSON, through the registered codec (matchcore.io.problem_json) --------

    @classmethod
    def from_json(cls, text: str | bytes) -> Problem:
        """Parse and validate a problem from JSON text (:func:`matchcore.io.read_problem`)."""
        return _codec().from_json(text)

    @classmethod
    def from_dict(cls, data: Any) -> Problem:
        """Validate a problem given as parsed JSON (dicts, lists, scalars)."""
        return _codec().from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict in format v1."""
        return _codec().to_dict(self)


class ProblemCodec(Protocol):
    """What :mod:`matchcore.io.problem_json` provides to :class:`Problem`."""

    def from_json(self, text: str | bytes) -> Problem: ...

    def from_dict(self, data: Any) -> Problem: ...

    def to_dict(self, problem: Problem) -> dict[str, Any]: ...


_CODEC: list[ProblemCodec] = []


def register_codec(codec: ProblemCodec) -> None:
    """Install the JSON codec behind :meth:`Problem.from_json` and friends."""
    _CODEC[:] = [codec]


def _codec() -> ProblemCodec:
    # `import matchcore` (which any import of matchcore.problem runs first) registers it
    if not _CODEC:
        raise RuntimeError("no problem codec registered; import matchcore first")
    return _CODEC[0]


def ceil_minute(moment: datetime) -> int:
    """The first whole minute (since the epoch, UTC) at or after ``moment``."""
    return -int((-moment.timestamp()) // 60)


def floor_minute(moment: datetime) -> int:
    """The last whole minute (since the epoch, UTC) at or before ``moment``."""
    return int(moment.timestamp() // 60)


def minute_to_datetime(minute: int, like: datetime) -> datetime:
    """A whole minute since the epoch, in the UTC offset of ``like``."""
    return datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(like.tzinfo)


def _rebuild(cls: type[Any], state: dict[str, Any]) -> Any:
    return cls(**state)


def _check_id(value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(("id",), "must be a non-empty string")


def _check_unique(
    items: Sequence[Volunteer | Request | Group | Participant], name: str, errors: ErrorCollector
) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            errors.add(ProblemError((name, i, "id"), "is used twice"))
        seen.add(item.id)


def _check_series_ids(requests: Sequence[Request], errors: ErrorCollector) -> None:
    """A series id names the series only: no request may have it as its own id."""
    series = {r.series for r in requests if r.series is not None}
    for i, req in enumerate(requests):
        if req.id in series:
            errors.add(ProblemError(("requests", i, "id"), "is also the id of a repeating request"))


__all__ = [
    "EARTH_RADIUS_KM",
    "FORMAT_VERSION",
    "MAX_ROLES",
    "Credential",
    "Group",
    "Location",
    "Options",
    "Participant",
    "PinnedAssignment",
    "Problem",
    "Request",
    "Role",
    "TimeWindow",
    "TravelMode",
    "TravelOptions",
    "Volunteer",
    "normal_language",
    "normal_term",
    "register_codec",
    "zone_named",
]
