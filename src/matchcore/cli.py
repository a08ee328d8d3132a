"""The ``matchcore`` command line: ``solve``, ``check``, ``generate`` and ``demo``.

Exit codes
----------
0
    Success (``check``: the solution passes every rule).
1
    ``check`` found violations; they are listed on stdout, one per line.
2
    Bad input or usage: one line on stderr naming the JSON path, e.g.
    ``matchcore: requests[3].window.end: must be later than start``.
    Never a traceback, and nothing is written to ``-o``.
130
    Interrupted (Ctrl-C).
141
    stdout was closed early (``matchcore demo | head``).

``solve`` shows progress lines on stderr when stderr is a terminal, or
always with ``--verbose``; ``--quiet`` leaves only errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from matchcore.errors import ProblemError
from matchcore.problem import Problem, load_json

if TYPE_CHECKING:
    from matchcore.solution import Assignment, Objective, Solution

_T = TypeVar("_T")
EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # as a command killed by SIGPIPE

DEMO_RESOURCE = "data/demo_network.json"
STDIO = "-"

log = logging.getLogger(__name__)


class InputError(Exception):
    """Bad input or an unusable output path: one line on stderr, exit code 2."""


# -- entry point -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``matchcore`` command line and return its exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors (exit 2)
        return stop.code if isinstance(stop.code, int) else EXIT_INPUT
    try:
        with _progress_logging(_progress(args)):
            code: int = args.run(args)
        return code
    except InputError as err:
        _print_error(str(err))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `matchcore demo | head`: the reader left
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _parser() -> argparse.ArgumentParser:
    from matchcore import __version__
    from matchcore.generate import REGIONS
    from matchcore.refer.cli import add_directory_option, add_zorgpad_command

    parser = argparse.ArgumentParser(
        prog="matchcore",
        description="Match volunteers to help requests in informal care networks.",
        epilog="Exit codes: 0 ok, 1 check found violations, 2 bad input, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"matchcore {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    solve = sub.add_parser(
        "solve",
        help="solve a problem and write the solution JSON",
        description="Assign all open requests at once; every unserved request gets a reason.",
    )
    solve.add_argument("problem", metavar="PROBLEM.json", help="problem file, or - for stdin")
    solve.add_argument(
        "-o",
        "--output",
        metavar="SOLUTION.json",
        help="write the solution here (atomically) instead of to stdout",
    )
    _time_limit_argument(solve, "seconds for the whole solve (default: options.time_limit_seconds)")
    talk = solve.add_mutually_exclusive_group()
    talk.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines on stderr (only errors)"
    )
    talk.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="progress lines on stderr even when it is not a terminal "
        "(by default they appear only on a terminal)",
    )
    add_directory_option(solve)
    solve.set_defaults(run=_cmd_solve)

    check = sub.add_parser(
        "check",
        help="check a solution independently against its problem",
        description="Recompute every hard rule and the objective. Exit 1 with the violations "
        "listed, one per line, when the solution breaks a rule.",
    )
    check.add_argument("problem", metavar="PROBLEM.json", help="problem file, or - for stdin")
    check.add_argument("solution", metavar="SOLUTION.json", help="solution file, or - for stdin")
    check.set_defaults(run=_cmd_check, quiet=True, verbose=False)

    gen = sub.add_parser(
        "generate",
        help="write a realistic synthetic problem",
        description="A synthetic care network: volunteers and requests in population-weighted "
        "towns, weekly availability blocks and a realistic task mix.",
    )
    gen.add_argument(
        "--volunteers", type=_count, required=True, metavar="N", help="number of volunteers"
    )
    gen.add_argument(
        "--requests", type=_count, required=True, metavar="M", help="number of help requests"
    )
    gen.add_argument(
        "--region",
        choices=REGIONS,
        metavar="R",
        help=f"where to draw towns from: {', '.join(REGIONS)} (default: zorgnetwerken, both)",
    )
    gen.add_argument(
        "--untimed", action="store_true", help="requests without time windows, no availability"
    )
    gen.add_argument("--seed", type=_count, default=0, metavar="S", help="random seed (default 0)")
    gen.add_argument(
        "--pins", type=_count, default=0, metavar="K", help="pinned assignments (default 0)"
    )
    gen.add_argument("-o", "--output", metavar="FILE", help="write here instead of to stdout")
    gen.set_defaults(run=_cmd_generate, quiet=True, verbose=False)

    demo = sub.add_parser(
        "demo",
        help="solve the bundled example network and print a summary",
        description="Solve a bundled example network and print the plan for a coordinator.",
    )
    _time_limit_argument(demo, "seconds for the solve (default: the example's own setting)")
    demo.set_defaults(run=_cmd_demo, quiet=True, verbose=False)
    add_zorgpad_command(sub, _cmd_zorgpad)
    return parser


def _time_limit_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--time-limit", type=_positive_seconds, metavar="S", dest="time_limit", help=help_text
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a number of seconds greater than 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


# -- commands --------------------------------------------------------------------


def _cmd_solve(args: argparse.Namespace) -> int:
    output = _output_path(args.output)
    from matchcore.refer.cli import with_directory

    loaded = _load_problem(args.problem)
    problem = _refer_call(lambda: with_directory(loaded, args.directory))
    log.info(
        "solving %d requests with %d volunteers (time limit %gs)",
        len(problem.requests),
        len(problem.volunteers),
        args.time_limit or problem.options.time_limit_seconds,
    )
    solution = _solve(problem, args.time_limit)
    _write(output, (solution.to_json() + "\n").encode("utf-8"))
    if output is not None:
        log.info("wrote %s", output)
    return EXIT_OK


def _cmd_zorgpad(args: argparse.Namespace) -> int:
    from matchcore.refer.cli import zorgpad_text

    problem = _load_problem(args.problem, name_file=True) if args.problem else None
    print(_refer_call(lambda: zorgpad_text(args, problem)))
    return EXIT_OK


def _refer_call(work: Callable[[], _T]) -> _T:
    """Run a matchcore.refer step; its ``ValueError`` (a bad directory) is bad input."""
    try:
        return work()
    except ValueError as err:
        raise InputError(str(err)) from None


def _cmd_check(args: argparse.Namespace) -> int:
    from matchcore.check import check

    if args.problem == STDIO and args.solution == STDIO:
        raise InputError("only one of PROBLEM and SOLUTION can be read from stdin")
    problem = _load_problem(args.problem, name_file=True)
    raw = _read_bytes(args.solution)
    try:
        report = check(problem, load_json(raw))
    except ProblemError as err:
        raise InputError(_problem_error_line(err, args.solution, name_file=True)) from None
    if report.ok:
        print(f"ok: {_objective_line(report.objective)}")
        return EXIT_OK
    for violation in report.violations:
        print(f"{violation.path}: {violation.rule}: {_one_line(violation.message)}")
    count = len(report.violations)
    _print_error(f"{count} {_plural(count, 'violation')}")
    return EXIT_VIOLATIONS


def _cmd_generate(args: argparse.Namespace) -> int:
    from matchcore.generate import generate

    output = _output_path(args.output)
    kwargs: dict[str, Any] = {"timed": not args.untimed, "seed": args.seed, "pins": args.pins}
    if args.region is not None:
        kwargs["region"] = args.region
    try:
        problem = generate(args.volunteers, args.requests, **kwargs)
    except ProblemError as err:
        raise InputError(f"generate: {_problem_error_line(err, '')}") from None
    except ValueError as err:  # a flag the generator cannot honour, e.g. an unknown region
        raise InputError(f"generate: {err}") from None
    text = json.dumps(problem.to_dict(), indent=2, ensure_ascii=False) + "\n"
    _write(output, text.encode("utf-8"))
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        raw = resources.files("matchcore").joinpath(DEMO_RESOURCE).read_bytes()
    except OSError as err:
        raise InputError(f"the bundled demo network is missing ({err.strerror or err})") from None
    try:
        problem = Problem.from_json(raw)
    except ProblemError as err:
        raise InputError(_problem_error_line(err, DEMO_RESOURCE, name_file=True)) from None
    solution = _solve(problem, args.time_limit)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # never die on a terminal's encoding
    print(format_summary(problem, solution, title="matchcore demo"))
    return EXIT_OK


# -- reading, solving, writing -----------------------------------------------------


def _read_bytes(name: str) -> bytes:
    if name == STDIO:
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as err:
        raise InputError(f"{name}: {err.strerror or err}") from None


def _load_problem(name: str, *, name_file: bool = False) -> Problem:
    raw = _read_bytes(name)
    try:
        return Problem.from_json(raw)
    except ProblemError as err:
        raise InputError(_problem_error_line(err, name, name_file=name_file)) from None


def _solve(problem: Problem, time_limit: float | None) -> Solution:
    """Solve in a worker thread, so that Ctrl-C stops the command at once.

    The solver's native threads do not return to Python until their search
    ends; the main thread, only waiting here, takes the interrupt. Nothing has
    been written yet, so the process may end on the spot.
    """
    from matchcore.solver import solve

    outcome: dict[str, Solution | BaseException] = {}

    def work() -> None:
        try:
            outcome["solution"] = solve(problem, time_limit_s=time_limit)
        except BaseException as err:  # handed to the main thread below
            outcome["error"] = err

    worker = threading.Thread(target=work, name="matchcore-solve", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    error = outcome.get("error")
    if isinstance(error, ProblemError):  # e.g. a pinned assignment that breaks a hard rule
        raise InputError(_problem_error_line(error, "")) from None
    if isinstance(error, BaseException):
        raise error
    return cast("Solution", outcome["solution"])


def _output_path(name: str | None) -> Path | None:
    """The ``-o`` target, checked before any work so a long solve is not wasted."""
    if name is None or name == STDIO:
        return None
    path = Path(name)
    if path.is_dir():
        raise InputError(f"{name}: is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{name}: no such directory: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{name}: cannot write to directory {folder}")
    return path


def _write(path: Path | None, data: bytes) -> None:
    """Write to stdout, or atomically to ``path`` (a temp file, then ``os.replace``)."""
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise InputError(f"{path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise InputError(f"{path}: {err.strerror or err}") from None
        raise


def _file_mode(path: Path) -> int:
    """Keep the mode of the file we replace; a new file gets the usual umask default."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# -- messages ----------------------------------------------------------------------


