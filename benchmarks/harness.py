"""The benchmark harness: generate families, run peers in subprocesses, score, report.

Each peer runs in its own subprocess (``python -m benchmarks.run_peer``),
one after another, so that timings do not compete with each other. The
harness polls the whole process tree of the running peer with psutil (every
0.1 s) for peak memory, and kills the tree when it passes ``--mem-limit-gb``
or the wall-clock ``--timeout``; either is recorded as the run's status.
Every plan is then scored here with the independent checker
:func:`matchcore.check.check`, whose recomputed objective (not the peer's own
report) gives the served requests, priority, continuity and travel.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.families import SIZE_ORDER, Family, families_for, problem_from_spec
from benchmarks.peers import (
    DEFAULT_PEERS,
    NOT_APPLICABLE,
    PEERS,
    RELAXATION,
    SKIPPED,
    static_not_applicable,
)
from benchmarks.report import write_summary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results"
# Per size: the time limit every peer gets (seconds), unless --time-limit is given.
DEFAULT_TIME_LIMITS = {"T": 5.0, "N": 10.0, "S": 30.0, "M": 60.0, "L": 120.0}
BASELINES = ("greedy", "flow", "flow-relaxed", "cpsat", "scipy", "mip")  # on the shared graph
# Families above: matchcore's own limit; a --time-limit overrides both.
DEFAULT_TIME_LIMITS["G"] = 60.0


@dataclass(frozen=True)
class Config:
    sizes: list[str]
    only: list[str]
    peers: list[str]
    time_limit: float | None
    repeat: int
    out: Path
    mem_limit_gb: float
    timeout: float | None
    cpsat_max_pairs: int
    scipy_max_edges: int
    mip_max_pairs: int
    seed: int
    verbose: bool
    keep_work: Path | None

    def limit_for(self, family: Family) -> float:
        if self.time_limit is not None:
            return self.time_limit
        own = family.time_limit_s
        return own if own is not None else DEFAULT_TIME_LIMITS[family.size]

    def timeout_for(self, family: Family) -> float:
        # Model building and explaining come on top of the solve budget.
        if self.timeout is not None:
            return self.timeout
        return 2 * self.limit_for(family) + 120.0


@dataclass
class ProcessResult:
    returncode: int | None
    elapsed_s: float
    peak_tree_mb: float
    killed: str | None  # "memory" or "timeout"


def run_watched(
    cmd: list[str], *, timeout_s: float, mem_limit_mb: float, log_path: Path
) -> ProcessResult:
    """Run ``cmd`` in its own session; poll its process tree's memory; kill on limits."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    started = time.perf_counter()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        peak = 0.0
        killed = None
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            root = None
        while proc.poll() is None:
            if root is not None:
                peak = max(peak, _tree_rss_mb(root))
            if peak > mem_limit_mb:
                killed = "memory"
            elif time.perf_counter() - started > timeout_s:
                killed = "timeout"
            if killed:
                _kill_group(proc)
                break
            time.sleep(0.1)
        proc.wait()
    return ProcessResult(proc.returncode, time.perf_counter() - started, peak, killed)


def _tree_rss_mb(root: psutil.Process) -> float:
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the session started for this peer
        os.killpg(proc.pid, signal.SIGKILL)


# -- one family -----------------------------------------------------------------------------


