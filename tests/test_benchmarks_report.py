"""Issue 13's targets as the benchmark summary judges them: one test per clause."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the benchmarks package

from benchmarks.report import issue13_targets


def _record(family: str, limit: float, bound: float | None, **mc: Any) -> dict[str, Any]:
    run = {"peer": "matchcore", "violations": 0, "status": "feasible", "peak_mb": 1000.0}
    run.update(mc)
    return {
        "family": family,
        "time_limit_s": limit,
        "bound": bound,
        "runs": [run, {"peer": "greedy", "priority": 100.0}],
    }


def _line(records: list[dict[str, Any]], what: str) -> str:
    lines = issue13_targets(records)
    (line,) = [x for x in lines if f"{what}: **" in x or x.startswith(f"- Issue 13, {what}")]
    return line


PASSING = {
    "M-timed-teams-ample": _record("M-timed-teams-ample", 60, 110.0, priority=109.0, e2e_s=61.0),
    "M-timed-teams-scarce": _record("M-timed-teams-scarce", 60, 110.0, priority=107.0, e2e_s=62.9),
    "N-timed-teams-ample": _record(
        "N-timed-teams-ample", 10, 261.0, priority=261.0, e2e_s=0.9, statuses=["optimal"] * 5
    ),
    "L-untimed-budgets-capped": _record(
        "L-untimed-budgets-capped",
        300,
        1000.0,
        priority=999.5,
        gap_pct=0.05,
        time_vs_flow=1.4,
        peak_mb=3900.0,
        e2e_s=310.0,
    ),
    "L-timed-teams-ample": _record(
        "L-timed-teams-ample", 300, 130.0, priority=101.0, e2e_s=300.0, peak_mb=8000.0
    ),
}

# One clause broken at a time: the family's line must say it does not hold.
BROKEN = [
    ("M-timed-teams-ample", {"priority": 108.0}),  # 98.2% of the bound
    ("M-timed-teams-ample", {"e2e_s": 63.5}),  # past the limit + 5%
    ("M-timed-teams-scarce", {"priority": 106.0}),  # 96.4%
    ("N-timed-teams-ample", {"e2e_s": 1.0}),
    ("N-timed-teams-ample", {"statuses": ["optimal"] * 4 + ["feasible"]}),
    ("L-untimed-budgets-capped", {"gap_pct": 0.11}),
    ("L-untimed-budgets-capped", {"time_vs_flow": 1.51}),
    ("L-untimed-budgets-capped", {"peak_mb": 4100.0}),
    ("L-untimed-budgets-capped", {"e2e_s": 316.0}),
    ("L-timed-teams-ample", {"priority": 100.0}),  # only as good as greedy
    ("L-timed-teams-ample", {"peak_mb": 8200.0}),
    ("L-timed-teams-ample", {"violations": 1}),
]


@pytest.mark.parametrize("family", sorted(PASSING))
def test_each_target_holds_on_numbers_that_meet_it(family: str) -> None:
    assert "**holds**" in _line([PASSING[family]], family)


@pytest.mark.parametrize(("family", "change"), BROKEN)
def test_each_clause_of_a_target_can_fail_it(family: str, change: dict[str, Any]) -> None:
    record = copy.deepcopy(PASSING[family])
    record["runs"][0].update(change)
    assert "**does not hold**" in _line([record], family)


def test_timed_m_needs_five_percent_over_greedy() -> None:
    record = copy.deepcopy(PASSING["M-timed-teams-scarce"])
    record["runs"][1]["priority"] = 102.0  # 107 / 102 < 1.05
    assert "**does not hold**" in _line([record], "M-timed-teams-scarce")


def test_wall_time_is_judged_on_every_size() -> None:
    late = _record("S-untimed-single-ample", 30, 10.0, priority=10.0, e2e_s=31.6)
    records = [*PASSING.values(), late]
    assert "**holds**" in _line(list(PASSING.values()), "every size")
    line = _line(records, "every size")
    assert "**does not hold**" in line and "S-untimed-single-ample (31.6 s on 30 s)" in line
