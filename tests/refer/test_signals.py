"""Signals and refer_only: every near miss and every recruitment advice is verified.

Near misses are applied as JSON Patches with the ``jsonpatch`` library (an
implementation independent of ours) to the problem's JSON, and the patched
request's funnel is read with ``matchcore.candidate_funnels`` on the whole
patched problem. Recruitment advice is verified by appending the advised
volunteer to the problem's JSON and solving again.
"""

from __future__ import annotations

import copy
import json
import time
from datetime import datetime, timedelta
from typing import Any

import jsonpatch
import pytest

import matchcore
from matchcore import Problem, Reason, candidate_funnels, check
from matchcore.refer.signals import Signals, cell_of, recruit, unmet_groups
from matchcore.report.signal_text import signal_lines

DAY = "2026-03-03"  # a Tuesday
TZ = "+01:00"
HOSPITAL = {"lat": 50.9466, "lon": 3.1239}  # Roeselare


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00{TZ}"


def dialysis_doc() -> dict[str, Any]:
    """Three dialysis rides that must start by 08:00; drivers are free from 08:00.

    Each driver lives 0.4 km from a client: 1 minute by car (0.4 * 1.3 / 40 h).
    """
    volunteers, requests = [], []
    for i in range(3):
        home = {"lat": 50.94 + 0.01 * i, "lon": 3.12}
        client = {"lat": home["lat"] + 0.0036, "lon": 3.12}  # 0.4 km north
        volunteers.append(
            {
                "id": f"driver-{i}",
                "location": home,
                "skills": ["driving"],
                "max_distance_km": 0.5,
                "availability": [{"start": at("08:00"), "end": at("12:00")}],
            }
        )
        requests.append(
            {
                "id": f"dialysis-{i}",
                "client_id": f"client-{i}",
                "location": client,
                "skills": ["driving"],
                "duration_minutes": 30,
                "priority": 10,
                "window": {"start": at("07:00"), "end": at("08:30")},
                "municipality": "Roeselare",
            }
        )
    return {"volunteers": volunteers, "requests": requests}


def solve_doc(doc: dict[str, Any], seconds: float = 10) -> matchcore.Solution:
    return matchcore.solve(Problem.from_dict(doc), time_limit_s=seconds)


def funnel_passes(doc: dict[str, Any], request_id: str) -> bool:
    problem = Problem.from_dict(doc)
    req = problem.requests[problem.request_index[request_id]]
    f = candidate_funnels(problem)[problem.request_index[request_id]]
    return min(f.skills, f.not_excluded, f.in_range, f.available) >= req.volunteers_needed


def verify_near_misses(doc: dict[str, Any], solution: matchcore.Solution) -> None:
    """Each patch applies to the problem's JSON and lets its request pass every stage."""
    assert solution.signals is not None
    for miss in solution.signals.near_misses:
        assert not funnel_passes(doc, miss.request_id)
        patched = jsonpatch.apply_patch(doc, list(miss.patch))
        assert funnel_passes(patched, miss.request_id), miss.summary


def test_dialysis_rides_get_the_smallest_window_widening() -> None:
    doc = dialysis_doc()
    solution = solve_doc(doc)
    assert [u.reason for u in solution.unassigned] == [Reason.NOT_AVAILABLE] * 3
    assert solution.signals is not None
    windows = [m for m in solution.signals.near_misses if m.kind == "widen_window"]
    assert [m.request_id for m in windows] == ["dialysis-0", "dialysis-1", "dialysis-2"]
    verify_near_misses(doc, solution)
    for miss in windows:
        # The smallest k: the end moved k minutes later passes, k - 1 minutes does not.
        (test, op) = miss.patch
        assert test == {"op": "test", "path": f"/requests/{test['path'].split('/')[2]}/id",
                        "value": miss.request_id}  # fmt: skip
        k = (datetime.fromisoformat(op["value"]) - datetime.fromisoformat(at("08:30"))).seconds
        k //= 60
        assert op["path"].endswith("/window/end") and k >= 1
        assert f"by {k} minute" in miss.summary
        shorter = copy.deepcopy(op)
        shorter["value"] = (datetime.fromisoformat(op["value"]) - timedelta(minutes=1)).isoformat()
        assert not funnel_passes(jsonpatch.apply_patch(doc, [test, shorter]), miss.request_id)
    # Widening every window as advised serves all three.
    patched = doc
    for miss in windows:
        patched = jsonpatch.apply_patch(patched, list(miss.patch))
    assert solve_doc(patched).objective.served_requests == 3


