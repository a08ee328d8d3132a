"""A directory of professional services: Open Referral HSDS 3.0 and a native form.

Three inputs give the same :class:`Service` objects:

* HSDS 3.0 JSON: ``service`` objects as in the specification's
  ``examples/service_full.json``, a list of them, or a paged list
  (``service_list.json``: ``{"contents": [...]}``);
* the HSDS tabular data package: a folder with ``services.csv`` and, when
  present, ``service_areas.csv``, ``attributes.csv``, ``taxonomy_terms.csv``,
  ``locations.csv``, ``service_at_location.csv``, ``languages.csv`` and
  ``organizations.csv``;
* the compact native form ``{"id", "name", "organization", "themes",
  "municipalities", "location", "languages", "min_age", "max_age", "contact",
  "wait_weeks"}``.

Unknown HSDS fields are kept (in :attr:`Service.extra`), never rejected;
malformed ones are reported together in one :class:`DirectoryError`, each
with its place: a JSON path, or ``file[row].column`` for CSV, where row 1 is
the header line (as a spreadsheet numbers it).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matchcore import _json as j
from matchcore.errors import PathSegment, ProblemError

#: The fields of the native form.
NATIVE_FIELDS = frozenset(
    {
        "id", "name", "organization", "themes", "municipalities", "location",
        "languages", "min_age", "max_age", "contact", "wait_weeks",
    }
)  # fmt: skip
# Fields only an HSDS service has: their presence selects the HSDS reading.
_HSDS_MARKERS = frozenset(
    {"service_areas", "attributes", "service_at_locations", "minimum_age", "maximum_age", "status"}
)
# HSDS service fields this module reads; all others go to ``extra``.
_HSDS_READ = frozenset(
    {
        "id", "name", "organization", "attributes", "service_areas", "languages",
        "minimum_age", "maximum_age", "service_at_locations", "url", "email",
    }
)  # fmt: skip
_CSV_READ = _HSDS_READ | {"organization_id"}
CSV_FILES = (
    "services.csv", "service_areas.csv", "attributes.csv", "taxonomy_terms.csv",
    "locations.csv", "service_at_location.csv", "languages.csv", "organizations.csv",
)  # fmt: skip
# More errors than this are cut off in the message (all are in ``errors``).
_SHOWN_ERRORS = 20


def normal(text: str) -> str:
    """A name as compared: case-folded, inner whitespace collapsed."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Point:
    """A service location in degrees (WGS84)."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Service:
    """One professional service of the directory.

    ``themes``, ``municipalities`` and ``languages`` hold the original
    spellings; matching compares them through :func:`normal`.
    """

    id: str
    name: str
    organization: str = ""
    themes: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    locations: tuple[Point, ...] = ()
    languages: tuple[str, ...] = ()
    min_age: float | None = None
    max_age: float | None = None
    contact: str = ""
    wait_weeks: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # one display name per theme (HSDS: the term's name)

    @property
    def theme_names(self) -> tuple[str, ...]:
        """The themes as a zorgpad lists them: one name per taxonomy term."""
        return self.topics or self.themes

    @property
    def theme_keys(self) -> frozenset[str]:
        return frozenset(normal(t) for t in self.themes)

    @property
    def municipality_keys(self) -> frozenset[str]:
        return frozenset(normal(m) for m in self.municipalities)

    @property
    def language_keys(self) -> frozenset[str]:
        return frozenset(normal(x) for x in self.languages)

    def to_native(self) -> dict[str, Any]:
        """The service in the native form (HSDS extras are not carried over)."""
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.organization:
            out["organization"] = self.organization
        out["themes"] = list(self.themes)
        out["municipalities"] = list(self.municipalities)
        if self.locations:
            out["location"] = {"lat": self.locations[0].lat, "lon": self.locations[0].lon}
        if self.languages:
            out["languages"] = list(self.languages)
        for name in ("min_age", "max_age", "wait_weeks"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.contact:
            out["contact"] = self.contact
        return out


@dataclass(frozen=True)
class Directory:
    """The services a network can refer to, in the order given."""

    services: tuple[Service, ...] = ()

    def __len__(self) -> int:
        return len(self.services)

    def to_native(self) -> list[dict[str, Any]]:
        return [s.to_native() for s in self.services]


class DirectoryError(ProblemError):
    """Every malformed field of a directory, reported at once.

    ``errors`` holds each one as a :class:`~matchcore.errors.ProblemError`
    with its own path; the message lists them (the first 20).
    """

    def __init__(self, errors: Sequence[ProblemError]) -> None:
        found = tuple(e for err in errors for e in err.errors)
        first = found[0]
        shown = "; ".join(f"{e.location}: {e.message}" for e in found[:_SHOWN_ERRORS])
        more = len(found) - _SHOWN_ERRORS
        if more > 0:
            shown += f"; and {more} more"
        message = first.message if len(found) == 1 else f"{len(found)} errors: {shown}"
        # ``errors`` holds each one alone, so a reader collecting them reports every one
        super().__init__(first.path, message, errors=found if len(found) > 1 else ())

    def under(self, *prefix: PathSegment) -> ProblemError:
        return DirectoryError([e.under(*prefix) for e in self.errors])


class _Errors:
    """Collects errors so that one reading reports all of them."""

    def __init__(self) -> None:
        self.found: list[ProblemError] = []

    @contextmanager
    def collect(self) -> Iterator[None]:
        try:
            yield
        except DirectoryError as err:
            self.found.extend(err.errors)
        except ProblemError as err:
            self.found.append(err)

    def raise_any(self) -> None:
        if self.found:
            raise DirectoryError(self.found)


# -- JSON ----------------------------------------------------------------------


def read_directory(data: Any, path: j.Path = ()) -> Directory:
    """A directory from parsed JSON: services in HSDS or native form (mixed).

    Accepts a list of services, one HSDS service object, or an HSDS page
    ``{"contents": [...]}``. Raises :class:`DirectoryError` with every problem.
    """
    items, ipath = _service_items(data, path)
    errs = _Errors()
    services: list[Service] = []
    for i, item in enumerate(items):
        with errs.collect():
            services.append(_service(item, (*ipath, i)))
    seen: dict[str, int] = {}
    for i, s in enumerate(services):
        if s.id in seen:
            errs.found.append(ProblemError((*ipath, i, "id"), "is used twice"))
        seen.setdefault(s.id, i)
    errs.raise_any()
    return Directory(tuple(services))


def _service_items(data: Any, path: j.Path) -> tuple[list[Any], j.Path]:
    if isinstance(data, list):
        return data, path
    if isinstance(data, dict) and "requests" in data and "directory" in data:
        # a whole problem document: its directory
        return j.read_list(data["directory"], (*path, "directory")), (*path, "directory")
    if isinstance(data, dict) and "contents" in data:
        return j.read_list(data["contents"], (*path, "contents")), (*path, "contents")
    if isinstance(data, dict) and "id" in data:
        return [data], path[:-1] if path else ()
    raise ProblemError(
        path, "must be a list of services, an HSDS service or an HSDS page with contents"
    )


def _service(item: Any, path: j.Path) -> Service:
    if not isinstance(item, dict):
        raise ProblemError(path, f"must be an object, not {j.json_type(item)}")
    hsds = bool(_HSDS_MARKERS & item.keys()) or isinstance(item.get("organization"), dict)
    return _hsds_service(item, path) if hsds else _native_service(item, path)


def _native_service(obj: Mapping[str, Any], path: j.Path) -> Service:
    errs = _Errors()
    for key in obj:
        if key not in NATIVE_FIELDS:
            known = ", ".join(sorted(NATIVE_FIELDS))
            errs.found.append(ProblemError((*path, key), f"unknown field (known fields: {known})"))
    kw: dict[str, Any] = {}
    for name in ("id", "name"):
        with errs.collect():
            kw[name] = j.read_string(j.require(obj, name, path), (*path, name))
    for name in ("organization", "contact"):
        if obj.get(name) is not None:
            with errs.collect():
                kw[name] = j.read_string(obj[name], (*path, name))
    for name in ("themes", "municipalities", "languages"):
        if name in obj:
            with errs.collect():
                kw[name] = j.read_strings(obj[name], (*path, name))
    if obj.get("location") is not None:
        with errs.collect():
            kw["locations"] = (_native_point(obj["location"], (*path, "location")),)
    for name in ("min_age", "max_age", "wait_weeks"):
        if obj.get(name) is not None:
            with errs.collect():
                kw[name] = _non_negative(obj[name], (*path, name))
    errs.raise_any()
    return _checked(Service(**kw), path, ("min_age", "max_age"))


def _hsds_service(obj: Mapping[str, Any], path: j.Path) -> Service:
    errs = _Errors()
    kw: dict[str, Any] = {}
    for name in ("id", "name"):
        with errs.collect():
            kw[name] = j.read_string(j.require(obj, name, path), (*path, name))
    with errs.collect():
        kw["organization"] = _hsds_organization(obj.get("organization"), (*path, "organization"))
    with errs.collect():
        kw["themes"], kw["topics"] = _hsds_themes(obj.get("attributes"), (*path, "attributes"))
    with errs.collect():
        kw["municipalities"] = _hsds_names(
            obj.get("service_areas"), (*path, "service_areas"), ("name",)
        )
    with errs.collect():
        kw["languages"] = _hsds_names(obj.get("languages"), (*path, "languages"), ("name", "code"))
    for src, dst in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
        if obj.get(src) is not None:
            with errs.collect():
                kw[dst] = _non_negative(obj[src], (*path, src))
    with errs.collect():
        kw["locations"] = _hsds_locations(
            obj.get("service_at_locations"), (*path, "service_at_locations")
        )
    for name in ("url", "email"):
        if isinstance(obj.get(name), str) and obj[name].strip():
            kw["contact"] = obj[name].strip()
            break
    errs.raise_any()
    kw["extra"] = {k: v for k, v in obj.items() if k not in _HSDS_READ}
    return _checked(Service(**kw), path, ("minimum_age", "maximum_age"))


def _hsds_organization(value: Any, path: j.Path) -> str:
    if value is None:
        return ""
    obj = j.read_object(value, path, value.keys() if isinstance(value, dict) else ())
    if obj.get("name") is None:
        return ""
    return j.read_string(obj["name"], (*path, "name"))


def _hsds_themes(value: Any, path: j.Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Codes and names of the taxonomy terms of a service's ``attributes``, and the
    name (else the code) of each term."""
    if value is None:
        return (), ()
    out: list[str] = []
    names: list[str] = []
    errs = _Errors()
    for i, attr in enumerate(j.read_list(value, path)):
        with errs.collect():
            apath = (*path, i)
            obj = j.read_object(attr, apath, attr.keys() if isinstance(attr, dict) else ())
            if obj.get("taxonomy_term") is None:
                continue
            labels = _term_labels(obj["taxonomy_term"], (*apath, "taxonomy_term"))
            out.extend(labels)
            names.extend(labels[-1:])
    errs.raise_any()
    return tuple(dict.fromkeys(out)), tuple(dict.fromkeys(names))


