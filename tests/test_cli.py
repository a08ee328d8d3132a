"""The ``matchcore`` command line.

Every command runs at least once through a subprocess, as a user runs it.
Since each such process spends seconds importing OR-Tools, the many error
paths, and what a subprocess cannot provoke reliably (Ctrl-C at a given
moment, a failing ``os.replace``), run in-process through ``cli.main``.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matchcore import cli
from matchcore.check import check
from matchcore.problem import Problem
from matchcore.report.text import format_summary

TIMEOUT_S = 180
# A violation line of `matchcore check`: `path: rule: message`.
VIOLATION_LINE = re.compile(r"^[\w.\[\]]+: [a-z_]+: \S.*$")


def problem_doc() -> dict[str, Any]:
    """Four requests: two can be served, one lacks a skill, one is out of range."""
    return {
        "volunteers": [
            {
                "id": "v1",
                "location": {"lat": 50.851, "lon": 5.691},
                "skills": ["driving"],
                "languages": ["nl"],
                "availability": [
                    {"start": "2026-03-02T08:00:00+01:00", "end": "2026-03-02T13:00:00+01:00"}
                ],
            },
            {"id": "v2", "location": {"lat": 50.86, "lon": 5.70}},
            {"id": "v3", "location": {"lat": 50.84, "lon": 5.68}, "travel_mode": "bike"},
        ],
        "requests": [
            {
                "id": "r1",
                "client_id": "c1",
                "location": {"lat": 50.85, "lon": 5.69},
                "skills": ["driving"],
                "languages": ["nl"],
                "duration_minutes": 60,
                "window": {
                    "start": "2026-03-02T09:00:00+01:00",
                    "end": "2026-03-02T12:00:00+01:00",
                },
                "priority": 2,
                "preferred_volunteers": ["v1"],
            },
            {
                "id": "r2",
                "location": {"lat": 50.87, "lon": 5.71},
                "duration_minutes": 30,
                "volunteers_needed": 2,
            },
            {
                "id": "r3",
                "location": {"lat": 50.87, "lon": 5.71},
                "duration_minutes": 30,
                "skills": ["cooking"],
            },
            {"id": "r4", "location": {"lat": 51.87, "lon": 5.71}, "duration_minutes": 30},
        ],
        "options": {"time_limit_seconds": 20},
    }


Result = subprocess.CompletedProcess[str]


def run(*args: str | Path, stdin: bytes | None = None) -> Result:
    """The real thing: ``python -m matchcore.cli ARGS`` in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "matchcore.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return Result(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_main(*args: str | Path, stdin: bytes = b"", tty: bool = False) -> Result:
    """``cli.main(ARGS)`` in this process, with stdio replaced.

    Starting Python with OR-Tools takes seconds, so most error paths run
    here; the subprocess tests cover the real entry point of every command.
    """
    argv = [str(a) for a in args]
    out, err = io.BytesIO(), (_Terminal() if tty else io.StringIO())
    # keep the wrappers referenced: a collected TextIOWrapper closes its buffer
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    fake_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, err
    try:
        code = cli.main(argv)
        fake_out.flush()
        return Result(argv, code, out.getvalue().decode(), err.getvalue())
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def assert_one_error_line(result: Result, *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``matchcore: ...`` line on stderr."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith("matchcore: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in line, line
    return line


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def problem_file(tmp_path: Path) -> Path:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem_doc()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A problem and its solution, written by ``matchcore solve -o`` (once per module)."""
    folder = tmp_path_factory.mktemp("solved")
    problem, solution = folder / "problem.json", folder / "solution.json"
    problem.write_text(json.dumps(problem_doc()), encoding="utf-8")
    proc = run("solve", problem, "-o", solution, "--quiet", "--time-limit", "15")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""
    assert names(folder) == ["problem.json", "solution.json"]  # no temp file left
    return problem, solution


# -- solve -------------------------------------------------------------------------------


def test_solve_to_stdout(problem_file: Path) -> None:
    proc = run("solve", problem_file)
    assert proc.returncode == 0, proc.stderr
    solution = json.loads(proc.stdout)
    assert solution["status"] == "optimal"
    served = {a["request_id"] for a in solution["assignments"]}
    assert served == {"r1", "r2"}
    reasons = {u["request_id"]: u["reason"] for u in solution["unassigned"]}
    assert reasons == {"r3": "no_skill_match", "r4": "out_of_range"}
    assert check(Problem.from_json(problem_file.read_bytes()), solution).ok
    assert proc.stderr == ""  # progress lines only on a terminal, or with --verbose


def test_solve_to_file(solved: tuple[Path, Path]) -> None:
    problem, solution = solved
    data = json.loads(solution.read_text(encoding="utf-8"))
    assert data["objective"]["served_requests"] == 2
    assert check(Problem.from_json(problem.read_bytes()), data).ok


def test_solve_from_stdin(problem_file: Path) -> None:
    proc = run("solve", "-", "--verbose", stdin=problem_file.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["objective"]["served_priority"] == 3
    lines = proc.stderr.splitlines()  # progress never mixes into the JSON on stdout
    assert lines and all(line.startswith("matchcore [") for line in lines), lines


def test_progress_lines_only_on_a_terminal_or_verbose(problem_file: Path) -> None:
    assert run_main("solve", problem_file).stderr == ""
    on_terminal = run_main("solve", problem_file, tty=True)
    assert on_terminal.returncode == 0
    # on a terminal: one status line that rewrites itself, ended once the command ends
    updates = [u for u in on_terminal.stderr.split("\r") if u]
    assert len(updates) > 1, on_terminal.stderr
    assert all(u.startswith("\x1b[Kmatchcore [") for u in updates), updates
    assert on_terminal.stderr.endswith("\n") and on_terminal.stderr.count("\n") == 1
    assert run_main("solve", problem_file, "--quiet", tty=True).stderr == ""


def test_time_limit_reaches_the_solver(problem_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matchcore.tasks.solve

    seen: list[float | None] = []
    real = matchcore.tasks.solve.solve

    def spy(problem: Problem, *, time_limit_s: float | None = None) -> Any:
        seen.append(time_limit_s)
        return real(problem, time_limit_s=time_limit_s)

    monkeypatch.setattr("matchcore.tasks.solve.solve", spy)
    result = run_main("solve", problem_file, "--time-limit", "7.5")
    assert result.returncode == 0
    assert seen == [7.5]
    assert json.loads(result.stdout)["status"] == "optimal"


# -- bad input: exit 2, one line naming the path, nothing written ---------------------------


def test_bad_problem_through_the_real_command(problem_file: Path, tmp_path: Path) -> None:
    doc = problem_doc()
    doc["requests"][0]["window"]["end"] = "2026-03-02T08:00:00+01:00"
    problem_file.write_text(json.dumps(doc), encoding="utf-8")
    existing = tmp_path / "existing.json"
    existing.write_text("keep me\n", encoding="utf-8")
    before = names(tmp_path)

    line = assert_one_error_line(run("solve", problem_file, "-o", existing))
    assert line == "matchcore: requests[0].window.end: must be later than start"
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    assert names(tmp_path) == before


def _nan_latitude(doc: dict[str, Any]) -> None:
    doc["volunteers"][2]["location"]["lat"] = float("nan")


def _unknown_preferred(doc: dict[str, Any]) -> None:
    doc["requests"][0]["preferred_volunteers"] = ["v9"]


def _duration_too_long(doc: dict[str, Any]) -> None:
    doc["requests"][0]["duration_minutes"] = 200


def _pin_breaks_a_rule(doc: dict[str, Any]) -> None:
    # valid JSON, but v2 lacks the skill r1 requires: the solver must refuse the pin
    doc["assignments"] = [{"request_id": "r1", "volunteer_ids": ["v2"]}]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_nan_latitude, "matchcore: volunteers[2].location.lat: must be a finite number"),
        (_unknown_preferred, "matchcore: requests[0].preferred_volunteers: names an unknown"),
        (_duration_too_long, "matchcore: requests[0].duration_minutes: "),
        (_pin_breaks_a_rule, "matchcore: assignments[0].volunteer_ids[0]: "),
    ],
)
def test_bad_problem_leaves_output_untouched(
    mutate: Any, expected: str, problem_file: Path, tmp_path: Path
) -> None:
    doc = problem_doc()
    mutate(doc)
    problem_file.write_text(json.dumps(doc), encoding="utf-8")
    existing = tmp_path / "existing.json"
    existing.write_text("keep me\n", encoding="utf-8")
    before = names(tmp_path)

    line = assert_one_error_line(run_main("solve", problem_file, "-o", existing))
    assert line.startswith(expected)
    # at a terminal, progress lines may come first; the error is still the one last line
    at_terminal = run_main("solve", problem_file, "-o", existing, tty=True)
    assert at_terminal.returncode == 2
    *progress, last = at_terminal.stderr.splitlines()
    assert last == line
    # (a terminal's status line rewrites itself after "\r" and a clear-line code)
    assert all(p.startswith("\x1b[Kmatchcore [") for p in progress if p), progress
    assert existing.read_text(encoding="utf-8") == "keep me\n"

    assert_one_error_line(run_main("solve", problem_file, "-o", tmp_path / "fresh.json"))
    assert names(tmp_path) == before  # no fresh.json, no temp file


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "matchcore: {file}: is not valid JSON (line 1 column 2: "),
        (b"", "matchcore: {file}: is not valid JSON"),
        (b"\xff\xfe\xfa", "matchcore: {file}: is not valid JSON"),
        (b"[]", "matchcore: {file}: must be an object, not a list"),
        (b'{"volunteers": [], "requests": [], "version": 2}', "matchcore: version: must be 1"),
        (b'{"volunteers": {}, "requests": []}', "matchcore: volunteers: must be a list"),
    ],
)
def test_unreadable_problem(content: bytes, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_bytes(content)
    line = assert_one_error_line(run_main("solve", path, "-o", tmp_path / "out.json"))
    assert line.startswith(expected.format(file=path)), line
    assert names(tmp_path) == ["problem.json"]


def test_missing_problem_file(tmp_path: Path) -> None:
    line = assert_one_error_line(run_main("solve", tmp_path / "nowhere.json"))
    assert line == f"matchcore: {tmp_path / 'nowhere.json'}: No such file or directory"
    # a folder is read as CSV files (volunteers.csv, requests.csv, ...)
    result = run_main("solve", tmp_path)
    assert result.returncode == 2
    assert "has no volunteers.csv" in result.stderr


def test_stdin_not_json() -> None:
    assert_one_error_line(
        run_main("solve", "-", stdin=b"volunteers: []"), "matchcore: stdin: is not valid JSON"
    )


def test_unusable_output_path(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "solution.json"
    assert_one_error_line(run_main("solve", problem_file, "-o", out), "no such directory")
    assert_one_error_line(run_main("solve", problem_file, "-o", tmp_path), "is a directory")
    assert names(tmp_path) == ["problem.json"]


def test_usage_errors_exit_2(problem_file: Path) -> None:
    proc = run("solve", problem_file, "--time-limit", "0")
    assert proc.returncode == 2
    assert "--time-limit" in proc.stderr and "Traceback" not in proc.stderr
    for argv in (
        [],
        ["solve"],
        ["frobnicate"],
        ["generate", "--volunteers", "-1", "--requests", "2"],
    ):
        assert run_main(*argv).returncode == 2, argv
    assert run_main("solve", problem_file, "--time-limit", "nan").returncode == 2
    assert run_main("solve", problem_file, "--quiet", "--verbose").returncode == 2
    assert run_main("--help").returncode == 0


def test_interrupt_exits_130_quietly(
    problem_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("matchcore.tasks.solve.solve", interrupted)
    out = tmp_path / "solution.json"
    result = run_main("solve", problem_file, "-o", out)
    assert (result.returncode, result.stdout, result.stderr) == (130, "", "")
    assert names(tmp_path) == ["problem.json"]


def test_failed_replace_leaves_nothing_behind(
    problem_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "solution.json"
    out.write_text("old\n", encoding="utf-8")
    before = names(tmp_path)

    def no_space(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    line = assert_one_error_line(run_main("solve", problem_file, "-o", out))
    assert line == f"matchcore: {out}: No space left on device"
    assert out.read_text(encoding="utf-8") == "old\n"
    assert names(tmp_path) == before


def test_solve_refuses_to_overwrite_its_problem(problem_file: Path, tmp_path: Path) -> None:
    original = problem_file.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(problem_file)
    hard = tmp_path / "hard.json"
    os.link(problem_file, hard)
    relative = os.path.relpath(problem_file)
    for output in (problem_file, link, hard, relative):
        line = assert_one_error_line(run_main("solve", problem_file, "-o", output))
        assert line == (
            f"matchcore: {output}: is the problem file ({problem_file}); "
            "write the solution to another file"
        )
    assert_one_error_line(run_main("solve", link, "-o", problem_file), "is the problem file")
    assert problem_file.read_bytes() == original
    assert names(tmp_path) == ["hard.json", "link.json", "problem.json"]  # no temp file


def test_solve_refuses_to_overwrite_its_problem_read_from_stdin(
    problem_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = problem_file.read_bytes()
    with problem_file.open("rb") as fh:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(fh))
        result = cli.main(["solve", "-", "-o", str(problem_file)])
    assert result == 2
    assert problem_file.read_bytes() == original


def test_solve_through_the_real_command_keeps_its_problem(problem_file: Path) -> None:
    original = problem_file.read_bytes()
    assert_one_error_line(run("solve", problem_file, "-o", problem_file), "is the problem file")
    assert problem_file.read_bytes() == original


def test_replacing_keeps_the_file_mode(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "solution.json"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    assert run_main("solve", problem_file, "-o", out).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o640
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"


# -- check --------------------------------------------------------------------------------


def test_check_ok(solved: tuple[Path, Path]) -> None:
    proc = run("check", *solved)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok: served 2 requests, priority 3, continuity 1, travel ")
    assert proc.stderr == ""


def test_check_lists_violations(solved: tuple[Path, Path], tmp_path: Path) -> None:
    problem, solution_file = solved
    solution = json.loads(solution_file.read_text(encoding="utf-8"))
    index = next(i for i, a in enumerate(solution["assignments"]) if a["request_id"] == "r1")
    solution["assignments"][index]["volunteer_ids"] = ["v2"]  # v2 cannot drive
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(solution), encoding="utf-8")

    proc = run("check", problem, tampered)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines
    assert all(VIOLATION_LINE.match(line) for line in lines), lines
    assert any(
        line.startswith(f"assignments[{index}].volunteer_ids[0]: skills: ") for line in lines
    )
    assert proc.stderr == f"matchcore: {len(lines)} violations\n"


def test_check_rejects_a_malformed_solution(solved: tuple[Path, Path], tmp_path: Path) -> None:
    problem, solution_file = solved
    solution = json.loads(solution_file.read_text(encoding="utf-8"))
    solution["assignments"][0]["start"] = "9h"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(solution), encoding="utf-8")
    assert_one_error_line(
        run("check", problem, bad),
        f"matchcore: {bad}: assignments[0].start: is not an ISO-8601 date-time",
    )
    bad.write_bytes(b"[1, 2")
    assert_one_error_line(run_main("check", problem, bad), f"{bad}: is not valid JSON")
    bad.write_bytes(b"[1, 2]")
    assert_one_error_line(run_main("check", problem, bad), f"{bad}: must be an object")
    assert_one_error_line(run_main("check", problem, tmp_path / "none.json"), "No such file")
    assert_one_error_line(run_main("check", "-", "-"), "only one of")


def test_check_refuses_a_problem_given_as_the_solution(solved: tuple[Path, Path]) -> None:
    problem, _ = solved
    assert_one_error_line(
        run("check", problem, problem),
        f"matchcore: {problem}: is a problem document, not a solution",
    )


@pytest.mark.parametrize("missing", ["status", "assignments", "unassigned", "objective", "bound"])
def test_check_names_a_missing_solution_field(
    solved: tuple[Path, Path], tmp_path: Path, missing: str
) -> None:
    problem, solution_file = solved
    solution = json.loads(solution_file.read_text(encoding="utf-8"))
    del solution[missing]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(solution), encoding="utf-8")
    assert_one_error_line(
        run_main("check", problem, partial), f"matchcore: {partial}: {missing}: is required"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("plan", [], "plan: unknown field"),
        ("status", "done", "status: must be optimal or feasible"),
        ("status", {}, "status: must be optimal or feasible"),
        ("status", None, "status: must be optimal or feasible"),
        ("status", ["optimal"], "status: must be optimal or feasible"),
        ("bound", "high", "bound: must be a number"),
        ("unassigned", {}, "unassigned: must be a list"),
        ("objective", [], "objective: must be an object"),
        ("objective", None, "objective: must be an object, not null"),
        ("unassigned", None, "unassigned: must be a list, not null"),
        ("stats", [], "stats: must be an object"),
        ("signals", [None, None], "signals: must be an object"),
        ("warnings", {}, "warnings: must be a list"),
    ],
)
def test_check_refuses_a_solution_of_the_wrong_shape(
    solved: tuple[Path, Path], tmp_path: Path, field: str, value: Any, message: str
) -> None:
    problem, solution_file = solved
    solution = json.loads(solution_file.read_text(encoding="utf-8"))
    solution[field] = value
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(solution), encoding="utf-8")
    assert_one_error_line(run_main("check", problem, odd), f"matchcore: {odd}: {message}")


def test_check_without_stats_is_still_a_solution(solved: tuple[Path, Path], tmp_path: Path) -> None:
    problem, solution_file = solved
    solution = json.loads(solution_file.read_text(encoding="utf-8"))
    del solution["stats"]  # informative only
    lean = tmp_path / "lean.json"
    lean.write_text(json.dumps(solution), encoding="utf-8")
    result = run_main("check", problem, lean)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_check_names_the_problem_file_on_bad_problems(
    solved: tuple[Path, Path], problem_file: Path
) -> None:
    doc = problem_doc()
    doc["requests"][1]["volunteers_needed"] = 0
    problem_file.write_text(json.dumps(doc), encoding="utf-8")
    assert_one_error_line(
        run_main("check", problem_file, solved[1]),
        f"matchcore: {problem_file}: requests[1].volunteers_needed: must be 1 or more",
    )


# -- generate -----------------------------------------------------------------------------


def test_generate_writes_a_valid_problem(tmp_path: Path) -> None:
    out = tmp_path / "generated.json"
    args = ("generate", "--volunteers", "12", "--requests", "20", "--seed", "5", "--pins", "2")
    proc = run(*args, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""
    problem = Problem.from_json(out.read_bytes())
    assert (len(problem.volunteers), len(problem.requests)) == (12, 20)
    assert any(r.window is not None for r in problem.requests)
    assert len(problem.assignments) <= 2
    # the same flags give the same problem (in-process, to stdout this time)
    assert run_main(*args).stdout == out.read_text(encoding="utf-8")


def test_generate_untimed_to_stdout() -> None:
    result = run_main(
        "generate", "--volunteers", "3", "--requests", "4", "--untimed", "--region", "west-flanders"
    )
    assert result.returncode == 0, result.stderr
    problem = Problem.from_json(result.stdout.encode("utf-8"))
    assert all(r.window is None for r in problem.requests)
    assert all(v.availability is None for v in problem.volunteers)


# -- demo ---------------------------------------------------------------------------------


def test_demo_prints_a_summary() -> None:
    proc = run("demo", "--time-limit", "30")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert re.search(r"Plan\s+(optimal|feasible)", out), out
    assert re.search(r"Served\s+\d+ of \d+ requests", out), out
    for label in ("Priority", "Continuity", "Travel", "Assignments"):
        assert label in out, out
    # A summary, not a dump: the demo serves 83 of 120 requests, and a dump would
    # list them; a loaded machine may add a note that the advice was cut short.
    assert len(out.splitlines()) < 80


def test_summary_groups_the_unassigned_by_reason(problem_file: Path) -> None:
    from matchcore.tasks.solve import solve

    problem = Problem.from_json(problem_file.read_bytes())
    text = format_summary(problem, solve(problem), title="Plan")
    assert "Served      2 of 4 requests" in text
    assert "Not served: 2 requests, by reason" in text
    assert text.index("no_skill_match") < text.index("out_of_range")  # funnel order
    assert "r3" in text and "r4" in text
    assert "v1*" in text  # r1 went to the client's usual volunteer
