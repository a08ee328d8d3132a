"""Jobs for problems too large for a synchronous call: SQLite store and solver pool.

Store
    One SQLite database (stdlib ``sqlite3``, WAL mode, ``secure_delete``, file
    mode 0600) holds every job: owner key id, status, times, the problem while
    it waits, the solution or error when finished. Every gunicorn worker
    process opens the same file, so a job is visible from all of them and
    survives a restart. The problem is erased as soon as a job finishes or is
    cancelled; finished jobs are erased after ``job_retention_hours``.

Runner
    Exactly one process per database runs jobs: whichever web process holds an
    exclusive ``flock`` on ``<db>.runner.lock`` (the others retry every poll
    interval, so another takes over within a second if it dies). The runner
    claims queued jobs atomically (``BEGIN IMMEDIATE`` + ``UPDATE ... WHERE
    status='queued'``) and solves them in a bounded
    :class:`~concurrent.futures.ProcessPoolExecutor` (``spawn``). A claim
    carries a random token; a solver writes its result only while the job is
    still ``running`` under that token, so results of cancelled jobs, and of
    runs that a newer runner has taken over, are discarded. On taking the lock
    a runner re-queues jobs left ``running`` by a dead runner; a job that was
    re-queued ``job_max_attempts`` times (it keeps killing its solver) fails.

Limits: one host (SQLite over a network file system is not supported); a
running solve cannot be interrupted, so a cancelled job keeps its solver
process busy until the time limit at most (its result is then discarded).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS: one process, no election
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("matchcore.service.jobs")

STATUSES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id           TEXT PRIMARY KEY,
    key_id       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN
                   ('queued', 'running', 'done', 'failed', 'cancelled')),
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    started_at   REAL,
    finished_at  REAL,
    volunteers   INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    time_limit_s REAL NOT NULL,
    progress     TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    claim        TEXT,
    problem      TEXT,
    solution     TEXT,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (key_id, status);
"""


class TooManyJobs(Exception):
    """The key already has its maximum number of queued and running jobs."""


