"""The report model: built once from a problem and its solution, read by every format."""

from __future__ import annotations

import copy
import math
from collections import Counter
from typing import Any

import pytest
from report_cases import NASTY_ID, bare, plan, with_extras

from matchcore.errors import ProblemError
from matchcore.report.model import MAP_HEIGHT, MAP_WIDTH, build_report, day_key, reason_text
from matchcore.solution import Reason


def test_every_request_is_either_an_assignment_or_unserved() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    assert {a.request_id for a in report.assignments} == {
        a["request_id"] for a in doc["assignments"]
    }
    assert [u.request_id for u in report.unserved] == [u["request_id"] for u in doc["unassigned"]]
    assert report.served + len(report.unserved) == len(problem.requests) == report.requests
    assert {u.reason for u in report.unserved} >= {"no_skill_match", "out_of_range"}


def test_weeks_hold_each_volunteers_visits_in_time_order() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    assert [w.volunteer_id for w in report.weeks] == [v.id for v in problem.volunteers]
    expected = Counter(vid for a in doc["assignments"] for vid in a["volunteer_ids"])
    assert {w.volunteer_id: w.tasks for w in report.weeks if w.tasks} == dict(expected)
    for w in report.weeks:
        starts = [v.start for v in w.visits if v.start is not None]
        assert starts == sorted(starts)
        # untimed visits come after the timed ones
        timed = [v.start is not None for v in w.visits]
        assert timed == sorted(timed, reverse=True)
        assert w.km == pytest.approx(sum(v.km for v in w.visits))
        assert w.max_tasks == problem.volunteers[problem.volunteer_index[w.volunteer_id]].max_tasks


def test_counts_agree_with_an_independent_tally() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    by_day: Counter[str] = Counter()
    for a in doc["assignments"]:
        by_day[a["start"][:10] if "start" in a else "none"] += 1
    assert {day_key(d.day): d.served for d in report.days if d.served} == dict(by_day)
    missed: Counter[str] = Counter()
    for u in doc["unassigned"]:
        req = problem.requests[problem.request_index[u["request_id"]]]
        missed[req.window.start.date().isoformat() if req.window else "none"] += 1
    assert {day_key(d.day): d.unserved for d in report.days if d.unserved} == dict(missed)
    assert {r.reason: r.count for r in report.reasons} == dict(
        Counter(u["reason"] for u in doc["unassigned"])
    )
    # the funnel order of reasons: the first stage first
    order = [r.value for r in Reason]
    assert [r.reason for r in report.reasons] == sorted(
        (r.reason for r in report.reasons), key=order.index
    )
    assert report.travel_km == doc["objective"]["travel_km"]
    assert report.total_priority == sum(r.priority for r in problem.requests)


def test_km_per_member_is_the_round_trip_without_legs() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    for row, a in zip(report.assignments, doc["assignments"], strict=True):
        assert row.km == pytest.approx(sum(2 * v["distance_km"] for v in a["volunteers"]))


def test_map_points_lie_inside_the_map_and_keep_their_order() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    points = [w.home for w in report.weeks] + [a.place for a in report.assignments]
    points += [u.place for u in report.unserved]
    for p in points:
        assert 0 <= p.x <= MAP_WIDTH and 0 <= p.y <= MAP_HEIGHT
    # north is up and east is right
    for p in points:
        for q in points:
            if p.lat > q.lat:
                assert p.y <= q.y
            if p.lon > q.lon:
                assert p.x >= q.x
    assert report.scale_km > 0
    assert 0 < report.scale_units <= MAP_WIDTH / 6
    # one assignment line per team member
    lines = [line for line in report.lines if line.kind == "assignment"]
    assert len(lines) == sum(len(a["volunteer_ids"]) for a in doc["assignments"])


def test_later_fields_fill_their_sections() -> None:
    problem, doc = with_extras()
    report = build_report(problem, doc)
    assert report.has_rides and report.has_roles
    ride = next(a for a in report.assignments if a.request_id == "req-ride")
    assert ride.destination is not None
    assert ride.km == pytest.approx(7.0 * len(ride.volunteer_ids))  # the four legs
    assert any(line.kind == "ride" for line in report.lines)
    assert [g.group_id for g in report.groups] == ["grp-debts"]
    assert report.groups[0].place is not None
    assert sum(line.kind == "group" for line in report.lines) == 2
    assert [o.id for o in report.closed_groups] == ["grp-grief"]
    assert [o.reason for o in report.unplaced] == ["group_not_opened"]
    assert [r.service_id for r in report.referrals] == ["svc-1"]
    kinds = [s.kind for s in report.signals]
    assert kinds == ["unmet", "recruit", "near_misses"]  # empty zorgpad_gaps left out
    recruit = report.signals[1].table
    assert "volunteer" not in recruit.columns and "summary" in recruit.columns
    assert "patch" not in report.signals[2].table.columns
    assert report.warnings[0].code == "unknown_skill"
    far = next(u for u in report.unserved if u.request_id == "req-far")
    assert far.near_miss.startswith("a range of 60 km")
    assert all(u.near_miss == "" for u in report.unserved if u is not far)


def test_without_later_fields_their_sections_are_empty() -> None:
    problem, doc = bare()
    report = build_report(problem, doc)
    assert not report.has_rides and not report.has_roles
    assert report.groups == report.closed_groups == report.unplaced == ()
    assert report.signals == report.warnings == report.referrals == ()


