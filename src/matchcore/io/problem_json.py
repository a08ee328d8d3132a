"""The problem in JSON (format v1): parse with paths in errors, and write back."""

from __future__ import annotations

from typing import Any

from matchcore import _json as j
from matchcore.errors import ProblemError, at
from matchcore.problem import (
    FORMAT_VERSION,
    Location,
    Options,
    PinnedAssignment,
    Problem,
    Request,
    TimeWindow,
    TravelMode,
    TravelOptions,
    Volunteer,
)

_TOP = {"version", "volunteers", "requests", "assignments", "options", "directory"}
_VOLUNTEER = {
    "id", "location", "skills", "languages", "travel_mode", "max_distance_km",
    "availability", "max_tasks", "max_minutes", "excluded_clients",
}  # fmt: skip
_REQUEST = {
    "id", "client_id", "location", "skills", "languages", "duration_minutes", "window",
    "volunteers_needed", "priority", "preferred_volunteers", "excluded_volunteers",
    "themes", "municipality", "age", "refer_only",
}  # fmt: skip
_PIN = {"request_id", "volunteer_ids", "start"}
_OPTIONS = {
    "time_limit_seconds", "default_max_distance_km", "travel", "seed", "workers",
    "referral_max_km",
}  # fmt: skip
_MODES = ", ".join(m.value for m in TravelMode)


def problem_from_dict(data: Any) -> Problem:
    """Validate parsed JSON as a v1 problem."""
    top = j.read_object(data, (), _TOP)
    if "version" in top and j.read_integer(top["version"], ("version",)) != FORMAT_VERSION:
        raise ProblemError(("version",), f"must be {FORMAT_VERSION}; this is format v1")
    vols = j.read_list(j.require(top, "volunteers", ()), ("volunteers",))
    reqs = j.read_list(j.require(top, "requests", ()), ("requests",))
    pins = j.read_list(top.get("assignments", []), ("assignments",))
    with at("options"):
        options = _options(top.get("options", {}))
    volunteers = tuple(_volunteer(v, ("volunteers", i)) for i, v in enumerate(vols))
    requests = tuple(_request(r, ("requests", i)) for i, r in enumerate(reqs))
    pinned = tuple(_pin(p, ("assignments", i)) for i, p in enumerate(pins))
    directory = None
    if top.get("directory") is not None:
        from matchcore.refer.directory import read_directory

        directory = read_directory(top["directory"], ("directory",))
    return Problem(volunteers, requests, pinned, options, directory)


def _location(value: Any, path: j.Path) -> Location:
    obj = j.read_object(value, path, {"lat", "lon"})
    lat = j.read_number(j.require(obj, "lat", path), (*path, "lat"))
    lon = j.read_number(j.require(obj, "lon", path), (*path, "lon"))
    with at(*path):
        return Location(lat, lon)


def _window(value: Any, path: j.Path) -> TimeWindow:
    obj = j.read_object(value, path, {"start", "end"})
    start = j.read_datetime(j.require(obj, "start", path), (*path, "start"))
    end = j.read_datetime(j.require(obj, "end", path), (*path, "end"))
    with at(*path):
        return TimeWindow(start, end)


def _volunteer(value: Any, path: j.Path) -> Volunteer:
    obj = j.read_object(value, path, _VOLUNTEER)
    kw: dict[str, Any] = {
        "id": j.read_string(j.require(obj, "id", path), (*path, "id")),
        "location": _location(j.require(obj, "location", path), (*path, "location")),
    }
    for name in ("skills", "languages", "excluded_clients"):
        if name in obj:
            kw[name] = j.read_strings(obj[name], (*path, name))
    if "travel_mode" in obj:
        mode = j.read_string(obj["travel_mode"], (*path, "travel_mode"))
        if mode not in TravelMode._value2member_map_:
            raise ProblemError((*path, "travel_mode"), f"must be one of {_MODES}")
        kw["travel_mode"] = TravelMode(mode)
    if "max_distance_km" in obj:
        kw["max_distance_km"] = j.read_number(obj["max_distance_km"], (*path, "max_distance_km"))
    if "availability" in obj:
        apath = (*path, "availability")
        items = j.read_list(obj["availability"], apath)
        kw["availability"] = tuple(_window(w, (*apath, i)) for i, w in enumerate(items))
    for name in ("max_tasks", "max_minutes"):
        if name in obj and obj[name] is not None:
            kw[name] = j.read_integer(obj[name], (*path, name))
    with at(*path):
        return Volunteer(**kw)