class FamilyRun:
    def __init__(self, family: Family, cfg: Config, work: Path) -> None:
        self.family = family
        self.cfg = cfg
        self.work = work
        self.spec_path = work / f"{family.name}.spec.json"
        self.graph_path = work / f"{family.name}.graph.npz"
        self.log_path = work / f"{family.name}.log"
        self.limit = cfg.limit_for(family)

    def say(self, text: str) -> None:
        print(f"[{self.family.name}] {text}", file=sys.stderr, flush=True)

    def run(self) -> dict[str, Any]:
        fam = self.family
        spec = fam.spec()
        self.spec_path.write_text(json.dumps(spec), encoding="utf-8")
        tick = time.perf_counter()
        problem = problem_from_spec(spec)
        gen_s = time.perf_counter() - tick
        teams = sum(r.volunteers_needed > 1 for r in problem.requests)
        groups = f", {len(problem.groups)} groups x {len(problem.participants)} participants"
        self.say(
            f"{len(problem.volunteers)} volunteers x {len(problem.requests)} requests"
            f"{groups if problem.groups else ''}, "
            f"{fam.timing}, {teams} team requests (generated in {gen_s:.1f} s); "
            f"time limit {self.limit:g} s"
        )
        record: dict[str, Any] = {
            "family": fam.name,
            "size": fam.size,
            "timing": fam.timing,
            "kind": fam.kind,
            "supply": fam.supply,
            "spec": spec,
            "instance": {
                "volunteers": len(problem.volunteers),
                "requests": len(problem.requests),
                "region": fam.region,
                "timed": fam.timing == "timed",
                "team_requests": teams,
                "minute_budgets": sum(v.max_minutes is not None for v in problem.volunteers),
                "task_limits": sum(v.max_tasks is not None for v in problem.volunteers),
                "groups": len(problem.groups),
                "participants": len(problem.participants),
                "generate_s": round(gen_s, 3),
            },
            "time_limit_s": self.limit,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
        }
        if len(problem.volunteers) * len(problem.requests) > 10**8:
            tick = time.perf_counter()
            in_range = in_range_pairs(problem)
            record["instance"]["in_range_pairs"] = in_range
            self.say(
                f"{in_range:,} (volunteer, request) pairs within range, before skills, "
                f"languages and time (counted in {time.perf_counter() - tick:.1f} s)"
            )
        wanted = {p: static_not_applicable(p, problem) for p in self.cfg.peers}
        graph = None
        if any(p in BASELINES and why is None for p, why in wanted.items()):
            graph = self.build_graph()
            record["graph"] = graph
            record["instance"]["candidate_pairs"] = graph.get("pairs")
        runs = []
        for peer in self.cfg.peers:
            why = wanted[peer]
            if why is not None:
                runs.append(_stub(peer, NOT_APPLICABLE, why))
            elif peer in BASELINES and (graph is None or graph["status"] != "ok"):
                detail = "candidate graph not built: " + (graph or {}).get("detail", "?")
                runs.append(_stub(peer, SKIPPED, detail))
            else:
                repeat = self.cfg.repeat if fam.size == "N" else 1
                runs.append(self.run_peer(peer, problem, repeat, graph))
            self.say(_line(runs[-1]))
        record["runs"] = runs
        derive(record)
        record["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        if self.graph_path.exists() and self.cfg.keep_work is None:
            self.graph_path.unlink()
        return record

    def command(self, peer: str, out: Path) -> list[str]:
        cmd = [
            sys.executable, "-m", "benchmarks.run_peer", peer, str(self.spec_path), str(out),
            "--time-limit", str(self.limit),
            "--cpsat-max-pairs", str(self.cfg.cpsat_max_pairs),
            "--scipy-max-edges", str(self.cfg.scipy_max_edges),
            "--mip-max-pairs", str(self.cfg.mip_max_pairs),
        ]  # fmt: skip
        if peer in BASELINES or peer == "graph":
            cmd += ["--graph", str(self.graph_path)]
        if self.cfg.verbose:
            cmd.append("--verbose")
        return cmd

    def build_graph(self) -> dict[str, Any]:
        out = self.work / f"{self.family.name}.graph.json"
        proc = run_watched(
            self.command("graph", out),
            timeout_s=self.cfg.timeout_for(self.family),
            mem_limit_mb=self.cfg.mem_limit_gb * 1024,
            log_path=self.log_path,
        )
        info: dict[str, Any] = {"peak_mb": round(proc.peak_tree_mb, 1)}
        if proc.killed or not out.exists():
            info.update(status=proc.killed or "error", detail=_failure(proc, self.cfg))
            self.say(f"graph: {info['status']} ({info['detail']})")
            return info
        data = json.loads(out.read_text(encoding="utf-8"))
        info.update(
            status=data["status"],
            detail=data.get("detail", ""),
            pairs=data.get("extra", {}).get("pairs"),
            phases=data.get("phases", {}),
            load_s=data.get("load_s"),
        )
        info["peak_mb"] = max(info["peak_mb"], data.get("peak_rss_self_mb", 0.0))
        self.say(
            f"graph: {info.get('pairs')} candidate pairs in "
            f"{info['phases'].get('candidates', 0):.1f} s, {info['peak_mb']:.0f} MB"
        )
        return info

    def run_peer(
        self, peer: str, problem: Any, repeat: int, graph: dict[str, Any] | None
    ) -> dict[str, Any]:
        from matchcore.check import check

        attempts = []
        for k in range(repeat):
            out = self.work / f"{self.family.name}.{peer}.{k}.json"
            proc = run_watched(
                self.command(peer, out),
                timeout_s=self.cfg.timeout_for(self.family),
                mem_limit_mb=self.cfg.mem_limit_gb * 1024,
                log_path=self.log_path,
            )
            if proc.killed or not out.exists():
                run = _stub(peer, proc.killed or "error", _failure(proc, self.cfg))
                run["peak_mb"] = round(proc.peak_tree_mb, 1)
                run["wall_s"] = round(proc.elapsed_s, 3)
                attempts.append(run)
                break  # a crash or a kill will not go better the next time
            data = json.loads(out.read_text(encoding="utf-8"))
            if self.cfg.keep_work is None:
                out.unlink()
            solution = data.pop("solution", None)
            run = {
                "peer": peer,
                "status": data["status"],
                "detail": data.get("detail", ""),
                "wall_s": data.get("wall_s"),
                "load_s": data.get("load_s"),
                "phases": data.get("phases", {}),
                "bound_own": data.get("bound"),
                "extra": data.get("extra", {}),
                "rss_after_load_mb": data.get("rss_after_load_mb"),
                "peak_mb": round(max(proc.peak_tree_mb, data.get("peak_rss_self_mb") or 0.0), 1),
                "process_s": round(proc.elapsed_s, 3),
            }
            if solution is not None:
                tick = time.perf_counter()
                report = check(problem, solution)
                obj = report.objective
                run.update(
                    served=obj.served_requests,
                    priority=obj.served_priority,
                    continuity=obj.continuity,
                    travel_km=round(obj.travel_km, 3),
                    violations=len(report.violations),
                    violation_examples=[str(v) for v in report.violations[:5]],
                    check_s=round(time.perf_counter() - tick, 3),
                )
                reasons = Counter(u.get("reason") for u in solution.get("unassigned") or [])
                run["unserved_reasons"] = dict(sorted(reasons.items()))
                if problem.groups:
                    run["groups"] = group_figures(problem, solution)
                    # the objective's first level: tasks' priority and the groups' together
                    run["priority"] = obj.served_priority + run["groups"]["group_priority"]
            elif run["status"] == RELAXATION:
                extra = run["extra"]
                run.update(
                    relaxed_served=extra.get("relaxed_served"),
                    relaxed_priority=extra.get("relaxed_priority"),
                    relaxed_travel_km=extra.get("relaxed_travel_km"),
                )
            elif run["status"] not in (NOT_APPLICABLE, SKIPPED, "error", "memory"):
                run.update(served=0, priority=0.0, continuity=0, travel_km=0.0)
            _core_times(run, graph)
            _overrun(run, self.limit)
            attempts.append(run)
        best = dict(attempts[0])
        if len(attempts) > 1:
            walls = [a["wall_s"] for a in attempts if a.get("wall_s") is not None]
            best["wall_runs"] = walls
            best["wall_s"] = round(statistics.median(walls), 4)
            for key in ("e2e", "core"):
                values = [a.get(f"{key}_s") for a in attempts]
                best[f"{key}_runs"] = values
                known = [x for x in values if x is not None]
                best[f"{key}_s"] = round(statistics.median(known), 4) if known else None
            overruns = [a["overrun_s"] for a in attempts if a.get("overrun_s") is not None]
            if overruns:
                best["overrun_runs"] = overruns
                best["overrun_s"] = max(overruns)  # the promise holds for every run
                best["over_promise_s"] = max(
                    a["over_promise_s"] for a in attempts if "over_promise_s" in a
                )
            best["violations"] = max(a.get("violations") or 0 for a in attempts)
            best["statuses"] = [a["status"] for a in attempts]
            best["peak_mb"] = max(a.get("peak_mb") or 0 for a in attempts)
        return best


def in_range_pairs(problem: Any) -> int:
    """How many pairs lie within the volunteers' ranges (a k-d tree count, no pair list)."""
    import numpy as np
    from scipy.spatial import cKDTree

    from matchcore import geo

    v_lat = np.array([v.location.lat for v in problem.volunteers])
    v_lon = np.array([v.location.lon for v in problem.volunteers])
    r_lat = np.array([r.location.lat for r in problem.requests])
    r_lon = np.array([r.location.lon for r in problem.requests])
    reach = np.array([problem.max_distance_km(v) for v in problem.volunteers])
    tree = cKDTree(geo.unit_vectors(r_lat, r_lon))
    counts = tree.query_ball_point(
        geo.unit_vectors(v_lat, v_lon), r=geo.chord_for_km(reach), return_length=True
    )
    return int(np.asarray(counts).sum())


def _core_times(run: dict[str, Any], graph: dict[str, Any] | None) -> None:
    """``core_s``: the method itself; ``e2e_s``: from the problem to the plan."""
    phases = run.get("phases") or {}
    if run["status"] in (NOT_APPLICABLE, SKIPPED, "error", "memory", "timeout"):
        return
    if run["peer"] not in BASELINES:  # from the problem, its own candidates included
        run["core_s"] = run.get("wall_s")
        run["e2e_s"] = run.get("wall_s")
        return
    core = sum(v for k, v in phases.items() if k not in ("candidates_load", "assemble"))
    run["core_s"] = round(core, 4)
    if run.get("wall_s") is not None and graph and graph.get("phases"):
        cand = graph["phases"].get("candidates", 0.0)
        run["e2e_s"] = round(cand + run["wall_s"] - phases.get("candidates_load", 0.0), 4)


def _overrun(run: dict[str, Any], limit: float) -> None:
    """``overrun_s``: how far ``matchcore.solve`` (from the call to the returned plan,
    ``extra.solve_s``; the JSON conversion after it is not part of the promise) ran
    past its time limit. The promise: at most ``max(5%, 1 s)`` of the limit;
    negative when it ended early."""
    solve_s = (run.get("extra") or {}).get("solve_s", run.get("wall_s"))
    if run["peer"].startswith("matchcore") and solve_s is not None:
        run["overrun_s"] = round(solve_s - limit, 3)
        run["overrun_allowed_s"] = round(max(0.05 * limit, 1.0), 3)
        # Past the promise (limit plus its allowance): must be <= 0.
        run["over_promise_s"] = round(run["overrun_s"] - run["overrun_allowed_s"], 3)


def _stub(peer: str, status: str, detail: str) -> dict[str, Any]:
    return {"peer": peer, "status": status, "detail": detail}


def _failure(proc: ProcessResult, cfg: Config) -> str:
    if proc.killed == "memory":
        return f"killed above --mem-limit-gb {cfg.mem_limit_gb:g} after {proc.elapsed_s:.0f} s"
    if proc.killed == "timeout":
        return f"killed after the {proc.elapsed_s:.0f} s timeout"
    return f"exit code {proc.returncode} (see the family log)"


def _line(run: dict[str, Any]) -> str:
    text = f"{run['peer']}: {run['status']}"
    if run.get("groups"):
        g = run["groups"]
        text += (
            f", placed {g['placed']} in {g['open_groups']} groups (priority {run['priority']:g})"
        )
    elif run.get("served") is not None:
        text += f", served {run['served']} (priority {run['priority']:g})"
    if run.get("relaxed_priority") is not None:
        text += f", relaxed optimum: priority {run['relaxed_priority']:g}"
    if run.get("violations"):
        text += f", {run['violations']} VIOLATIONS"
    if run.get("wall_s") is not None:
        text += f", {run['wall_s']:.2f} s"
    if run.get("wall_runs"):
        text += f" (median of {len(run['wall_runs'])})"
    if run.get("overrun_s") is not None:
        text += f", overrun {run['overrun_s']:+.2f} s (allowed {run['overrun_allowed_s']:g})"
    if run.get("peak_mb"):
        text += f", {run['peak_mb']:.0f} MB"
    if run.get("detail"):
        text += f" [{run['detail']}]"
    return text


# -- derived metrics ------------------------------------------------------------------------

PROVING = ("optimal", "feasible")


def derive(record: dict[str, Any]) -> None:
    """Best proven bound, gaps, and ratios against flow and greedy.

    Bounds come from proving peers (matchcore, CP-SAT, the MIP, the exact
    flows) and from the relaxed flow, whose optimum bounds the real one.
    The speed reference is the plain flow's core time, or, where the plain
    flow refuses the problem, the relaxed flow's (``flow_reference``).
    Groups families have no bound (matchcore's bound covers tasks only).
    """
    runs = {r["peer"]: r for r in record["runs"]}
    bounds = []
    for r in record["runs"]:
        proving = r.get("status") in PROVING and not r.get("violations")
        if (proving or r.get("status") == RELAXATION) and r.get("bound_own") is not None:
            bounds.append((float(r["bound_own"]), r["peer"]))
    if record.get("kind") == "groups":
        bounds = []
    # The tightest proven bound; on a tie, matchcore's own.
    best = min(bounds, key=lambda b: (b[0], b[1] != "matchcore")) if bounds else None
    record["bound"] = best[0] if best else None
    record["bound_source"] = best[1] if best else None
    mc = runs.get("matchcore", {})
    record["bound_matchcore"] = None if record.get("kind") == "groups" else mc.get("bound_own")
    flow, relaxed = runs.get("flow", {}), runs.get("flow-relaxed", {})
    greedy = runs.get("greedy", {}) if runs.get("greedy", {}).get("priority") else {}
    greedy = greedy or runs.get("group-greedy", {})
    flow_core, record["flow_reference"] = None, None
    if flow.get("status") in PROVING and flow.get("core_s"):
        flow_core, record["flow_reference"] = flow["core_s"], "flow"
    elif relaxed.get("status") == RELAXATION and relaxed.get("core_s"):
        flow_core, record["flow_reference"] = relaxed["core_s"], "flow-relaxed"
    for r in record["runs"]:
        if r.get("served"):
            r["km_per_served"] = round(r["travel_km"] / r["served"], 4)
    issues = []
    for r in record["runs"]:
        if flow_core and r.get("e2e_s") and r.get("status") not in (NOT_APPLICABLE, SKIPPED):
            r["time_vs_flow"] = round(r["e2e_s"] / flow_core, 3)
        prio = r.get("priority")
        if prio is None:
            continue
        if record["bound"]:
            r["gap_pct"] = round(100.0 * (record["bound"] - prio) / record["bound"], 4)
        if greedy.get("priority"):
            r["priority_vs_greedy"] = round(prio / greedy["priority"], 5)
        if greedy.get("km_per_served") and r.get("km_per_served"):
            r["km_per_served_vs_greedy"] = round(r["km_per_served"] / greedy["km_per_served"], 4)
        if r.get("violations"):
            continue
        for value, source in bounds:
            if prio > value + 1e-6:
                issues.append(
                    f"{r['peer']} serves priority {prio:g} above {source}'s bound {value:g}"
                )
    record["consistency_issues"] = issues


def group_figures(problem: Any, solution: dict[str, Any]) -> dict[str, Any]:
    """The groups side of a checked plan, recomputed from the document and the problem:
    open groups, placed participants, group priority, first-choice placements, and
    one-way km from home to the group (great circle, per person, not per session)."""
    from geopy.distance import great_circle

    groups = {g.id: g for g in problem.groups}
    people = {p.id: p for p in problem.participants}
    vols = {v.id: v for v in problem.volunteers}
    placed: set[str] = set()
    priority = first = 0.0
    p_km = f_km = 0.0
    opened = 0
    for item in solution.get("groups") or []:
        group = groups[item["group_id"]]
        opened += 1
        here = (group.location.lat, group.location.lon)
        for pid in item["participants"]:
            person = people[pid]
            placed.add(pid)
            priority += group.priority
            first += person.topics[0] == group.topic
            p_km += great_circle((person.location.lat, person.location.lon), here).km
        for vid in item["facilitators"]:
            vol = vols[vid]
            f_km += great_circle((vol.location.lat, vol.location.lon), here).km
    return {
        "open_groups": opened,
        "closed_groups": len(problem.groups) - opened,
        "placed": len(placed),
        "unplaced": len(problem.participants) - len(placed),
        "group_priority": round(priority, 6),
        "first_choice": int(first),
        "participant_km": round(p_km, 3),
        "facilitator_km": round(f_km, 3),
        "km_per_placed": round(p_km / len(placed), 4) if placed else None,
    }


def machine_info() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    try:
        from importlib.metadata import version

        ortools_version = version("ortools")
    except Exception:
        ortools_version = "?"
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_avg_1m": round(load[0], 2),
        "python": platform.python_version(),
        "ortools": ortools_version,
        "platform": platform.platform(terse=True),
        "matchcore_src_sha256": source_digest(),
    }