def _term_labels(value: Any, path: j.Path) -> list[str]:
    obj = j.read_object(value, path, value.keys() if isinstance(value, dict) else ())
    return [
        j.read_string(obj[key], (*path, key))
        for key in ("code", "name")
        if obj.get(key) is not None
    ]


def _hsds_names(value: Any, path: j.Path, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The ``keys`` strings of each object of a list (service areas, languages)."""
    if value is None:
        return ()
    out: list[str] = []
    errs = _Errors()
    for i, item in enumerate(j.read_list(value, path)):
        with errs.collect():
            ipath = (*path, i)
            obj = j.read_object(item, ipath, item.keys() if isinstance(item, dict) else ())
            for key in keys:
                if obj.get(key) is not None:
                    out.append(j.read_string(obj[key], (*ipath, key)))
    errs.raise_any()
    return tuple(dict.fromkeys(out))


def _hsds_locations(value: Any, path: j.Path) -> tuple[Point, ...]:
    if value is None:
        return ()
    out: list[Point] = []
    errs = _Errors()
    for i, item in enumerate(j.read_list(value, path)):
        with errs.collect():
            ipath = (*path, i)
            obj = j.read_object(item, ipath, item.keys() if isinstance(item, dict) else ())
            if obj.get("location") is None:
                continue
            lpath = (*ipath, "location")
            loc = j.read_object(obj["location"], lpath, obj["location"].keys())
            point = _lat_lon(loc.get("latitude"), loc.get("longitude"), lpath)
            if point is not None:
                out.append(point)
    errs.raise_any()
    return tuple(out)


def _lat_lon(
    lat: Any, lon: Any, path: j.Path, names: tuple[str, str] = ("latitude", "longitude")
) -> Point | None:
    """A point from HSDS ``latitude``/``longitude``; both absent is no point."""
    if lat is None and lon is None:
        return None
    errs = _Errors()
    values: dict[str, float] = {}
    for name, value, limit in ((names[0], lat, 90.0), (names[1], lon, 180.0)):
        with errs.collect():
            if value is None:
                raise ProblemError((*path, name), "is required with the other coordinate")
            number = j.read_number(value, (*path, name))
            if not -limit <= number <= limit:
                raise ProblemError((*path, name), f"must be between -{limit:g} and {limit:g}")
            values[name] = number
    errs.raise_any()
    return Point(values[names[0]], values[names[1]])


def _native_point(value: Any, path: j.Path) -> Point:
    obj = j.read_object(value, path, {"lat", "lon"})
    point = _lat_lon(j.require(obj, "lat", path), j.require(obj, "lon", path), path, ("lat", "lon"))
    assert point is not None  # both are required above
    return point


def _non_negative(value: Any, path: j.Path) -> float:
    number = j.read_number(value, path)
    if number < 0:
        raise ProblemError(path, "must be 0 or more")
    return number


def _checked(service: Service, path: j.Path, age_names: tuple[str, str]) -> Service:
    lo, hi = service.min_age, service.max_age
    if lo is not None and hi is not None and hi < lo:
        raise ProblemError((*path, age_names[1]), f"must be at least {age_names[0]}")
    return service


# -- files ---------------------------------------------------------------------


def load_directory(location: str | Path) -> Directory:
    """A directory from a JSON file or an HSDS tabular data package folder.

    A folder (or its ``datapackage.json``) is read as CSV tables; any other
    file as JSON.
    """
    path = Path(location)
    if path.name == "datapackage.json":
        path = path.parent
    if path.is_dir():
        return read_csv_package(path)
    try:
        text = path.read_bytes()
    except OSError as err:
        raise ProblemError((path.name,), f"cannot be read ({err.strerror})") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = f"line {err.lineno}" if isinstance(err, json.JSONDecodeError) else "encoding"
        raise ProblemError((path.name,), f"is not valid JSON ({where})") from None
    except (RecursionError, ValueError):
        raise ProblemError((path.name,), "is not valid JSON") from None
    return read_directory(data)


@dataclass
class _Table:
    name: str
    rows: list[dict[str, str]]

    def place(self, row: int, column: str) -> tuple[PathSegment, ...]:
        # Row 1 is the header; data rows start at 2, as in a spreadsheet.
        return (self.name, row + 2, column)


def _read_table(folder: Path, name: str, required: bool, errs: _Errors) -> _Table:
    file = folder / name
    if not file.exists():
        if required:
            errs.found.append(ProblemError((name,), "is required in an HSDS data package"))
        return _Table(name, [])
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            rows = [dict(r) for r in csv.DictReader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        errs.found.append(
            ProblemError((name,), f"cannot be read as UTF-8 CSV ({type(err).__name__})")
        )
        return _Table(name, [])
    return _Table(name, rows)


def _cell(row: Mapping[str, str | None], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def read_csv_package(folder: Path) -> Directory:
    """A directory from the HSDS tabular form (the CSV data package)."""
    errs = _Errors()
    t = {name: _read_table(folder, name, name == "services.csv", errs) for name in CSV_FILES}
    errs.raise_any()
    services = t["services.csv"]
    ids: dict[str, int] = {}
    for i, row in enumerate(services.rows):
        sid = _cell(row, "id")
        if not sid:
            errs.found.append(ProblemError(services.place(i, "id"), "must not be empty"))
        elif sid in ids:
            errs.found.append(ProblemError(services.place(i, "id"), "is used twice"))
        else:
            ids[sid] = i
        if not _cell(row, "name"):
            errs.found.append(ProblemError(services.place(i, "name"), "must not be empty"))

    orgs = {_cell(r, "id"): _cell(r, "name") for r in t["organizations.csv"].rows}
    terms = _terms(t["taxonomy_terms.csv"])
    themes = _linked(t["attributes.csv"], "link_id", ids, errs, _term_of(terms, t, errs))
    areas = _linked(t["service_areas.csv"], "service_id", ids, errs, _column("name"))
    langs = _linked(t["languages.csv"], "service_id", ids, errs, _column("name", "code"))
    points = _location_points(t["locations.csv"], errs)
    located = _linked(
        t["service_at_location.csv"], "service_id", ids, errs, _point_of(points, t, errs)
    )

    out: list[Service] = []
    for i, row in enumerate(services.rows):
        sid = _cell(row, "id")
        with errs.collect():
            ages = {
                name: _csv_number(services, i, name)
                for name in ("minimum_age", "maximum_age")
                if _cell(row, name)
            }
            kw: dict[str, Any] = {
                "id": sid,
                "name": _cell(row, "name"),
                "organization": orgs.get(_cell(row, "organization_id"), ""),
                "themes": tuple(dict.fromkeys(x for t in themes.get(sid, []) for x in t)),
                "topics": tuple(dict.fromkeys(t[-1] for t in themes.get(sid, []) if t)),
                "municipalities": tuple(dict.fromkeys(areas.get(sid, []))),
                "languages": tuple(dict.fromkeys(langs.get(sid, []))),
                "locations": tuple(located.get(sid, [])),
                "min_age": ages.get("minimum_age"),
                "max_age": ages.get("maximum_age"),
                "contact": _cell(row, "url") or _cell(row, "email"),
                "extra": {
                    k: v for k, v in row.items() if k and k not in _CSV_READ and v not in ("", None)
                },
            }
            out.append(
                _checked(Service(**kw), (services.name, i + 2), ("minimum_age", "maximum_age"))
            )
    errs.raise_any()
    return Directory(tuple(out))


_Getter = Any  # Callable[[_Table, int, dict[str, str]], list[Any]]


def _linked(
    table: _Table, key: str, ids: Mapping[str, int], errs: _Errors, get: _Getter
) -> dict[str, list[Any]]:
    """Values of ``table`` rows grouped by the service id in column ``key``."""
    out: dict[str, list[Any]] = {}
    for i, row in enumerate(table.rows):
        if key == "link_id" and _cell(row, "link_entity") not in ("", "service"):
            continue  # an attribute of an organisation, a location, ...: not ours
        sid = _cell(row, key)
        if not sid:
            if key == "service_id" and table.name != "service_areas.csv":
                continue  # e.g. a language of a location or a phone
            errs.found.append(ProblemError(table.place(i, key), "must not be empty"))
            continue
        if sid not in ids:
            errs.found.append(ProblemError(table.place(i, key), "names an unknown service"))
            continue
        with errs.collect():
            out.setdefault(sid, []).extend(get(table, i, row))
    return out


def _column(*names: str) -> _Getter:
    def get(table: _Table, i: int, row: dict[str, str]) -> list[str]:
        return [_cell(row, n) for n in names if _cell(row, n)]

    return get


def _terms(table: _Table) -> dict[str, list[str]]:
    return {
        _cell(r, "id"): [_cell(r, c) for c in ("code", "name") if _cell(r, c)] for r in table.rows
    }


def _term_of(terms: Mapping[str, list[str]], t: Mapping[str, _Table], errs: _Errors) -> _Getter:
    def get(table: _Table, i: int, row: dict[str, str]) -> list[tuple[str, ...]]:
        tid = _cell(row, "taxonomy_term_id")
        if not tid:
            return []
        if tid not in terms:
            raise ProblemError(table.place(i, "taxonomy_term_id"), "names an unknown taxonomy term")
        return [tuple(terms[tid])]

    return get


def _location_points(table: _Table, errs: _Errors) -> dict[str, Point]:
    out: dict[str, Point] = {}
    for i, row in enumerate(table.rows):
        with errs.collect():
            lat, lon = _cell(row, "latitude"), _cell(row, "longitude")
            if not lat and not lon:
                continue
            values = []
            for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
                value = _csv_number(table, i, name)
                if not -limit <= value <= limit:
                    raise ProblemError(
                        table.place(i, name), f"must be between -{limit:g} and {limit:g}"
                    )
                values.append(value)
            out[_cell(row, "id")] = Point(values[0], values[1])
    return out


def _point_of(points: Mapping[str, Point], t: Mapping[str, _Table], errs: _Errors) -> _Getter:
    known = {_cell(r, "id") for r in t["locations.csv"].rows}

    def get(table: _Table, i: int, row: dict[str, str]) -> list[Point]:
        lid = _cell(row, "location_id")
        if lid and lid not in known:
            raise ProblemError(table.place(i, "location_id"), "names an unknown location")
        return [points[lid]] if lid in points else []

    return get


def _csv_number(table: _Table, i: int, column: str) -> float:
    text = _cell(table.rows[i], column)
    try:
        number = float(text)
    except ValueError:
        raise ProblemError(table.place(i, column), "must be a number") from None
    if not math.isfinite(number):
        raise ProblemError(table.place(i, column), "must be a finite number")
    if column.endswith("_age") and number < 0:
        raise ProblemError(table.place(i, column), "must be 0 or more")
    return number
