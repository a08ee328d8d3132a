"""Small plans for the report tests, and the fields later issues add, made by hand.

Rides (issue 8: a request ``destination``, member ``legs`` and ``role``),
groups (issue 10: ``groups``, ``closed_groups``, ``unplaced``), referrals and
signals (issue 11) and warnings (issue 8) are attached here in the shapes
those issues specify, so the report's sections for them are tested before
the fields exist in the library.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from matchcore import solve
from matchcore.problem import Location, Problem

NASTY_ID = '<script>alert("x")</script>&amp;'
WEEK = ("2026-03-02", "2026-03-03", "2026-03-04")


def problem_doc() -> dict[str, Any]:
    """Seven requests over three days; some served, some not, for several reasons."""
    volunteers = [
        {
            "id": "vol-a",
            "location": {"lat": 51.209, "lon": 3.224},
            "skills": ["driving"],
            "max_tasks": 3,
        },
        {"id": NASTY_ID, "location": {"lat": 51.215, "lon": 3.230}, "max_tasks": 2},
        {"id": "vol-c", "location": {"lat": 51.190, "lon": 3.200}, "travel_mode": "bike"},
    ]
    requests = []
    for i, day in enumerate(WEEK):
        requests.append(
            {
                "id": f"req-{i}",
                "client_id": f"cli-{i}",
                "location": {"lat": 51.20 + 0.003 * i, "lon": 3.21 + 0.002 * i},
                "duration_minutes": 60,
                "window": {"start": f"{day}T09:00:00+01:00", "end": f"{day}T12:00:00+01:00"},
                "priority": 1 + i,
            }
        )
    requests += [
        {
            "id": "req-skill",
            "location": {"lat": 51.20, "lon": 3.22},
            "duration_minutes": 30,
            "skills": ["nursing"],
        },
        {"id": "req-far", "location": {"lat": 51.80, "lon": 3.90}, "duration_minutes": 30},
        {
            "id": "req-ride",
            "client_id": NASTY_ID,
            "location": {"lat": 51.205, "lon": 3.215},
            "duration_minutes": 45,
            "skills": ["driving"],
            "window": {"start": f"{WEEK[1]}T13:00:00+01:00", "end": f"{WEEK[1]}T16:00:00+01:00"},
        },
        {"id": "req-untimed", "location": {"lat": 51.21, "lon": 3.22}, "duration_minutes": 20},
    ]
    return {"volunteers": volunteers, "requests": requests, "options": {"time_limit_seconds": 20}}


@cache
def plan() -> tuple[Problem, dict[str, Any]]:
    """The problem and its plan without advice (solved once per test session)."""
    problem = Problem.from_dict(problem_doc())
    return problem, solve(problem, advise=False).to_dict()


def bare() -> tuple[Problem, dict[str, Any]]:
    """The plan without any of the later, optional members (its input warnings dropped)."""
    problem, doc = plan()
    return problem, {k: v for k, v in doc.items() if k != "warnings"}


def with_extras() -> tuple[Problem, dict[str, Any]]:
    """The plan with every later field attached, in the issues' shapes."""
    base, solution = plan()
    problem = Problem.from_dict(problem_doc())
    doc = copy.deepcopy(solution)
    # issue 8: a ride to a hospital, its legs and each member's role
    ride = problem.requests[problem.request_index["req-ride"]]
    object.__setattr__(ride, "destination", Location(51.197, 3.243))
    for a in doc["assignments"]:
        for member in a["volunteers"]:
            member["role"] = 0
            if a["request_id"] == "req-ride":
                member["legs"] = [
                    {"from": "home", "to": "client", "km": 1.0, "minutes": 3},
                    {"from": "client", "to": "destination", "km": 2.5, "minutes": 6},
                    {"from": "destination", "to": "client", "km": 2.5, "minutes": 6},
                    {"from": "client", "to": "home", "km": 1.0, "minutes": 3},
                ]
    # issue 10: groups and participants
    object.__setattr__(
        problem,
        "groups",
        ({"id": "grp-debts", "location": {"lat": 51.21, "lon": 3.23}},),
    )
    object.__setattr__(
        problem,
        "participants",
        (
            {"id": "par-1", "location": {"lat": 51.212, "lon": 3.235}},
            {"id": "par-2", "location": {"lat": 51.208, "lon": 3.226}},
        ),
    )
    doc["groups"] = [
        {"group_id": "grp-debts", "participants": ["par-1", "par-2"], "facilitators": ["vol-a"]}
    ]
    doc["closed_groups"] = [
        {
            "group_id": "grp-grief",
            "reason": "too_few_participants",
            "detail": "3 of at least 6 could come",
        }
    ]
    doc["unplaced"] = [
        {
            "participant_id": "par-3",
            "reason": "group_not_opened",
            "detail": "grp-grief did not open",
        }
    ]
    # issue 11: referrals on an unserved request, and signals
    for u in doc["unassigned"]:
        if u["request_id"] == "req-skill":
            u["referrals"] = [
                {
                    "service_id": "svc-1",
                    "name": "Thuisverpleging Brugge",
                    "organization": "Wit-Gele Kruis",
                    "distance_km": 2.4,
                    "why": "theme wondzorg; serves Brugge",
                }
            ]
    doc["signals"] = {
        "unmet": [
            {
                "reason": "no_skill_match",
                "skills": ["nursing"],
                "languages": [],
                "place": {"municipality": "Brugge"},
                "weekday": "tue",
                "part_of_day": "morning",
                "requests": 1,
                "priority": 1.0,
                "request_ids": ["req-skill"],
            }
        ],
        "recruit": [
            {
                "volunteer": {"id": "new-1", "location": {"lat": 51.2, "lon": 3.2}},
                "extra_requests": 1,
                "extra_priority": 1.0,
                "summary": "one more volunteer with nursing skills in Brugge would serve 1 more",
            }
        ],
        "near_misses": [
            {
                "request_id": "req-far",
                "summary": "a range of 60 km for vol-a would let it be served",
                "patch": [{"op": "replace", "path": "/volunteers/0/max_distance_km", "value": 60}],
            }
        ],
        "zorgpad_gaps": [],
    }
    doc["warnings"] = [
        {
            "code": "unknown_skill",
            "pointer": "/requests/3/skills/0",
            "message": "no volunteer has nursing",
        }
    ]
    assert base.request_index == problem.request_index
    return problem, doc
