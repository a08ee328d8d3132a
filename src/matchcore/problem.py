"""The matching problem: immutable, validated on construction (format v1).

This is where data comes in. Every class checks its own values in
``__post_init__`` and raises :class:`~matchcore.errors.ProblemError` with the
path of the offending field; :meth:`Problem.from_dict` adds the JSON path of
the enclosing objects, so an error reads ``requests[3].window.end: ...``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from matchcore.errors import ProblemError, at

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


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the earth, in degrees (WGS84)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ProblemError(("lat",), "must be a latitude between -90 and 90")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ProblemError(("lon",), "must be a longitude between -180 and 180")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A period ``[start, end]`` between two time-zone aware moments."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            moment = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ProblemError((name,), "has no UTC offset")
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


@dataclass(frozen=True)
class Volunteer:
    """Someone who can help, where they live and what they can do.

    ``availability`` of ``None`` means available at any time; an empty tuple
    means never available. Overlapping or touching windows are merged.
    ``max_distance_km`` of ``None`` takes ``Options.default_max_distance_km``.
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

    def __post_init__(self) -> None:
        _check_id(self.id)
        object.__setattr__(self, "skills", _frozen_strings(self.skills))
        object.__setattr__(self, "languages", _frozen_strings(self.languages))
        object.__setattr__(self, "excluded_clients", _frozen_strings(self.excluded_clients))
        object.__setattr__(self, "travel_mode", TravelMode(self.travel_mode))
        if self.max_distance_km is not None and not (
            math.isfinite(self.max_distance_km) and self.max_distance_km > 0
        ):
            raise ProblemError(("max_distance_km",), "must be greater than 0")
        if self.availability is not None:
            object.__setattr__(self, "availability", merge_windows(self.availability))
        for name in ("max_tasks", "max_minutes"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ProblemError((name,), "must be 0 or more")


@dataclass(frozen=True)
class Request:
    """A help request from a client.

    ``window`` of ``None`` means the request has no time constraint: it gets
    no start time and takes part in no overlap check. ``volunteers_needed``
    volunteers serve it together, starting at the same time, or none does.
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
    # For referral to professional services (matchcore.refer): never matched on.
    themes: frozenset[str] = frozenset()
    municipality: str | None = None
    age: float | None = None
    refer_only: bool = False

    def __post_init__(self) -> None:
        _check_id(self.id)
        if not self.client_id:
            object.__setattr__(self, "client_id", self.id)
        for name in ("skills", "languages", "preferred_volunteers", "excluded_volunteers"):
            object.__setattr__(self, name, _frozen_strings(getattr(self, name)))
        object.__setattr__(self, "themes", _frozen_strings(self.themes))
        if self.age is not None and not (math.isfinite(self.age) and self.age >= 0):
            raise ProblemError(("age",), "must be 0 or more")
        if self.duration_minutes <= 0:
            raise ProblemError(("duration_minutes",), "must be greater than 0")
        if self.volunteers_needed < 1:
            raise ProblemError(("volunteers_needed",), "must be 1 or more")
        if not (math.isfinite(self.priority) and self.priority > 0):
            raise ProblemError(("priority",), "must be greater than 0")
        if self.priority < MIN_PRIORITY:
            # Priorities count at a resolution of 0.001; less would count as nothing.
            raise ProblemError(("priority",), f"must be at least {MIN_PRIORITY}")
        if self.priority > MAX_PRIORITY:
            raise ProblemError(("priority",), f"must be at most {MAX_PRIORITY}")
        both = self.preferred_volunteers & self.excluded_volunteers
        if both:
            raise ProblemError(("excluded_volunteers",), "names a volunteer who is also preferred")
        if self.window is not None and self.latest_start_minute < self.earliest_start_minute:
            raise ProblemError(
                ("duration_minutes",),
                f"{self.duration_minutes} minutes do not fit in the window "
                f"({self.window.minutes:g} minutes, starts at whole minutes)",
            )

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
class PinnedAssignment:
    """An existing commitment the solver must keep as given."""

    request_id: str
    volunteer_ids: tuple[str, ...]
    start: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "volunteer_ids", tuple(self.volunteer_ids))
        if not self.volunteer_ids:
            raise ProblemError(("volunteer_ids",), "must name at least one volunteer")
        seen: set[str] = set()
        for i, vid in enumerate(self.volunteer_ids):
            if vid in seen:
                raise ProblemError(("volunteer_ids", i), "names the same volunteer twice")
            seen.add(vid)
        if self.start is not None:
            if self.start.tzinfo is None or self.start.utcoffset() is None:
                raise ProblemError(("start",), "has no UTC offset")
            if self.start.timestamp() % 60:
                raise ProblemError(("start",), "must be at a whole minute")


@dataclass(frozen=True)
class TravelOptions:
    """Speeds per travel mode and the detour factor over the straight line."""

    speeds_kmh: Mapping[TravelMode, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KMH)
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        speeds = {TravelMode(k): float(v) for k, v in self.speeds_kmh.items()}
        for mode, speed in speeds.items():
            if not (math.isfinite(speed) and speed > 0):
                raise ProblemError(("speeds_kmh", mode.value), "must be greater than 0")
            if speed < MIN_SPEED_KMH:
                raise ProblemError(
                    ("speeds_kmh", mode.value), f"must be at least {MIN_SPEED_KMH:g}"
                )
        object.__setattr__(self, "speeds_kmh", MappingProxyType({**DEFAULT_SPEEDS_KMH, **speeds}))
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1.0):
            raise ProblemError(("detour_factor",), "must be 1 or more")
        if self.detour_factor > MAX_DETOUR_FACTOR:
            raise ProblemError(("detour_factor",), f"must be at most {MAX_DETOUR_FACTOR:g}")

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
        CP-SAT search workers; 0 means one per CPU core.
    """

    time_limit_seconds: float = 10.0
    default_max_distance_km: float = 10.0
    travel: TravelOptions = field(default_factory=TravelOptions)
    seed: int = 0
    workers: int = 0
    referral_max_km: float = 15.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.referral_max_km) and self.referral_max_km > 0):
            raise ProblemError(("referral_max_km",), "must be greater than 0")
        if not (math.isfinite(self.time_limit_seconds) and self.time_limit_seconds > 0):
            raise ProblemError(("time_limit_seconds",), "must be greater than 0")
        if not (math.isfinite(self.default_max_distance_km) and self.default_max_distance_km > 0):
            raise ProblemError(("default_max_distance_km",), "must be greater than 0")
        if self.workers < 0:
            raise ProblemError(("workers",), "must be 0 (one per core) or more")