def _request(value: Any, path: j.Path) -> Request:
    obj = j.read_object(value, path, _REQUEST)
    kw: dict[str, Any] = {
        "id": j.read_string(j.require(obj, "id", path), (*path, "id")),
        "location": _location(j.require(obj, "location", path), (*path, "location")),
        "duration_minutes": j.read_integer(
            j.require(obj, "duration_minutes", path), (*path, "duration_minutes")
        ),
    }
    if "client_id" in obj:
        kw["client_id"] = j.read_string(obj["client_id"], (*path, "client_id"))
    for name in ("skills", "languages", "preferred_volunteers", "excluded_volunteers", "themes"):
        if name in obj:
            kw[name] = j.read_strings(obj[name], (*path, name))
    if obj.get("municipality") is not None:
        kw["municipality"] = j.read_string(obj["municipality"], (*path, "municipality"))
    if obj.get("age") is not None:
        kw["age"] = j.read_number(obj["age"], (*path, "age"))
    if "refer_only" in obj:
        kw["refer_only"] = j.read_bool(obj["refer_only"], (*path, "refer_only"))
    if "window" in obj and obj["window"] is not None:
        kw["window"] = _window(obj["window"], (*path, "window"))
    if "volunteers_needed" in obj:
        kw["volunteers_needed"] = j.read_integer(
            obj["volunteers_needed"], (*path, "volunteers_needed")
        )
    if "priority" in obj:
        kw["priority"] = j.read_number(obj["priority"], (*path, "priority"))
    with at(*path):
        return Request(**kw)


def _pin(value: Any, path: j.Path) -> PinnedAssignment:
    obj = j.read_object(value, path, _PIN)
    request_id = j.read_string(j.require(obj, "request_id", path), (*path, "request_id"))
    ids = j.read_strings(j.require(obj, "volunteer_ids", path), (*path, "volunteer_ids"))
    start = None
    if obj.get("start") is not None:
        start = j.read_datetime(obj["start"], (*path, "start"))
    with at(*path):
        return PinnedAssignment(request_id, ids, start)


def _options(value: Any) -> Options:
    obj = j.read_object(value, (), _OPTIONS)
    kw: dict[str, Any] = {}
    for name in ("time_limit_seconds", "default_max_distance_km", "referral_max_km"):
        if name in obj:
            kw[name] = j.read_number(obj[name], (name,))
    for name in ("seed", "workers"):
        if name in obj:
            kw[name] = j.read_integer(obj[name], (name,))
    if "travel" in obj:
        travel = j.read_object(obj["travel"], ("travel",), {"speeds_kmh", "detour_factor"})
        tkw: dict[str, Any] = {}
        if "speeds_kmh" in travel:
            path = ("travel", "speeds_kmh")
            speeds = j.read_object(travel["speeds_kmh"], path, set(TravelMode._value2member_map_))
            tkw["speeds_kmh"] = {
                TravelMode(k): j.read_number(v, (*path, k)) for k, v in speeds.items()
            }
        if "detour_factor" in travel:
            tkw["detour_factor"] = j.read_number(
                travel["detour_factor"], ("travel", "detour_factor")
            )
        with at("travel"):
            kw["travel"] = TravelOptions(**tkw)
    return Options(**kw)


# -- writing -------------------------------------------------------------------


def _window_dict(w: TimeWindow) -> dict[str, str]:
    return {"start": w.start.isoformat(), "end": w.end.isoformat()}


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The problem as JSON-ready data (format v1); ``from_dict`` reads it back."""
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
    if opt.referral_max_km != Options.referral_max_km:  # existing documents stay as they were
        out["options"]["referral_max_km"] = opt.referral_max_km
    if problem.directory is not None:
        out["directory"] = problem.directory.to_native()
    return out


def _volunteer_dict(v: Volunteer) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": v.id,
        "location": {"lat": v.location.lat, "lon": v.location.lon},
        "skills": sorted(v.skills),
        "languages": sorted(v.languages),
        "travel_mode": v.travel_mode.value,
    }
    if v.max_distance_km is not None:
        d["max_distance_km"] = v.max_distance_km
    if v.availability is not None:
        d["availability"] = [_window_dict(w) for w in v.availability]
    for name in ("max_tasks", "max_minutes"):
        if getattr(v, name) is not None:
            d[name] = getattr(v, name)
    if v.excluded_clients:
        d["excluded_clients"] = sorted(v.excluded_clients)
    return d


def _request_dict(r: Request) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.id,
        "client_id": r.client_id,
        "location": {"lat": r.location.lat, "lon": r.location.lon},
        "skills": sorted(r.skills),
        "languages": sorted(r.languages),
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
    return d


def _pin_dict(p: PinnedAssignment) -> dict[str, Any]:
    d: dict[str, Any] = {"request_id": p.request_id, "volunteer_ids": list(p.volunteer_ids)}
    if p.start is not None:
        d["start"] = p.start.isoformat()
    return d
