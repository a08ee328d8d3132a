"""The command line of referral: ``matchcore zorgpad`` and ``solve --directory``.

:mod:`matchcore.cli` registers these with one call each, so that this
package owns its commands.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from matchcore.errors import ProblemError

if TYPE_CHECKING:
    from matchcore.problem import Problem
from matchcore.refer.directory import Directory, load_directory

if TYPE_CHECKING:
    from matchcore.solution import Solution


def add_zorgpad_command(sub: Any, run: Any) -> None:
    """Register ``matchcore zorgpad`` on the subparsers ``sub``; ``run`` wraps errors."""
    cmd = sub.add_parser(
        "zorgpad",
        help="per theme and municipality, which help exists",
        description="The zorgpad of a service directory (HSDS JSON, an HSDS CSV folder, or the "
        "native form): per theme and municipality the professional services, and with "
        "--problem the network's volunteers with a skill of that name.",
    )
    cmd.add_argument("directory", metavar="DIRECTORY", help="directory file or HSDS CSV folder")
    cmd.add_argument("--municipality", metavar="M", help="only this municipality")
    cmd.add_argument("--theme", metavar="T", help="only this theme")
    cmd.add_argument("--problem", metavar="P", help="a network problem, for informal help")
    cmd.add_argument("--json", action="store_true", help="write JSON instead of text")
    cmd.set_defaults(run=run, quiet=True, verbose=False)


def add_directory_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--directory",
        metavar="PATH",
        help="service directory to refer to (HSDS JSON, HSDS CSV folder or native JSON); "
        "replaces the problem's own directory",
    )


def with_directory(problem: Problem, path: str | None) -> Problem:
    """``problem`` with the directory at ``path``, when one is given."""
    if path is None:
        return problem
    return replace(problem, directory=read_directory_file(path))


def read_directory_file(path: str) -> Directory:
    """Load a directory; errors carry the file name in front of their place."""
    try:
        return load_directory(path)
    except ProblemError as err:
        raise ValueError(f"{path}: {_located(err)}") from None


def _located(err: ProblemError) -> str:
    return f"{err.location}: {err.message}" if err.path else err.message


def zorgpad_text(args: argparse.Namespace, problem: Problem | None) -> str:
    from matchcore.refer.zorgpad import format_zorgpad, zorgpad  # numpy: only when used

    directory = read_directory_file(args.directory)
    rows = zorgpad(directory, municipality=args.municipality, theme=args.theme, problem=problem)
    if args.json:
        return json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False)
    return format_zorgpad(rows)


_SHOWN = 4  # groups and near misses listed in a summary: the largest first


def signal_lines(solution: Solution) -> list[str]:
    """The signals of a plan as a coordinator reads them (empty without signals)."""
    from matchcore.refer.signals import Signals

    s = solution.signals
    if not isinstance(s, Signals):
        return []
    out: list[str] = []
    if s.unmet:
        out += ["", "Signals: unmet needs (reason, needs, place, when: requests, priority)"]
        for g in s.unmet[:_SHOWN]:
            needs = "+".join(g.skills) or ("" if g.reason.value == "referred" else "any help")
            if g.reason.value == "referred":
                needs = (needs + " " if needs else "") + "(professional)"
            if g.languages:
                needs += f" in {'/'.join(g.languages)}"
            when = f"{g.weekday} {g.part_of_day}" if g.weekday else "any time"
            out.append(
                f"  {g.reason.value:<15} {needs:<26} {g.place.label():<18} {when:<18}"
                f" {g.requests:>3}  {g.priority:g}"
            )
        if len(s.unmet) > _SHOWN:
            out.append(f"  ... and {len(s.unmet) - _SHOWN} more groups")
    if s.recruit:
        out += ["", "Signals: recruit (verified by solving again)"]
        out += [f"  {r.summary}" for r in s.recruit]
    if s.near_misses:
        out += ["", "Signals: near misses (one change serves the request)"]
        out += [f"  {m.summary}" for m in s.near_misses[:_SHOWN]]
        if len(s.near_misses) > _SHOWN:
            out.append(f"  ... and {len(s.near_misses) - _SHOWN} more")
    if s.zorgpad_gaps:
        out += ["", "Signals: zorgpad gaps (theme, place: requests without a service)"]
        out += [f"  {g.theme}, {g.place.label()}: {g.requests}" for g in s.zorgpad_gaps]
    if not s.complete:
        out.append("  (advice cut short by the time limit)")
    return out
