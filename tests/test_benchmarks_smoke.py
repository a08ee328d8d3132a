"""Smoke test of the benchmark harness: end to end on the tiny families, all peers.

Runs ``python -m benchmarks --sizes T`` (30 volunteers x 60 requests: untimed
singles, untimed teams with budgets and task limits for everyone, timed
teams; and 8 groups x 60 participants), every peer in its own subprocess,
and checks that the result files exist, that every plan passed the
independent checker, and that the exact peers agree. No timing assertions:
the machine may be shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PEERS = {"matchcore", "greedy", "flow", "flow-relaxed", "cpsat", "scipy", "mip", "group-greedy"}
STATUSES = {"optimal", "feasible", "heuristic", "n/a", "relaxation"}


def test_harness_end_to_end_on_tiny_families(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "T", "--out", str(out), "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "summary.md").is_file()
    assert (out / "summary.png").stat().st_size > 0
    families = sorted(out.glob("T-*.json"))
    assert [f.stem for f in families] == [
        "T-timed-groups-ample",
        "T-timed-teams-ample",
        "T-untimed-budgets-capped",
        "T-untimed-single-ample",
    ]

    for path in families:
        record = json.loads(path.read_text(encoding="utf-8"))
        runs = {run["peer"]: run for run in record["runs"]}
        assert set(runs) == PEERS
        for peer, run in runs.items():
            assert run["status"] in STATUSES, (peer, run)
            if run["status"] not in ("n/a", "relaxation"):
                assert run["violations"] == 0, (path.name, peer, run["violation_examples"])
        assert not record["consistency_issues"]
        ran = {peer for peer, run in runs.items() if run["status"] != "n/a"}
        if record["kind"] == "groups":
            assert ran == {"matchcore", "group-greedy"}
            best, greedy = runs["matchcore"], runs["group-greedy"]
            assert best["status"] == "optimal"
            for run in (best, greedy):  # recomputed from the checked document
                figures = run["groups"]
                assert figures["placed"] + figures["unplaced"] == record["instance"]["participants"]
                assert (
                    figures["open_groups"] + figures["closed_groups"]
                    == record["instance"]["groups"]
                )
            assert best["groups"]["placed"] > 0
            assert best["priority"] >= greedy["priority"]
        elif record["kind"] == "single":
            # The flow-representable family: every exact peer reaches the same optimum.
            assert "flow-relaxed" not in ran and "mip" not in ran
            optimum = runs["flow"]["priority"]
            for peer in ("matchcore", "scipy", "cpsat"):
                assert runs[peer]["status"] == "optimal"
                assert runs[peer]["priority"] == optimum
                # Distances are optimised in whole metres: totals agree to a few metres.
                assert runs[peer]["travel_km"] == pytest.approx(runs["flow"]["travel_km"], abs=0.05)
        elif record["kind"] == "budgets":
            # The plain flow refuses teams and budgets; its relaxation is the speed
            # reference and bounds the optimum from above.
            assert runs["flow"]["status"] == runs["scipy"]["status"] == "n/a"
            relaxed = runs["flow-relaxed"]
            assert relaxed["status"] == "relaxation" and "priority" not in relaxed
            assert relaxed["relaxed_priority"] >= runs["matchcore"]["priority"]
            assert record["flow_reference"] == "flow-relaxed"
            assert runs["matchcore"]["time_vs_flow"] > 0
        else:
            assert runs["flow"]["status"] == runs["scipy"]["status"] == "n/a"
            # Two exact methods on the timed family: the same lexicographic optimum.
            assert runs["mip"]["status"] == runs["matchcore"]["status"] == "optimal"
            assert runs["mip"]["priority"] == runs["matchcore"]["priority"]
            assert runs["mip"]["continuity"] == runs["matchcore"]["continuity"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "T-untimed-single-ample" in summary
    assert "## Targets of issue 13" in summary and "## Targets of issues 3 and 10" in summary
    assert "## Groups" in summary and "T-timed-groups-ample" in summary