@dataclass(frozen=True)
class Job:
    """One row of the jobs table, as the API shows it (no problem text)."""

    id: str
    key_id: str
    status: str
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    volunteers: int
    requests: int
    time_limit_s: float
    progress: str
    attempts: int
    solution: str | None
    error: str | None
    queue_position: int = 0

    def to_dict(self, *, now: float | None = None) -> dict[str, Any]:
        """The job as the API's ``Job`` object."""
        now = time.time() if now is None else now
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "volunteers": self.volunteers,
            "requests": self.requests,
            "time_limit_seconds": self.time_limit_s,
            "progress": self.progress_text(now),
        }
        if self.started_at is not None:
            out["started_at"] = iso(self.started_at)
        if self.finished_at is not None:
            out["finished_at"] = iso(self.finished_at)
        if self.status == "done" and self.solution is not None:
            out["solution"] = json.loads(self.solution)
        if self.status == "failed" and self.error is not None:
            out["error"] = json.loads(self.error)
        return out

    def progress_text(self, now: float) -> str:
        if self.status == "queued":
            ahead = self.queue_position
            return "queued; " + ("next in line" if ahead == 0 else f"{ahead} job(s) ahead")
        if self.status == "running" and self.started_at is not None:
            return (
                f"solving for {max(now - self.started_at, 0.0):.0f} s "
                f"(time limit {self.time_limit_s:g} s)"
            )
        return self.progress


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class JobStore:
    """The jobs table; safe to use from many threads and processes at once."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = str(path)
        if create:
            folder = Path(self.path).parent
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not os.path.exists(self.path):
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            with self.connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA secure_delete=ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock at once (``BEGIN IMMEDIATE``)."""
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def ping(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT count(*) FROM jobs WHERE 0").fetchone()

    # -- the API side ----------------------------------------------------------------

    def create(
        self,
        key_id: str,
        problem_json: str,
        *,
        volunteers: int,
        requests: int,
        time_limit_s: float,
        max_active: int,
    ) -> Job:
        job_id = secrets.token_urlsafe(24)
        now = time.time()
        with self.transaction() as conn:
            (active,) = conn.execute(
                "SELECT count(*) FROM jobs WHERE key_id = ? AND status IN ('queued', 'running')",
                (key_id,),
            ).fetchone()
            if active >= max_active:
                raise TooManyJobs
            conn.execute(
                "INSERT INTO jobs (id, key_id, status, created_at, updated_at, volunteers,"
                " requests, time_limit_s, problem) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                (job_id, key_id, now, now, volunteers, requests, time_limit_s, problem_json),
            )
        job = self.get(job_id, key_id)
        assert job is not None
        return job

    def get(self, job_id: str, key_id: str) -> Job | None:
        """The job if it exists *and* belongs to ``key_id`` (else None: answer 404)."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT rowid, id, key_id, status, created_at, updated_at, started_at,"
                " finished_at, volunteers, requests, time_limit_s, progress, attempts,"
                " solution, error FROM jobs WHERE id = ? AND key_id = ?",
                (job_id, key_id),
            ).fetchone()
            if row is None:
                return None
            position = 0
            if row["status"] == "queued":
                (position,) = conn.execute(
                    "SELECT count(*) FROM jobs WHERE status = 'queued' AND"
                    " (created_at < ? OR (created_at = ? AND rowid < ?))",
                    (row["created_at"], row["created_at"], row["rowid"]),
                ).fetchone()
        fields = {k: row[k] for k in row.keys() if k != "rowid"}  # noqa: SIM118 (Row yields values)
        return Job(**fields, queue_position=position)

    def cancel(self, job_id: str, key_id: str) -> bool:
        """Cancel a queued or running job (erasing its problem), or erase a finished one.

        Returns False when there is no such job for this key.
        """
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT status FROM jobs WHERE id = ? AND key_id = ?", (job_id, key_id)
            ).fetchone()
            if row is None:
                return False
            if row["status"] in ACTIVE:
                conn.execute(
                    "UPDATE jobs SET status = 'cancelled', problem = NULL, solution = NULL,"
                    " claim = NULL, progress = 'cancelled', updated_at = ?, finished_at = ?"
                    " WHERE id = ?",
                    (now, now, job_id),
                )
            else:
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        return True

    # -- the runner side ---------------------------------------------------------------

    def claim_next(self, claim: str) -> str | None:
        """Atomically move the oldest queued job to ``running`` under ``claim``."""
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            cur = conn.execute(
                "UPDATE jobs SET status = 'running', claim = ?, started_at = ?, updated_at = ?,"
                " attempts = attempts + 1, progress = 'solving'"
                " WHERE id = ? AND status = 'queued'",
                (claim, now, now, row["id"]),
            )
            return str(row["id"]) if cur.rowcount == 1 else None

    def load_for_run(self, job_id: str, claim: str) -> tuple[str, float] | None:
        """The problem text and time limit of a job still running under ``claim``."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT problem, time_limit_s FROM jobs"
                " WHERE id = ? AND claim = ? AND status = 'running'",
                (job_id, claim),
            ).fetchone()
        if row is None or row["problem"] is None:
            return None
        return str(row["problem"]), float(row["time_limit_s"])

    def finish(self, job_id: str, claim: str, solution_json: str, progress: str) -> bool:
        return self._end(job_id, claim, "done", progress, solution=solution_json)

    def fail(self, job_id: str, claim: str, error: dict[str, Any], progress: str) -> bool:
        return self._end(job_id, claim, "failed", progress, error=json.dumps(error))

    def _end(
        self,
        job_id: str,
        claim: str,
        status: str,
        progress: str,
        *,
        solution: str | None = None,
        error: str | None = None,
    ) -> bool:
        now = time.time()
        with self.connect() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = ?, solution = ?, error = ?, progress = ?,"
                " problem = NULL, claim = NULL, updated_at = ?, finished_at = ?"
                " WHERE id = ? AND claim = ? AND status = 'running'",
                (status, solution, error, progress, now, now, job_id, claim),
            )
            return cur.rowcount == 1

    def requeue(self, job_id: str, claim: str, max_attempts: int) -> None:
        """Put a job whose solver process died back in the queue (or fail it)."""
        with self.transaction() as conn:
            self._requeue_where(conn, "id = ? AND claim = ?", (job_id, claim), max_attempts)

    def requeue_orphans(self, max_attempts: int) -> int:
        """Re-queue every ``running`` job: called by a runner that just took the lock."""
        with self.transaction() as conn:
            return self._requeue_where(conn, "1", (), max_attempts)

    def release(self, claim: str) -> int:
        """Give back the running jobs of a runner that shuts down (no attempt used)."""
        now = time.time()
        with self.connect() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'queued', claim = NULL, started_at = NULL,"
                " attempts = max(attempts - 1, 0), progress = '', updated_at = ?"
                " WHERE claim = ? AND status = 'running'",
                (now, claim),
            )
            return cur.rowcount

    @staticmethod
    def _requeue_where(
        conn: sqlite3.Connection, where: str, args: tuple[Any, ...], max_attempts: int
    ) -> int:
        now = time.time()
        error = json.dumps(
            {
                "type": "https://matchcore.example/problems/solver-crashed",
                "title": "Solver stopped",
                "status": 503,
                "detail": f"The solver process stopped unexpectedly {max_attempts} times "
                "on this job; it was not retried again.",
            }
        )
        conn.execute(
            "UPDATE jobs SET status = 'failed', error = ?, problem = NULL, claim = NULL,"
            " progress = 'failed', updated_at = ?, finished_at = ?"
            f" WHERE status = 'running' AND attempts >= ? AND {where}",
            (error, now, now, max_attempts, *args),
        )
        cur = conn.execute(
            "UPDATE jobs SET status = 'queued', claim = NULL, started_at = NULL,"
            f" progress = '', updated_at = ? WHERE status = 'running' AND {where}",
            (now, *args),
        )
        return cur.rowcount

    def purge(self, retention_s: float) -> int:
        """Erase jobs that finished more than ``retention_s`` ago."""
        cutoff = time.time() - retention_s
        with self.connect() as conn:
            cur = conn.execute(
                "DELETE FROM jobs WHERE status IN ('done', 'failed', 'cancelled')"
                " AND finished_at < ?",
                (cutoff,),
            )
            return cur.rowcount