def source_digest() -> str:
    """A short digest of matchcore's source files, to tell library versions apart."""
    import hashlib

    import matchcore

    digest = hashlib.sha256()
    src = Path(matchcore.__file__).resolve().parent
    for path in sorted(src.rglob("*.py")):
        digest.update(path.relative_to(src).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# -- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Generate instance families, run every peer in its own subprocess, "
        "check every plan, and write results/<family>.json, summary.md and summary.png.",
    )
    parser.add_argument(
        "--sizes",
        default="N,S,M,L,G",
        help="comma-separated sizes: N (network 500x200 timed), S, M, L, G (groups: 300 "
        "groups x 5,000 participants); T is a tiny size for the smoke test "
        "(default: N,S,M,L,G)",
    )
    parser.add_argument("--peers", default=",".join(DEFAULT_PEERS), help="comma-separated peers")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per peer run, for every size (default per size: "
        + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_TIME_LIMITS.items())
        + ")",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per peer at size N, for the median"
    )
    parser.add_argument("--quick", action="store_true", help="only sizes S and N (smoke run)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated family names (or parts of names) to run, e.g. "
        "L-untimed-single; the others keep their result files",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--mem-limit-gb",
        type=float,
        default=10.0,
        help="kill a peer whose process tree passes this resident memory (default 10)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="kill a peer run after this many seconds (default: 2 x time limit + 120)",
    )
    parser.add_argument("--cpsat-max-pairs", type=int, default=1_000_000)
    parser.add_argument("--scipy-max-edges", type=int, default=20_000_000)
    parser.add_argument(
        "--mip-max-pairs",
        type=int,
        default=5_000,
        help="run the time-indexed MIP peer only up to this many candidate pairs (default 5000)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-work", type=Path, default=None, help="keep graphs and logs here")
    parser.add_argument("--verbose", action="store_true", help="show matchcore's progress log")
    args = parser.parse_args(argv)
    sizes = ["S", "N"] if args.quick else [s.strip().upper() for s in args.sizes.split(",")]
    for s in sizes:
        if s not in SIZE_ORDER:
            parser.error(f"unknown size {s!r}; choose from {', '.join(SIZE_ORDER)}")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for p in peers:
        if p not in PEERS:
            parser.error(f"unknown peer {p!r}; choose from {', '.join(PEERS)}")
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    return Config(
        sizes=sizes,
        only=[o.strip() for o in args.only.split(",") if o.strip()],
        peers=peers,
        time_limit=args.time_limit,
        repeat=args.repeat,
        out=args.out,
        mem_limit_gb=args.mem_limit_gb,
        timeout=args.timeout,
        cpsat_max_pairs=args.cpsat_max_pairs,
        scipy_max_edges=args.scipy_max_edges,
        mip_max_pairs=args.mip_max_pairs,
        seed=args.seed,
        verbose=args.verbose,
        keep_work=args.keep_work,
    )


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    cfg.out.mkdir(parents=True, exist_ok=True)
    families = families_for(cfg.sizes, cfg.seed)
    if cfg.only:
        families = [f for f in families if any(o in f.name for o in cfg.only)]
    started = time.perf_counter()
    print(
        f"benchmarks: {len(families)} families ({', '.join(cfg.sizes)}), peers "
        f"{', '.join(cfg.peers)}; results in {cfg.out}",
        file=sys.stderr,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="matchcore-bench-") as tmp:
        work = cfg.keep_work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for family in families:
            record = FamilyRun(family, cfg, work).run()
            path = cfg.out / f"{family.name}.json"
            path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    summary = write_summary(cfg.out)
    print(
        f"benchmarks: done in {time.perf_counter() - started:.0f} s; wrote {summary}",
        file=sys.stderr,
        flush=True,
    )
    return 0
