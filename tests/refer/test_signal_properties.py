"""Signals on random networks: every near miss and recruitment advice holds when checked.

Checked independently of the code that found them: the patch is applied by
the ``jsonpatch`` library to the problem's JSON, the funnel is read on the
whole patched problem, and advice is checked by solving the grown problem.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import jsonpatch
from hypothesis import HealthCheck, given, settings
from strategies import small_problems, tiny_problems

import matchcore
from matchcore import Problem, candidate_funnels

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def passes(doc: dict[str, object], request_id: str) -> bool:
    problem = Problem.from_dict(doc)
    r = problem.request_index[request_id]
    f = candidate_funnels(problem)[r]
    return min(f.skills, f.not_excluded, f.in_range, f.available) >= (
        problem.requests[r].volunteers_needed
    )


@SETTINGS
@given(small_problems())
def test_every_near_miss_is_verified_and_smallest(problem: Problem) -> None:
    solution = matchcore.solve(problem, time_limit_s=20)
    assert solution.signals is not None
    doc = problem.to_dict()
    for miss in solution.signals.near_misses:
        assert not passes(doc, miss.request_id)
        assert passes(jsonpatch.apply_patch(doc, list(miss.patch)), miss.request_id)
        test, op = miss.patch
        assert test["op"] == "test" and jsonpatch.apply_patch(doc, [test]) == doc
        smaller = dict(op)
        if miss.kind == "widen_window":
            moment = datetime.fromisoformat(str(op["value"]))
            step = timedelta(minutes=1) if op["path"].endswith("end") else -timedelta(minutes=1)
            smaller["value"] = (moment - step).isoformat()
        elif miss.kind == "extend_range":
            smaller["value"] = round(float(op["value"]) - 0.1, 1)
        elif miss.kind == "renew_credential":
            day = date.fromisoformat(str(op["value"])) - timedelta(days=1)
            smaller["value"] = day.isoformat()
            if _not_after_valid_from(doc, op["path"], day):
                continue  # a day less is no credential at all (valid_until before valid_from)
        else:
            continue  # max_tasks 0 -> 1: there is nothing smaller
        original = jsonpatch.apply_patch(doc, [test])
        if miss.kind == "widen_window" and smaller["value"] == _current(original, op["path"]):
            continue  # widened by 1: "one less" is the original, which fails (checked above)
        if miss.kind == "extend_range" and smaller["value"] < _range(problem, op["path"]):
            continue
        assert not passes(jsonpatch.apply_patch(doc, [test, smaller]), miss.request_id)


def _not_after_valid_from(doc: dict[str, object], path: str, day: date) -> bool:
    entry = jsonpatch.JsonPointer(path.rsplit("/", 1)[0]).resolve(doc)
    start = entry.get("valid_from")
    if start is None:
        return False
    # the renewed date is read in the zone (else UTC): compare generously, by the day after
    return datetime.fromisoformat(start).date() >= day


def _current(doc: dict[str, object], path: str) -> object:
    return jsonpatch.JsonPointer(path).resolve(doc)


def _range(problem: Problem, path: str) -> float:
    v = int(path.split("/")[2])
    return problem.max_distance_km(problem.volunteers[v])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_every_recruitment_advice_holds_on_random_networks(problem: Problem) -> None:
    solution = matchcore.solve(problem, time_limit_s=30)
    assert solution.signals is not None
    doc = problem.to_dict()
    for item in solution.signals.recruit:
        assert item.extra_priority > 0
        more = copy.deepcopy(doc)
        more["volunteers"].append(item.volunteer)
        again = matchcore.solve(Problem.from_dict(more), time_limit_s=30, advise=False)
        assert again.objective.served_priority >= (
            solution.objective.served_priority + item.extra_priority - 1e-6
        )