def test_range_and_max_tasks_near_misses_are_smallest_and_verified() -> None:
    doc = dialysis_doc()
    for r in doc["requests"]:
        r["window"] = {"start": at("09:00"), "end": at("11:00")}
    doc["volunteers"][0]["max_distance_km"] = 0.1  # 0.4 km away: out of range by 0.3
    doc["volunteers"][1]["max_tasks"] = 0  # in range, but takes no task
    doc["volunteers"][2]["location"] = {"lat": 51.0, "lon": 3.12}  # far from everyone
    solution = solve_doc(doc)
    assert solution.signals is not None
    verify_near_misses(doc, solution)
    kinds = {(m.request_id, m.kind): m for m in solution.signals.near_misses}
    extend = kinds["dialysis-0", "extend_range"]
    op = extend.patch[1]
    assert (op["op"], op["path"]) == ("add", "/volunteers/0/max_distance_km")
    # The smallest step of 0.1 km: 0.1 km less would not reach (0.4003 km by great circle).
    assert op["value"] == pytest.approx(0.5)
    smaller = jsonpatch.apply_patch(doc, [{**op, "value": round(op["value"] - 0.1, 1)}])
    assert not funnel_passes(smaller, "dialysis-0")
    raise_ = kinds["dialysis-1", "raise_max_tasks"]
    assert raise_.patch[1] == {"op": "replace", "path": "/volunteers/1/max_tasks", "value": 1}
    # dialysis-2's nearest qualified volunteers are 5+ km away: it gets a range advice too.
    assert ("dialysis-2", "extend_range") in kinds
    # No window widening brings an out-of-range volunteer closer.
    assert ("dialysis-0", "widen_window") not in kinds


def test_an_untimed_request_is_advised_against_the_whole_problems_horizon() -> None:
    """An untimed request's credentials count at the end of the whole problem's
    horizon; looked at alone it would have a horizon of its own (a bug seen by
    Hypothesis: a max_tasks advice for a volunteer whose VOG had lapsed by then)."""
    doc = dialysis_doc()  # windows on Tuesday until 08:30: the horizon ends then
    doc["volunteers"][0]["max_tasks"] = 0
    doc["volunteers"][0]["credentials"] = [{"name": "vog", "valid_until": at("08:00")}]
    doc["requests"].append(
        {
            "id": "homework",
            "location": doc["requests"][0]["location"],
            "skills": ["driving"],
            "credentials": ["vog"],
            "duration_minutes": 30,
        }
    )
    solution = solve_doc(doc)
    assert solution.signals is not None
    verify_near_misses(doc, solution)
    kinds = {(m.request_id, m.kind) for m in solution.signals.near_misses}
    assert ("homework", "raise_max_tasks") not in kinds
    # With the VOG valid to the horizon's end, raising max_tasks is the advice.
    doc["volunteers"][0]["credentials"] = [{"name": "vog", "valid_until": at("09:00")}]
    solution = solve_doc(doc)
    assert solution.signals is not None
    verify_near_misses(doc, solution)
    kinds = {(m.request_id, m.kind) for m in solution.signals.near_misses}
    assert ("homework", "raise_max_tasks") in kinds


