"""Typed readers for JSON values; every failure names its JSON path."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from matchcore.errors import ErrorCollector, PathSegment, ProblemError

Path = tuple[PathSegment, ...]

#: Longest id (of a volunteer, request or client) in characters.
MAX_ID_CHARS = 200
#: Longest other string (a skill, language, date-time, rule...) in characters.
MAX_TEXT_CHARS = 200

#: Largest whole number the format accepts (2^53 - 1, as I-JSON, RFC 7493): larger
#: ones lose precision in many JSON parsers and overflow the solver's 64-bit sums.
MAX_SAFE_INTEGER = 2**53 - 1


def read_object(
    value: Any, path: Path, allowed: Collection[str], errors: ErrorCollector | None = None
) -> Mapping[str, Any]:
    """``value`` as a JSON object whose keys are all in ``allowed``.

    Unknown keys raise, all at once; given ``errors``, they are added there
    instead and the known keys are returned, so reading can go on.
    """
    if not isinstance(value, dict):
        raise ProblemError(path, f"must be an object, not {json_type(value)}")
    unknown = [key for key in value if key not in allowed]
    if not unknown:
        return value
    known = ", ".join(sorted(allowed))
    err = ProblemError.collect(
        ProblemError((*path, str(key)), f"unknown field (known fields: {known})") for key in unknown
    )
    if errors is None:
        raise err
    errors.add(err)
    return {key: item for key, item in value.items() if key in allowed}


def require(obj: Mapping[str, Any], key: str, path: Path) -> Any:
    if key not in obj:
        raise ProblemError((*path, key), "is required")
    return obj[key]


def read_string(value: Any, path: Path, max_chars: int = MAX_TEXT_CHARS) -> str:
    """A non-blank string of at most ``max_chars`` characters."""
    if not isinstance(value, str):
        raise ProblemError(path, f"must be a string, not {json_type(value)}")
    if not value.strip():
        raise ProblemError(path, "must not be empty")
    if len(value) > max_chars:
        raise ProblemError(path, f"must be at most {max_chars} characters")
    return value


def read_number(value: Any, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProblemError(path, f"must be a number, not {json_type(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range
        raise ProblemError(path, "must be a finite number, not one this large") from None
    if not math.isfinite(number):
        raise ProblemError(path, f"must be a finite number, not {value}")
    return number


def read_integer(value: Any, path: Path) -> int:
    number: int
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    else:
        raise ProblemError(path, f"must be a whole number, not {json_type(value)}")
    if abs(number) > MAX_SAFE_INTEGER:
        raise ProblemError(
            path, f"must be a whole number between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"
        )
    return number


def read_bool(value: Any, path: Path) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(path, f"must be true or false, not {json_type(value)}")
    return value


def read_list(value: Any, path: Path) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(path, f"must be a list, not {json_type(value)}")
    return value


def read_strings(value: Any, path: Path, max_chars: int = MAX_TEXT_CHARS) -> tuple[str, ...]:
    """A list of strings; every bad item is reported."""
    items = read_list(value, path)
    errors = ErrorCollector()
    out = []
    for i, item in enumerate(items):
        with errors.catching():
            out.append(read_string(item, (*path, i), max_chars))
    errors.raise_if_any()
    return tuple(out)


def read_datetime(value: Any, path: Path) -> datetime:
    text = read_string(value, path)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ProblemError(path, "is not an ISO-8601 date-time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ProblemError(path, "has no UTC offset (write e.g. 2026-03-02T09:00:00+01:00)")
    return moment


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for error messages (never the value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
