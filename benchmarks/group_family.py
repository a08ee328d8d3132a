"""The group family of issue 10: a regional network of self-help groups, deterministic by seed.

:func:`generate_groups` draws, around the towns of a region of
:mod:`matchcore.synth.towns` (weighted by population), self-help groups
(*zelfregiegroepen*) on 16 topics that meet once in the week, in the
afternoon or the evening; participants who ask for one to three topics
(popular topics more often) and live near them; and volunteers of whom 40%
are trained to lead a group (the skill ``ervaringsdeskundige``). It writes
the problem in matchcore's groups format (weekly sessions and availability
over a one-week horizon, see ``examples/make_groups.py``) and reads it with
:meth:`matchcore.problem.Problem.from_dict`, so the family exercises the same
reader as every user. There are no tasks: the family measures groups alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matchcore.problem import Problem
from matchcore.synth.towns import towns

TOPICS = (
    "diabetes", "schulden", "pubers", "rouw", "mantelzorg", "eenzaamheid", "burn-out",
    "dementie", "angst", "verslaving", "chronische pijn", "scheiding", "autisme", "kanker",
    "niet-aangeboren hersenletsel", "depressie",
)  # fmt: skip
TRAINED = "ervaringsdeskundige"
DAYS = ("ma", "di", "wo", "do", "vr")
SLOTS = (("14:00", "15:30"), ("19:30", "21:00"))
MODES = ("car", "bike", "walk", "transit")
OPTIONS = {
    "timezone": "Europe/Amsterdam",
    "horizon": {"start": "2026-03-02T00:00", "end": "2026-03-08T23:59"},
}
_KM_PER_DEG = 111.32


def generate_groups(
    volunteers: int, groups: int, participants: int, *, region: str = "zorgnetwerken", seed: int = 0
) -> Problem:
    """A regional group problem: ``groups`` groups, ``participants`` people, ``volunteers``
    potential facilitators (the same arguments always give the same problem)."""
    return Problem.from_dict(groups_document(volunteers, groups, participants, region, seed))


def groups_document(
    volunteers: int, groups: int, participants: int, region: str, seed: int
) -> dict[str, Any]:
    """The problem of :func:`generate_groups` as a format-v1 document."""
    rng = np.random.default_rng(seed)
    table = towns(region)
    pop = np.array([t.population for t in table], dtype=np.float64)
    weight = pop / pop.sum()
    topic_weight = 1.0 / np.arange(1, len(TOPICS) + 1) ** 0.7  # popular topics first
    topic_weight /= topic_weight.sum()

    def places(n: int, spread_km: float) -> list[dict[str, float]]:
        town = rng.choice(len(table), size=n, p=weight)
        lat0 = np.array([t.lat for t in table])[town]
        lon0 = np.array([t.lon for t in table])[town]
        east, north = rng.standard_normal((2, n)) * spread_km
        lat = lat0 + north / _KM_PER_DEG
        lon = lon0 + east / (_KM_PER_DEG * np.cos(np.radians(lat0)))
        return [
            {"lat": round(a, 5), "lon": round(b, 5)}
            for a, b in zip(lat.tolist(), lon.tolist(), strict=True)
        ]

    group_docs = []
    g_topic = rng.choice(len(TOPICS), size=groups, p=topic_weight)
    g_day = rng.integers(0, len(DAYS), size=groups)
    g_slot = rng.integers(0, len(SLOTS), size=groups)
    g_min = rng.integers(4, 7, size=groups)
    g_max = g_min + rng.integers(5, 9, size=groups)
    g_need = np.where(rng.random(groups) < 0.8, 2, 1)
    g_prio = np.where(rng.random(groups) < 0.15, 2, 1)
    for g, where in enumerate(places(groups, 1.5)):
        start, end = SLOTS[int(g_slot[g])]
        topic = TOPICS[int(g_topic[g])]
        group_docs.append(
            {
                "id": f"grp-{g + 1:04d}",
                "topic": topic,
                "location": where,
                "sessions": [
                    {"weekly": {"days": [DAYS[int(g_day[g])]], "start": start, "end": end}}
                ],
                "min_participants": int(g_min[g]),
                "max_participants": int(g_max[g]),
                "facilitators_needed": int(g_need[g]),
                "facilitator_skills": [TRAINED],
                "priority": int(g_prio[g]),
            }
        )

    vol_docs = []
    trained = rng.random(volunteers) < 0.4
    v_range = rng.choice([10, 15, 20], size=volunteers)
    v_mode = rng.choice([0, 1, 3], size=volunteers, p=[0.6, 0.3, 0.1])
    v_limited = rng.random(volunteers) < 0.5
    v_days = rng.random((volunteers, len(DAYS))) < 0.6
    v_tasks = rng.integers(1, 4, size=volunteers)
    for v, where in enumerate(places(volunteers, 2.5)):
        days = [DAYS[d] for d in np.flatnonzero(v_days[v]).tolist()] or [DAYS[v % len(DAYS)]]
        vol: dict[str, Any] = {
            "id": f"vol-{v + 1:05d}",
            "location": where,
            "skills": ["visiting"] + ([TRAINED] if trained[v] else []),
            "travel_mode": MODES[int(v_mode[v])],
            "max_distance_km": int(v_range[v]),
            "max_tasks": int(v_tasks[v]),
        }
        if v_limited[v]:
            vol["availability"] = [{"weekly": {"days": days, "start": "09:00", "end": "22:00"}}]
        vol_docs.append(vol)

    people = []
    p_count = rng.choice([1, 2, 3], size=participants, p=[0.4, 0.4, 0.2])
    p_range = rng.choice([5, 8, 12, 15], size=participants)
    p_mode = rng.choice(len(MODES), size=participants, p=[0.4, 0.3, 0.15, 0.15])
    p_limited = rng.random(participants) < 0.25
    p_days = rng.random((participants, len(DAYS))) < 0.5
    p_evening = rng.random(participants) < 0.5
    for i, where in enumerate(places(participants, 3.0)):
        k = int(p_count[i])
        topics = rng.choice(len(TOPICS), size=k, replace=False, p=topic_weight)
        person: dict[str, Any] = {
            "id": f"p-{i + 1:05d}",
            "location": where,
            "topics": [TOPICS[int(t)] for t in topics],
            "max_distance_km": int(p_range[i]),
            "travel_mode": MODES[int(p_mode[i])],
        }
        if p_limited[i]:
            days = [DAYS[d] for d in np.flatnonzero(p_days[i]).tolist()] or ["wo"]
            start, end = ("19:00", "22:00") if p_evening[i] else ("13:00", "17:00")
            person["availability"] = [{"weekly": {"days": days, "start": start, "end": end}}]
        people.append(person)
    return {
        "volunteers": vol_docs,
        "requests": [],
        "groups": group_docs,
        "participants": people,
        "options": dict(OPTIONS, seed=seed),
    }
