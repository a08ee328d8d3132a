"""Invariants of the report over random problems and random partitions into served and not.

The report does not judge a plan (``check`` does): any partition of the
requests into assignments and unserved ones is a plan it must lay out, each
request exactly once, with counts that add up in every format.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from strategies import small_problems
from test_report_html import Page

from matchcore.problem import Problem
from matchcore.report import build_report, render_report_html, write_xlsx
from matchcore.solution import Reason


@st.composite
def plans(draw: st.DrawFn) -> tuple[Problem, dict[str, Any]]:
    problem = draw(small_problems())
    assignments, unassigned = [], []
    ids = [v.id for v in problem.volunteers]
    for req in problem.requests:
        if ids and draw(st.booleans()):
            team = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
            item: dict[str, Any] = {
                "request_id": req.id,
                "volunteer_ids": team,
                "volunteers": [
                    {"id": v, "distance_km": draw(st.floats(0, 30)), "travel_minutes": 5}
                    for v in team
                ],
            }
            if req.window is not None:
                item["start"] = req.window.start.isoformat()
                item["end"] = req.window.end.isoformat()
            assignments.append(item)
        else:
            reason = draw(st.sampled_from([r.value for r in Reason]))
            unassigned.append({"request_id": req.id, "reason": reason, "detail": "counts"})
    doc = {"status": "feasible", "assignments": assignments, "unassigned": unassigned}
    return problem, doc


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(plans(), st.sampled_from(["nl", "en"]))
def test_every_format_shows_each_request_once(
    plan: tuple[Problem, dict[str, Any]], lang: str
) -> None:
    problem, doc = plan
    report = build_report(problem, doc)
    served = Counter(a["request_id"] for a in doc["assignments"])
    missed = Counter(u["request_id"] for u in doc["unassigned"])
    assert sum(d.served for d in report.days) == len(doc["assignments"])
    assert sum(d.unserved for d in report.days) == len(doc["unassigned"])
    assert sum(r.count for r in report.reasons) == len(doc["unassigned"])
    tasks = Counter(v for a in doc["assignments"] for v in a["volunteer_ids"])
    assert {w.volunteer_id: w.tasks for w in report.weeks if w.tasks} == dict(tasks)

    page = Page(render_report_html(report, lang=lang))
    assert Counter(r[0].split()[0] for r in page.tables["table-assignments"]) == served
    assert Counter(r[0] for r in page.tables.get("table-unserved", [])) == missed

    book = load_workbook(io.BytesIO(write_xlsx(report, lang=lang)))
    assert (
        Counter(r[0] for r in book["assignments"].iter_rows(min_row=2, values_only=True)) == served
    )
    assert Counter(r[0] for r in book["unserved"].iter_rows(min_row=2, values_only=True)) == missed
    assert Counter(r[0] for r in book["schedule"].iter_rows(min_row=2, values_only=True)) == tasks
