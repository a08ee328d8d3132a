"""The groups' plan explained: open groups, unplaced participants, closed groups, proposals.

Reasons are truthful by construction:

* an unplaced participant's reason is the first stage of their funnel
  (:mod:`matchcore.groups.candidates`) that leaves no group; when groups pass
  every stage, ``capacity`` if one of them is open (it is full, or its
  sessions clash with their other groups: else the optimum would place
  them), else ``group_not_opened``;
* a closed group is, first by what holds whatever the plan: ``no_facilitators``
  when fewer trained facilitators in range are available for every session
  than it needs, else ``too_few_participants`` when fewer participants could
  come (on topic, in range, available) than its minimum; then by what the
  plan's other choices leave: ``no_facilitators`` when fewer of those
  facilitators are free (not busy at any session block, within their task
  and minute limits), else ``too_few_participants``, counting those who could
  come and have room left (``max_groups``, no clash with their groups).

Details hold counts and distances only, never names or places.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from matchcore import geo
from matchcore.groups.candidates import GroupCandidates
from matchcore.groups.model import GroupChoice, sessions_overlap
from matchcore.problem import Problem, ceil_minute, floor_minute
from matchcore.solution import (
    Assignment,
    ClosedGroup,
    GroupPlan,
    GroupProposal,
    GroupReason,
    OpenGroup,
    Unplaced,
)

#: Participants within this many km of a proposal's first person are one cluster.
PROPOSAL_RADIUS_KM = 8.0

_PARTICIPANT_STAGES = (
    GroupReason.NO_GROUP_ON_TOPIC,
    GroupReason.OUT_OF_RANGE,
    GroupReason.NOT_AVAILABLE,
    GroupReason.GROUP_NOT_OPENED,
)


def participant_reason(funnel: Sequence[int]) -> GroupReason | None:
    """The first stage of a participant's funnel with no group left; ``None`` when none is."""
    for reason, count in zip(_PARTICIPANT_STAGES, funnel, strict=True):
        if count == 0:
            return reason
    return None


def group_plan(
    problem: Problem, choice: GroupChoice, assignments: Sequence[Assignment]
) -> GroupPlan:
    """The :class:`GroupPlan` of ``choice``, beside the tasks' ``assignments``."""
    gc, groups, people = choice.cand, problem.groups, problem.participants
    f_on = np.flatnonzero(choice.f_chosen)
    q_on = np.flatnonzero(choice.q_chosen)
    members: list[list[str]] = [[] for _ in groups]
    leaders: list[list[str]] = [[] for _ in groups]
    for k in q_on.tolist():
        members[int(gc.q_group[k])].append(people[int(gc.q_person[k])].id)
    for k in f_on.tolist():
        leaders[int(gc.f_group[k])].append(problem.volunteers[int(gc.f_vol[k])].id)
    opened = tuple(
        OpenGroup(g.id, tuple(sorted(members[i])), tuple(sorted(leaders[i])))
        for i, g in enumerate(groups)
        if choice.opened[i]
    )
    placed = np.bincount(gc.q_person[q_on], minlength=len(people))
    unplaced = tuple(
        _unplaced(problem, gc, choice, i) for i in range(len(people)) if placed[i] == 0
    )
    busy = _busy(problem, gc, choice, assignments)
    load = _load(problem, gc, choice, assignments)
    closed = tuple(
        _closed(problem, gc, choice, g, busy, load, placed)
        for g in range(len(groups))
        if not choice.opened[g]
    )
    scale_prio = sum(groups[int(gc.q_group[k])].priority for k in q_on.tolist())
    return GroupPlan(
        opened,
        unplaced,
        closed,
        proposals(problem, gc, unplaced),
        placed_participants=int((placed > 0).sum()),
        group_priority=round(scale_prio, 3),
    )


