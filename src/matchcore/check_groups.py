"""Independent check of the groups of a plan (issue 10), beside :mod:`matchcore.check`.

Like the task checker it uses none of the solver's code and no numpy: it
walks the solution's ``groups`` and tests every group rule directly, with
``geopy.distance.great_circle`` for distances:

- an open group has between ``min_participants`` and ``max_participants``
  distinct known participants and exactly ``facilitators_needed`` distinct
  known facilitators; a group is listed once;
- a facilitator has every facilitator skill and credential (credentials are
  read from the volunteer's skills, and from ``credentials`` when volunteers
  carry them), lives within their range, and each session with travel from
  home and back lies inside one of their availability windows;
- a facilitator's session blocks overlap none of their task blocks or other
  session blocks; each group counts one task towards ``max_tasks`` and its
  sessions with travel towards ``max_minutes``, together with their tasks;
- a participant asked for the group's topic, did not exclude it, shares a
  language when the group lists any, lives within their range, is available
  for every session, is in at most ``max_groups`` groups, none at the same time;
- ``unplaced`` names exactly the participants in no group, ``closed_groups``
  exactly the groups not open (when the document has them).

Rule codes beside the task checker's: ``unknown_group``, ``duplicate_group``,
``duplicate_member``, ``unknown_participant``, ``group_size``,
``facilitator_count``, ``topic``, ``max_groups``, ``unplaced_mismatch``,
``closed_mismatch`` (and ``skills``, ``languages``, ``excluded``,
``out_of_range``, ``not_available``, ``overlap``, ``max_tasks``,
``max_minutes``, ``unknown_volunteer`` as for tasks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from geopy.distance import great_circle

from matchcore import _json as j
from matchcore.errors import PathSegment
from matchcore.problem import Group, Location, Problem, TimeWindow, Volunteer

Add = Any  # the task checker's ``add(path, rule, message)``
Span = tuple[datetime, datetime]


def _km(a: Location, b: Location) -> float:
    return float(great_circle((a.lat, a.lon), (b.lat, b.lon)).km)


def _inside(span: Span, windows: tuple[TimeWindow, ...] | None) -> bool:
    return windows is None or any(w.start <= span[0] and span[1] <= w.end for w in windows)


def _credentials(vol: Volunteer) -> frozenset[str]:
    extra = getattr(vol, "credentials", None) or ()
    return vol.skills | frozenset(
        c if isinstance(c, str) else getattr(c, "name", "") for c in extra
    )


def read_open_groups(doc: Mapping[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    """The ``groups`` of a solution document as (group id, participants, facilitators)."""
    items = j.read_list(doc.get("groups") or [], ("groups",))
    out = []
    for i, item in enumerate(items):
        path: j.Path = ("groups", i)
        obj = j.read_object(item, path, {"group_id", "participants", "facilitators"})
        gid = j.read_string(j.require(obj, "group_id", path), (*path, "group_id"))
        people = j.read_strings(obj.get("participants", []), (*path, "participants"))
        leaders = j.read_strings(obj.get("facilitators", []), (*path, "facilitators"))
        out.append((gid, list(people), list(leaders)))
    return out


def check_groups(
    problem: Problem,
    doc: Mapping[str, Any],
    add: Add,
    task_blocks: Mapping[str, list[Span]],
    task_load: Mapping[str, tuple[int, int]],
) -> None:
    """Report every broken group rule of ``doc`` through ``add``.

    ``task_blocks`` and ``task_load`` are each volunteer's task blocks and
    (tasks, minutes), as the task checker found them.
    """
    if not problem.groups and "groups" not in doc:
        return
    groups = {g.id: (i, g) for i, g in enumerate(problem.groups)}
    people = {p.id: p for p in problem.participants}
    vols = problem.volunteer_index
    opened = read_open_groups(doc)
    seen: set[str] = set()
    sessions_of: dict[str, list[tuple[str, int, Span]]] = {}  # volunteer -> (group, index, block)
    member_of: dict[str, list[tuple[str, int]]] = {}
    for i, (gid, members, leaders) in enumerate(opened):
        path: tuple[PathSegment, ...] = ("groups", i)
        if gid not in groups:
            add((*path, "group_id"), "unknown_group", f"group {gid} is not in the problem")
            continue
        if gid in seen:
            add((*path, "group_id"), "duplicate_group", f"group {gid} is listed twice")
            continue
        seen.add(gid)
        group = groups[gid][1]
        _size(group, members, leaders, path, add)
        for k, vid in enumerate(dict.fromkeys(leaders)):
            if vid not in vols:
                add((*path, "facilitators", k), "unknown_volunteer", f"volunteer {vid} is unknown")
                continue
            vol = problem.volunteers[vols[vid]]
            for block in _facilitator(problem, group, vol, (*path, "facilitators", k), add):
                sessions_of.setdefault(vid, []).append((gid, i, block))
        for k, pid in enumerate(dict.fromkeys(members)):
            if pid not in people:
                add(
                    (*path, "participants", k),
                    "unknown_participant",
                    f"participant {pid} is unknown",
                )
                continue
            _participant(problem, group, people[pid], (*path, "participants", k), add)
            member_of.setdefault(pid, []).append((gid, i))
    _facilitator_time(problem, sessions_of, task_blocks, task_load, add)
    _participant_time(problem, member_of, groups, add)
    _lists(problem, doc, seen, member_of, add)


def _size(group: Group, members: list[str], leaders: list[str], path: Any, add: Add) -> None:
    if len(set(members)) != len(members) or len(set(leaders)) != len(leaders):
        add(path, "duplicate_member", f"group {group.id} names someone twice")
    n = len(set(members))
    if not group.min_participants <= n <= group.max_participants:
        add(
            (*path, "participants"),
            "group_size",
            f"group {group.id} has {n} participants; it needs "
            f"{group.min_participants} to {group.max_participants}",
        )
    if len(set(leaders)) != group.facilitators_needed:
        add(
            (*path, "facilitators"),
            "facilitator_count",
            f"group {group.id} has {len(set(leaders))} facilitators; it needs "
            f"exactly {group.facilitators_needed}",
        )


def _facilitator(problem: Problem, group: Group, vol: Volunteer, slot: Any, add: Add) -> list[Span]:
    who = f"volunteer {vol.id}"
    if not (group.facilitator_skills | group.facilitator_credentials) <= _credentials(vol):
        add(slot, "skills", f"{who} lacks a facilitator skill or credential of group {group.id}")
    km = _km(vol.location, group.location)
    if km > problem.max_distance_km(vol) + 1e-9:
        add(
            slot, "out_of_range", f"group {group.id} is {km:.3f} km away, beyond the range of {who}"
        )
    travel = problem.options.travel
    minutes = math.ceil(km * travel.detour_factor / travel.speeds_kmh[vol.travel_mode] * 60 - 1e-9)
    away = timedelta(minutes=minutes)
    blocks = [(w.start - away, w.end + away) for w in group.sessions]
    if any(not _inside(b, vol.availability) for b in blocks):
        add(slot, "not_available", f"{who} is not available for every session of group {group.id}")
    return blocks


def _participant(problem: Problem, group: Group, person: Any, slot: Any, add: Add) -> None:
    who = f"participant {person.id}"
    if group.topic not in person.topics:
        add(slot, "topic", f"{who} did not ask for the topic of group {group.id}")
    if group.id in person.excluded_groups:
        add(slot, "excluded", f"{who} excludes group {group.id}")
    if group.languages and not group.languages & person.languages:
        add(slot, "languages", f"{who} shares no language of group {group.id}")
    reach = person.max_distance_km or problem.options.default_max_distance_km
    km = _km(person.location, group.location)
    if km > reach + 1e-9:
        add(
            slot, "out_of_range", f"group {group.id} is {km:.3f} km away, beyond the range of {who}"
        )
    if any(not _inside((w.start, w.end), person.availability) for w in group.sessions):
        add(slot, "not_available", f"{who} is not available for every session of group {group.id}")


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _facilitator_time(
    problem: Problem,
    sessions_of: Mapping[str, list[tuple[str, int, Span]]],
    task_blocks: Mapping[str, list[Span]],
    task_load: Mapping[str, tuple[int, int]],
    add: Add,
) -> None:
    for vid, mine in sessions_of.items():
        vol = problem.volunteers[problem.volunteer_index[vid]]
        for n, (gid, i, block) in enumerate(mine):
            path = ("groups", i, "facilitators")
            if any(_overlap(block, t) for t in task_blocks.get(vid, [])):
                add(path, "overlap", f"volunteer {vid} has a task during a session of group {gid}")
            if any(_overlap(block, other) and g2 != gid for g2, _, other in mine[n + 1 :]):
                add(path, "overlap", f"volunteer {vid} leads two groups at once (group {gid})")
        tasks, minutes = task_load.get(vid, (0, 0))
        tasks += len({gid for gid, _, _ in mine})
        minutes += sum(int((b[1] - b[0]).total_seconds() // 60) for _, _, b in mine)
        if vol.max_tasks is not None and tasks > vol.max_tasks:
            add(
                ("groups",),
                "max_tasks",
                f"volunteer {vid} has {tasks} tasks and groups; max_tasks is {vol.max_tasks}",
            )
        if vol.max_minutes is not None and minutes > vol.max_minutes:
            add(
                ("groups",),
                "max_minutes",
                f"volunteer {vid} has {minutes} minutes; max_minutes is {vol.max_minutes}",
            )


def _participant_time(
    problem: Problem,
    member_of: Mapping[str, list[tuple[str, int]]],
    groups: Mapping[str, tuple[int, Group]],
    add: Add,
) -> None:
    people = {p.id: p for p in problem.participants}
    for pid, mine in member_of.items():
        most = people[pid].max_groups
        if len(mine) > most:
            add(
                ("groups",),
                "max_groups",
                f"participant {pid} is in {len(mine)} groups; max_groups is {most}",
            )
        for n, (gid, i) in enumerate(mine):
            for other, _ in mine[n + 1 :]:
                if any(
                    _overlap((a.start, a.end), (b.start, b.end))
                    for a in groups[gid][1].sessions
                    for b in groups[other][1].sessions
                ):
                    add(
                        ("groups", i, "participants"),
                        "overlap",
                        f"participant {pid} is in groups {gid} and {other} at once",
                    )


def _lists(
    problem: Problem,
    doc: Mapping[str, Any],
    opened: set[str],
    member_of: Mapping[str, list[tuple[str, int]]],
    add: Add,
) -> None:
    if doc.get("unplaced") is not None:
        items = j.read_list(doc["unplaced"], ("unplaced",))
        named = set()
        for i, item in enumerate(items):
            obj = j.read_object(item, ("unplaced", i), {"participant_id", "reason", "detail"})
            named.add(
                j.read_string(
                    j.require(obj, "participant_id", ("unplaced", i)),
                    ("unplaced", i, "participant_id"),
                )
            )
        expected = {p.id for p in problem.participants if p.id not in member_of}
        if named != expected:
            add(
                ("unplaced",),
                "unplaced_mismatch",
                f"unplaced names {len(named)} participants; {len(expected)} are in no group",
            )
    if doc.get("closed_groups") is not None:
        items = j.read_list(doc["closed_groups"], ("closed_groups",))
        named = set()
        for i, item in enumerate(items):
            obj = j.read_object(item, ("closed_groups", i), {"group_id", "reason", "detail"})
            named.add(
                j.read_string(
                    j.require(obj, "group_id", ("closed_groups", i)),
                    ("closed_groups", i, "group_id"),
                )
            )
        expected = {g.id for g in problem.groups if g.id not in opened}
        if named != expected:
            add(
                ("closed_groups",),
                "closed_mismatch",
                f"closed_groups names {len(named)} groups; {len(expected)} are not open",
            )


__all__ = ["check_groups", "read_open_groups"]