def _problem_error_line(err: ProblemError, source: str, *, name_file: bool = False) -> str:
    """``requests[3].window.end: must be later than start``, one line.

    An error about the whole document (not JSON, not an object) names the
    file instead of ``(document)``; ``name_file`` always names it, for
    commands that read more than one file.
    """
    shown = "stdin" if source == STDIO else source
    if not err.path and shown:
        where = shown
    elif name_file and shown:
        where = f"{shown}: {err.location}"
    else:
        where = err.location
    return f"{where}: {err.message}"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _print_error(message: str) -> None:
    print(f"matchcore: {_one_line(message)}", file=sys.stderr)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):  # stdout without a file descriptor
        os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _objective_line(objective: Objective) -> str:
    return (
        f"served {objective.served_requests} requests, priority {objective.served_priority:g}, "
        f"continuity {objective.continuity}, travel {objective.travel_km:.3f} km"
    )


# -- progress on stderr ------------------------------------------------------------


class _ProgressFormatter(logging.Formatter):
    """``matchcore [  1.2s] candidates: 812 pairs``: seconds since the command began."""

    def __init__(self) -> None:
        super().__init__()
        self._t0 = time.time()

    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        line = f"matchcore [{record.created - self._t0:5.1f}s] {level}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _progress(args: argparse.Namespace) -> bool:
    """Progress lines: with ``--verbose``, or by default when stderr is a terminal.

    Scripts and pipelines reading stderr thus see nothing but the one error
    line when the input is bad; a person at a terminal sees the solve move.
    """
    if args.quiet:
        return False
    return bool(args.verbose) or sys.stderr.isatty()


