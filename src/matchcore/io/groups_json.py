"""The ``groups`` and ``participants`` of a problem in JSON: read with every error, and written.

A group's ``sessions`` and a participant's ``availability`` use the
availability syntax: dated windows, or ``weekly``/``rrule`` entries expanded
over the planning horizon (:mod:`matchcore.io.recurring`). Errors carry the
same paths as the rest of :mod:`matchcore.io` (``groups[3].sessions[0].end``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from matchcore import _json as j
from matchcore.errors import ProblemError
from matchcore.io.recurring import expand
from matchcore.problem import Group, Participant, Problem, TimeWindow, TravelMode

if TYPE_CHECKING:
    from matchcore.io.problem_json import _Reader

GROUP_FIELDS = {
    "id", "topic", "location", "sessions", "min_participants", "max_participants",
    "facilitators_needed", "facilitator_skills", "facilitator_credentials", "languages",
    "priority",
}  # fmt: skip
PARTICIPANT_FIELDS = {
    "id", "location", "topics", "languages", "max_distance_km", "travel_mode",
    "availability", "max_groups", "excluded_groups",
}  # fmt: skip
_MODES = ", ".join(m.value for m in TravelMode)


def read_groups(
    reader: _Reader, top: Mapping[str, Any], horizon: TimeWindow | None
) -> tuple[tuple[Group, ...], tuple[Participant, ...]]:
    """The groups and participants of document ``top``; errors go to ``reader.errors``."""
    errs = reader.errors
    groups: list[Group] = []
    people: list[Participant] = []
    for name, read, out in (
        ("groups", _group, groups),
        ("participants", _participant, people),
    ):
        if name not in top:
            continue
        items: list[Any] = []
        with errs.catching():
            items = j.read_list(top[name], (name,))
        for i, item in enumerate(items):
            with errs.catching():
                built = read(reader, item, (name, i), horizon)
                if built is not None:
                    out.append(built)  # type: ignore[arg-type]
    return tuple(groups), tuple(people)


def _windows(
    reader: _Reader, value: Any, path: j.Path, horizon: TimeWindow | None
) -> list[TimeWindow]:
    """Dated windows, and recurring entries expanded over ``horizon``; every error collected."""
    errs = reader.errors
    before = len(errs.errors)
    items = j.read_list(value, path)
    out: list[TimeWindow] = []
    for i, item in enumerate(items):
        ipath = (*path, i)
        with errs.catching():
            if isinstance(item, dict) and ("weekly" in item or "rrule" in item):
                rule = reader.recurring(item, ipath)
                if horizon is None:
                    raise ProblemError(
                        ipath,
                        "is recurring but there is no planning horizon: set options.horizon, "
                        "or give the requests windows",
                    )
                assert reader.zone is not None
                out.extend(expand(rule, reader.zone, horizon, ipath))
            else:
                out.append(reader.window(item, ipath))
    del before  # the caller compares error counts: a failed entry is collected, not raised
    return out


def _common(reader: _Reader, obj: Mapping[str, Any], path: j.Path, kw: dict[str, Any]) -> None:
    errs = reader.errors
    with errs.catching():
        kw["id"] = j.read_string(j.require(obj, "id", path), (*path, "id"), j.MAX_ID_CHARS)
    with errs.catching():
        kw["location"] = reader.location(j.require(obj, "location", path), (*path, "location"))
    if "languages" in obj:
        with errs.catching():
            kw["languages"] = j.read_strings(obj["languages"], (*path, "languages"))


def _group(reader: _Reader, value: Any, path: j.Path, horizon: TimeWindow | None) -> Group | None:
    errs = reader.errors
    before = len(errs.errors)
    obj = j.read_object(value, path, GROUP_FIELDS, errs)
    kw: dict[str, Any] = {}
    _common(reader, obj, path, kw)
    with errs.catching():
        kw["topic"] = j.read_string(j.require(obj, "topic", path), (*path, "topic"))
    with errs.catching():
        kw["sessions"] = tuple(
            _windows(reader, j.require(obj, "sessions", path), (*path, "sessions"), horizon)
        )
    for name in ("min_participants", "max_participants", "facilitators_needed"):
        if name in obj or name == "max_participants":
            with errs.catching():
                kw[name] = j.read_integer(j.require(obj, name, path), (*path, name))
    for name in ("facilitator_skills", "facilitator_credentials"):
        if name in obj:
            with errs.catching():
                kw[name] = j.read_strings(obj[name], (*path, name))
    if "priority" in obj:
        with errs.catching():
            kw["priority"] = j.read_number(obj["priority"], (*path, "priority"))
    if len(errs.errors) > before:
        return None
    with errs.catching(*path):
        return Group(**kw)
    return None


def _participant(
    reader: _Reader, value: Any, path: j.Path, horizon: TimeWindow | None
) -> Participant | None:
    errs = reader.errors
    before = len(errs.errors)
    obj = j.read_object(value, path, PARTICIPANT_FIELDS, errs)
    kw: dict[str, Any] = {}
    _common(reader, obj, path, kw)
    with errs.catching():
        kw["topics"] = j.read_strings(j.require(obj, "topics", path), (*path, "topics"))
    if "excluded_groups" in obj:
        with errs.catching():
            kw["excluded_groups"] = j.read_strings(
                obj["excluded_groups"], (*path, "excluded_groups"), j.MAX_ID_CHARS
            )
    if "max_distance_km" in obj:
        with errs.catching():
            kw["max_distance_km"] = j.read_number(
                obj["max_distance_km"], (*path, "max_distance_km")
            )
    if "max_groups" in obj:
        with errs.catching():
            kw["max_groups"] = j.read_integer(obj["max_groups"], (*path, "max_groups"))
    if "travel_mode" in obj:
        with errs.catching():
            mode = j.read_string(obj["travel_mode"], (*path, "travel_mode"))
            if mode not in TravelMode._value2member_map_:
                raise ProblemError((*path, "travel_mode"), f"must be one of {_MODES}")
            kw["travel_mode"] = TravelMode(mode)
    if "availability" in obj:
        with errs.catching():
            kw["availability"] = tuple(
                _windows(reader, obj["availability"], (*path, "availability"), horizon)
            )
    if len(errs.errors) > before:
        return None
    with errs.catching(*path):
        return Participant(**kw)
    return None


def _window_dict(w: TimeWindow) -> dict[str, str]:
    return {"start": w.start.isoformat(), "end": w.end.isoformat()}


def groups_to_dict(problem: Problem) -> dict[str, Any]:
    """``groups`` and ``participants`` as JSON-ready data (sessions as dated windows)."""
    out: dict[str, Any] = {}
    if problem.groups:
        out["groups"] = [
            {
                "id": g.id,
                "topic": g.as_written(g.topic),
                "location": {"lat": g.location.lat, "lon": g.location.lon},
                "sessions": [_window_dict(w) for w in g.sessions],
                "min_participants": g.min_participants,
                "max_participants": g.max_participants,
                "facilitators_needed": g.facilitators_needed,
                "facilitator_skills": sorted(g.as_written(k) for k in g.facilitator_skills),
                "facilitator_credentials": sorted(
                    g.as_written(k) for k in g.facilitator_credentials
                ),
                "languages": sorted(g.as_written(k) for k in g.languages),
                "priority": g.priority,
            }
            for g in problem.groups
        ]
    if problem.participants:
        out["participants"] = [_participant_dict(p) for p in problem.participants]
    return out


def _participant_dict(p: Participant) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": p.id,
        "location": {"lat": p.location.lat, "lon": p.location.lon},
        "topics": [p.spelling.get(t, t) for t in p.topics],
        "languages": sorted(p.spelling.get(k, k) for k in p.languages),
        "travel_mode": p.travel_mode.value,
        "max_groups": p.max_groups,
    }
    if p.max_distance_km is not None:
        d["max_distance_km"] = p.max_distance_km
    if p.availability is not None:
        d["availability"] = [_window_dict(w) for w in p.availability]
    if p.excluded_groups:
        d["excluded_groups"] = sorted(p.excluded_groups)
    return d