def _unplaced(problem: Problem, gc: GroupCandidates, choice: GroupChoice, i: int) -> Unplaced:
    person = problem.participants[i]
    funnel = gc.q_funnel[i].tolist()
    reason = participant_reason(funnel)
    on_topic, near, free, led = funnel
    if reason is GroupReason.NO_GROUP_ON_TOPIC:
        detail = f"no group on {len(person.topics)} topic(s) they asked for, in a shared language"
    elif reason is GroupReason.OUT_OF_RANGE:
        detail = f"{on_topic} group(s) on their topics, none within {_km(problem, i)} km"
    elif reason is GroupReason.NOT_AVAILABLE:
        detail = f"{near} group(s) within reach, none meets only when they are free"
    elif reason is GroupReason.GROUP_NOT_OPENED:
        detail = f"{free} group(s) fit them, none has enough trained facilitators"
    else:
        groups = gc.q_group[gc.q_person == i]
        if choice.opened[groups].any():
            reason = GroupReason.CAPACITY
            detail = (
                f"{int(choice.opened[groups].sum())} of {led} fitting group(s) open, "
                "full or at the same time as their other group"
            )
        else:
            reason = GroupReason.GROUP_NOT_OPENED
            detail = f"{led} group(s) fit them, none opened"
    return Unplaced(person.id, reason, detail)


def _km(problem: Problem, i: int) -> str:
    person = problem.participants[i]
    km = person.max_distance_km or problem.options.default_max_distance_km
    return f"{km:g}"


def _busy(
    problem: Problem, gc: GroupCandidates, choice: GroupChoice, assignments: Sequence[Assignment]
) -> dict[int, list[tuple[int, int]]]:
    """Per volunteer the minute blocks the plan gives them (tasks with travel, sessions)."""
    busy: dict[int, list[tuple[int, int]]] = {}
    index = problem.volunteer_index
    for a in assignments:
        if a.start is None or a.end is None:
            continue
        s, e = floor_minute(a.start), ceil_minute(a.end)
        for av in a.volunteers:
            busy.setdefault(index[av.volunteer_id], []).append(
                (s - av.travel_minutes, e + av.travel_minutes)
            )
    for k in np.flatnonzero(choice.f_chosen).tolist():
        t = int(gc.f_travel[k])
        busy.setdefault(int(gc.f_vol[k]), []).extend(
            (s - t, e + t) for s, e in gc.sessions[int(gc.f_group[k])]
        )
    return busy


def _load(
    problem: Problem, gc: GroupCandidates, choice: GroupChoice, assignments: Sequence[Assignment]
) -> tuple[dict[int, int], dict[int, int]]:
    """Per volunteer the tasks and minutes the plan gives them."""
    tasks: dict[int, int] = {}
    minutes: dict[int, int] = {}
    index = problem.volunteer_index
    requests = problem.requests
    for a in assignments:
        dur = requests[problem.request_index[a.request_id]].duration_minutes
        for av in a.volunteers:
            v = index[av.volunteer_id]
            tasks[v] = tasks.get(v, 0) + 1
            minutes[v] = minutes.get(v, 0) + dur + 2 * av.travel_minutes
    for k in np.flatnonzero(choice.f_chosen).tolist():
        v = int(gc.f_vol[k])
        tasks[v] = tasks.get(v, 0) + 1
        minutes[v] = minutes.get(v, 0) + gc.session_load(k)
    return tasks, minutes


