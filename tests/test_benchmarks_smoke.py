"""Smoke test of the benchmark harness: end to end on the tiny family, all peers.

Runs ``python -m benchmarks --sizes T`` (30 volunteers x 60 requests, untimed
and timed), every peer in its own subprocess, and checks that the result
files exist and that every plan passed the independent checker. No timing
assertions: the machine may be shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PEERS = {"matchcore", "greedy", "flow", "cpsat", "scipy"}


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
    assert [f.stem for f in families] == ["T-timed-teams-ample", "T-untimed-single-ample"]

    for path in families:
        record = json.loads(path.read_text(encoding="utf-8"))
        runs = {run["peer"]: run for run in record["runs"]}
        assert set(runs) == PEERS
        for peer, run in runs.items():
            assert run["status"] in {"optimal", "feasible", "heuristic", "n/a"}, (peer, run)
            if run["status"] != "n/a":
                assert run["violations"] == 0, (path.name, peer, run["violation_examples"])
        assert not record["consistency_issues"]
        if record["timing"] == "untimed":
            # The flow-representable family: every exact peer reaches the same optimum.
            optimum = runs["flow"]["priority"]
            for peer in ("matchcore", "scipy", "cpsat"):
                assert runs[peer]["status"] == "optimal"
                assert runs[peer]["priority"] == optimum
                # Distances are optimised in whole metres: totals agree to a few metres.
                assert runs[peer]["travel_km"] == pytest.approx(runs["flow"]["travel_km"], abs=0.05)
        else:
            assert runs["flow"]["status"] == runs["scipy"]["status"] == "n/a"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "T-untimed-single-ample" in summary and "Targets of issue 3" in summary