def recruit_doc() -> dict[str, Any]:
    """Arabic-speaking drivers lacking in Roeselare on Tuesday morning; one Dutch driver."""
    doc = dialysis_doc()
    doc["volunteers"] = [doc["volunteers"][0]]
    doc["volunteers"][0]["max_distance_km"] = 20
    for i, r in enumerate(doc["requests"]):
        r["languages"] = ["ar"] if i else ["nl"]
        r["window"] = {"start": at("09:00"), "end": at("11:00")}
        r["priority"] = 3 + i
    doc["volunteers"][0]["languages"] = ["nl"]
    doc["requests"].append(
        {
            "id": "shopping-far",
            "location": {"lat": 51.2, "lon": 2.9},
            "skills": ["shopping"],
            "duration_minutes": 60,
            "priority": 1,
        }
    )
    return doc


def test_every_recruitment_advice_holds_when_solved_again() -> None:
    doc = recruit_doc()
    solution = solve_doc(doc, 20)
    assert solution.signals is not None and solution.signals.complete
    advice = solution.signals.recruit
    assert advice, "Arabic-speaking drivers are lacking: there must be advice"
    base = solution.objective.served_priority
    for item in advice:
        more = copy.deepcopy(doc)
        more["volunteers"].append(item.volunteer)
        again = solve_doc(more, 20)
        assert again.status.value == "optimal"
        assert again.objective.served_priority >= base + item.extra_priority - 1e-9
        assert again.objective.served_requests - solution.objective.served_requests == (
            item.extra_requests
        )
        assert f"{item.extra_requests} more request" in item.summary
    best = advice[0]
    assert best.volunteer["languages"] == ["ar"] and best.extra_requests == 2
    assert "speaking ar" in best.summary and "living in Roeselare" in best.summary
    assert "free on Tuesday mornings" in best.summary
    assert [a.extra_priority for a in advice] == sorted(
        (a.extra_priority for a in advice), reverse=True
    )


def test_recruitment_stops_at_the_deadline_and_says_so() -> None:
    problem = Problem.from_dict(recruit_doc())
    solution = matchcore.solve(problem, time_limit_s=10, advise=False)
    groups = unmet_groups(problem, solution.unassigned)
    calls: list[float] = []

    def resolve(p: Problem, seconds: float) -> matchcore.Solution:
        calls.append(seconds)
        return matchcore.solve(p, time_limit_s=seconds, advise=False)

    advice, complete = recruit(problem, solution, groups, resolve, time.perf_counter() - 1)
    assert (advice, complete, calls) == ((), False, [])


def test_refer_only_requests_are_never_assigned_and_are_referred() -> None:
    doc = dialysis_doc()
    doc["requests"][0]["refer_only"] = True
    doc["requests"][0]["themes"] = ["nierzorg"]
    doc["requests"][1]["window"] = {"start": at("09:00"), "end": at("11:00")}
    doc["directory"] = [
        {
            "id": "s1",
            "name": "Dialysecentrum",
            "themes": ["Nierzorg"],
            "municipalities": ["roeselare"],
        }
    ]
    problem = Problem.from_dict(doc)
    solution = matchcore.solve(problem, time_limit_s=10)
    first = solution.unassigned[0]
    assert first.request_id == "dialysis-0" and first.reason is Reason.REFERRED
    assert first.referrals is not None and [r.service_id for r in first.referrals] == ["s1"]
    assert "serves Roeselare" in first.referrals[0].why
    assert [a.request_id for a in solution.assignments] == ["dialysis-1"]
    assert check(problem, solution).ok
    # Requests without themes get no referrals member at all.
    assert solution.unassigned[1].referrals is None
    assert "referrals" not in solution.to_dict()["unassigned"][1]
    # The checker rejects a plan that assigns a refer_only request.
    bad = solution.to_dict()
    bad["assignments"].append({"request_id": "dialysis-0", "volunteer_ids": ["driver-0"],
                               "start": at("08:00")})  # fmt: skip
    assert "refer_only_assigned" in {v.rule for v in check(problem, bad).violations}
    # A pin on a refer_only request is an input error.
    doc["assignments"] = [{"request_id": "dialysis-0", "volunteer_ids": ["driver-0"]}]
    with pytest.raises(matchcore.ProblemError, match="refer_only") as info:
        Problem.from_dict(doc)
    assert info.value.pointer == "/assignments/0/request_id"


