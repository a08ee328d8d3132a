"""The problem in JSON (format v1): read with every error at once, and write back.

Reading order: options first (the time zone governs every date-time), then
volunteers, requests, the horizon (``options.horizon`` or the span of the
request windows), recurring availability expanded over it, and the pinned
assignments. Every field error is collected, up to
:data:`~matchcore.errors.MAX_ERRORS`; errors between items (an id used twice,
an unknown volunteer) are found in the same run, pins once every item reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo

from matchcore import _json as j
from matchcore.errors import ErrorCollector, PathSegment, ProblemError, at
from matchcore.io.groups_json import groups_to_dict, read_groups
from matchcore.io.json_text import load_json
from matchcore.io.localtime import read_clock, read_date, read_local_datetime, wall_time
from matchcore.io.recurring import Recurring, check_rule, expand, subtract, weekly_rule
from matchcore.io.repeat import expand_request, read_repeat
from matchcore.problem import (
    FORMAT_VERSION,
    Credential,
    Location,
    Options,
    PinnedAssignment,
    Problem,
    Request,
    Role,
    TimeWindow,
    TravelMode,
    TravelOptions,
    Volunteer,
    merge_windows,
    register_codec,
    zone_named,
)

_TOP = {
    "version", "volunteers", "requests", "assignments", "options", "directory", "groups",
    "participants", "previous_plan",
}  # fmt: skip
_VOLUNTEER = {
    "id", "location", "skills", "languages", "travel_mode", "max_distance_km",
    "availability", "unavailable", "max_tasks", "max_minutes", "excluded_clients",
    "credentials", "max_tasks_per_day", "max_minutes_per_day",
}  # fmt: skip
_CREDENTIAL = {"name", "valid_from", "valid_until"}
_REQUEST = {
    "id", "client_id", "location", "skills", "languages", "duration_minutes", "window",
    "volunteers_needed", "priority", "preferred_volunteers", "excluded_volunteers",
    "themes", "municipality", "age", "refer_only",
    "credentials",
    "destination",
    "roles",
    "repeat", "series",
}  # fmt: skip
_ROLE = {"skills", "languages", "count"}
_PIN = {"request_id", "volunteer_ids", "start"}
_OPTIONS = {
    "time_limit_seconds", "default_max_distance_km", "travel", "seed", "workers",
    "timezone", "horizon", "referral_max_km", "replan", "fairness",
}  # fmt: skip
_WINDOW = {"start", "end"}
_LOCATION = {"lat", "lon"}
_WEEKLY_ENTRY = {"weekly", "from", "until"}
_WEEKLY = {"days", "start", "end"}
_RRULE_ENTRY = {"rrule", "start", "end", "from", "until"}
_MODES = ", ".join(m.value for m in TravelMode)
#: Longest RRULE body accepted.
MAX_RULE_CHARS = 500


def read_problem(text: str | bytes) -> Problem:
    """Parse and validate a problem from JSON text (the CLI's and the service's reader)."""
    return problem_from_dict(load_json(text))


def read_problem_file(path: str | FilePath) -> Problem:
    """A problem from a file: JSON, or a workbook/CSV folder (:mod:`matchcore.io.sheets`)."""
    path = FilePath(path)
    if path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm"):
        from matchcore.io.sheets import read_sheets

        return problem_from_dict(read_sheets(path))
    return read_problem(path.read_bytes())


def problem_from_dict(data: Any) -> Problem:
    """Validate parsed JSON as a v1 problem, reporting every error at once."""
    return _Reader().problem(data)


@dataclass
class _PendingVolunteer:
    """A volunteer read but not built: recurring availability waits for the horizon."""

    fields: dict[str, Any]
    path: j.Path
    windows: list[TimeWindow] | None = None
    recurring: list[tuple[Recurring, j.Path]] = field(default_factory=list)
    unavailable: list[TimeWindow] = field(default_factory=list)
    ok: bool = True
    failed: list[j.Path] = field(default_factory=list)


class _Reader:
    def __init__(self) -> None:
        self.errors = ErrorCollector()
        self.zone: ZoneInfo | None = None
        self.request_fields: dict[PathSegment, dict[str, Any]] = {}
        self.repeats: dict[int, str] = {}  # request index -> its repeat rule (RRULE body)
        self.origin: list[int] = []  # per expanded request: the index it was read from

    # -- the document -----------------------------------------------------------

    def problem(self, data: Any) -> Problem:
        errs = self.errors
        top = j.read_object(data, (), _TOP, errs)
        vols: list[Any] | None = None
        reqs: list[Any] | None = None
        pins: list[Any] = []
        with errs.catching():
            if "version" in top and j.read_integer(top["version"], ("version",)) != FORMAT_VERSION:
                raise ProblemError(("version",), f"must be {FORMAT_VERSION}; this is format v1")
        with errs.catching():
            vols = j.read_list(j.require(top, "volunteers", ()), ("volunteers",))
        with errs.catching():
            reqs = j.read_list(j.require(top, "requests", ()), ("requests",))
        with errs.catching():
            pins = j.read_list(top.get("assignments", []), ("assignments",))
        options = Options()
        with errs.catching("options"):
            options = self.options(top.get("options", {}))
        pending = [self.volunteer(v, ("volunteers", i)) for i, v in enumerate(vols or [])]
        read = [self.request(r, ("requests", i)) for i, r in enumerate(reqs or [])]
        requests = self.expand_repeats(read)  # before the horizon: it spans every occurrence
        horizon = self.horizon(options, requests)
        volunteers = [self.build_volunteer(p, horizon) for p in pending]
        groups, participants = read_groups(self, top, horizon)
        if errs:
            if vols is not None and reqs is not None:  # else every id would look unknown
                self.cross_check(volunteers, read, pending, options)
            self.raise_in_document_order()
        pinned = [self.pin(p, ("assignments", i)) for i, p in enumerate(pins)]
        directory = None
        if top.get("directory") is not None:
            from matchcore.refer.directory import read_directory

            with errs.catching():
                directory = read_directory(top["directory"], ("directory",))
        previous = None
        if "previous_plan" in top:
            previous = self.previous_plan(top["previous_plan"])
        self.raise_in_document_order()
        try:
            return Problem(
                tuple(v for v in volunteers if v is not None),
                tuple(r for r in requests if r is not None),
                tuple(p for p in pinned if p is not None),
                options,
                directory,
                groups,
                participants,
                previous,
            )
        except ProblemError as err:
            raise self.at_origin(err) from None

    # -- repeating requests (matchcore.io.repeat) ---------------------------------

    def expand_repeats(self, read: list[Request | None]) -> list[Request | None]:
        """Every request read, a repeating one as its occurrences (``self.origin``
        maps each back to its place in the document)."""
        out: list[Request | None] = []
        self.origin = []
        own_ids = {r.id for i, r in enumerate(read) if r is not None and i not in self.repeats}
        series_seen: set[str] = set()
        for i, req in enumerate(read):
            if req is None or i not in self.repeats:
                out.append(req)
                self.origin.append(i)
                continue
            path: j.Path = ("requests", i, "repeat")
            if req.id in series_seen:
                self.errors.add(ProblemError(("requests", i, "id"), "is used twice"))
                continue
            series_seen.add(req.id)
            assert self.zone is not None  # read_repeat needs it
            with self.errors.catching():
                occurrences = expand_request(req, self.repeats[i], self.zone, path)
                if any(o.id in own_ids for o in occurrences):
                    raise ProblemError(
                        path, "gives an occurrence id (id@YYYY-MM-DD) that another request has"
                    )
                out.extend(occurrences)
                self.origin.extend([i] * len(occurrences))
        return out

    def at_origin(self, err: ProblemError) -> ProblemError:
        """``err`` with each request's index in the document, not among occurrences."""
        moved = []
        for e in err.errors:
            path = e.path
            if len(path) > 1 and path[0] == "requests" and isinstance(path[1], int):
                path = ("requests", self.origin[path[1]], *path[2:])
            moved.append(ProblemError(path, e.message, place=e.place))
        return ProblemError.collect(moved)

    def previous_plan(self, value: Any) -> tuple[PinnedAssignment, ...]:
        """The assignments of a v1 solution document given as ``previous_plan``.

        Only ``request_id``, ``volunteer_ids`` and ``start`` of each assignment
        are read; the solution's other fields (objective, explanations, ...)
        are the earlier plan's own and are ignored. Ids need not exist any more.
        """
        path: j.Path = ("previous_plan",)
        out: list[PinnedAssignment] = []
        with self.errors.catching():
            if not isinstance(value, dict):
                raise ProblemError(path, f"must be a solution object, not {j.json_type(value)}")
            items = j.read_list(j.require(value, "assignments", path), (*path, "assignments"))
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    item = {
                        k: item[k] for k in ("request_id", "volunteer_ids", "start") if k in item
                    }
                pin = self.pin(item, (*path, "assignments", i))
                if pin is not None:
                    out.append(pin)
        return tuple(out)

    def raise_in_document_order(self) -> None:
        """Raise the errors (if any) by item: volunteers, requests, assignments, options.

        Options are read first and volunteers are built after the requests
        (their recurring availability needs the horizon); a reader of the
        errors wants them item by item, as the document lists them.
        """
        rank = {
            "version": 0, "volunteers": 1, "requests": 2, "assignments": 3, "options": 4,
            "groups": 5, "participants": 6,
        }  # fmt: skip

        def key(err: ProblemError) -> tuple[int, int]:
            path = err.path
            top = rank.get(str(path[0]), 0) if path else 0
            item = path[1] if len(path) > 1 and isinstance(path[1], int) else -1
            return top, item

        self.errors.errors.sort(key=key)  # stable: within an item, the order found
        self.errors.raise_if_any()

    def cross_check(
        self,
        volunteers: list[Volunteer | None],
        requests: list[Request | None],
        pending: list[_PendingVolunteer],
        options: Options,
    ) -> None:
        """Ids used twice and unknown volunteers, even when some items failed to read.

        Only when every volunteer's id was read: else a reference to the
        unreadable one would look unknown.
        """
        vols = [
            v or Volunteer(_placeholder_id(p.fields, p.path), Location(0, 0))
            for v, p in zip(volunteers, pending, strict=True)
        ]
        if any(v.id.startswith("\x00") for v in vols):
            return  # an unreadable volunteer id: a reference to it would look unknown
        reqs = [r or self.reference_stub(i) for i, r in enumerate(requests)]
        with self.errors.catching():
            Problem(tuple(vols), tuple(reqs), (), options)

    def reference_stub(self, index: int) -> Request:
        """A request that failed, reduced to its id and the volunteers it names."""
        kw = self.request_fields.get(index, {})
        path: j.Path = ("requests", index)
        named = {k: kw[k] for k in ("preferred_volunteers", "excluded_volunteers") if k in kw}
        if len(named) == 2 and set(named["preferred_volunteers"]) & set(
            named["excluded_volunteers"]
        ):
            named = {}  # that conflict is reported already
        return Request(_placeholder_id(kw, path), Location(0, 0), 1, **named)

    # -- items ------------------------------------------------------------------

    def volunteer(self, value: Any, path: j.Path) -> _PendingVolunteer:
        errs = self.errors
        before = len(errs.errors)
        pending = _PendingVolunteer({}, path)
        kw = pending.fields
        try:
            obj = j.read_object(value, path, _VOLUNTEER, errs)
        except ProblemError as err:
            errs.add(err)
            pending.ok = False
            return pending
        with errs.catching():
            kw["id"] = j.read_string(j.require(obj, "id", path), (*path, "id"), j.MAX_ID_CHARS)
        with errs.catching():
            kw["location"] = self.location(j.require(obj, "location", path), (*path, "location"))
        for name in ("skills", "languages"):
            if name in obj:
                with errs.catching():
                    kw[name] = j.read_strings(obj[name], (*path, name))
        if "excluded_clients" in obj:
            with errs.catching():
                kw["excluded_clients"] = j.read_strings(
                    obj["excluded_clients"], (*path, "excluded_clients"), j.MAX_ID_CHARS
                )
        if "travel_mode" in obj:
            with errs.catching():
                mode = j.read_string(obj["travel_mode"], (*path, "travel_mode"))
                if mode not in TravelMode._value2member_map_:
                    raise ProblemError((*path, "travel_mode"), f"must be one of {_MODES}")
                kw["travel_mode"] = TravelMode(mode)
        if "max_distance_km" in obj:
            with errs.catching():
                kw["max_distance_km"] = j.read_number(
                    obj["max_distance_km"], (*path, "max_distance_km")
                )
        if "availability" in obj:
            self.availability(obj["availability"], (*path, "availability"), pending)
        if "unavailable" in obj:
            upath = (*path, "unavailable")
            with errs.catching():
                items = j.read_list(obj["unavailable"], upath)
                for i, w in enumerate(items):
                    with errs.catching():
                        pending.unavailable.append(self.window(w, (*upath, i)))
        for name in ("max_tasks", "max_minutes", "max_tasks_per_day", "max_minutes_per_day"):
            if name in obj and obj[name] is not None:
                with errs.catching():
                    kw[name] = j.read_integer(obj[name], (*path, name))
        if "credentials" in obj:
            cpath = (*path, "credentials")
            with errs.catching():
                items = j.read_list(obj["credentials"], cpath)
                kw["credentials"] = []
                for i, item in enumerate(items):
                    with errs.catching():
                        kw["credentials"].append(self.credential(item, (*cpath, i)))
        pending.failed = [e.path for e in errs.errors[before:]]
        pending.ok = not pending.failed
        return pending

    def availability(self, value: Any, path: j.Path, pending: _PendingVolunteer) -> None:
        errs = self.errors
        try:
            items = j.read_list(value, path)
        except ProblemError as err:
            errs.add(err)
            return
        pending.windows = []
        for i, item in enumerate(items):
            ipath = (*path, i)
            with errs.catching():
                if isinstance(item, dict) and ("weekly" in item or "rrule" in item):
                    pending.recurring.append((self.recurring(item, ipath), ipath))
                else:
                    pending.windows.append(self.window(item, ipath))

    def recurring(self, item: dict[str, Any], path: j.Path) -> Recurring:
        if self.zone is None:
            raise ProblemError(
                path, "is recurring and needs options.timezone (e.g. Europe/Brussels)"
            )
        weekly = "weekly" in item
        obj = j.read_object(item, path, _WEEKLY_ENTRY if weekly else _RRULE_ENTRY)
        errs = ErrorCollector()
        rule = ""
        times = obj
        tpath = path
        if weekly:
            tpath = (*path, "weekly")
            times = j.read_object(obj["weekly"], tpath, _WEEKLY)
            with errs.catching():
                days = j.read_strings(j.require(times, "days", tpath), (*tpath, "days"))
                rule = weekly_rule(list(days), (*tpath, "days"))
        else:
            with errs.catching():
                text = j.read_string(obj["rrule"], (*path, "rrule"), MAX_RULE_CHARS)
                rule = check_rule(text, (*path, "rrule"))
        clock = {}
        for name in ("start", "end"):
            with errs.catching():
                npath = (*tpath, name)
                clock[name] = read_clock(j.read_string(j.require(times, name, tpath), npath), npath)
        bounds: dict[str, date] = {}
        for name in ("from", "until"):
            if name in obj:
                with errs.catching():
                    npath = (*path, name)
                    bounds[name] = read_date(j.read_string(obj[name], npath), npath)
        errs.raise_if_any()
        if clock["end"] <= clock["start"]:
            raise ProblemError(
                (*tpath, "end"), "must be later than start (split a night into two entries)"
            )
        if "from" in bounds and "until" in bounds and bounds["until"] < bounds["from"]:
            raise ProblemError((*path, "until"), "must not be before from")
        return Recurring(
            rule, clock["start"], clock["end"], bounds.get("from"), bounds.get("until")
        )

    def build_volunteer(
        self, pending: _PendingVolunteer, horizon: TimeWindow | None
    ) -> Volunteer | None:
        windows = pending.windows
        if pending.recurring and windows is not None:
            for rule, rpath in pending.recurring:
                if horizon is None:
                    self.errors.add(
                        ProblemError(
                            rpath,
                            "is recurring but there is no planning horizon: set "
                            "options.horizon, or give the requests windows",
                        )
                    )
                    pending.ok = False
                    continue
                assert self.zone is not None
                with self.errors.catching():
                    windows.extend(expand(rule, self.zone, horizon, rpath))
        if not pending.ok:
            defaults = {
                "id": _placeholder_id(pending.fields, pending.path),
                "location": Location(0, 0),
            }
            self.partial(Volunteer, {**defaults, **pending.fields}, pending.path, pending.failed)
            return None
        availability: tuple[TimeWindow, ...] | None = None
        if windows is not None:
            availability = merge_windows(windows)
        if pending.unavailable:
            if availability is None and horizon is not None:
                availability = (horizon,)  # any time, within the horizon
            if availability is not None:
                availability = subtract(availability, pending.unavailable)
        with self.errors.catching(*pending.path):
            return Volunteer(**pending.fields, availability=availability)
        return None

    def request(self, value: Any, path: j.Path) -> Request | None:
        errs = self.errors
        before = len(errs.errors)
        try:
            obj = j.read_object(value, path, _REQUEST, errs)
        except ProblemError as err:
            errs.add(err)
            return None
        kw: dict[str, Any] = {}
        with errs.catching():
            kw["id"] = j.read_string(j.require(obj, "id", path), (*path, "id"), j.MAX_ID_CHARS)
        with errs.catching():
            kw["location"] = self.location(j.require(obj, "location", path), (*path, "location"))
        with errs.catching():
            kw["duration_minutes"] = j.read_integer(
                j.require(obj, "duration_minutes", path), (*path, "duration_minutes")
            )
        if "client_id" in obj:
            with errs.catching():
                kw["client_id"] = j.read_string(
                    obj["client_id"], (*path, "client_id"), j.MAX_ID_CHARS
                )
        for name in ("skills", "languages"):
            if name in obj:
                with errs.catching():
                    kw[name] = j.read_strings(obj[name], (*path, name))
        for name in ("preferred_volunteers", "excluded_volunteers"):
            if name in obj:
                with errs.catching():
                    kw[name] = j.read_strings(obj[name], (*path, name), j.MAX_ID_CHARS)
        if "credentials" in obj:
            with errs.catching():
                kw["credentials"] = j.read_strings(obj["credentials"], (*path, "credentials"))
        if "window" in obj and obj["window"] is not None:
            with errs.catching():
                kw["window"] = self.window(obj["window"], (*path, "window"))
        if obj.get("destination") is not None:
            with errs.catching():
                kw["destination"] = self.location(obj["destination"], (*path, "destination"))
        if "volunteers_needed" in obj:
            with errs.catching():
                kw["volunteers_needed"] = j.read_integer(
                    obj["volunteers_needed"], (*path, "volunteers_needed")
                )
        if "priority" in obj:
            with errs.catching():
                kw["priority"] = j.read_number(obj["priority"], (*path, "priority"))
        self.referral_fields(obj, path, kw)
        if "roles" in obj:
            self.roles(obj, path, kw)
        if obj.get("series") is not None:
            with errs.catching():
                kw["series"] = j.read_string(obj["series"], (*path, "series"), j.MAX_ID_CHARS)
        if obj.get("repeat") is not None:
            with errs.catching():
                if "series" in kw:
                    raise ProblemError((*path, "series"), "is set by repeat; give one of the two")
                rule = read_repeat(obj["repeat"], (*path, "repeat"), self.zone)
                self.repeats[int(path[-1])] = rule
        failed = [e.path for e in errs.errors[before:]]
        if failed:
            defaults = {"id": _placeholder_id(kw, path), "location": Location(0, 0)}
            defaults["duration_minutes"] = 1
            self.partial(Request, {**defaults, **kw}, path, failed)
            self.request_fields[path[-1]] = kw
            return None
        self.request_fields[path[-1]] = kw
        with errs.catching(*path):
            return Request(**kw)
        return None

    def referral_fields(self, obj: Mapping[str, Any], path: j.Path, kw: dict[str, Any]) -> None:
        """A request's fields for referral to professional services (:mod:`matchcore.refer`)."""
        errs = self.errors
        if "themes" in obj:
            with errs.catching():
                kw["themes"] = j.read_strings(obj["themes"], (*path, "themes"))
        if obj.get("municipality") is not None:
            with errs.catching():
                kw["municipality"] = j.read_string(obj["municipality"], (*path, "municipality"))
        if obj.get("age") is not None:
            with errs.catching():
                kw["age"] = j.read_number(obj["age"], (*path, "age"))
        if "refer_only" in obj:
            with errs.catching():
                kw["refer_only"] = j.read_bool(obj["refer_only"], (*path, "refer_only"))

    def roles(self, obj: Mapping[str, Any], path: j.Path, kw: dict[str, Any]) -> None:
        """A team request's ``roles``; ``volunteers_needed``, when given, must be their total."""
        errs = self.errors
        rpath = (*path, "roles")
        try:
            items = j.read_list(obj["roles"], rpath)
        except ProblemError as err:
            errs.add(err)
            return
        if not items:
            errs.add(ProblemError(rpath, "must list at least one role (or be left out)"))
            return
        roles: list[Role] = []
        for i, item in enumerate(items):
            ipath = (*rpath, i)
            with errs.catching():
                role = j.read_object(item, ipath, _ROLE)
                rkw: dict[str, Any] = {}
                role_errs = ErrorCollector()
                for name in ("skills", "languages"):
                    if name in role:
                        with role_errs.catching():
                            rkw[name] = j.read_strings(role[name], (*ipath, name))
                if "count" in role:
                    with role_errs.catching():
                        rkw["count"] = j.read_integer(role["count"], (*ipath, "count"))
                role_errs.raise_if_any()
                with at(*ipath):
                    roles.append(Role(**rkw))
        if len(roles) != len(items):
            return
        kw["roles"] = tuple(roles)
        total = sum(role.count for role in roles)
        if "volunteers_needed" in kw and kw["volunteers_needed"] != total:
            errs.add(
                ProblemError(
                    (*path, "volunteers_needed"),
                    f"must equal the sum of the roles' counts ({total}), or be left out",
                )
            )
            del kw["volunteers_needed"]
        elif "volunteers_needed" not in obj:
            kw["volunteers_needed"] = total

    def partial(self, cls: Any, kw: dict[str, Any], path: j.Path, failed: list[j.Path]) -> Any:
        """An item built from the fields that read, for its other errors and for references.

        Errors at or around a field that already failed are not repeated.
        """
        try:
            return cls(**kw)
        except ProblemError as err:
            for e in err.errors:
                full = (*path, *e.path)
                if not any(full[: len(f)] == f or f[: len(full)] == full for f in failed):
                    self.errors.add(ProblemError(full, e.message))
        return None

    def pin(self, value: Any, path: j.Path) -> PinnedAssignment | None:
        errs = self.errors
        with errs.catching():
            obj = j.read_object(value, path, _PIN)
            pin_errs = ErrorCollector()
            request_id = ids = None
            start = None
            with pin_errs.catching():
                request_id = j.read_string(
                    j.require(obj, "request_id", path), (*path, "request_id"), j.MAX_ID_CHARS
                )
            with pin_errs.catching():
                ids = j.read_strings(
                    j.require(obj, "volunteer_ids", path), (*path, "volunteer_ids"), j.MAX_ID_CHARS
                )
            if obj.get("start") is not None:
                with pin_errs.catching():
                    start = self.datetime(obj["start"], (*path, "start"))
            pin_errs.raise_if_any()
            assert request_id is not None and ids is not None
            with at(*path):
                return PinnedAssignment(request_id, ids, start)
        return None

    # -- values -----------------------------------------------------------------

    def credential(self, value: Any, path: j.Path) -> Credential:
        obj = j.read_object(value, path, _CREDENTIAL)
        errs = ErrorCollector()
        kw: dict[str, Any] = {}
        with errs.catching():
            kw["name"] = j.read_string(j.require(obj, "name", path), (*path, "name"))
        for name, end_of_day in (("valid_from", False), ("valid_until", True)):
            if name in obj or name == "valid_until":
                with errs.catching():
                    text = j.read_string(j.require(obj, name, path), (*path, name))
                    kw[name] = self.day_or_moment(text, (*path, name), end_of_day)
        errs.raise_if_any()
        with at(*path):
            return Credential(**kw)

    def day_or_moment(self, text: str, path: j.Path, end_of_day: bool) -> datetime:
        """A date-time, or a date read as the whole day in the zone (else UTC):
        its first moment for ``valid_from``, the next day's first for ``valid_until``."""
        if len(text.strip()) > 10:
            return self.datetime(text, path)
        day = read_date(text.strip(), path)
        if end_of_day:
            day += timedelta(days=1)
        midnight = datetime(day.year, day.month, day.day)
        if self.zone is None:
            return midnight.replace(tzinfo=UTC)
        return wall_time(midnight, self.zone, lenient=True)

    def location(self, value: Any, path: j.Path) -> Location:
        obj = j.read_object(value, path, _LOCATION)
        try:  # the common case in one go; on an error, read again to collect them all
            lat = j.read_number(j.require(obj, "lat", path), (*path, "lat"))
            lon = j.read_number(j.require(obj, "lon", path), (*path, "lon"))
        except ProblemError:
            pass
        else:
            with at(*path):
                return Location(lat, lon)
        errs = ErrorCollector()
        lat = lon = 0.0
        with errs.catching():
            lat = j.read_number(j.require(obj, "lat", path), (*path, "lat"))
        with errs.catching():
            lon = j.read_number(j.require(obj, "lon", path), (*path, "lon"))
        errs.raise_if_any()
        with at(*path):
            return Location(lat, lon)

    def datetime(self, value: Any, path: j.Path) -> datetime:
        return read_local_datetime(j.read_string(value, path), self.zone, path)

    def window(self, value: Any, path: j.Path) -> TimeWindow:
        obj = j.read_object(value, path, _WINDOW)
        try:  # the common case in one go; on an error, read again to collect them all
            start = self.datetime(j.require(obj, "start", path), (*path, "start"))
            end = self.datetime(j.require(obj, "end", path), (*path, "end"))
        except ProblemError:
            pass
        else:
            with at(*path):
                return TimeWindow(start, end)
        errs = ErrorCollector()
        moments = {}
        for name in ("start", "end"):
            with errs.catching():
                moments[name] = self.datetime(j.require(obj, name, path), (*path, name))
        errs.raise_if_any()
        with at(*path):
            return TimeWindow(moments["start"], moments["end"])

    def horizon(self, options: Options, requests: list[Request | None]) -> TimeWindow | None:
        if options.horizon is not None:
            return options.horizon
        windows = [r.window for r in requests if r is not None and r.window is not None]
        if not windows:
            return None
        return TimeWindow(min(w.start for w in windows), max(w.end for w in windows))

    def options(self, value: Any) -> Options:
        errs = ErrorCollector()
        obj = j.read_object(value, (), _OPTIONS, errs)
        kw: dict[str, Any] = {}
        if "timezone" in obj:
            with errs.catching():
                name = j.read_string(obj["timezone"], ("timezone",))
                self.zone = zone_named(name)
                kw["timezone"] = name
        for name in ("time_limit_seconds", "default_max_distance_km", "referral_max_km"):
            if name in obj:
                with errs.catching():
                    kw[name] = j.read_number(obj[name], (name,))
        for name in ("seed", "workers"):
            if name in obj:
                with errs.catching():
                    kw[name] = j.read_integer(obj[name], (name,))
        if "travel" in obj:
            with errs.catching():
                kw["travel"] = _travel(obj["travel"])
        if "horizon" in obj:
            with errs.catching():
                kw["horizon"] = self.window(obj["horizon"], ("horizon",))
        if "replan" in obj:
            with errs.catching():
                kw["replan"] = j.read_string(obj["replan"], ("replan",))
        if "fairness" in obj:
            with errs.catching():
                kw["fairness"] = j.read_string(obj["fairness"], ("fairness",))
        errs.raise_if_any()
        return Options(**kw)


