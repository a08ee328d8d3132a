"""Load benchmark of the HTTP service: a real gunicorn server on 127.0.0.1.

::

    .venv/bin/python -m benchmarks.load_service                 # 16 clients, 64 requests
    .venv/bin/python -m benchmarks.load_service --requests 200 --json-out /tmp/load.json

Starts gunicorn exactly as ``service/README.md`` documents it
(``gunicorn -c service/gunicorn_conf.py 'service.app:create_app()'``) on a
random free port of 127.0.0.1, with a fresh API key and a temporary jobs
database, waits for ``/readyz``, then sends network-size problems (by default
the suite's family N: 500 volunteers x 200 requests, a timed week in the
zorgnetwerken, from ``matchcore.synth.generate``) to ``POST /v1/match`` from
``--clients`` concurrent threads, each on its own keep-alive connection, until
``--requests`` answers or ``--duration`` seconds. Reports throughput, latency
percentiles and errors (any answer that is not 200 with a solution, or a
failed connection) as Markdown and JSON, then stops the server. No traffic
leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the only address this benchmark talks to
ROOT = Path(__file__).resolve().parent.parent


# -- problems ----------------------------------------------------------------------------------


def make_problems(volunteers: int, requests: int, count: int, region: str) -> list[bytes]:
    """``count`` different problems (seeds 0..count-1) as JSON bodies."""
    try:
        from matchcore.synth.generate import generate
    except ImportError:  # pragma: no cover - before the generator existed
        return [json.dumps(_fallback(volunteers, requests, s)).encode() for s in range(count)]
    return [
        json.dumps(generate(volunteers, requests, region=region, seed=s).to_dict()).encode()
        for s in range(count)
    ]


def _fallback(volunteers: int, requests: int, seed: int) -> dict[str, Any]:
    """A plain synthetic network around Maastricht, for when no generator is available."""
    import random

    rng = random.Random(seed)
    skills = ["shopping", "driving", "visit", "chores", "cooking"]

    def point() -> dict[str, float]:
        return {"lat": 50.85 + rng.uniform(-0.1, 0.1), "lon": 5.69 + rng.uniform(-0.15, 0.15)}

    day = "2030-03-0{}T{:02d}:00:00+01:00"
    vols = [
        {
            "id": f"v{i}",
            "location": point(),
            "skills": rng.sample(skills, 2),
            "availability": [
                {"start": day.format(d, 9), "end": day.format(d, 17)} for d in (4, 5, 6)
            ],
            "max_tasks": 3,
        }
        for i in range(volunteers)
    ]
    reqs = [
        {
            "id": f"r{j}",
            "location": point(),
            "skills": [rng.choice(skills)],
            "duration_minutes": rng.choice([30, 60, 90]),
            "window": {"start": day.format(d, 9), "end": day.format(d, 13)},
        }
        for j, d in ((j, rng.choice((4, 5, 6))) for j in range(requests))
    ]
    return {"volunteers": vols, "requests": reqs, "options": {"time_limit_seconds": 10}}


# -- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    key: str
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    command: list[str] = field(default_factory=list)

    def start(
        self, web_workers: int | None, threads: int | None, env_extra: dict[str, str]
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCORE_")}
        env.update(
            {
                "MATCHCORE_API_KEYS": f"bench:{self.key}",
                "MATCHCORE_BIND": f"{HOST}:{self.port}",
                "MATCHCORE_JOBS_DB": str(self.workdir / "jobs.sqlite3"),
                # the benchmark measures the solver path, not the per-key limiter
                "MATCHCORE_RATE_LIMIT_PER_MINUTE": "1000000",
                "MATCHCORE_RATE_LIMIT_BURST": "1000000",
            }
        )
        if web_workers:
            env["MATCHCORE_WEB_WORKERS"] = str(web_workers)
        if threads:
            env["MATCHCORE_WEB_THREADS"] = str(threads)
        env.update(env_extra)
        self.command = [
            sys.executable, "-m", "gunicorn",
            "-c", "service/gunicorn_conf.py",
            "service.app:create_app()",
        ]  # fmt: skip
        log = (self.workdir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.workdir / 'server.log'}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError("the server did not become ready in time")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "server.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- the clients -----------------------------------------------------------------------------


@dataclass
class Result:
    latency_s: float
    status: int  # 0 = connection failure
    server_wall_s: float | None = None
    solution_status: str | None = None


def run_load(
    port: int,
    key: str,
    bodies: Sequence[bytes],
    clients: int,
    total: int,
    duration_s: float,
    timeout_s: float,
) -> tuple[list[Result], float]:
    lock = threading.Lock()
    results: list[Result] = []
    issued = 0
    stop_at = time.monotonic() + duration_s
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def next_index() -> int | None:
        nonlocal issued
        with lock:
            if issued >= total or time.monotonic() >= stop_at:
                return None
            issued += 1
            return issued - 1

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
        while (i := next_index()) is not None:
            body = bodies[i % len(bodies)]
            started = time.perf_counter()
            try:
                conn.request("POST", "/v1/match", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                took = time.perf_counter() - started
                result = Result(took, resp.status)
                if resp.status == 200:
                    doc = json.loads(data)
                    result.solution_status = doc.get("status")
                    result.server_wall_s = doc.get("stats", {}).get("wall_seconds")
                    if result.solution_status not in ("optimal", "feasible"):
                        result.status = -1  # a 200 without a solution counts as an error
            except (OSError, http.client.HTTPException, ValueError):
                took = time.perf_counter() - started
                result = Result(took, 0)
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
            with lock:
                results.append(result)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, name=f"client-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(results: list[Result], wall_s: float) -> dict[str, Any]:
    ok = [r for r in results if r.status == 200]
    lat = sorted(r.latency_s for r in ok)
    server = sorted(r.server_wall_s for r in ok if r.server_wall_s is not None)
    errors = Counter(str(r.status) for r in results if r.status != 200)
    return {
        "answers": len(results),
        "ok": len(ok),
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "wall_seconds": round(wall_s, 2),
        "throughput_per_s": round(len(ok) / wall_s, 3) if wall_s > 0 else 0.0,
        "latency_s": {
            "p50": round(percentile(lat, 50), 3),
            "p95": round(percentile(lat, 95), 3),
            "p99": round(percentile(lat, 99), 3),
            "max": round(lat[-1], 3) if lat else math.nan,
            "mean": round(sum(lat) / len(lat), 3) if lat else math.nan,
        },
        "solver_wall_s": {
            "p50": round(percentile(server, 50), 3),
            "p95": round(percentile(server, 95), 3),
        },
        "solution_status": dict(Counter(r.solution_status for r in ok)),
    }


def markdown(report: dict[str, Any]) -> str:
    s, c = report["summary"], report["config"]
    lat = s["latency_s"]
    return "\n".join(
        [
            f"### Service load: {c['clients']} clients, {c['volunteers']} volunteers x "
            f"{c['help_requests']} requests ({c['region']}, timed week)",
            "",
            "| answers | errors | throughput (req/s) | p50 (s) | p95 (s) | p99 (s) | max (s) "
            "| solver p50 (s) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {s['answers']} | {s['errors']} | {s['throughput_per_s']} | {lat['p50']} | "
            f"{lat['p95']} | {lat['p99']} | {lat['max']} | {s['solver_wall_s']['p50']} |",
            "",
            f"Server: `{c['server_command']}` with {c['web_workers']} workers x "
            f"{c['web_threads']} threads; machine: {report['machine']['cpus']} CPUs, "
            f"Python {report['machine']['python']}, load average at start "
            f"{report['machine']['load_average_start']}. Solutions: {s['solution_status']}. "
            f"Errors by status: {s['errors_by_status'] or 'none'}.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load_service", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=64, help="answers to collect")
    parser.add_argument("--duration", type=float, default=600.0, help="stop after this many s")
    parser.add_argument("--volunteers", type=int, default=500)
    parser.add_argument("--help-requests", type=int, default=200)
    parser.add_argument("--region", default="zorgnetwerken")
    parser.add_argument("--problems", type=int, default=8, help="distinct problems (seeds)")
    parser.add_argument("--web-workers", type=int, default=None)
    parser.add_argument("--web-threads", type=int, default=None)
    parser.add_argument("--client-timeout", type=float, default=300.0)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra MATCHCORE_* server setting, e.g. --set MAX_CONCURRENT_SOLVES=2",
    )
    args = parser.parse_args(argv)
    extra = {}
    for item in args.set:
        name, _, value = item.partition("=")
        extra["MATCHCORE_" + name.upper().removeprefix("MATCHCORE_")] = value

    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        print("gunicorn is not installed (pip install -e '.[service]')", file=sys.stderr)
        return 2
    print(f"generating {args.problems} problems ...", file=sys.stderr, flush=True)
    bodies = make_problems(args.volunteers, args.help_requests, args.problems, args.region)
    workdir = Path(tempfile.mkdtemp(prefix="matchcore-load-"))
    server = Server(port=free_port(), key=secrets.token_urlsafe(32), workdir=workdir)
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    try:
        server.start(args.web_workers, args.web_threads, extra)
        print(f"gunicorn on {HOST}:{server.port}, waiting for /readyz ...", file=sys.stderr)
        server.wait_ready(timeout=180)
        # warm-up (not counted): every worker imports and solves once
        run_load(server.port, server.key, bodies[:1], 2, 2, 600, args.client_timeout)
        print(f"{args.clients} clients ...", file=sys.stderr, flush=True)
        results, wall = run_load(
            server.port,
            server.key,
            bodies,
            args.clients,
            args.requests,
            args.duration,
            args.client_timeout,
        )
    except BaseException:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
    sys.path.insert(0, str(ROOT))
    from service import gunicorn_conf  # the settings the server ran with (same environment)

    report = {
        "config": {
            "clients": args.clients,
            "requests": args.requests,
            "volunteers": args.volunteers,
            "help_requests": args.help_requests,
            "region": args.region,
            "problems": args.problems,
            "body_bytes_mean": round(sum(len(b) for b in bodies) / len(bodies)),
            "server_command": "gunicorn -c service/gunicorn_conf.py 'service.app:create_app()'",
            "web_workers": args.web_workers or gunicorn_conf.workers,
            "web_threads": args.web_threads or gunicorn_conf.threads,
            "server_settings": extra,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_start": [round(x, 2) for x in load_start] if load_start else None,
        },
        "summary": summarise(results, wall),
    }
    print(markdown(report))
    print()
    print(json.dumps(report, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if report["summary"]["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