def test_only_refer_only_requests() -> None:
    doc = dialysis_doc()
    for r in doc["requests"]:
        r["refer_only"] = True
    solution = solve_doc(doc)
    assert [u.reason for u in solution.unassigned] == [Reason.REFERRED] * 3
    assert solution.objective.served_requests == 0 and solution.assignments == ()


def test_unmet_aggregates_and_zorgpad_gaps_carry_no_personal_data() -> None:
    doc = recruit_doc()
    doc["requests"][3]["themes"] = ["schulden"]  # no municipality: a 5 km cell
    doc["requests"][1]["themes"] = ["schulden", "huisvesting"]
    doc["directory"] = [
        {"id": "s1", "name": "Schuldhulp", "themes": ["schulden"], "municipalities": ["Roeselare"]}
    ]
    solution = solve_doc(doc)
    signals = solution.signals
    assert isinstance(signals, Signals)
    assert sum(g.requests for g in signals.unmet) == len(solution.unassigned)
    total = sum(u_priority(doc, u.request_id) for u in solution.unassigned)
    assert sum(g.priority for g in signals.unmet) == pytest.approx(total)
    places = {json.dumps(g.place.to_dict(), sort_keys=True) for g in signals.unmet}
    assert json.dumps({"municipality": "Roeselare"}, sort_keys=True) in places
    gaps = {(g.theme, json.dumps(g.place.to_dict(), sort_keys=True)): g.requests
            for g in signals.zorgpad_gaps}  # fmt: skip
    cell = cell_of(51.2, 2.9).to_dict()
    assert gaps == {
        ("huisvesting", json.dumps({"municipality": "Roeselare"}, sort_keys=True)): 1,
        ("schulden", json.dumps(cell, sort_keys=True)): 1,
    }
    text = json.dumps(signals.to_dict())
    for r in doc["requests"]:
        assert r.get("client_id", "\0") not in text
        assert str(r["location"]["lat"]) not in text


def u_priority(doc: dict[str, Any], rid: str) -> float:
    return float(next(r["priority"] for r in doc["requests"] if r["id"] == rid))


def test_near_misses_of_requests_with_preferences_and_exclusions() -> None:
    doc = dialysis_doc()
    doc["requests"][0]["excluded_volunteers"] = ["driver-1"]
    doc["requests"][0]["preferred_volunteers"] = ["driver-0"]
    solution = solve_doc(doc)
    assert solution.signals is not None
    assert "dialysis-0" in {m.request_id for m in solution.signals.near_misses}
    verify_near_misses(doc, solution)


def test_no_near_miss_when_pins_and_not_the_funnel_keep_a_request_out() -> None:
    doc = dialysis_doc()
    doc["volunteers"] = doc["volunteers"][:1]
    doc["volunteers"][0]["max_distance_km"] = 20
    for r in doc["requests"][:2]:
        r["window"] = {"start": at("09:00"), "end": at("09:30")}
    doc["requests"] = doc["requests"][:2]
    doc["assignments"] = [{"request_id": "dialysis-0", "volunteer_ids": ["driver-0"]}]
    solution = solve_doc(doc)
    (left,) = solution.unassigned
    assert left.request_id == "dialysis-1" and left.reason is Reason.NOT_AVAILABLE
    assert funnel_passes(doc, "dialysis-1")  # the funnel passes: the pin takes the time
    assert solution.signals is not None and solution.signals.near_misses == ()


def test_the_checker_holds_reason_referred_to_refer_only() -> None:
    doc = dialysis_doc()
    doc["requests"][0]["refer_only"] = True
    problem = Problem.from_dict(doc)
    plan = matchcore.solve(problem).to_dict()
    assert check(problem, plan).ok
    assert plan["stats"]["phases"]["advice"] >= 0
    wrong = copy.deepcopy(plan)
    wrong["unassigned"][0]["reason"] = "not_available"
    wrong["unassigned"][1]["reason"] = "referred"
    found = [(v.path, v.rule) for v in check(problem, wrong).violations]
    assert found == [
        ("unassigned[0].reason", "unassigned_mismatch"),
        ("unassigned[1].reason", "unassigned_mismatch"),
    ]


