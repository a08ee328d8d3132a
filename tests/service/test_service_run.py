"""How the service is started: ``python -m service.dev`` and the gunicorn settings."""

from __future__ import annotations

import http.client
import importlib
import json
import os
import re
import socket
import subprocess
import sys
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