def _closed(
    problem: Problem,
    gc: GroupCandidates,
    choice: GroupChoice,
    g: int,
    busy: dict[int, list[tuple[int, int]]],
    load: tuple[dict[int, int], dict[int, int]],
    placed: NDArray[np.int64],
) -> ClosedGroup:
    group = problem.groups[g]
    need = group.facilitators_needed
    trained = int(gc.f_funnel[g, 0])
    free = 0
    for k in np.flatnonzero(gc.f_group == g).tolist():
        v, t = int(gc.f_vol[k]), int(gc.f_travel[k])
        vol = problem.volunteers[v]
        blocks = [(s - t, e + t) for s, e in gc.sessions[g]]
        clash = any(a < d and c < b for a, b in blocks for c, d in busy.get(v, []))
        tasks, minutes = load[0].get(v, 0), load[1].get(v, 0)
        full = (vol.max_tasks is not None and tasks + 1 > vol.max_tasks) or (
            vol.max_minutes is not None and minutes + gc.session_load(k) > vol.max_minutes
        )
        free += not clash and not full
    could = 0
    for k in np.flatnonzero(gc.q_group == g).tolist():
        i = int(gc.q_person[k])
        mine = np.flatnonzero((gc.q_person == i) & choice.q_chosen)
        room = placed[i] < problem.participants[i].max_groups and not any(
            sessions_overlap(gc.sessions[g], gc.sessions[int(gc.q_group[j])]) for j in mine
        )
        could += room
    static_free = int(gc.f_funnel[g, 2])
    static_could = int((gc.q_group == g).sum())
    # What holds whatever the plan comes first; then what the plan's other choices leave.
    if static_free < need or (static_could >= group.min_participants and free < need):
        shown = static_free if static_free < need else free
        return ClosedGroup(
            group.id,
            GroupReason.NO_FACILITATORS,
            f"{shown} of {need} trained facilitators free ({trained} trained)",
        )
    shown = static_could if static_could < group.min_participants else could
    return ClosedGroup(
        group.id,
        GroupReason.TOO_FEW_PARTICIPANTS,
        f"{shown} of at least {group.min_participants} could come",
    )


def proposals(
    problem: Problem, gc: GroupCandidates, unplaced: Sequence[Unplaced]
) -> tuple[GroupProposal, ...]:
    """Topics with unplaced demand and no group within reach, clustered by place."""
    index = {p.id: i for i, p in enumerate(problem.participants)}
    by_topic: dict[str, list[int]] = {}
    for u in unplaced:
        if u.reason not in (GroupReason.NO_GROUP_ON_TOPIC, GroupReason.OUT_OF_RANGE):
            continue
        i = index[u.participant_id]
        by_topic.setdefault(problem.participants[i].topics[0], []).append(i)
    out: list[GroupProposal] = []
    people = problem.participants
    vols = problem.volunteers
    v_lat = np.array([v.location.lat for v in vols], dtype=np.float64)
    v_lon = np.array([v.location.lon for v in vols], dtype=np.float64)
    v_range = np.array([problem.max_distance_km(v) for v in vols], dtype=np.float64)
    for topic in sorted(by_topic):
        left = by_topic[topic]
        lat = np.array([people[i].location.lat for i in left])
        lon = np.array([people[i].location.lon for i in left])
        open_ = np.ones(len(left), dtype=bool)
        skills = _topic_skills(problem, topic)
        for seed in range(len(left)):
            if not open_[seed]:
                continue
            near = open_ & (
                geo.great_circle_km(lat[seed], lon[seed], lat, lon) <= PROPOSAL_RADIUS_KM
            )
            open_ &= ~near
            c_lat, c_lon = float(lat[near].mean()), float(lon[near].mean())
            reach = geo.great_circle_km(v_lat, v_lon, c_lat, c_lon) <= v_range
            able = [vols[v].id for v in np.flatnonzero(reach).tolist() if skills <= vols[v].skills]
            count = int(near.sum())
            written = people[left[seed]].spelling.get(topic, topic)
            out.append(
                GroupProposal(
                    written,
                    count,
                    (round(c_lat, 4), round(c_lon, 4)),
                    PROPOSAL_RADIUS_KM,
                    tuple(sorted(able)),
                    f"{count} people within {PROPOSAL_RADIUS_KM:g} km ask for a {written} group; "
                    f"none within reach; {len(able)} volunteers could lead it",
                )
            )
    return tuple(out)


def _topic_skills(problem: Problem, topic: str) -> frozenset[str]:
    """What the network asks of facilitators on ``topic``: the skills its groups share."""
    sets = [
        g.facilitator_skills | g.facilitator_credentials for g in problem.groups if g.topic == topic
    ]
    if not sets:
        return frozenset()
    return frozenset.intersection(*sets)
