"""The README stays true: its Python example and its matchcore commands run.

`make demo`, `make test`, `make serve` and the gunicorn/curl lines are run by
hand before each release (they install, serve, or are this suite itself).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_python_example_runs(tmp_path: Path) -> None:
    (example,) = [b for b in _blocks("python") if "matchcore.solve" in b]
    result = subprocess.run(
        [sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "req-oppas-mantelzorg no_skill_match" in result.stdout


def _cli_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command.startswith("matchcore "):
                lines.append(shlex.split(command))
    return lines


def test_readme_shows_every_subcommand() -> None:
    assert {line[1] for line in _cli_lines()} >= {
        "solve", "check", "generate", "demo", "report", "summary", "import", "template",
    }  # fmt: skip


@pytest.mark.parametrize("argv", _cli_lines(), ids=lambda argv: " ".join(argv[:2]))
def test_cli_line_runs(argv: list[str], tmp_path: Path) -> None:
    # Run from a copy of the examples so that outputs land in tmp_path.
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("*.py"))
    if (argv[1] in ("check", "report", "summary") or "--previous" in argv) and "plan.json" in argv:
        solve = ["solve", "examples/small_network.json", "-o", "plan.json", "--quiet"]
        subprocess.run([sys.executable, "-m", "matchcore.cli", *solve], cwd=tmp_path, check=True)
    _series_plans(argv, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "matchcore.cli", *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def _series_plans(argv: list[str], where: Path) -> None:
    """The plans the series walk-through reads, made as its earlier lines make them."""
    steps = []
    if "series-plan.json" in argv and "examples/series_three_weeks.json" not in argv:
        steps.append(["examples/series_three_weeks.json", "-o", "series-plan.json"])
    if argv[1] == "check" and "series-replanned.json" in argv:
        replan = ["examples/series_withdrawn.json", "--previous", "series-plan.json"]
        steps.append([*replan, "-o", "series-replanned.json"])
    for step in steps:
        command = [sys.executable, "-m", "matchcore.cli", "solve", *step, "--quiet"]
        subprocess.run(command, cwd=where, check=True)


# -- the documented facts match the code -----------------------------------------------

_DASH = "\N{EN DASH}"  # as the README's ranges are written
_DAYS = {frozenset(range(5)): f"Mon{_DASH}Fri", frozenset(range(6)): f"Mon{_DASH}Sat"}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def test_task_mix_table_is_the_generators() -> None:
    from matchcore.synth.generate import TASK_TYPES

    header = "| kind | share | skills | minutes | days | part of the day |"
    table = README.split(header, 1)[1].split("\n\n", 1)[0].strip().splitlines()[1:]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    total = sum(t.weight for t in TASK_TYPES)
    assert len(rows) == len(TASK_TYPES)
    for (_kind, share, skills, minutes, days, parts), task in zip(rows, TASK_TYPES, strict=True):
        assert share == f"{round(100 * task.weight / total)}%", task.name
        assert skills == ", ".join(f"`{s}`" for s in task.skills), task.name
        assert minutes == f"{task.min_minutes}{_DASH}{task.max_minutes}", task.name
        assert days == _DAYS[task.days], task.name
        expected = " or ".join(f"{_clock(a)}{_DASH}{_clock(b)}" for a, b in task.dayparts)
        assert parts == expected, task.name


def test_the_documented_version_rule_holds() -> None:
    from matchcore import Problem, ProblemError

    assert "`version` is optional" in README
    base = {"volunteers": [], "requests": []}
    for accepted in ({}, {"version": 1}, {"version": 1.0}):
        Problem.from_dict({**base, **accepted})
    for refused in (2, 0, "1", None):
        with pytest.raises(ProblemError) as caught:
            Problem.from_dict({**base, "version": refused})
        assert caught.value.location == "version"
    with pytest.raises(ProblemError) as caught:
        Problem.from_dict({**base, "version": 2})
    assert str(caught.value) in README  # the error line the README quotes
