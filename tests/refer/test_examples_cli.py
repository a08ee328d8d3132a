"""The referral examples and commands: ``zorgpad``, ``solve --directory``, the README's signals."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

import matchcore
from matchcore import Problem, Reason, check, cli
from matchcore.refer.directory import load_directory
from matchcore.report.signal_text import signal_lines

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "refer"
WEEK = EXAMPLES / "west-flemish-week.json"
SOUTH_LIMBURG = {
    "Beekdaelen", "Brunssum", "Eijsden-Margraten", "Gulpen-Wittem", "Heerlen", "Kerkrade",
    "Landgraaf", "Maastricht", "Meerssen", "Simpelveld", "Sittard-Geleen", "Stein", "Vaals",
    "Valkenburg aan de Geul", "Voerendaal", "Beek",
}  # fmt: skip


def test_examples_are_fresh() -> None:
    script = EXAMPLES / "make_examples.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_south_limburg_in_hsds_and_native_form_is_one_directory() -> None:
    hsds = load_directory(EXAMPLES / "zuid-limburg.hsds.json")
    native = load_directory(EXAMPLES / "zuid-limburg.native.json")
    assert len(hsds) == len(native) > 10
    for a, b in zip(hsds.services, native.services, strict=True):
        assert (a.id, a.name, a.organization, a.municipalities) == (
            b.id,
            b.name,
            b.organization,
            b.municipalities,
        )
        assert a.theme_names == b.themes and a.locations == b.locations
        assert {x.lower() for x in a.themes} >= {x.lower() for x in b.themes}
        assert (a.min_age, a.max_age) == (b.min_age, b.max_age)
    places = {m for s in hsds.services for m in s.municipalities}
    assert places == SOUTH_LIMBURG


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def run_main(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str | Path) -> Run:
        code = cli.main([str(a) for a in args])
        got = capsys.readouterr()
        return Run(code, got.out, got.err)

    return run


@pytest.fixture(scope="module")
def week() -> tuple[dict[str, Any], Problem, matchcore.Solution]:
    doc = json.loads(WEEK.read_text(encoding="utf-8"))
    problem = Problem.from_dict(doc)
    return doc, problem, matchcore.solve(problem)


def test_the_west_flemish_week_as_the_readme_tells_it(
    week: tuple[dict[str, Any], Problem, matchcore.Solution],
) -> None:
    doc, problem, solution = week
    assert check(problem, solution).ok
    signals = solution.signals
    assert signals is not None and signals.complete
    reasons = {u.request_id: u.reason for u in solution.unassigned}
    referred = [r.id for r in problem.requests if r.refer_only]
    assert all(reasons[rid] is Reason.REFERRED for rid in referred)
    misses = {m.request_id: m for m in signals.near_misses}
    # The dialysis rides: served after widening their window by 2 minutes.
    for rid in ("dialyse-ma", "dialyse-wo"):
        assert misses[rid].kind == "widen_window" and "by 2 minutes" in misses[rid].summary
        patched = jsonpatch.apply_patch(doc, list(misses[rid].patch))
        again = matchcore.solve(Problem.from_dict(patched), advise=False)
        assert rid in {a.request_id for a in again.assignments}
    for item in signals.recruit:
        more = copy.deepcopy(doc)
        more["volunteers"].append(item.volunteer)
        again = matchcore.solve(Problem.from_dict(more), advise=False)
        assert again.objective.served_priority >= (
            solution.objective.served_priority + item.extra_priority - 1e-9
        )
    # The README shows these signal lines, from this run.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = "\n".join(signal_lines(solution)).strip()
    assert shown in readme


def test_zorgpad_command(run_main: Any) -> None:
    hsds = str(EXAMPLES / "zuid-limburg.hsds.json")
    result = run_main("zorgpad", hsds, "--municipality", "vaals", "--theme", "huisvesting")
    assert result.code == 0
    assert result.out.splitlines() == ["Zorgpad huisvesting", "  Vaals" + " " * 19 +
                                       " -- no service (a gap)"]  # fmt: skip
    as_json = run_main("zorgpad", hsds, "--theme", "schulden", "--problem", WEEK, "--json")
    rows = json.loads(as_json.out)
    assert {r["municipality"] for r in rows} >= SOUTH_LIMBURG
    assert all(r["informal"]["reach"] in ("municipality", "network") for r in rows)
    # A problem document's own directory serves as the DIRECTORY too.
    own = run_main("zorgpad", WEEK, "--municipality", "Moorslede", "--theme", "laaggeletterdheid")
    assert "no service (a gap)" in own.out


def test_zorgpad_and_directory_errors_are_one_line_with_the_place(
    run_main: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "s", "name": "S", "min_age": "young"}]), encoding="utf-8")
    result = run_main("zorgpad", bad)
    assert result.code == 2
    assert result.err.strip() == f"matchcore: {bad}: [0].min_age: must be a number, not a string"
    missing = run_main("zorgpad", tmp_path / "none.json")
    assert missing.code == 2 and "cannot be read" in missing.err
    solved = run_main("solve", WEEK, "--directory", bad, "-q")
    assert solved.code == 2 and "min_age" in solved.err and solved.out == ""


def test_solve_directory_option_replaces_the_problem_directory(run_main: Any) -> None:
    result = run_main(
        "solve", WEEK, "--directory", EXAMPLES / "zuid-limburg.native.json", "-q", "--time-limit",
        "20",
    )  # fmt: skip
    assert result.code == 0, result.err
    plan = json.loads(result.out)
    (wound,) = [u for u in plan["unassigned"] if u["request_id"] == "wondzorg-roeselare"]
    assert wound["reason"] == "referred" and wound["referrals"] == []  # no Limburg nurses
    gaps = {(g["theme"], g["place"].get("municipality")) for g in plan["signals"]["zorgpad_gaps"]}
    assert ("thuisverpleging", "Roeselare") in gaps


def test_the_summary_shows_signals(
    week: tuple[dict[str, Any], Problem, matchcore.Solution],
) -> None:
    from matchcore.report.text import format_summary

    _, problem, solution = week
    text = format_summary(problem, solution)
    assert "Signals: recruit (verified by solving again)" in text
    assert re.search(r"widen the window of request dialyse-ma by 2 minutes", text)


def test_zorgpad_informal_help_counts_volunteers_who_reach_the_municipality() -> None:
    from matchcore.refer.directory import read_directory
    from matchcore.refer.zorgpad import zorgpad

    doc = {
        "volunteers": [
            {"id": "near", "location": {"lat": 50.89, "lon": 5.98}, "skills": ["Schulden"]},
            {"id": "far", "location": {"lat": 51.40, "lon": 5.98}, "skills": ["schulden"]},
            {"id": "other", "location": {"lat": 50.89, "lon": 5.98}, "skills": ["driving"]},
        ],
        "requests": [
            {"id": "r", "location": {"lat": 50.888, "lon": 5.979}, "duration_minutes": 30,
             "municipality": "Heerlen", "themes": ["schulden"]}
        ],
    }  # fmt: skip
    directory = read_directory([{"id": "s", "name": "S", "themes": ["schulden"],
                                 "municipalities": ["Heerlen", "Vaals"]}])  # fmt: skip
    rows = {r.municipality: r for r in zorgpad(directory, problem=Problem.from_dict(doc))}
    assert (rows["Heerlen"].volunteer_ids, rows["Heerlen"].reach) == (("near",), "municipality")
    assert (rows["Vaals"].volunteer_ids, rows["Vaals"].reach) == (("near", "far"), "network")
    assert zorgpad(directory)[0].volunteer_ids is None
    assert [r.municipality for r in zorgpad(directory, municipality="Gulpen")] == ["Gulpen"]


def _groups_network() -> dict[str, Any]:
    """Debt groups in Heerlen and Maastricht, a diabetes group; one debts request in Heerlen."""

    def group(gid: str, topic: str, lat: float, lon: float) -> dict[str, Any]:
        return {"id": gid, "topic": topic, "location": {"lat": lat, "lon": lon},
                "sessions": [{"start": "2026-03-03T19:00:00+01:00",
                              "end": "2026-03-03T21:00:00+01:00"}],
                "max_participants": 8}  # fmt: skip

    return {
        "volunteers": [
            {"id": "near", "location": {"lat": 50.89, "lon": 5.98}, "skills": ["schulden"]},
        ],
        "requests": [
            {
                "id": "r",
                "location": {"lat": 50.888, "lon": 5.979},
                "duration_minutes": 30,
                "municipality": "Heerlen",
                "themes": ["schulden"],
            }
        ],
        "groups": [
            group("schulden-heerlen", "Schulden", 50.887, 5.98),
            group("schulden-maastricht", "schulden", 50.851, 5.691),  # 20 km from Heerlen
            group("diabetes-kerkrade", "Diabetes", 50.866, 6.063),  # 6 km from Heerlen
            group("diabetes-sittard", "diabetes", 51.0, 5.87),  # 15 km
        ],
        "participants": [
            {"id": "p", "location": {"lat": 50.88, "lon": 5.98}, "topics": ["schulden"]}
        ],
        "options": {"default_max_distance_km": 10},
    }


def test_zorgpad_informal_help_lists_groups_on_the_topic_in_reach() -> None:
    from matchcore.refer.directory import read_directory
    from matchcore.refer.zorgpad import format_zorgpad, zorgpad

    problem = Problem.from_dict(_groups_network())
    directory = read_directory([{"id": "s", "name": "S", "themes": ["schulden"],
                                 "municipalities": ["Heerlen", "Vaals"]}])  # fmt: skip
    rows = {(r.theme, r.municipality): r for r in zorgpad(directory, problem=problem)}
    # In Heerlen (a request there) only the group within 10 km of it; in Vaals the network's.
    heerlen = rows["schulden", "Heerlen"]
    assert (heerlen.group_ids, heerlen.reach) == (("schulden-heerlen",), "municipality")
    vaals = rows["schulden", "Vaals"]
    assert (vaals.group_ids, vaals.reach) == (("schulden-heerlen", "schulden-maastricht"),
                                              "network")  # fmt: skip
    # A group's topic is a theme of the zorgpad even with no service for it: a gap, and help.
    diabetes = rows["Diabetes", "Heerlen"]
    assert diabetes.services == () and diabetes.group_ids == ("diabetes-kerkrade",)
    assert rows["Diabetes", "Vaals"].group_ids == ("diabetes-kerkrade", "diabetes-sittard")
    assert heerlen.to_dict()["informal"] == {
        "volunteer_ids": ["near"],
        "group_ids": ["schulden-heerlen"],
        "reach": "municipality",
    }
    text = format_zorgpad(tuple(rows.values()))
    assert "groups in reach: schulden-heerlen" in text
    # Without a problem: no informal help at all, and no group topics.
    assert {r.theme for r in zorgpad(directory)} == {"schulden"}
    assert all("informal" not in r.to_dict() for r in zorgpad(directory))


def test_zorgpad_command_shows_the_groups_of_the_zelfregienetwerk(run_main: Any) -> None:
    native = str(EXAMPLES / "zuid-limburg.native.json")
    zelfregie = ROOT / "examples" / "zelfregie_south_limburg.json"
    result = run_main("zorgpad", native, "--theme", "schulden", "--problem", zelfregie, "--json")
    assert result.code == 0
    rows = json.loads(result.out)
    doc = json.loads(zelfregie.read_text(encoding="utf-8"))
    debts = sorted(g["id"] for g in doc["groups"] if g["topic"].casefold() == "schulden")
    assert debts and all(sorted(r["informal"]["group_ids"]) == debts for r in rows)
    text = run_main("zorgpad", native, "--theme", "rouw", "--municipality", "Heerlen",
                    "--problem", zelfregie)  # fmt: skip
    assert "-- no service (a gap)" in text.out and "groups in the network: zrg-rouw-" in text.out