def read_previous_plan(data: Any, zone: ZoneInfo | None = None) -> tuple[PinnedAssignment, ...]:
    """The assignments of a solution document, as a problem's ``previous_plan``.

    Date-times without an offset are read in ``zone``. Raises a
    :class:`~matchcore.errors.ProblemError` naming the place (under
    ``previous_plan``) when the document is not a solution's shape.
    """
    reader = _Reader()
    reader.zone = zone
    plan = reader.previous_plan(data)
    reader.errors.raise_if_any()
    return plan


def _placeholder_id(fields: dict[str, Any], path: j.Path) -> str:
    """The item's id when it read, else one no document can contain (a NUL and the path)."""
    ident = fields.get("id")
    return ident if isinstance(ident, str) else "\x00" + "/".join(map(str, path))


def _travel(value: Any) -> TravelOptions:
    travel = j.read_object(value, ("travel",), {"speeds_kmh", "detour_factor"})
    errs = ErrorCollector()
    tkw: dict[str, Any] = {}
    if "speeds_kmh" in travel:
        path = ("travel", "speeds_kmh")
        with errs.catching():
            speeds = j.read_object(travel["speeds_kmh"], path, set(TravelMode._value2member_map_))
            read: dict[TravelMode, float] = {}
            for k, v in speeds.items():
                with errs.catching():
                    read[TravelMode(k)] = j.read_number(v, (*path, k))
            tkw["speeds_kmh"] = read
    if "detour_factor" in travel:
        with errs.catching():
            tkw["detour_factor"] = j.read_number(
                travel["detour_factor"], ("travel", "detour_factor")
            )
    errs.raise_if_any()
    with at("travel"):
        return TravelOptions(**tkw)