@contextlib.contextmanager
def _progress_logging(progress: bool) -> Iterator[None]:
    """Route the ``matchcore`` loggers to stderr for one command, then restore them.

    INFO and up with ``progress``, else only warnings and errors.
    """
    logger = logging.getLogger("matchcore")
    saved = logger.level, logger.propagate
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ProgressFormatter())
    logger.setLevel(logging.INFO if progress else logging.WARNING)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# -- the demo summary --------------------------------------------------------------


def format_summary(
    problem: Problem,
    solution: Solution,
    *,
    title: str = "matchcore",
    rows: int = 8,
    details: int = 3,
) -> str:
    """A coordinator's summary of a plan: totals, some assignments, the unserved.

    Parameters
    ----------
    problem
        The problem that was solved.
    solution
        Its solution.
    title
        The first words of the first line.
    rows
        How many assignments to list (the earliest first).
    details
        How many unserved requests to list per reason.
    """
    from matchcore.refer.cli import signal_lines

    obj = solution.objective
    total = len(problem.requests)
    total_priority = sum(r.priority for r in problem.requests)
    proven = solution.status.value == "optimal"
    status = "optimal (proven)" if proven else "feasible (time limit reached before a proof)"
    lines = [
        f"{title}: {len(problem.volunteers)} volunteers, {total} open requests",
        "",
        f"  Plan        {status}, {solution.stats.wall_seconds:.1f} s",
        f"  Served      {obj.served_requests} of {total} requests",
        f"  Priority    {obj.served_priority:g} served of {total_priority:g} asked"
        f" (at most {solution.bound:g} possible)",
        f"  Continuity  {obj.continuity} {_plural(obj.continuity, 'visit')}"
        " by the client's usual volunteer",
        f"  Travel      {obj.travel_km:.1f} km in all (round trips)",
    ]
    if solution.assignments:
        lines += ["", *_assignment_table(solution.assignments, rows)]
    if solution.unassigned:
        lines += ["", *_unassigned_lines(solution, details)]
    else:
        lines += ["", "Every request is served."]
    lines += signal_lines(solution)
    return "\n".join(lines)


