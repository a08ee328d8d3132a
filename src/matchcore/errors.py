"""Input errors that name the place in the problem where they occur."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

PathSegment = str | int


class ProblemError(ValueError):
    """A problem (or solution) that breaks the v1 format or a hard rule.

    Parameters
    ----------
    path
        Where the error is, as segments from the document root, e.g.
        ``("requests", 3, "window", "end")``.
    message
        What is wrong. Never contains personal data (no names, coordinates
        or free text from the input), only the rule that was broken.
    """

    def __init__(self, path: tuple[PathSegment, ...], message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{self.location}: {message}")

    @property
    def location(self) -> str:
        """The path in dotted form, e.g. ``requests[3].window.end``."""
        out = ""
        for seg in self.path:
            out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
        return out or "(document)"

    @property
    def pointer(self) -> str:
        """The path as an RFC 6901 JSON pointer, e.g. ``/requests/3/window/end``."""
        esc = (str(s).replace("~", "~0").replace("/", "~1") for s in self.path)
        return "".join("/" + s for s in esc)

    def under(self, *prefix: PathSegment) -> ProblemError:
        """The same error, seen from ``prefix`` further up the document."""
        return ProblemError((*prefix, *self.path), self.message)


@contextmanager
def at(*prefix: PathSegment) -> Iterator[None]:
    """Prefix the path of any :class:`ProblemError` raised inside the block."""
    try:
        yield
    except ProblemError as err:
        raise err.under(*prefix) from None