# -- writing -------------------------------------------------------------------


def _window_dict(w: TimeWindow) -> dict[str, str]:
    return {"start": w.start.isoformat(), "end": w.end.isoformat()}


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The problem as JSON-ready data (format v1); ``from_dict`` reads it back.

    Recurring availability is written as the dated windows it expanded to,
    and skills and languages in the input's spelling.
    """
    out: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "volunteers": [_volunteer_dict(v) for v in problem.volunteers],
        "requests": [_request_dict(r) for r in problem.requests],
    }
    if problem.assignments:
        out["assignments"] = [_pin_dict(p) for p in problem.assignments]
    opt = problem.options
    out["options"] = {
        "time_limit_seconds": opt.time_limit_seconds,
        "default_max_distance_km": opt.default_max_distance_km,
        "travel": {
            "speeds_kmh": {m.value: s for m, s in opt.travel.speeds_kmh.items()},
            "detour_factor": opt.travel.detour_factor,
        },
        "seed": opt.seed,
        "workers": opt.workers,
    }
    if opt.timezone is not None:
        out["options"]["timezone"] = opt.timezone
    if opt.horizon is not None:
        out["options"]["horizon"] = _window_dict(opt.horizon)
    if opt.referral_max_km != Options.referral_max_km:  # existing documents stay as they were
        out["options"]["referral_max_km"] = opt.referral_max_km
    if problem.directory is not None:
        out["directory"] = problem.directory.to_native()
    out.update(groups_to_dict(problem))
    if opt.replan != "optimize":
        out["options"]["replan"] = opt.replan
    if opt.fairness != "none":
        out["options"]["fairness"] = opt.fairness
    if problem.previous_plan is not None:
        out["previous_plan"] = {"assignments": [_pin_dict(p) for p in problem.previous_plan]}
    return out


def _volunteer_dict(v: Volunteer) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": v.id,
        "location": {"lat": v.location.lat, "lon": v.location.lon},
        "skills": sorted(v.as_written(k) for k in v.skills),
        "languages": sorted(v.as_written(k) for k in v.languages),
        "travel_mode": v.travel_mode.value,
    }
    if v.max_distance_km is not None:
        d["max_distance_km"] = v.max_distance_km
    if v.availability is not None:
        d["availability"] = [_window_dict(w) for w in v.availability]
    for name in ("max_tasks", "max_minutes", "max_tasks_per_day", "max_minutes_per_day"):
        if getattr(v, name) is not None:
            d[name] = getattr(v, name)
    if v.excluded_clients:
        d["excluded_clients"] = sorted(v.excluded_clients)
    if v.credentials:
        d["credentials"] = [_credential_dict(c) for c in v.credentials]
    return d


def _credential_dict(c: Credential) -> dict[str, str]:
    d = {"name": c.name, "valid_until": c.valid_until.isoformat()}
    if c.valid_from is not None:
        d["valid_from"] = c.valid_from.isoformat()
    return d


def _request_dict(r: Request) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.id,
        "client_id": r.client_id,
        "location": {"lat": r.location.lat, "lon": r.location.lon},
        "skills": sorted(r.as_written(k) for k in r.skills),
        "languages": sorted(r.as_written(k) for k in r.languages),
        "duration_minutes": r.duration_minutes,
        "volunteers_needed": r.volunteers_needed,
        "priority": r.priority,
    }
    if r.window is not None:
        d["window"] = _window_dict(r.window)
    if r.preferred_volunteers:
        d["preferred_volunteers"] = sorted(r.preferred_volunteers)
    if r.excluded_volunteers:
        d["excluded_volunteers"] = sorted(r.excluded_volunteers)
    if r.themes:
        d["themes"] = sorted(r.themes)
    for name in ("municipality", "age"):
        if getattr(r, name) is not None:
            d[name] = getattr(r, name)
    if r.refer_only:
        d["refer_only"] = True
    if r.credentials:
        d["credentials"] = sorted(r.as_written(k) for k in r.credentials)
    if r.destination is not None:
        d["destination"] = {"lat": r.destination.lat, "lon": r.destination.lon}
    if r.roles:
        d["roles"] = [_role_dict(role) for role in r.roles]
    if r.series is not None:  # an occurrence of a repeating request, written as itself
        d["series"] = r.series
    return d


def _role_dict(role: Role) -> dict[str, Any]:
    d: dict[str, Any] = {"skills": sorted(role.as_written(k) for k in role.skills)}
    if role.languages:
        d["languages"] = sorted(role.as_written(k) for k in role.languages)
    d["count"] = role.count
    return d


def _pin_dict(p: PinnedAssignment) -> dict[str, Any]:
    d: dict[str, Any] = {"request_id": p.request_id, "volunteer_ids": list(p.volunteer_ids)}
    if p.start is not None:
        d["start"] = p.start.isoformat()
    return d


class _JsonCodec:
    """The codec behind ``Problem.from_json``, ``from_dict`` and ``to_dict``."""

    def from_json(self, text: str | bytes) -> Problem:
        return read_problem(text)

    def from_dict(self, data: Any) -> Problem:
        return problem_from_dict(data)

    def to_dict(self, problem: Problem) -> dict[str, Any]:
        return problem_to_dict(problem)


register_codec(_JsonCodec())
