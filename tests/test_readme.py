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
    assert {line[1] for line in _cli_lines()} >= {"solve", "check", "generate", "demo"}


@pytest.mark.parametrize("argv", _cli_lines(), ids=lambda argv: " ".join(argv[:2]))
def test_cli_line_runs(argv: list[str], tmp_path: Path) -> None:
    # Run from a copy of the examples so that outputs land in tmp_path.
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("*.py"))
    if argv[1] == "check":
        solve = ["solve", "examples/small_network.json", "-o", "plan.json", "--quiet"]
        subprocess.run([sys.executable, "-m", "matchcore.cli", *solve], cwd=tmp_path, check=True)
    result = subprocess.run(
        [sys.executable, "-m", "matchcore.cli", *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