def test_without_advice_refer_only_requests_are_still_never_planned() -> None:
    doc = dialysis_doc()
    for r in doc["requests"]:
        r["window"] = {"start": at("09:00"), "end": at("11:00")}
    doc["requests"][1]["refer_only"] = True
    problem = Problem.from_dict(doc)
    plain = matchcore.solve(problem, advise=False)
    assert plain.signals is None and check(problem, plain).ok
    assert [u.request_id for u in plain.unassigned] == ["dialysis-1"]
    assert plain.unassigned[0].reason is Reason.REFERRED and plain.unassigned[0].referrals is None


# -- renewing a credential -----------------------------------------------------------------------

THURSDAY = "2026-12-03"


def homework_doc(valid_until: dict[str, str]) -> dict[str, Any]:
    """Thursday's homework help needs a VOG; each volunteer's VOG lapsed some day before.

    ``valid_until`` maps volunteer ids to the date (or date-time) their VOG
    is valid until; the volunteers live 0.4 km from the client, in turn farther.
    """
    volunteers = [
        {
            "id": vid,
            "location": {"lat": 51.2089 + 0.001 * i, "lon": 3.2242},
            "skills": ["homework"],
            "credentials": [
                {"name": "EHBO", "valid_until": "2027-06-30"},
                {"name": "VOG", "valid_until": until},
            ],
        }
        for i, (vid, until) in enumerate(valid_until.items())
    ]
    request = {
        "id": "homework-thu",
        "location": {"lat": 51.2125, "lon": 3.2242},
        "skills": ["homework"],
        "credentials": ["vog"],
        "duration_minutes": 60,
        "window": {"start": f"{THURSDAY}T15:00", "end": f"{THURSDAY}T18:00"},
    }
    return {
        "volunteers": volunteers,
        "requests": [request],
        "options": {"timezone": "Europe/Brussels"},
    }


def renewals(solution: matchcore.Solution) -> list[Any]:
    assert solution.signals is not None
    return [m for m in solution.signals.near_misses if m.kind == "renew_credential"]


def test_a_vog_that_lapsed_on_wednesday_is_renewed_by_the_fewest_days() -> None:
    doc = homework_doc({"far-lapsed": "2026-11-20", "lapsed-wed": "2026-12-02"})
    solution = solve_doc(doc)
    (left,) = solution.unassigned
    assert left.reason is Reason.NO_VALID_CREDENTIAL
    (miss,) = renewals(solution)
    verify_near_misses(doc, solution)
    test, op = miss.patch
    assert test == {"op": "test", "path": "/volunteers/1/id", "value": "lapsed-wed"}
    assert op == {"op": "replace", "path": "/volunteers/1/credentials/1/valid_until",
                  "value": THURSDAY}  # fmt: skip
    assert "VOG renewed until 2026-12-03 (now valid until 2026-12-02)" in miss.summary
    # Solving again with the patch serves the request, with the renewed volunteer.
    again = solve_doc(jsonpatch.apply_patch(doc, list(miss.patch)))
    assert [a.volunteer_ids for a in again.assignments] == [("lapsed-wed",)]
    # One day less is the VOG as it was: the request stays out.
    assert not funnel_passes(jsonpatch.apply_patch(doc, [test, {**op, "value": "2026-12-02"}]),
                             "homework-thu")  # fmt: skip


def test_a_credential_valid_until_mid_day_is_renewed_to_the_end_of_that_day() -> None:
    # Valid until 15:30 on Thursday: no hour of the window holds the whole task.
    doc = homework_doc({"lapses-thu": f"{THURSDAY}T15:30"})
    solution = solve_doc(doc)
    (miss,) = renewals(solution)
    verify_near_misses(doc, solution)
    assert miss.patch[1]["value"] == THURSDAY  # the end of Thursday: zero whole days more
    assert "(now valid until 2026-12-03)" in miss.summary
    assert solve_doc(jsonpatch.apply_patch(doc, list(miss.patch))).unassigned == ()


