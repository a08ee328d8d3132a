"""Jobs: lifecycle, ownership, restarts, cancellation, retention, quotas."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from service_testlib import AUTH_A, AUTH_B, assert_problem_json, grid_problem, wait_for_job

import matchcore
from service.jobqueue import JobRunner, JobStore, run_job


def _submit(client: FlaskClient, problem: Any, headers: dict[str, str] = AUTH_A) -> Any:
    resp = client.post("/v1/jobs", json=problem, headers=headers)
    assert resp.status_code == 202, resp.get_json()
    return resp


def test_job_lifecycle_to_done(make_app: Any, problem: Any, db_path: str) -> None:
    client = make_app(JOB_RUNNER=True).test_client()
    resp = _submit(client, problem)
    job = resp.get_json()
    assert resp.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running")
    assert (job["volunteers"], job["requests"]) == (2, 2)
    assert job["time_limit_seconds"] == 5
    done = wait_for_job(client, resp.headers["Location"], AUTH_A)
    assert done["status"] == "done", done
    assert done["progress"].startswith("done in")
    assert "finished_at" in done and "started_at" in done
    solution = done["solution"]
    assert solution["objective"]["served_requests"] == 2
    assert matchcore.check(matchcore.Problem.from_dict(problem), solution).ok
    # the problem (personal data) is erased once the job is finished
    with sqlite3.connect(db_path) as conn:
        (stored,) = conn.execute("SELECT problem FROM jobs WHERE id = ?", (job["id"],)).fetchone()
    assert stored is None


def test_job_of_another_key_is_404(make_app: Any, problem: Any) -> None:
    client = make_app().test_client()
    location = _submit(client, problem).headers["Location"]
    assert client.get(location, headers=AUTH_A).status_code == 200
    body = assert_problem_json(client.get(location, headers=AUTH_B), 404)
    assert body["type"].endswith("/job-not-found")
    assert_problem_json(client.delete(location, headers=AUTH_B), 404)
    # B's failed delete did nothing
    assert client.get(location, headers=AUTH_A).get_json()["status"] == "queued"


@pytest.mark.parametrize("job_id", ["does-not-exist-at-all-xyz", "short", "x" * 200, "a%2Fb"])
def test_unknown_job_is_404(client: FlaskClient, job_id: str) -> None:
    assert_problem_json(client.get(f"/v1/jobs/{job_id}", headers=AUTH_A), 404)
    assert_problem_json(client.delete(f"/v1/jobs/{job_id}", headers=AUTH_A), 404)


def test_queued_job_reports_its_place(client: FlaskClient, problem: Any) -> None:
    first = _submit(client, problem).get_json()
    second = _submit(client, problem).get_json()
    assert first["progress"] == "queued; next in line"
    assert second["progress"] == "queued; 1 job(s) ahead"


def test_delete_cancels_a_queued_job_then_erases_it(
    client: FlaskClient, problem: Any, db_path: str
) -> None:
    location = _submit(client, problem).headers["Location"]
    resp = client.delete(location, headers=AUTH_A)
    assert resp.status_code == 204
    assert resp.data == b""
    body = client.get(location, headers=AUTH_A).get_json()
    assert body["status"] == "cancelled"
    assert "solution" not in body
    with sqlite3.connect(db_path) as conn:
        (stored,) = conn.execute("SELECT problem FROM jobs").fetchone()
    assert stored is None
    # a second DELETE erases the record
    assert client.delete(location, headers=AUTH_A).status_code == 204
    assert_problem_json(client.get(location, headers=AUTH_A), 404)


def test_cancelled_running_job_discards_its_result(db_path: str, make_app: Any) -> None:
    make_app()  # creates the database
    store = JobStore(db_path)
    job = store.create("alpha", '{"volunteers":[],"requests":[]}', volunteers=0, requests=0,
                       time_limit_s=1, max_active=5)  # fmt: skip
    assert store.claim_next("claim-1") == job.id
    assert store.get(job.id, "alpha").status == "running"
    assert store.cancel(job.id, "alpha")
    assert not store.finish(job.id, "claim-1", '{"x": 1}', "done")
    after = store.get(job.id, "alpha")
    assert after.status == "cancelled"
    assert after.solution is None
    # the worker function sees the cancellation before solving
    assert run_job(db_path, job.id, "claim-1", 1) == "gone"


def test_job_survives_app_restart(make_app: Any, problem: Any) -> None:
    first = make_app(JOB_RUNNER=False)
    location = _submit(first.test_client(), problem).headers["Location"]
    first.extensions["matchcore"].close()

    second = make_app(JOB_RUNNER=True)
    client = second.test_client()
    done = wait_for_job(client, location, AUTH_A)
    assert done["status"] == "done"
    assert done["solution"]["objective"]["served_requests"] == 2


def test_running_job_of_a_dead_process_is_requeued(
    make_app: Any, problem: Any, db_path: str
) -> None:
    client = make_app().test_client()
    location = _submit(client, problem).headers["Location"]
    store = JobStore(db_path)
    assert store.claim_next("dead-host:1:abc")  # a runner that then died
    assert client.get(location, headers=AUTH_A).get_json()["status"] == "running"

    runner_app = make_app(JOB_RUNNER=True)
    done = wait_for_job(runner_app.test_client(), location, AUTH_A)
    assert done["status"] == "done"


def test_job_that_keeps_killing_its_solver_fails(make_app: Any, problem: Any, db_path: str) -> None:
    client = make_app().test_client()
    location = _submit(client, problem).headers["Location"]
    store = JobStore(db_path)
    for n in range(3):
        assert store.claim_next(f"dead:{n}")
        store.requeue_orphans(max_attempts=3)
    body = client.get(location, headers=AUTH_A).get_json()
    assert body["status"] == "failed"
    assert body["error"]["type"].endswith("/solver-crashed")


def test_only_one_runner_per_database(make_app: Any, db_path: str) -> None:
    make_app()
    store = JobStore(db_path)
    kwargs: dict[str, Any] = dict(workers=1, solver_threads=1, poll_interval_s=0.05,
                                  retention_s=3600, max_attempts=3)  # fmt: skip
    one, two = JobRunner(store, **kwargs), JobRunner(store, **kwargs)
    try:
        one.ensure_started()
        deadline = time.monotonic() + 5
        while not one.is_leader and time.monotonic() < deadline:
            time.sleep(0.02)
        two.ensure_started()
        time.sleep(0.3)
        assert one.is_leader and not two.is_leader
        one.close()
        deadline = time.monotonic() + 5
        while not two.is_leader and time.monotonic() < deadline:
            time.sleep(0.02)
        assert two.is_leader
    finally:
        one.close()
        two.close()


def test_failed_job_reports_the_pointer(make_app: Any, problem: Any) -> None:
    client = make_app(JOB_RUNNER=True).test_client()
    problem["assignments"] = [{"request_id": "r1", "volunteer_ids": ["v2"]}]  # v2 lacks driving
    location = _submit(client, problem).headers["Location"]
    body = wait_for_job(client, location, AUTH_A)
    assert body["status"] == "failed"
    assert body["error"]["status"] == 422
    assert body["error"]["errors"][0]["pointer"].startswith("/assignments/0")
    # a failed job can be erased
    assert client.delete(location, headers=AUTH_A).status_code == 204
    assert_problem_json(client.get(location, headers=AUTH_A), 404)


def test_job_quota_per_key_is_429(make_app: Any, problem: Any) -> None:
    client = make_app(JOB_MAX_ACTIVE_PER_KEY=2).test_client()
    _submit(client, problem)
    location = _submit(client, problem).headers["Location"]
    resp = client.post("/v1/jobs", json=problem, headers=AUTH_A)
    body = assert_problem_json(resp, 429)
    assert body["type"].endswith("/too-many-jobs")
    assert resp.headers["Retry-After"]
    _submit(client, problem, AUTH_B)  # other keys are not affected
    client.delete(location, headers=AUTH_A)  # cancelling frees a place
    _submit(client, problem)


def test_job_time_limit_is_capped(make_app: Any, problem: Any) -> None:
    client = make_app(JOB_TIME_LIMIT_CAP_S=7).test_client()
    problem["options"]["time_limit_seconds"] = 10_000
    assert _submit(client, problem).get_json()["time_limit_seconds"] == 7


def test_retention_erases_finished_jobs(make_app: Any, db_path: str) -> None:
    make_app()
    store = JobStore(db_path)
    old = store.create("alpha", "{}", volunteers=0, requests=0, time_limit_s=1, max_active=9)
    new = store.create("alpha", "{}", volunteers=0, requests=0, time_limit_s=1, max_active=9)
    waiting = store.create("alpha", "{}", volunteers=0, requests=0, time_limit_s=1, max_active=9)
    for job in (old, new):
        assert store.claim_next("c") == job.id
        assert store.finish(job.id, "c", "{}", "done")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE jobs SET finished_at = finished_at - 7200 WHERE id = ?", (old.id,))
    assert store.purge(retention_s=3600) == 1
    assert store.get(old.id, "alpha") is None
    assert store.get(new.id, "alpha") is not None
    assert store.get(waiting.id, "alpha") is not None


def test_database_file_is_private(make_app: Any, db_path: str) -> None:
    make_app()
    mode = stat.S_IMODE(os.stat(db_path).st_mode)
    assert mode == 0o600
    with sqlite3.connect(db_path) as conn:
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
    assert journal == "wal"


def test_larger_job(make_app: Any) -> None:
    client = make_app(JOB_RUNNER=True, MAX_VOLUNTEERS=10).test_client()
    problem = grid_problem(80, 50)
    assert client.post("/v1/match", json=problem, headers=AUTH_A).status_code == 413
    location = _submit(client, problem).headers["Location"]
    body = wait_for_job(client, location, AUTH_A)
    assert body["status"] == "done"
    assert matchcore.check(matchcore.Problem.from_dict(problem), body["solution"]).ok