@dataclass(frozen=True)
class Problem:
    """A whole matching problem: who can help, who asks, what is fixed.

    Construct it directly or with :meth:`from_dict` / :meth:`from_json`;
    either way it is validated, and a broken rule raises
    :class:`~matchcore.errors.ProblemError` naming its path.
    """

    volunteers: tuple[Volunteer, ...]
    requests: tuple[Request, ...]
    assignments: tuple[PinnedAssignment, ...] = ()
    options: Options = field(default_factory=Options)
    directory: Directory | None = None  # professional services to refer to

    def __post_init__(self) -> None:
        for name in ("volunteers", "requests", "assignments"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _check_unique(self.volunteers, "volunteers")
        _check_unique(self.requests, "requests")
        vols = self.volunteer_index
        for r, req in enumerate(self.requests):
            for name in ("preferred_volunteers", "excluded_volunteers"):
                for vid in sorted(getattr(req, name)):
                    if vid not in vols:
                        raise ProblemError(("requests", r, name), "names an unknown volunteer")
        pinned: set[str] = set()
        for p, pin in enumerate(self.assignments):
            with at("assignments", p):
                self._check_pin(pin, pinned)

    def _check_pin(self, pin: PinnedAssignment, pinned: set[str]) -> None:
        if pin.request_id not in self.request_index:
            raise ProblemError(("request_id",), "names an unknown request")
        if pin.request_id in pinned:
            raise ProblemError(("request_id",), "is pinned twice")
        pinned.add(pin.request_id)
        for i, vid in enumerate(pin.volunteer_ids):
            if vid not in self.volunteer_index:
                raise ProblemError(("volunteer_ids", i), "names an unknown volunteer")
        req = self.requests[self.request_index[pin.request_id]]
        if req.refer_only:
            raise ProblemError(("request_id",), "names a refer_only request, never assigned")
        if len(pin.volunteer_ids) != req.volunteers_needed:
            raise ProblemError(
                ("volunteer_ids",),
                f"names {len(pin.volunteer_ids)} "
                f"volunteer{'' if len(pin.volunteer_ids) == 1 else 's'}; the request needs "
                f"{req.volunteers_needed}",
            )
        if req.window is None and pin.start is not None:
            raise ProblemError(("start",), "is given but the request has no window")
        if req.window is not None and pin.start is not None:
            minute = floor_minute(pin.start)
            if not req.earliest_start_minute <= minute <= req.latest_start_minute:
                raise ProblemError(("start",), "does not fit the request's window")

    def __reduce__(self) -> tuple[type[Problem], tuple[Any, ...]]:
        # Pickle the fields only (so problems can go to process pools and Dask);
        # the cached indexes are rebuilt, and the problem revalidated, on load.
        fields = (self.volunteers, self.requests, self.assignments, self.options, self.directory)
        return (Problem, fields)

    @cached_property
    def volunteer_index(self) -> Mapping[str, int]:
        """Position of each volunteer by id."""
        return MappingProxyType({v.id: i for i, v in enumerate(self.volunteers)})

    @cached_property
    def request_index(self) -> Mapping[str, int]:
        """Position of each request by id."""
        return MappingProxyType({r.id: i for i, r in enumerate(self.requests)})

    def max_distance_km(self, volunteer: Volunteer) -> float:
        """The volunteer's own range, or the problem's default."""
        if volunteer.max_distance_km is None:
            return self.options.default_max_distance_km
        return volunteer.max_distance_km

    # -- JSON ----------------------------------------------------------------

    @classmethod
    def from_json(cls, text: str | bytes) -> Problem:
        """Parse and validate a problem from JSON text."""
        return cls.from_dict(load_json(text))

    @classmethod
    def from_dict(cls, data: Any) -> Problem:
        """Validate a problem given as parsed JSON (dicts, lists, scalars)."""
        from matchcore.io.problem_json import problem_from_dict

        return problem_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict in format v1."""
        from matchcore.io.problem_json import problem_to_dict

        return problem_to_dict(self)


def load_json(text: str | bytes) -> Any:
    """Parse JSON text; NaN and Infinity parse to floats the validator rejects."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise ProblemError((), f"is not valid JSON ({where}: {err.msg})") from None
    except UnicodeDecodeError as err:
        raise ProblemError((), f"is not valid JSON (input: {err})") from None
    except RecursionError:
        raise ProblemError((), "is nested too deeply") from None
    except ValueError:  # an integer literal longer than Python converts (4300 digits)
        raise ProblemError((), "is not valid JSON (a number has too many digits)") from None


def ceil_minute(moment: datetime) -> int:
    """The first whole minute (since the epoch, UTC) at or after ``moment``."""
    return -int((-moment.timestamp()) // 60)


def floor_minute(moment: datetime) -> int:
    """The last whole minute (since the epoch, UTC) at or before ``moment``."""
    return int(moment.timestamp() // 60)


def minute_to_datetime(minute: int, like: datetime) -> datetime:
    """A whole minute since the epoch, in the UTC offset of ``like``."""
    return datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(like.tzinfo)


def _check_id(value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(("id",), "must be a non-empty string")


def _check_unique(items: Sequence[Volunteer | Request], name: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise ProblemError((name, i, "id"), "is used twice")
        seen.add(item.id)


__all__ = [
    "EARTH_RADIUS_KM",
    "FORMAT_VERSION",
    "Location",
    "Options",
    "PinnedAssignment",
    "Problem",
    "Request",
    "TimeWindow",
    "TravelMode",
    "TravelOptions",
    "Volunteer",
    "load_json",
]
