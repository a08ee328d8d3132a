"""Who could lead and who could join each group: candidate pairs and funnels.

Facilitator funnel of a group (counts of volunteers): ``trained`` (has the
group's facilitator skills and credentials), ``in_range`` (the group lies
within the volunteer's ``max_distance_km``), ``available`` (every session,
with travel from home and back, lies in one availability window, and the
volunteer's task and minute limits can hold the group at all).

Participant funnel (counts of groups): ``on_topic`` (a group on one of the
participant's topics, not excluded by them, sharing a language when the
group lists any), ``in_range`` (within the participant's
``max_distance_km``), ``available`` (every session inside their
availability), ``facilitated`` (enough facilitators pass every stage for
the group to open at all).

Distances are vectorised per group over all volunteers or participants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matchcore import geo
from matchcore.problem import Group, Problem, TimeWindow, ceil_minute, floor_minute

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]


@dataclass(frozen=True)
class GroupCandidates:
    """Candidate pairs of groups (facilitator pairs ``f_*``, participant pairs ``q_*``).

    ``sessions[g]`` are the group's sessions as whole minutes ``(start, end)``
    since the epoch (UTC). ``f_travel`` is one-way travel minutes;
    ``f_dist_m``/``q_dist_m`` one-way whole metres. ``q_first`` marks a pair on
    the participant's first-choice topic. ``f_funnel`` has shape
    ``(n_groups, 3)``: trained, in_range, available; ``q_funnel`` shape
    ``(n_participants, 4)``: on_topic, in_range, available, facilitated.
    """

    sessions: tuple[tuple[tuple[int, int], ...], ...]
    f_group: I64
    f_vol: I64
    f_dist_m: I64
    f_travel: I64
    f_funnel: I64
    q_person: I64
    q_group: I64
    q_dist_m: I64
    q_first: BOOL
    q_funnel: I64

    @property
    def n_groups(self) -> int:
        return len(self.sessions)

    def session_load(self, k: int) -> int:
        """Minutes facilitator pair ``k`` costs its volunteer: sessions with travel both ways."""
        g, t = int(self.f_group[k]), int(self.f_travel[k])
        return sum(e - s + 2 * t for s, e in self.sessions[g])


def session_minutes(group: Group) -> tuple[tuple[int, int], ...]:
    """The group's sessions as whole minutes since the epoch (UTC), in order."""
    return tuple((floor_minute(w.start), ceil_minute(w.end)) for w in group.sessions)


def _inside(blocks: list[tuple[int, int]], windows: tuple[TimeWindow, ...] | None) -> bool:
    """Whether every block lies inside one window (``None``: any time)."""
    if windows is None:
        return True
    spans = [(ceil_minute(w.start), floor_minute(w.end)) for w in windows]
    return all(any(lo <= a and b <= hi for lo, hi in spans) for a, b in blocks)


def _credentials(problem: Problem, v: int) -> frozenset[str]:
    """A volunteer's skills and, where volunteers carry them, credentials (comparison keys)."""
    vol = problem.volunteers[v]
    extra = getattr(vol, "credentials", None) or ()
    names = {c if isinstance(c, str) else getattr(c, "name", "") for c in extra}
    return vol.skills | frozenset(names)


