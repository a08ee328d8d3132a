"""The ``matchcore`` command line: ``solve``, ``check``, ``generate``, ``import``, ``template``
and ``demo``.

Exit codes
----------
0
    Success (``check``: the solution passes every rule).
1
    ``check`` found violations; they are listed on stdout, one per line.
2
    Bad input or usage: one line on stderr per error (all of them, up to 50),
    naming the JSON path or the sheet cell, e.g.
    ``matchcore: requests[3].window.end: must be later than start`` or
    ``matchcore: requests!D14 (duration_minutes): must be a whole number``.
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
import dataclasses
import io
import json
import logging
import math
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from matchcore.errors import ProblemError
from matchcore.io import load_json, read_problem, read_problem_file
from matchcore.problem import Problem
from matchcore.report.progress import progress_logging
from matchcore.report.text import format_summary

if TYPE_CHECKING:
    from matchcore.solution import Objective, Solution

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
    """Bad input or an unusable output path: one line per error on stderr, exit code 2."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = lines or ("",)


# -- entry point -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``matchcore`` command line and return its exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors (exit 2)
        return stop.code if isinstance(stop.code, int) else EXIT_INPUT
    try:
        with progress_logging(_progress(args), sys.stderr):
            code: int = args.run(args)
        return code
    except InputError as err:
        for line in err.lines:
            _print_error(line)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `matchcore demo | head`: the reader left
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _parser() -> argparse.ArgumentParser:
    from matchcore import __version__
    from matchcore.refer.cli import add_directory_option, add_zorgpad_command
    from matchcore.synth.towns import REGIONS

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
    solve.add_argument(
        "problem",
        metavar="PROBLEM",
        help="problem file (.json, an .xlsx workbook or a folder of CSV files), or - for stdin",
    )
    solve.add_argument(
        "-o",
        "--output",
        metavar="SOLUTION.json",
        help="write the solution here (atomically) instead of to stdout",
    )
    _time_limit_argument(solve, "seconds for the whole solve (default: options.time_limit_seconds)")
    solve.add_argument(
        "--previous",
        metavar="PLAN.json",
        help="an earlier solution of this network: keep its assignments where possible "
        "(the solution lists every change)",
    )
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
    _report_arguments(solve, "also write a report of the plan here: .html, .xlsx or .csv")
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
    check.add_argument(
        "--previous",
        metavar="PLAN.json",
        help="the earlier solution the plan was made against (solve --previous): "
        "check its kept count and changes too",
    )
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

    imp = sub.add_parser(
        "import",
        help="turn a workbook or a folder of CSV files into problem JSON",
        description="Read a week kept in a spreadsheet (see `matchcore template`), report "
        "every error by sheet, cell and column, and write the problem as JSON.",
    )
    imp.add_argument("sheets", metavar="WEEK.xlsx", help="a workbook, or a folder of CSV files")
    imp.add_argument("-o", "--output", metavar="PROBLEM.json", help="write here, not to stdout")
    imp.set_defaults(run=_cmd_import, quiet=True, verbose=False)

    tpl = sub.add_parser(
        "template",
        help="write an empty workbook to fill in",
        description="An empty workbook of the spreadsheet format: a help sheet explaining "
        "every column, drop-down lists, one example row per sheet.",
    )
    tpl.add_argument("output", metavar="WEEK.xlsx", help="where to write the workbook")
    tpl.set_defaults(run=_cmd_template, quiet=True, verbose=False)

    demo = sub.add_parser(
        "demo",
        help="solve the bundled example network and print a summary",
        description="Solve a bundled example network and print the plan for a coordinator.",
    )
    _time_limit_argument(demo, "seconds for the solve (default: the example's own setting)")
    _report_arguments(demo, "also write a report of the plan here (.html, .xlsx or .csv)")
    demo.set_defaults(run=_cmd_demo, quiet=True, verbose=False)

    report = sub.add_parser(
        "report",
        help="write a plan as an HTML page, a spreadsheet or a CSV",
        description="Write a report of a solved plan: an offline HTML page with a map, charts "
        "and each volunteer's week (.html), a workbook (.xlsx), or the assignments (.csv). "
        "The format follows the extension of -o.",
    )
    report.add_argument("problem", metavar="PROBLEM.json", help="problem file, or - for stdin")
    report.add_argument("solution", metavar="SOLUTION.json", help="solution file, or - for stdin")
    report.add_argument(
        "-o",
        "--output",
        metavar="REPORT",
        required=True,
        help="where to write the report (atomically): plan.html, plan.xlsx or plan.csv",
    )
    _language_arguments(report)
    report.set_defaults(run=_cmd_report, quiet=True, verbose=False)

    summary = sub.add_parser(
        "summary",
        help="print a coordinator's summary of a plan",
        description="Print the totals, the first assignments and the unserved requests by reason.",
    )
    summary.add_argument("problem", metavar="PROBLEM.json", help="problem file, or - for stdin")
    summary.add_argument("solution", metavar="SOLUTION.json", help="solution file, or - for stdin")
    summary.add_argument(
        "--redact", action="store_true", help="replace ids by pseudonyms (e.g. V-3f2a)"
    )
    summary.set_defaults(run=_cmd_summary, quiet=True, verbose=False)
    add_zorgpad_command(sub, _cmd_zorgpad)
    return parser


