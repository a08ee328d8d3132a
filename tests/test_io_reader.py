"""The one JSON reader and every error at once (issue 7's reading defects, issue 8 item 8).

The CLI, the library and the service read through ``matchcore.io.load_json``;
the service side of the same rules is in ``tests/service/test_service_errors.py``.
"""

from __future__ import annotations

import ast
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from matchcore import cli
from matchcore.errors import MAX_ERRORS, ErrorCollector, ProblemError
from matchcore.io import load_json, read_problem
from matchcore.problem import Problem

SRC = Path(__file__).resolve().parents[1] / "src" / "matchcore"


def doc() -> dict[str, Any]:
    return {
        "volunteers": [
            {"id": "v1", "location": {"lat": 51.2, "lon": 3.2}},
            {"id": "v2", "location": {"lat": 51.21, "lon": 3.21}},
        ],
        "requests": [
            {"id": "r1", "location": {"lat": 51.2, "lon": 3.2}, "duration_minutes": 30},
            {"id": "r2", "location": {"lat": 51.2, "lon": 3.22}, "duration_minutes": 45},
        ],
    }


def errors_of(text: str | bytes) -> list[tuple[str, str]]:
    with pytest.raises(ProblemError) as info:
        read_problem(text)
    return [(e.pointer, e.message) for e in info.value.errors]


def run_cli(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    fake_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, err
    try:
        code = cli.main(list(args))
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue().decode(), err.getvalue()


# -- duplicate keys --------------------------------------------------------------------


def test_duplicate_key_is_an_error_naming_its_pointer() -> None:
    text = '{"volunteers": [], "requests": [{"id": "a", "id": "b", "location": 1}]}'
    assert errors_of(text) == [("/requests/0/id", "appears twice in this object")]


def test_every_duplicate_key_is_reported_in_document_order() -> None:
    text = (
        '{"volunteers": [{"id": "x", "skills": [], "skills": []}], '
        '"requests": [], "requests": [], "options": {"seed": 1, "seed": 2}}'
    )
    assert [p for p, _ in errors_of(text)] == ["/requests", "/volunteers/0/skills", "/options/seed"]


def test_cli_refuses_duplicate_keys_like_the_service(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"volunteers": [], "volunteers": [], "requests": []}')
    code, out, err = run_cli("solve", str(path))
    assert code == 2 and out == ""
    assert err == "matchcore: volunteers: appears twice in this object\n"


# -- byte-order mark ---------------------------------------------------------------------


@pytest.mark.parametrize("as_bytes", [True, False])
def test_bom_is_accepted_and_dropped(as_bytes: bool) -> None:
    text = "\ufeff" + json.dumps(doc())
    problem = read_problem(text.encode("utf-8") if as_bytes else text)
    assert [r.id for r in problem.requests] == ["r1", "r2"]


# -- lone surrogates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "pointer"),
    [
        (("requests", 0, "id"), "/requests/0/id"),
        (("volunteers", 1, "skills"), "/volunteers/1/skills/0"),
        (("requests", 1, "client_id"), "/requests/1/client_id"),
    ],
)
def test_lone_surrogate_is_an_error_naming_its_pointer(
    where: tuple[Any, ...], pointer: str
) -> None:
    data = doc()
    node: Any = data
    for seg in where[:-1]:
        node = node[seg]
    node[where[-1]] = ["\ud800"] if where[-1] == "skills" else "x\udfff"
    text = json.dumps(data)  # ensure_ascii: the surrogate travels as an escape
    assert "\\ud" in text
    (error,) = errors_of(text)
    assert error == (pointer, "contains an unpaired surrogate (\\ud800-\\udfff)")


def test_surrogate_in_a_key_names_the_object() -> None:
    text = '{"volunteers": [], "requests": [], "options": {"\\ud800": 1}}'
    assert errors_of(text) == [("/options", "has a field name with an unpaired surrogate")]


def test_escaped_pair_is_a_real_character_not_an_error() -> None:
    data = doc()
    data["volunteers"][0]["skills"] = ["\U0001f697 driving"]
    problem = read_problem(json.dumps(data))  # \ud83d\ude97: a valid pair
    assert problem.volunteers[0].as_written(next(iter(problem.volunteers[0].skills))) == (
        "\U0001f697 driving"
    )


def test_cli_surrogate_is_one_line_and_exit_2_before_any_solve(tmp_path: Path) -> None:
    data = doc()
    data["requests"][0]["id"] = "\ud800"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    code, out, err = run_cli("solve", str(path), "-q")
    assert (code, out) == (2, "")
    assert err == "matchcore: requests[0].id: contains an unpaired surrogate (\\ud800-\\udfff)\n"


# -- string caps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        (("volunteers", 0, "id"), 200),
        (("requests", 1, "client_id"), 200),
        (("requests", 0, "skills", 0), 200),
        (("volunteers", 1, "languages", 0), 200),
    ],
)
def test_strings_have_a_length_cap(field: tuple[Any, ...], limit: int) -> None:
    for length, ok in ((limit, True), (limit + 1, False)):
        data = doc()
        node: Any = data
        for seg in field[:-1]:
            node = node.setdefault(seg, []) if isinstance(seg, str) else node[seg]
        if isinstance(field[-1], int):
            node.append("s" * length)
        else:
            node[field[-1]] = "i" * length
        if ok:
            read_problem(json.dumps(data))
            continue
        pointer = "/" + "/".join(map(str, field))
        assert errors_of(json.dumps(data)) == [(pointer, f"must be at most {limit} characters")]