def build_group_candidates(problem: Problem) -> GroupCandidates:
    """Every facilitator and participant pair that passes its funnel, and the funnels."""
    vols, people, groups = problem.volunteers, problem.participants, problem.groups
    travel = problem.options.travel
    sessions = tuple(session_minutes(g) for g in groups)
    v_lat = np.array([v.location.lat for v in vols], dtype=np.float64)
    v_lon = np.array([v.location.lon for v in vols], dtype=np.float64)
    v_range = np.array([problem.max_distance_km(v) for v in vols], dtype=np.float64)
    v_speed = np.array([travel.speeds_kmh[v.travel_mode] for v in vols], dtype=np.float64)
    v_keys = [_credentials(problem, v) for v in range(len(vols))]
    default_range = problem.options.default_max_distance_km
    p_lat = np.array([p.location.lat for p in people], dtype=np.float64)
    p_lon = np.array([p.location.lon for p in people], dtype=np.float64)
    p_range = np.array(
        [default_range if p.max_distance_km is None else p.max_distance_km for p in people],
        dtype=np.float64,
    )
    f_rows: list[tuple[int, int, int, int]] = []
    f_funnel = np.zeros((len(groups), 3), dtype=np.int64)
    for g, group in enumerate(groups):
        need = group.facilitator_skills | group.facilitator_credentials
        trained = np.array([need <= keys for keys in v_keys], dtype=bool)
        dist = geo.great_circle_km(v_lat, v_lon, group.location.lat, group.location.lon)
        in_range = trained & (dist <= v_range)
        minutes = geo.travel_minutes(dist, v_speed, travel.detour_factor)
        available = 0
        for v in np.flatnonzero(in_range).tolist():
            t = int(minutes[v])
            blocks = [(s - t, e + t) for s, e in sessions[g]]
            vol = vols[v]
            load = sum(b - a for a, b in blocks)
            if vol.max_tasks == 0 or (vol.max_minutes is not None and vol.max_minutes < load):
                continue
            if _inside(blocks, vol.availability):
                available += 1
                f_rows.append((g, v, round(float(dist[v]) * 1000), t))
        f_funnel[g] = (int(trained.sum()), int(in_range.sum()), available)
    facilitated = np.array(
        [f_funnel[g, 2] >= grp.facilitators_needed for g, grp in enumerate(groups)], dtype=bool
    )
    q_rows: list[tuple[int, int, int, bool]] = []
    q_funnel = np.zeros((len(people), 4), dtype=np.int64)
    by_topic: dict[str, list[int]] = {}
    for g, group in enumerate(groups):
        by_topic.setdefault(group.topic, []).append(g)
    for i, person in enumerate(people):
        on_topic = [
            g
            for rank, topic in enumerate(person.topics)
            for g in by_topic.get(topic, [])
            if groups[g].id not in person.excluded_groups
            and (not groups[g].languages or groups[g].languages & person.languages)
        ]
        if not on_topic:
            continue
        gi = np.array(on_topic, dtype=np.int64)
        g_lat = np.array([groups[g].location.lat for g in on_topic])
        g_lon = np.array([groups[g].location.lon for g in on_topic])
        dist = geo.great_circle_km(p_lat[i], p_lon[i], g_lat, g_lon)
        near = dist <= p_range[i]
        free = np.array(
            [
                bool(near[k]) and _inside(list(sessions[g]), person.availability)
                for k, g in enumerate(on_topic)
            ],
            dtype=bool,
        )
        led = free & facilitated[gi]
        q_funnel[i] = (len(on_topic), int(near.sum()), int(free.sum()), int(led.sum()))
        first = person.topics[0]
        for k in np.flatnonzero(led).tolist():  # a group nobody can lead never opens
            g = on_topic[k]
            q_rows.append((i, g, round(float(dist[k]) * 1000), groups[g].topic == first))
    f = np.array(f_rows, dtype=np.int64).reshape(-1, 4)
    q_arr = np.array([r[:3] for r in q_rows], dtype=np.int64).reshape(-1, 3)
    return GroupCandidates(
        sessions=sessions,
        f_group=f[:, 0].copy(),
        f_vol=f[:, 1].copy(),
        f_dist_m=f[:, 2].copy(),
        f_travel=f[:, 3].copy(),
        f_funnel=f_funnel,
        q_person=q_arr[:, 0].copy(),
        q_group=q_arr[:, 1].copy(),
        q_dist_m=q_arr[:, 2].copy(),
        q_first=np.array([r[3] for r in q_rows], dtype=bool),
        q_funnel=q_funnel,
    )
