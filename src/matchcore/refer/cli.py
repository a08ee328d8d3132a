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
from matchcore.refer.directory import Directory, load_directory

if TYPE_CHECKING:
    from matchcore.problem import Problem


def add_zorgpad_command(sub: Any, run: Any) -> None:
    """Register ``matchcore zorgpad`` on the subparsers ``sub``; ``run`` wraps errors."""
    cmd = sub.add_parser(
        "zorgpad",
        help="per theme and municipality, which help exists",
        description="The zorgpad of a service directory (HSDS JSON, an HSDS CSV folder, or the "
        "native form): per theme and municipality the professional services, and with "
        "--problem the network's informal help: volunteers with a skill of that name and "
        "groups on that topic.",
    )
    cmd.add_argument("directory", metavar="DIRECTORY", help="directory file or HSDS CSV folder")
    cmd.add_argument("--municipality", metavar="M", help="only this municipality")
    cmd.add_argument("--theme", metavar="T", help="only this theme")
    cmd.add_argument(
        "--problem",
        metavar="P",
        help="a network problem, for informal help (volunteers and groups)",
    )
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