def test_no_renewal_for_volunteers_who_never_held_it_or_are_out_of_range() -> None:
    doc = homework_doc({"no-vog": "2026-12-02", "too-far": "2026-12-02"})
    doc["volunteers"][0]["credentials"] = []
    doc["volunteers"][1]["max_distance_km"] = 0.1  # 0.4 km and more away
    solution = solve_doc(doc)
    assert renewals(solution) == []
    verify_near_misses(doc, solution)  # the range advice for too-far still holds
    # With every needed credential but one lapsed, only that one is renewed.
    doc = homework_doc({"lapsed-wed": "2026-12-02"})
    doc["requests"][0]["credentials"] = ["VOG", "ehbo"]
    doc["volunteers"][0]["credentials"][0]["valid_until"] = "2026-11-30"
    solution = solve_doc(doc)
    assert renewals(solution) == []  # two lapsed: no single renewal serves it
    doc["volunteers"][0]["credentials"][0]["valid_until"] = "2027-06-30"
    (miss,) = renewals(solve_doc(doc))
    assert miss.patch[1]["path"] == "/volunteers/0/credentials/1/valid_until"


# -- group proposals in the signals -----------------------------------------------------------


def debts_without_groups_doc() -> dict[str, Any]:
    """Three people near Heerlen and one in Maastricht ask for a debts group; none exists."""
    heerlen = [{"lat": 50.887 + 0.002 * i, "lon": 5.98} for i in range(3)]
    maastricht = {"lat": 50.8514, "lon": 5.6913}
    people = [*heerlen, maastricht]
    return {
        "volunteers": [
            {"id": "ben", "location": {"lat": 50.889, "lon": 5.981}, "skills": ["ervaring"]},
            {"id": "kim", "location": {"lat": 50.85, "lon": 5.69}, "skills": ["ervaring"]},
        ],
        "requests": [],
        "groups": [
            {
                "id": "rouw-vaals",
                "topic": "rouw",
                "location": {"lat": 50.77, "lon": 6.02},
                "sessions": [{"start": at("19:00"), "end": at("21:00")}],
                "max_participants": 8,
                "facilitator_skills": ["ervaring"],
            }
        ],
        "participants": [
            {"id": f"p{i}", "location": where, "topics": ["Schulden"], "max_distance_km": 5}
            for i, where in enumerate(people)
        ],
        "options": {"workers": 1},
    }


def test_group_proposals_are_in_the_signals_by_cell_never_by_a_persons_place() -> None:
    from jsonschema import Draft202012Validator

    from matchcore.io.schema import schema

    doc = debts_without_groups_doc()
    solution = solve_doc(doc)
    out = solution.to_dict()
    assert list(Draft202012Validator(schema("solution")).iter_errors(out)) == []
    top = out["group_proposals"]
    signalled = out["signals"]["group_proposals"]
    assert sorted(p["count"] for p in signalled) == [1, 3]
    assert len(signalled) == len(top)
    for plan, signal in zip(top, signalled, strict=True):
        same = ("topic", "count", "radius_km", "facilitators", "detail")
        assert {k: signal[k] for k in same} == {k: plan[k] for k in same}
        assert signal["place"] == cell_of(plan["place"]["lat"], plan["place"]["lon"]).to_dict()
    single = next(p for p in signalled if p["count"] == 1)
    assert single["facilitators"] == ["kim"] and single["topic"] == "Schulden"
    # The one person in Maastricht: their place is nowhere in the signals.
    text = json.dumps(out["signals"])
    for person in doc["participants"]:
        for coordinate in person["location"].values():
            assert str(round(coordinate, 4)) not in text
    summary = "\n".join(signal_lines(solution))
    assert "Signals: proposed groups" in summary and "Schulden, cell " in summary


def test_signals_of_a_problem_without_groups_have_no_group_proposals() -> None:
    solution = solve_doc(dialysis_doc())
    assert solution.signals is not None and solution.signals.group_proposals is None
    assert "group_proposals" not in solution.to_dict()["signals"]