def _assignment_table(assignments: Sequence[Assignment], rows: int) -> list[str]:
    def when(a: Assignment) -> tuple[int, float]:
        return (0, a.start.timestamp()) if a.start is not None else (1, 0.0)

    shown = sorted(assignments, key=when)[:rows]
    table = [("request", "when (local time)", "volunteers", "km")]
    any_preferred = False
    for a in shown:
        if a.start is not None and a.end is not None:
            slot = f"{a.start:%a %d %b %H:%M}-{a.end:%H:%M}"
        else:
            slot = "any time"
        names = []
        for v in a.volunteers:
            names.append(v.volunteer_id + ("*" if v.preferred else ""))
            any_preferred = any_preferred or v.preferred
        km = sum(2 * v.distance_km for v in a.volunteers)
        table.append((a.request_id, slot, ", ".join(names), f"{km:.1f}"))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    out = ["Assignments"]
    if len(shown) < len(assignments):
        out[0] += f" (the first {len(shown)} of {len(assignments)})"
    for c0, c1, c2, c3 in table:
        out.append(f"  {c0:<{widths[0]}}  {c1:<{widths[1]}}  {c2:<{widths[2]}}  {c3:>6}")
    notes = []
    if any_preferred:
        notes.append("* the client's usual volunteer")
    notes.append("km: round trips from home")
    out.append("  " + "; ".join(notes))
    return out


def _unassigned_lines(solution: Solution, details: int) -> list[str]:
    groups: dict[str, list[Any]] = {}
    for u in solution.unassigned:
        groups.setdefault(u.reason.value, []).append(u)
    count = len(solution.unassigned)
    from matchcore.explain import REASON_GLOSS, reason_gloss  # numpy only when summarising

    glosses = {reason.value: reason_gloss(reason) for reason in REASON_GLOSS}
    out = [f"Not served: {count} {_plural(count, 'request')}, by reason"]
    order = [*glosses, *sorted(set(groups) - set(glosses))]
    width = max(len(reason) for reason in groups)
    for reason in order:
        items = groups.get(reason)
        if not items:
            continue
        gloss = glosses.get(reason, "")
        out.append(f"  {reason:<{width}}  {len(items):>3}  {gloss}".rstrip())
        id_width = max(len(u.request_id) for u in items[:details])
        for u in items[:details]:
            out.append(f"      {u.request_id:<{id_width}}  {_one_line(u.detail)}")
        if len(items) > details:
            out.append(f"      ... and {len(items) - details} more")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
