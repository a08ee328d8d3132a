"""``matchcore report``, ``summary``, ``solve --report``, ``demo --report`` and progress."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from report_cases import plan, problem_doc
from test_cli import TIMEOUT_S, assert_one_error_line, names, run_main

from matchcore.report.progress import TerminalLine, progress_logging


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    _, doc = plan()
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(problem_doc()), encoding="utf-8")
    solution = tmp_path / "solution.json"
    solution.write_text(json.dumps(doc), encoding="utf-8")
    return problem, solution


@pytest.mark.parametrize("suffix", ["html", "htm", "xlsx", "csv"])
def test_report_writes_the_format_of_the_extension(files: tuple[Path, Path], suffix: str) -> None:
    problem, solution = files
    out = problem.parent / f"plan.{suffix}"
    result = run_main("report", problem, solution, "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""
    data = out.read_bytes()
    if suffix.startswith("htm"):
        assert data.startswith(b"<!DOCTYPE html>") and b'lang="nl"' in data  # Dutch by default
    elif suffix == "xlsx":
        assert load_workbook(out).sheetnames[0] == "assignments"
    else:
        assert data.decode("utf-8-sig").startswith("Hulpvraag,")


def test_report_language_and_redaction(files: tuple[Path, Path]) -> None:
    problem, solution = files
    out = problem.parent / "plan.html"
    assert (
        run_main("report", problem, solution, "-o", out, "--lang", "en", "--redact").returncode == 0
    )
    text = out.read_text(encoding="utf-8")
    assert 'lang="en"' in text and "pseudonyms" in text
    assert "req-0" not in text and "vol-a" not in text


def test_summary_prints_the_plan(files: tuple[Path, Path]) -> None:
    problem, solution = files
    result = run_main("summary", problem, solution)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("matchcore summary: 3 volunteers, 7 open requests")
    assert "Not served:" in result.stdout and "no_skill_match" in result.stdout
    redacted = run_main("summary", problem, solution, "--redact")
    assert "req-skill" in result.stdout and "req-skill" not in redacted.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("-o", "plan.pdf"), ("end the name with .html, .xlsx or .csv",)),
        (("-o", "-"), ("a report is written to a file",)),
        (("-o", "missing/plan.html"), ("no such directory",)),
    ],
)
def test_report_refuses_a_bad_output(
    files: tuple[Path, Path], args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    problem, solution = files
    before = names(problem.parent)
    fixed = [str(problem.parent / a) if a.startswith("missing") else a for a in args]
    assert_one_error_line(run_main("report", problem, solution, *fixed), *fragments)
    assert names(problem.parent) == before


def test_report_refuses_a_problem_given_as_the_solution(files: tuple[Path, Path]) -> None:
    problem, _ = files
    out = problem.parent / "plan.html"
    line = assert_one_error_line(run_main("report", problem, problem, "-o", out))
    assert "problem.json: is not a solution" in line
    assert not out.exists()


def test_report_names_the_place_of_a_bad_solution(files: tuple[Path, Path]) -> None:
    problem, solution = files
    doc = json.loads(solution.read_text(encoding="utf-8"))
    doc["assignments"][0]["request_id"] = "elsewhere"
    solution.write_text(json.dumps(doc), encoding="utf-8")
    out = problem.parent / "plan.xlsx"
    for command in (("report", problem, solution, "-o", out), ("summary", problem, solution)):
        line = assert_one_error_line(run_main(*command))
        assert "solution.json: assignments[0].request_id: names a request" in line
    assert not out.exists()


def test_report_reads_bad_json_and_stdin_rules(files: tuple[Path, Path]) -> None:
    problem, solution = files
    solution.write_text("{", encoding="utf-8")
    assert_one_error_line(run_main("summary", problem, solution), "solution.json", "not valid JSON")
    assert_one_error_line(run_main("summary", "-", "-"), "only one of PROBLEM and SOLUTION")


def test_report_keeps_an_existing_file_when_it_fails(files: tuple[Path, Path]) -> None:
    problem, _ = files
    out = problem.parent / "plan.html"
    out.write_text("keep me", encoding="utf-8")
    assert_one_error_line(run_main("report", problem, problem, "-o", out))
    assert out.read_text(encoding="utf-8") == "keep me"


def test_solve_writes_a_report_beside_the_solution(files: tuple[Path, Path]) -> None:
    problem, _ = files
    out, report = problem.parent / "sol.json", problem.parent / "plan.html"
    result = run_main("solve", problem, "-o", out, "--report", report, "--lang", "en")
    assert result.returncode == 0, result.stderr
    served = len(json.loads(out.read_text(encoding="utf-8"))["assignments"])
    assert report.read_text(encoding="utf-8").count('data-status="served" cx=') == served


def test_solve_refuses_a_report_over_the_solution_before_solving(files: tuple[Path, Path]) -> None:
    problem, _ = files
    out = problem.parent / "sol.html"
    line = assert_one_error_line(run_main("solve", problem, "-o", out, "--report", out))
    assert "would overwrite the solution" in line
    assert_one_error_line(run_main("solve", problem, "--report", "plan.txt"), "cannot tell")


def test_demo_writes_its_report_and_prints_the_path(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "matchcore.cli", "demo", "--report", "demo-report.html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "demo-report.html"
    assert proc.stdout.rstrip().endswith(f"Report: {path}")
    assert path.read_text(encoding="utf-8").count('<article class="week"') > 10


# -- progress on a terminal -----------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_rewrites_one_line_and_keeps_warnings() -> None:
    stream = _Terminal()
    log = logging.getLogger("matchcore.test")
    with progress_logging(True, stream):
        log.info("solved 1 of 4 parts; served priority 3, bound 9")
        log.info("solved 4 of 4 parts; served priority 8, bound 8")
        log.warning("a warning has a line of its own")
        log.info("done")
    text = stream.getvalue()
    assert text.count("\n") == 2  # the warning's line and the end of the status line
    assert "\r\x1b[Kmatchcore [" in text and "warning: a warning has a line of its own\n" in text
    assert text.endswith("done\n")


def test_progress_is_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    log = logging.getLogger("matchcore.test")
    with progress_logging(True, stream):
        log.info("one")
        log.info("two")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("matchcore [") for line in lines)
    assert "\x1b" not in stream.getvalue()
    quiet = io.StringIO()
    with progress_logging(False, quiet):
        log.info("hidden")
    assert quiet.getvalue() == ""


def test_a_long_status_line_is_cut_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((40, 20)))
    stream = _Terminal()
    handler = TerminalLine(stream)
    handler.emit(logging.LogRecord("matchcore", logging.INFO, "", 0, "x" * 200, None, None))
    shown = stream.getvalue().removeprefix("\r\x1b[K")
    assert len(shown) == 39 and shown.endswith("…")
