"""Run one peer on one instance, in this (sub)process, and write what happened.

    python -m benchmarks.run_peer PEER INSTANCE OUT.json [--graph G.npz] [--time-limit S]

``PEER`` is one of ``matchcore greedy flow flow-relaxed cpsat scipy mip
group-greedy``, or ``graph``, which
builds the candidate graph of the instance once and saves it to ``--graph``
for the baseline peers. ``INSTANCE`` is a family spec written by the harness
(``{"generate": {...}}``, rebuilt here with the generator) or any problem
document in format v1. Loading the problem is timed apart (``load_s``) and
is not part of ``wall_s``, which runs from the problem in memory to the
solution document. ``OUT.json`` holds the status, the phases, peak memory of
this process (``ru_maxrss``; the harness also polls the whole process tree)
and the solution document.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.families import load_problem
from benchmarks.peers import RUNNERS, PeerOutcome, PeerSettings, save_graph


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return _rss_mb(resource.RUSAGE_SELF)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_peer")
    parser.add_argument("peer", choices=[*RUNNERS, "graph"])
    parser.add_argument("instance", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--graph", type=Path, default=None)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--cpsat-max-pairs", type=int, default=1_000_000)
    parser.add_argument("--scipy-max-edges", type=int, default=20_000_000)
    parser.add_argument("--mip-max-pairs", type=int, default=5_000)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format=f"  [{args.peer}] %(asctime)s %(name)s: %(message)s",
        stream=sys.stderr,
    )

    record: dict[str, Any] = {"peer": args.peer, "instance": str(args.instance)}
    tick = time.perf_counter()
    problem = load_problem(args.instance)
    record["load_s"] = round(time.perf_counter() - tick, 4)
    record["rss_after_load_mb"] = round(_current_rss_mb(), 1)

    started = time.perf_counter()
    try:
        if args.peer == "graph":
            if args.graph is None:
                parser.error("graph needs --graph FILE.npz")
            info = save_graph(problem, args.graph)
            outcome = PeerOutcome("ok", phases=info["phases"], extra={"pairs": info["pairs"]})
        else:
            settings = PeerSettings(
                time_limit_s=args.time_limit,
                cpsat_max_pairs=args.cpsat_max_pairs,
                scipy_max_edges=args.scipy_max_edges,
                mip_max_pairs=args.mip_max_pairs,
            )
            outcome = RUNNERS[args.peer](problem, args.graph, settings)
    except MemoryError:
        outcome = PeerOutcome("memory", "MemoryError")
    except Exception as err:  # report, never hide: the harness shows it in the table
        traceback.print_exc()
        outcome = PeerOutcome("error", f"{type(err).__name__}: {err}"[:300])
    record.update(
        status=outcome.status,
        detail=outcome.detail,
        wall_s=round(time.perf_counter() - started, 4),
        phases=outcome.phases,
        bound=outcome.bound,
        extra=outcome.extra,
        peak_rss_self_mb=round(_rss_mb(resource.RUSAGE_SELF), 1),
        peak_rss_children_mb=round(_rss_mb(resource.RUSAGE_CHILDREN), 1),
        solution=outcome.solution,
    )
    args.out.write_text(json.dumps(record), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