def _report_arguments(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--report", metavar="REPORT", help=help_text)
    _language_arguments(parser)


def _language_arguments(parser: argparse.ArgumentParser) -> None:
    from matchcore.report.i18n import DEFAULT_LANGUAGE, LANGUAGES

    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help=f"language of the report (default: {DEFAULT_LANGUAGE})",
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="replace every id by a pseudonym such as V-3f2a (the same id, the same "
        "pseudonym within one report), for sharing",
    )


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
    _refuse_overwriting_input(args.problem, output)
    report = _report_target(args.report)
    if report is not None and output is not None and report[0].resolve() == output.resolve():
        raise InputError(f"{args.report}: the report would overwrite the solution")
    from matchcore.refer.cli import with_directory

    loaded = _load_problem(args.problem)
    problem = _refer_call(lambda: with_directory(loaded, args.directory))
    if args.previous is not None:
        problem = _with_previous(problem, args.previous)
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
    if report is not None:
        _write_report(report, problem, solution, args)
        log.info("wrote %s", report[0])
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
    from matchcore.solution import read_solution_document

    if args.problem == STDIO and args.solution == STDIO:
        raise InputError("only one of PROBLEM and SOLUTION can be read from stdin")
    problem, problem_doc = _load_problem_document(args.problem)
    if args.previous is not None:
        problem = _with_previous(problem, args.previous)
    raw = _read_bytes(args.solution)
    try:
        # a solution file is a whole solution: a problem or a fragment is refused here
        document = read_solution_document(load_json(raw), complete=True)
        report = check(problem, document, document=problem_doc)
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, args.solution, name_file=True)) from None
    if report.ok:
        print(f"ok: {_objective_line(report.objective)}")
        return EXIT_OK
    for violation in report.violations:
        print(f"{violation.path}: {violation.rule}: {_one_line(violation.message)}")
    count = len(report.violations)
    _print_error(f"{count} {_plural(count, 'violation')}")
    return EXIT_VIOLATIONS


def _cmd_generate(args: argparse.Namespace) -> int:
    from matchcore.synth.generate import generate

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


def _cmd_import(args: argparse.Namespace) -> int:
    from matchcore.io.sheets import read_sheets

    output = _output_path(args.output)
    source = Path(args.sheets)
    if not source.exists():
        raise InputError(f"{args.sheets}: no such file or folder")
    try:
        doc = read_sheets(source)
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, args.sheets, name_file=True)) from None
    _write(output, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return EXIT_OK


def _cmd_template(args: argparse.Namespace) -> int:
    from matchcore.io.sheets import template_workbook

    output = _output_path(args.output)
    if output is None:
        raise InputError("template: give a file name ending in .xlsx")
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"{args.output}: the template is a workbook; name it *.xlsx")
    buffer = io.BytesIO()
    template_workbook().save(buffer)
    _write(output, buffer.getvalue())
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        raw = resources.files("matchcore").joinpath(DEMO_RESOURCE).read_bytes()
    except OSError as err:
        raise InputError(f"the bundled demo network is missing ({err.strerror or err})") from None
    try:
        problem = Problem.from_json(raw)
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, DEMO_RESOURCE, name_file=True)) from None
    report = _report_target(args.report)
    solution = _solve(problem, args.time_limit)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # never die on a terminal's encoding
    print(format_summary(problem, solution, title="matchcore demo", redact=args.redact))
    if report is not None:
        _write_report(report, problem, solution, args)
        print(f"\nReport: {report[0].resolve()}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    target = _report_target(args.output)
    assert target is not None  # -o is required
    problem, solution = _load_plan(args.problem, args.solution)
    _write_report(target, problem, solution, args)
    return EXIT_OK


def _cmd_summary(args: argparse.Namespace) -> int:
    problem, solution = _load_plan(args.problem, args.solution)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        text = format_summary(problem, solution, title="matchcore summary", redact=args.redact)
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, args.solution, name_file=True)) from None
    print(text)
    return EXIT_OK


# -- reports ---------------------------------------------------------------------------


def _report_target(name: str | None) -> tuple[Path, str] | None:
    """The report's path and format (from its extension), checked before any work."""
    from matchcore.report import report_format

    if name is None:
        return None
    if name == STDIO:
        raise InputError(
            "a report is written to a file: give a name ending in .html, .xlsx or .csv"
        )
    try:
        fmt = report_format(name)
    except ValueError as err:
        raise InputError(str(err)) from None
    path = _output_path(name)
    assert path is not None
    return path, fmt


