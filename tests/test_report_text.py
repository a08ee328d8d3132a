"""The text summary (``matchcore demo``, ``matchcore summary``): it lays out the report model."""

from __future__ import annotations

import re

from report_cases import bare, plan, with_extras

from matchcore.explain import reason_gloss
from matchcore.report.text import format_summary
from matchcore.solution import Reason


def test_summary_totals_and_reasons() -> None:
    problem, doc = bare()
    text = format_summary(problem, doc, title="Plan")
    served = len(doc["assignments"])
    assert text.startswith("Plan: 3 volunteers, 7 open requests")
    assert f"Served      {served} of 7 requests" in text
    assert f"Not served: {7 - served} requests, by reason" in text
    for u in doc["unassigned"]:
        assert reason_gloss(Reason(u["reason"])) in text
    assert "Groups" not in text and "Signals" not in text and "Warnings" not in text


def test_summary_shows_groups_signals_and_warnings_when_there() -> None:
    problem, doc = with_extras()
    text = format_summary(problem, doc, title="Plan")
    assert "Groups      1 open, 1 not opened; 2 participants placed, 1 not placed" in text
    assert re.search(
        r"Signals: unmet needs .*\n  no_skill_match +nursing +Brugge +tue morning +1", text
    )
    assert "Signals: recruit (verified by solving again)\n  one more volunteer with nursing" in text
    assert "Signals: near misses (one change serves the request)\n  a range of 60 km" in text
    assert "Warnings: 1\n  unknown_skill /requests/3/skills/0: no volunteer has nursing" in text


def test_summary_lists_only_the_first_rows() -> None:
    problem, doc = plan()
    text = format_summary(problem, doc, rows=2, details=1)
    assert f"Assignments (the first 2 of {len(doc['assignments'])})" in text
