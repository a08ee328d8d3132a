"""How the service is started: ``python -m service.dev`` and the gunicorn settings."""

from __future__ import annotations

import http.client
import importlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dev_server_prints_a_key_that_works(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCORE_")}
    env["MATCHCORE_JOBS_DB"] = str(tmp_path / "jobs.sqlite3")
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.dev", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        key = None
        deadline = time.monotonic() + 120
        while not any("curl" in line for line in lines) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if re.fullmatch(r"  [A-Za-z0-9_-]{40,}\n", line):
                key = line.strip()
        assert key is not None, "".join(lines)
        curl = next(line for line in lines if "curl" in line)
        assert f"Bearer {key}" in curl and "/v1/match" in curl
        body = (ROOT / "service" / "example_problem.json").read_bytes()
        answer = None
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(
                    "POST",
                    "/v1/match",
                    body=body,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                resp = conn.getresponse()
                answer = (resp.status, json.loads(resp.read()))
                conn.close()
                break
            except ConnectionRefusedError:
                time.sleep(0.2)
        assert answer is not None
        status, doc = answer
        assert status == 200
        assert doc["objective"]["served_requests"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- stopping: no process left behind -------------------------------------------------


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (command)"
        table[int(entry)] = (int(fields[1]), fields[0])
    return table


def _descendants(pid: int) -> list[int]:
    table = _process_table()
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, (ppid, _) in table.items() if ppid == parent]
        found += kids
        todo += kids
    return found


def _alive(pids: list[int]) -> list[int]:
    table = _process_table()
    return [p for p in pids if p in table and table[p][1] != "Z"]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _shields_sigint(pid: int) -> bool:
    """Whether SIGINT is blocked or ignored in ``pid`` (from /proc/PID/status)."""
    masks = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("SigBlk", "SigIgn"):
            masks[name] = int(value.strip(), 16)
    bit = 1 << (signal.SIGINT - 1)
    return any(mask & bit for mask in masks.values())


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def long_problem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A timed week large enough that its job is still solving when the server stops."""
    path = tmp_path_factory.mktemp("long") / "week.json"
    argv = ["generate", "--volunteers", "2000", "--requests", "1000", "--seed", "3", "-o"]
    subprocess.run([sys.executable, "-m", "matchcore.cli", *argv, str(path)], check=True)
    doc = json.loads(path.read_bytes())
    doc["options"] = {**doc.get("options", {}), "time_limit_seconds": 300}
    return json.dumps(doc).encode("utf-8")


def _request(port: int, method: str, path: str, key: str, body: bytes | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location"), json.loads(resp.read() or b"null")
    finally:
        conn.close()


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "how", ["SIGTERM to the server", "Ctrl-C to its process group", "SIGKILL to the server"]
)
def test_stopping_the_dev_server_ends_its_solver_processes(
    tmp_path: Path, long_problem: bytes, how: str
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCORE_")}
    db = tmp_path / "jobs.sqlite3"
    env["MATCHCORE_JOBS_DB"] = str(db)
    env["MATCHCORE_JOB_POLL_INTERVAL_S"] = "0.2"
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.dev", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a shell job has
        # Ctrl-C as in a terminal, even when this suite runs where SIGINT is ignored (a
        # background job of a script): Python keeps an inherited "ignore" for SIGINT
        preexec_fn=_default_sigint,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        key = None
        while key is None and time.monotonic() < deadline:
            key = next((ln.strip() for ln in lines if re.fullmatch(r"  [\w-]{40,}\n", ln)), None)
            time.sleep(0.1)
        assert key is not None, "".join(lines)
        created = None
        while created is None and time.monotonic() < deadline:
            try:
                created = _request(port, "POST", "/v1/jobs", key, long_problem)
            except ConnectionRefusedError:
                time.sleep(0.2)
        assert created is not None and created[0] == 202, created
        location = created[1]
        # wait until the job runs in a solver process, set up to ignore Ctrl-C
        while time.monotonic() < deadline:
            children = _descendants(proc.pid)
            workers = [p for p in children if "spawn_main" in _command(p)]
            if (
                workers
                and all(_shields_sigint(pid) for pid in workers)
                and _request(port, "GET", location, key)[2]["status"] == "running"
            ):
                break
            time.sleep(0.2)
        assert workers, "no solver process started"
        assert all(_shields_sigint(pid) for pid in workers)
        assert any("resource_tracker" in _command(p) for p in children), children
        time.sleep(3)  # into the solve (OR-Tools imported, model building)
        children = _descendants(proc.pid)

        if how.startswith("SIGTERM"):
            proc.send_signal(signal.SIGTERM)
        elif how.startswith("SIGKILL"):  # no cleanup: the solver processes see it and end
            proc.send_signal(signal.SIGKILL)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        returncode = proc.wait(timeout=60)
        stop = time.monotonic() + 15
        while _alive(children) and time.monotonic() < stop:
            time.sleep(0.1)
        assert _alive(children) == [], [_command(p) for p in _alive(children)]
        if how.startswith("SIGKILL"):
            assert returncode == -signal.SIGKILL
            with sqlite3.connect(db) as conn:  # the next runner re-queues it
                assert conn.execute("SELECT status FROM jobs").fetchall() == [("running",)]
            return
        assert returncode == 0
        reader.join(10)
        output = "".join(lines)
        assert "matchcore service stopped" in output
        assert "Traceback" not in output, output
        # the running job went back to the queue, for the next start to run
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status, attempts FROM jobs").fetchall() == [("queued", 0)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in _alive(children):  # only what this test started
            os.kill(pid, signal.SIGKILL)


def test_dev_server_refuses_a_non_loopback_host() -> None:
    from service import dev

    with pytest.raises(SystemExit):
        dev.main(["--host", "0.0.0.0"])


@pytest.mark.parametrize(("cap", "margin", "queue"), [("30", "5", "30"), ("120", "10", "5")])
def test_gunicorn_timeouts_follow_the_solve_cap(
    monkeypatch: pytest.MonkeyPatch, cap: str, margin: str, queue: str
) -> None:
    monkeypatch.setenv("MATCHCORE_TIME_LIMIT_CAP_S", cap)
    monkeypatch.setenv("MATCHCORE_SOLVE_MARGIN_S", margin)
    monkeypatch.setenv("MATCHCORE_SOLVE_QUEUE_TIMEOUT_S", queue)
    import service.gunicorn_conf as conf

    conf = importlib.reload(conf)
    longest = float(cap) + float(margin) + float(queue)
    assert conf.timeout > longest
    assert conf.graceful_timeout > float(cap) + float(margin)
    assert conf.bind == "127.0.0.1:8000"
    assert conf.worker_class == "gthread"
    assert conf.preload_app is False
    assert conf.accesslog is None
    access: dict[str, Any] = conf.logconfig_dict["loggers"]["gunicorn.access"]
    assert access["handlers"] == []
