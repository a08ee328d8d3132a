"""The one JSON reader of matchcore: the CLI, the library and the service use it.

Rules, the same everywhere:

- the text is UTF-8 (JSON's own detection also finds UTF-16 and UTF-32); a
  leading byte-order mark is accepted and dropped, as editors on Windows
  write one;
- an object with the same key twice is an error naming the pointer of the key
  (a silent "last one wins" would drop half of what was meant);
- an escaped lone surrogate (``"\\ud800"``) in any string or key is an error
  naming its pointer: such a string cannot be written back as UTF-8;
- ``NaN`` and ``Infinity`` parse to floats, which every number field then
  rejects by its own path ("must be a finite number");
- errors name a place and a rule, never a value from the text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from matchcore.errors import ErrorCollector, PathSegment, ProblemError

# An escape that can start a surrogate (\uD800-\uDFFF); without one, none can occur.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_CHAR = re.compile("[\ud800-\udfff]")


class _DuplicateKeys(dict[str, Any]):
    """An object that had a key twice; ``duplicates`` names them (in order)."""

    duplicates: list[str]


def load_json(text: str | bytes) -> Any:
    """Parse JSON text by matchcore's rules (see the module docstring).

    Raises
    ------
    ProblemError
        Not JSON, nested too deeply, a duplicate key or a lone surrogate;
        duplicates and surrogates are all reported at once, by pointer.
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode(json.detect_encoding(text))
        except UnicodeDecodeError as err:
            raise ProblemError(
                (), f"is not valid JSON (not UTF-8 text at byte {err.start})"
            ) from None
    text = text.removeprefix("\ufeff")
    seen_duplicate = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal seen_duplicate
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        seen_duplicate = True
        marked = _DuplicateKeys(obj)
        keys: set[str] = set()
        marked.duplicates = [k for k, _ in pairs if k in keys or keys.add(k)]  # type: ignore[func-returns-value]
        return marked

    try:
        doc = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise ProblemError((), f"is not valid JSON ({where}: {err.msg})") from None
    except RecursionError:
        raise ProblemError((), "is nested too deeply") from None
    except ValueError:  # an integer literal longer than Python converts (4300 digits)
        raise ProblemError((), "is not valid JSON (a number has too many digits)") from None
    surrogates = bool(_SURROGATE_ESCAPE.search(text) or _SURROGATE_CHAR.search(text))
    if seen_duplicate or surrogates:
        _report_bad_text(doc)
    return doc


def _report_bad_text(doc: Any) -> None:
    """Every duplicate key and lone surrogate in ``doc``, by pointer (iterative: no depth limit)."""
    errors = ErrorCollector()  # depth first, children pushed in reverse: document order
    stack: list[tuple[Any, tuple[PathSegment, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not _encodable(node):
                errors.add(ProblemError(path, "contains an unpaired surrogate (\\ud800-\\udfff)"))
        elif isinstance(node, dict):
            for key in getattr(node, "duplicates", ()):
                errors.add(ProblemError((*path, key), "appears twice in this object"))
            if not all(_encodable(key) for key in node):
                errors.add(ProblemError(path, "has a field name with an unpaired surrogate"))
            items = [(v, (*path, k)) for k, v in node.items() if _encodable(k)]
            stack.extend(reversed(items))
        elif isinstance(node, list):
            stack.extend(reversed([(item, (*path, i)) for i, item in enumerate(node)]))
    errors.raise_if_any()


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