def test_a_solution_object_and_its_document_give_the_same_report() -> None:
    from matchcore import solve

    problem, _ = plan()
    solution = solve(problem)
    assert build_report(problem, solution) == build_report(problem, solution.to_dict())


def test_redaction_is_stable_unique_and_complete() -> None:
    problem, doc = with_extras()
    report = build_report(problem, doc, redact=True)
    ids = [v.id for v in problem.volunteers] + [r.id for r in problem.requests]
    ids += [r.client_id for r in problem.requests]
    text = repr(report)
    for raw in (*ids, "par-1", "grp-debts"):
        assert raw not in text, raw
    # the same volunteer has the same pseudonym in the weeks, the table and the groups
    a = next(w.volunteer_id for w in report.weeks if w.tasks)
    assert a in {vid for row in report.assignments for vid in row.volunteer_ids}
    assert all(w.volunteer_id.startswith("V-") for w in report.weeks)
    assert len({w.volunteer_id for w in report.weeks}) == len(report.weeks)
    assert report.groups[0].facilitators == (report.weeks[0].volunteer_id,)
    # a fresh key per report: pseudonyms cannot be matched across reports
    other = build_report(problem, doc, redact=True)
    assert {w.volunteer_id for w in other.weeks} != {w.volunteer_id for w in report.weeks}


def test_redaction_lengthens_a_pseudonym_on_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    import matchcore.report.model as model

    monkeypatch.setattr(model.secrets, "token_bytes", lambda n: b"k" * n)
    names = model._Pseudonyms()
    many = [names.of("request", f"r{i}") for i in range(3000)]  # 4 hex digits collide here
    assert len(set(many)) == len(many)
    assert any(len(n) > 6 for n in many)
    assert names.of("request", "r7") == many[7]


def test_reason_text_comes_from_the_one_table() -> None:
    from matchcore.explain import reason_gloss

    assert reason_text("capacity", "nl") == reason_gloss(Reason.CAPACITY, "nl")
    assert reason_text("something_new", "en") == ""


def _broken(change: Any) -> dict[str, Any]:
    _, doc = plan()
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda d: d.pop("status"), "(document)", "not a solution"),
        (lambda d: d.pop("unassigned"), "(document)", "not a solution"),
        (lambda d: d.update(status=3), "status", "must be a string"),
        (lambda d: d.update(assignments={}), "assignments", "must be a list"),
        (lambda d: d["assignments"].append(7), "assignments[", "must be an object"),
        (
            lambda d: d["assignments"][0].update(request_id="nope"),
            "assignments[0].request_id",
            "does not have",
        ),
        (
            lambda d: d["assignments"].append(copy.deepcopy(d["assignments"][0])),
            ".request_id",
            "assigned twice",
        ),
        (
            lambda d: d["assignments"][0]["volunteers"][0].update(id="nobody"),
            "assignments[0].volunteers[0].id",
            "does not have",
        ),
        (lambda d: d["assignments"][0].pop("end"), "assignments[0].end", "required"),
        (
            lambda d: d["assignments"][0].update(start="monday"),
            "assignments[0].start",
            "ISO 8601",
        ),
        (
            lambda d: d["assignments"][0].update(start="2026-03-02T09:00:00"),
            "assignments[0].start",
            "UTC offset",
        ),
        (
            lambda d: d["unassigned"].append(copy.deepcopy(d["unassigned"][0])),
            "unassigned[",
            "listed before",
        ),
        (lambda d: d["unassigned"].pop(), "(document)", "does not belong to this problem"),
        (lambda d: d["unassigned"][0].update(reason=None), ".reason", "must be a string"),
    ],
)
def test_a_broken_solution_is_refused_with_its_path(change: Any, where: str, words: str) -> None:
    problem, _ = plan()
    with pytest.raises(ProblemError) as err:
        build_report(problem, _broken(change))
    assert where in err.value.location and words in err.value.message, err.value


def test_refuses_what_is_not_an_object() -> None:
    problem, _ = plan()
    with pytest.raises(ProblemError, match="not a solution"):
        build_report(problem, [1, 2])


def test_an_empty_plan_has_a_report() -> None:
    from matchcore.problem import Problem

    empty = Problem((), ())
    doc = {"status": "optimal", "assignments": [], "unassigned": [], "bound": 0}
    report = build_report(empty, doc)
    assert report.served == 0 and report.days == () and report.weeks == ()
    assert math.isfinite(report.scale_units)


def test_nasty_ids_are_kept_verbatim_in_the_model() -> None:
    problem, doc = plan()
    report = build_report(problem, doc)
    assert NASTY_ID in {w.volunteer_id for w in report.weeks}


def test_redaction_reaches_ids_inside_texts() -> None:
    problem, doc = with_extras()
    doc = copy.deepcopy(doc)
    doc["warnings"].append(
        {"code": "x", "pointer": "", "message": f"see (vol-a), req-far. and {NASTY_ID}!"}
    )
    report = build_report(problem, doc, redact=True)
    message = report.warnings[-1].message
    vol_a = report.weeks[0].volunteer_id
    far = next(u.request_id for u in report.unserved if "60 km" in u.near_miss)
    # req-far is also its own client's id, and NASTY_ID a volunteer's and a client's:
    # in a text, an id used twice reads as the kind it was first met as
    ride = next(a for a in report.assignments if a.destination is not None)
    assert message == f"see ({vol_a}), {far}. and {ride.client_id}!"