def test_a_huge_id_is_refused_without_echo() -> None:
    data = doc()
    data["volunteers"][0]["id"] = "x" * 20_000_000
    (error,) = errors_of(json.dumps(data))
    assert error[0] == "/volunteers/0/id"
    assert len(error[1]) < 100


def test_a_long_unknown_key_is_named_but_not_echoed_whole() -> None:
    data = doc()
    data["options"] = {"k" * 5000: 1}
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(data))
    assert len(str(info.value)) < 400


# -- no import cycle, domain types without JSON -----------------------------------------------


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_problem_module_imports_no_json_and_no_io() -> None:
    imported = _imports(SRC / "problem.py")
    assert not any(name == "json" or name.startswith("matchcore.io") for name in imported)


def test_problem_convenience_methods_use_the_io_reader() -> None:
    text = json.dumps(doc())
    assert Problem.from_json(text) == read_problem(text)
    assert Problem.from_dict(json.loads(text)).to_dict() == read_problem(text).to_dict()


# -- every error at once ------------------------------------------------------------------------


def test_all_errors_of_a_document_are_reported_in_document_order() -> None:
    data = doc()
    data["volunteers"][0]["location"]["lat"] = 95
    data["volunteers"][1]["travel_mode"] = "plane"
    data["volunteers"][1]["max_tasks"] = -1
    data["requests"][0]["duration_minutes"] = "sixty"
    data["requests"][1]["priority"] = 0
    data["requests"][1]["preferred_volunteers"] = ["nobody"]
    data["options"] = {"seed": 1.5, "colour": "red"}
    assert [p for p, _ in errors_of(json.dumps(data))] == [
        "/volunteers/0/location/lat",
        "/volunteers/1/travel_mode",
        "/volunteers/1/max_tasks",
        "/requests/0/duration_minutes",
        "/requests/1/priority",
        "/requests/1/preferred_volunteers",
        "/options/colour",
        "/options/seed",
    ]


def test_references_are_checked_in_the_same_run_as_field_errors() -> None:
    data = doc()
    data["requests"][0]["duration_minutes"] = 0
    data["requests"][1]["id"] = "r1"  # r1 fails on its own, but its id still counts
    data["volunteers"][1]["id"] = "v1"
    data["requests"][1]["excluded_volunteers"] = ["ghost"]
    found = errors_of(json.dumps(data))
    assert ("/requests/0/duration_minutes", "must be greater than 0") in found
    assert ("/volunteers/1/id", "is used twice") in found
    assert ("/requests/1/excluded_volunteers", "names an unknown volunteer") in found


def test_first_error_stays_the_error_for_old_callers() -> None:
    data = doc()
    data["requests"][0]["location"] = {"lat": 95, "lon": 250}
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(data))
    err = info.value
    assert [e.location for e in err.errors] == [
        "requests[0].location.lat",
        "requests[0].location.lon",
    ]
    assert (err.location, err.pointer) == ("requests[0].location.lat", "/requests/0/location/lat")
    assert str(err) == "requests[0].location.lat: must be a latitude between -90 and 90"


def test_errors_stop_at_fifty() -> None:
    data = doc()
    data["volunteers"] = [{"id": f"v{i}", "location": {"lat": 99, "lon": 3}} for i in range(80)]
    found = errors_of(json.dumps(data))
    assert len(found) == MAX_ERRORS == 50
    assert found[-1][0] == "/volunteers/49/location/lat"


def test_collector_flattens_and_keeps_order() -> None:
    errors = ErrorCollector()
    errors.add(ProblemError.collect([ProblemError(("a",), "x"), ProblemError(("b",), "y")]))
    with errors.catching("c"):
        raise ProblemError((0,), "z")
    with pytest.raises(ProblemError) as info:
        errors.raise_if_any()
    assert [e.pointer for e in info.value.errors] == ["/a", "/b", "/c/0"]


def test_cli_prints_one_line_per_error(tmp_path: Path) -> None:
    data = doc()
    data["volunteers"][0]["location"]["lat"] = "north"
    data["requests"][1]["duration_minutes"] = -5
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    code, out, err = run_cli("solve", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "matchcore: volunteers[0].location.lat: must be a number, not a string",
        "matchcore: requests[1].duration_minutes: must be greater than 0",
    ]


def test_messages_never_echo_values() -> None:
    data = doc()
    data["volunteers"][0]["id"] = 4711
    data["requests"][0]["window"] = {"start": "Maandag bij mevrouw Peeters", "end": "x"}
    data["requests"][1]["location"]["lat"] = "51.2 (Mr Claes)"
    with pytest.raises(ProblemError) as info:
        read_problem(json.dumps(data))
    text = " ".join(str(e) for e in info.value.errors)
    assert len(info.value.errors) == 4
    for secret in ("4711", "Peeters", "Claes"):
        assert secret not in text


def test_load_json_is_the_only_parser_the_cli_and_service_use() -> None:
    for path in (SRC / "cli.py", SRC.parents[1] / "service" / "solving.py"):
        source = path.read_text()
        assert "json.loads" not in source, path
    assert load_json('{"a": 1}') == {"a": 1}
