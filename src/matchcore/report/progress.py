"""Progress of a solve on stderr: one live line on a terminal, plain lines elsewhere.

The library logs its progress on the ``matchcore`` logger (phases, parts
solved, served priority so far and the bound). On a terminal,
:class:`TerminalLine` keeps that on one line that rewrites itself; warnings
and errors, and every line when the stream is not a terminal, are written
plainly, one per record, so logs stay readable in files and pipelines.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Iterator
from typing import TextIO

_CLEAR_LINE = "\r\x1b[K"


class ProgressFormatter(logging.Formatter):
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


class TerminalLine(logging.Handler):
    """Progress records rewrite one status line; warnings and errors get lines of their own."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self._open = False  # a status line is on screen, without its newline

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            if record.levelno <= logging.INFO and "\n" not in text:
                width = max(shutil.get_terminal_size((100, 24)).columns - 1, 20)
                if len(text) > width:
                    text = text[: width - 1] + "…"
                self.stream.write(_CLEAR_LINE + text)
                self._open = True
            else:
                self.stream.write((_CLEAR_LINE if self._open else "") + text + "\n")
                self._open = False
            self.stream.flush()
        except Exception:  # a logging handler must never raise into the solve
            self.handleError(record)

    def finish(self) -> None:
        """End the status line, so that what follows starts on a line of its own."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


@contextlib.contextmanager
def progress_logging(progress: bool, stream: TextIO) -> Iterator[None]:
    """Route the ``matchcore`` loggers to ``stream`` for one command, then restore them.

    INFO and up with ``progress``, else only warnings and errors. On a
    terminal, progress is one line that rewrites itself.
    """
    logger = logging.getLogger("matchcore")
    saved = logger.level, logger.propagate
    live = progress and _is_terminal(stream)
    handler: logging.Handler = TerminalLine(stream) if live else logging.StreamHandler(stream)
    handler.setFormatter(ProgressFormatter())
    logger.setLevel(logging.INFO if progress else logging.WARNING)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        if isinstance(handler, TerminalLine):
            handler.finish()
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