# -- solving in a worker process -----------------------------------------------------------


def _init_worker() -> None:
    """Prepare a solver process: signals, a tie to its parent, the OR-Tools import.

    Ctrl-C in a terminal reaches every process of the group: a solver process
    ignores it and is ended by its runner instead (:meth:`JobRunner.close`),
    without a traceback. If the web process dies without closing the runner
    (SIGKILL, a crash), the solver process ends too: its result could not be
    kept anyway, since the next runner re-queues the job under a new claim.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        _end_with_parent(parent.pid)
    import matchcore  # noqa: F401  (pay the OR-Tools import once per process)


#: How often a solver process looks whether its web process still lives (not on Linux).
PARENT_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _end_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends.

    On Linux the kernel sends SIGTERM (whose default action needs no Python
    code, so a solve holding the GIL cannot delay it) when the thread that
    started this process ends: the runner's thread or the pool's manager
    thread, which live as long as the runner. Elsewhere a thread polls.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        tied = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        tied = False
    if tied:
        if os.getppid() != parent:  # it ended before the tie was made
            os._exit(1)
        return
    threading.Thread(
        target=_exit_when_orphaned, args=(parent,), name="matchcore-parent-watch", daemon=True
    ).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)  # the job stays 'running' and is re-queued by the next runner


def run_job(db_path: str, job_id: str, claim: str, solver_threads: int) -> str:
    """Solve one claimed job in a worker process; returns the final status."""
    from matchcore import Problem, ProblemError, solve
    from service.core import (
        cap_solver_threads,
        problem_details,
        service_rules,
        validation_details,
    )

    store = JobStore(db_path, create=False)
    loaded = store.load_for_run(job_id, claim)
    if loaded is None:
        return "gone"
    problem_json, time_limit = loaded
    started = time.perf_counter()
    try:
        problem = Problem.from_dict(json.loads(problem_json))
        service_rules(problem)
        problem = cap_solver_threads(problem, solver_threads)
        solution = solve(problem, time_limit_s=time_limit)
        text = json.dumps(solution.to_dict(), ensure_ascii=False, separators=(",", ":"))
    except ProblemError as err:
        store.fail(job_id, claim, validation_details(err), "failed: invalid problem")
        return "failed"
    except Exception as err:  # type only: messages can hold input data
        log.error("job solver error type=%s.%s", type(err).__module__, type(err).__qualname__)
        details = problem_details(
            503,
            "solver-error",
            "Solver error",
            "The solver could not complete this job; the error was logged by its type.",
        )
        store.fail(job_id, claim, details, "failed: solver error")
        return "failed"
    took = time.perf_counter() - started
    if store.finish(job_id, claim, text, f"done in {took:.1f} s"):
        from service.report import keep_job_report

        keep_job_report(store, job_id, problem, solution)  # the problem is gone after this
    return "done"


class JobRunner:
    """Claims queued jobs and solves them in a bounded pool of processes (see module doc)."""

    def __init__(
        self,
        store: JobStore,
        *,
        workers: int,
        solver_threads: int,
        poll_interval_s: float,
        retention_s: float,
        max_attempts: int,
    ) -> None:
        self.store = store
        self.workers = workers
        self.solver_threads = solver_threads
        self.poll_interval_s = poll_interval_s
        self.retention_s = retention_s
        self.max_attempts = max_attempts
        self.claim = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock_fd: int | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: dict[str, ProcessPoolExecutor] = {}  # job id -> its pool
        self._last_purge = 0.0

    @property
    def is_leader(self) -> bool:
        return self._lock_fd is not None

    def ensure_started(self) -> None:
        """Start the runner thread in this process (again after a fork)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None:
                return
            # state inherited from a parent process is not ours
            self._pid = os.getpid()
            self._lock_fd = None
            self._pool = None
            self._inflight = {}
            self._stop.clear()
            self.claim = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
            self._thread = threading.Thread(
                target=self._loop, name="matchcore-job-runner", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop claiming, stop the solver processes, give back running jobs, drop the lock."""
        if self._pid != os.getpid():
            return
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        with self._lock:
            pool, self._pool = self._pool, None
            self._inflight = {}
        if pool is not None:
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                with suppress(Exception):
                    proc.terminate()
            for proc in processes:
                with suppress(Exception):
                    proc.join(timeout)
        if self._lock_fd is not None:
            with suppress(Exception):
                self.store.release(self.claim)
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
        self._thread = None

    # -- the loop ---------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception as err:  # keep running; type only
                log.error("job runner error type=%s", type(err).__qualname__)
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()

    def _tick(self) -> None:
        if self._lock_fd is None and not self._take_lock():
            return
        now = time.monotonic()
        if now - self._last_purge > 60.0:
            self._last_purge = now
            purged = self.store.purge(self.retention_s)
            if purged:
                log.info("purged %d finished jobs past retention", purged)
        while not self._stop.is_set():
            with self._lock:
                if len(self._inflight) >= self.workers:
                    return
            job_id = self.store.claim_next(self.claim)
            if job_id is None:
                return
            self._submit(job_id)

    def _take_lock(self) -> bool:
        if fcntl is None:  # pragma: no cover
            self._lock_fd = -1
            return True
        path = self.store.path + ".runner.lock"
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        requeued = self.store.requeue_orphans(self.max_attempts)
        log.info("job runner started pid=%d requeued=%d", os.getpid(), requeued)
        return True

    def _submit(self, job_id: str) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    max_tasks_per_child=50,
                )
            pool = self._pool
            try:
                future = pool.submit(
                    run_job, self.store.path, job_id, self.claim, self.solver_threads
                )
            except (BrokenProcessPool, RuntimeError):
                self._pool = None
                self.store.release(self.claim)
                return
            self._inflight[job_id] = pool
        future.add_done_callback(lambda f: self._done(job_id, f))

    def _done(self, job_id: str, future: Future[str]) -> None:
        with self._lock:
            pool = self._inflight.pop(job_id, None)
        if self._stop.is_set():
            return
        if future.cancelled():
            return
        err = future.exception()
        if err is not None:
            log.error("job worker process error type=%s", type(err).__qualname__)
            if isinstance(err, BrokenProcessPool) and pool is not None:
                with self._lock:
                    if self._pool is pool:
                        self._pool = None  # a new pool on the next claim
                pool.shutdown(wait=False, cancel_futures=True)
            with suppress(Exception):
                self.store.requeue(job_id, self.claim, self.max_attempts)
        self._wake.set()
