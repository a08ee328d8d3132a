"""Input errors that name the place in the problem where they occur.

A document with several errors reports all of them at once (up to
:data:`MAX_ERRORS`): :class:`ProblemError` carries them in ``errors``, and its
own ``path``, ``location``, ``pointer`` and ``message`` are those of the first,
so code written for one error per document keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

PathSegment = str | int

#: Errors reported for one document at most; reading stops after this many.
MAX_ERRORS = 50

#: Longest field name shown in a path: an unknown key is named, never echoed whole.
_MAX_SEGMENT_CHARS = 60


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
    errors
        Every error found in the document, this one first; defaults to this
        error alone. See :meth:`collect`.
    place
        Where the error is in a spreadsheet, e.g. ``requests!D14
        (duration_minutes)``; when given it is the ``location``.
    """

    def __init__(
        self,
        path: tuple[PathSegment, ...],
        message: str,
        *,
        errors: tuple[ProblemError, ...] = (),
        place: str = "",
    ) -> None:
        self.path = tuple(_short(s) for s in path)
        self.message = message
        self.place = place
        self.errors: tuple[ProblemError, ...] = errors or (self,)
        # str() is the first error alone, as before errors were collected; see ``errors``
        super().__init__(f"{self.location}: {message}")

    @classmethod
    def collect(cls, errors: Iterable[ProblemError]) -> ProblemError:
        """One error that carries ``errors`` (flattened, at most :data:`MAX_ERRORS`)."""
        flat = tuple(e for err in errors for e in err.errors)[:MAX_ERRORS]
        if not flat:
            raise ValueError("collect() needs at least one error")
        first = flat[0]
        return cls(first.path, first.message, errors=flat, place=first.place)

    @property
    def location(self) -> str:
        """The path in dotted form, e.g. ``requests[3].window.end`` (or the sheet cell)."""
        if self.place:
            return self.place
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
        """The same error(s), seen from ``prefix`` further up the document."""
        if len(self.errors) == 1:
            return ProblemError((*prefix, *self.path), self.message, place=self.place)
        return ProblemError.collect(
            ProblemError((*prefix, *e.path), e.message, place=e.place) for e in self.errors
        )


def _short(segment: PathSegment) -> PathSegment:
    # An unknown key is part of the path; a pasted paragraph must not come back whole.
    if isinstance(segment, str) and len(segment) > _MAX_SEGMENT_CHARS:
        return segment[: _MAX_SEGMENT_CHARS - 1] + "…"
    return segment


class ErrorCollector:
    """Gathers errors so that a reader can report all of them at once.

    >>> errors = ErrorCollector()
    >>> with errors.catching():
    ...     raise ProblemError(("a",), "is wrong")
    >>> errors.raise_if_any()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ProblemError: a: is wrong

    Once :data:`MAX_ERRORS` are collected the next one raises at once: a
    document this broken is not worth reading to the end.
    """

    def __init__(self) -> None:
        self.errors: list[ProblemError] = []
        self._here = _Catching(self, ())  # reused: readers enter one per field

    def add(self, err: ProblemError) -> None:
        self.errors.extend(err.errors)
        if len(self.errors) >= MAX_ERRORS:
            raise ProblemError.collect(self.errors)

    def catching(self, *prefix: PathSegment) -> _Catching:
        """Collect a :class:`ProblemError` raised in the block (under ``prefix``)."""
        return _Catching(self, prefix) if prefix else self._here

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ProblemError.collect(self.errors)


class _Catching:
    """The context manager of :meth:`ErrorCollector.catching`.

    A class rather than a generator: readers enter one per field, and a
    generator-based context manager costs several times as much.
    """

    __slots__ = ("collector", "prefix")

    def __init__(self, collector: ErrorCollector, prefix: tuple[PathSegment, ...]) -> None:
        self.collector = collector
        self.prefix = prefix

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, err: BaseException | None, tb: object) -> bool:
        if isinstance(err, ProblemError):
            self.collector.add(err.under(*self.prefix) if self.prefix else err)
            return True
        return False


@contextmanager
def at(*prefix: PathSegment) -> Iterator[None]:
    """Prefix the path of any :class:`ProblemError` raised inside the block."""
    try:
        yield
    except ProblemError as err:
        raise err.under(*prefix) from None