def _load_plan(problem_name: str, solution_name: str) -> tuple[Problem, Any]:
    """A problem and a solution document, both read and parsed (the solution as JSON data)."""
    if problem_name == STDIO and solution_name == STDIO:
        raise InputError("only one of PROBLEM and SOLUTION can be read from stdin")
    problem = _load_problem(problem_name, name_file=True)
    raw = _read_bytes(solution_name)
    try:
        return problem, load_json(raw)
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, solution_name, name_file=True)) from None


def _write_report(
    target: tuple[Path, str], problem: Problem, solution: Any, args: argparse.Namespace
) -> None:
    from matchcore.report import render

    path, fmt = target
    try:
        data = render(problem, solution, fmt, lang=args.lang, redact=args.redact)
    except ProblemError as err:
        source = getattr(args, "solution", "")
        raise InputError(*_problem_error_lines(err, source, name_file=True)) from None
    _write(path, data)


# -- reading, solving, writing -----------------------------------------------------


def _read_bytes(name: str) -> bytes:
    if name == STDIO:
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as err:
        raise InputError(f"{name}: {err.strerror or err}") from None


def _load_problem(name: str, *, name_file: bool = False) -> Problem:
    try:
        if name != STDIO and _is_sheets(Path(name)):
            if not Path(name).exists():
                raise InputError(f"{name}: no such file or folder")
            return read_problem_file(name)
        return read_problem(_read_bytes(name))
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, name, name_file=name_file)) from None


def _load_problem_document(name: str) -> tuple[Problem, Any]:
    """The problem and the document it was read from (for ``check``'s own expansion
    of repeating requests)."""
    from matchcore.io.problem_json import problem_from_dict

    try:
        if name != STDIO and _is_sheets(Path(name)):
            if not Path(name).exists():
                raise InputError(f"{name}: no such file or folder")
            from matchcore.io.sheets import read_sheets

            doc = read_sheets(Path(name))
        else:
            doc = load_json(_read_bytes(name))
        return problem_from_dict(doc), doc
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, name, name_file=True)) from None


def _with_previous(problem: Problem, name: str) -> Problem:
    """``problem`` with the assignments of the solution file ``name`` as its previous plan."""
    from matchcore.io.problem_json import read_previous_plan

    try:
        previous = read_previous_plan(load_json(_read_bytes(name)), problem.options.zone)
    except ProblemError as err:
        raise InputError(*_problem_error_lines(err, name, name_file=True)) from None
    return dataclasses.replace(problem, previous_plan=previous)


def _is_sheets(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm")


def _solve(problem: Problem, time_limit: float | None) -> Solution:
    """Solve in a worker thread, so that Ctrl-C stops the command at once.

    The solver's native threads do not return to Python until their search
    ends; the main thread, only waiting here, takes the interrupt. Nothing has
    been written yet, so the process may end on the spot.
    """
    from matchcore.tasks.solve import solve

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
        raise InputError(*_problem_error_lines(error, "")) from None
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


def _refuse_overwriting_input(source: str, output: Path | None) -> None:
    """Refuse an ``-o`` that is the input itself (also through a symlink or a hard link).

    The write is atomic, so the problem would not be corrupted: it would be
    replaced by the plan and lost, which is no better.
    """
    if output is None:
        return
    try:
        target = output.stat()
    except OSError:  # does not exist yet: cannot be the input
        return
    try:
        origin = os.fstat(sys.stdin.fileno()) if source == STDIO else Path(source).stat()
    except (OSError, ValueError):  # unreadable input is reported when it is read
        return
    if os.path.samestat(origin, target):
        shown = "stdin" if source == STDIO else source
        raise InputError(
            f"{output}: is the problem file ({shown}); write the solution to another file"
        )


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
    if err.place:  # a spreadsheet cell: sheet!D14 (column)
        where = f"{shown}: {err.place}" if name_file and shown else err.place
    elif not err.path and shown:
        where = shown
    elif name_file and shown:
        where = f"{shown}: {err.location}"
    else:
        where = err.location
    return f"{where}: {err.message}"


def _problem_error_lines(err: ProblemError, source: str, *, name_file: bool = False) -> list[str]:
    """One line per error of ``err`` (a document reports all of its errors at once)."""
    return [_problem_error_line(e, source, name_file=name_file) for e in err.errors]


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


def _progress(args: argparse.Namespace) -> bool:
    """Progress lines: with ``--verbose``, or by default when stderr is a terminal.

    Scripts and pipelines reading stderr thus see nothing but the one error
    line when the input is bad; a person at a terminal sees the solve move.
    """
    if args.quiet:
        return False
    return bool(args.verbose) or sys.stderr.isatty()


def _objective_line(objective: Objective) -> str:
    return (
        f"served {objective.served_requests} requests, priority {objective.served_priority:g}, "
        f"continuity {objective.continuity}, travel {objective.travel_km:.3f} km"
    )


if __name__ == "__main__":
    raise SystemExit(main())
