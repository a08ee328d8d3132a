"""Reading a service directory: HSDS 3.0 JSON, the HSDS CSV package, the native form.

The HSDS documents here are our own small copies of the *shapes* of the
specification's ``examples/service_full.json`` and ``service_list.json``
(and its CSV data package), with our own data.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from matchcore import Problem
from matchcore.errors import ProblemError
from matchcore.refer.directory import (
    Directory,
    DirectoryError,
    load_directory,
    read_csv_package,
    read_directory,
)


def hsds_service(**over: Any) -> dict[str, Any]:
    """One service in the shape of the specification's service_full.json."""
    doc: dict[str, Any] = {
        "id": "svc-schuldhulp-heerlen",
        "name": "Schuldhulpverlening",
        "alternate_name": "Geldzaken op orde",
        "description": "Hulp bij schulden.",
        "url": "https://example.org/schuldhulp",
        "email": "info@example.org",
        "status": "active",
        "minimum_age": 18,
        "maximum_age": 120,
        "last_modified": "2026-01-15T10:30:45.123Z",
        "phones": [{"id": "ph1", "number": "+31 45 000 0000", "type": "voice"}],
        "schedules": [{"id": "sc1", "freq": "WEEKLY", "byday": "MO,TU", "opens_at": "09:00:00"}],
        "service_areas": [
            {"id": "sa1", "name": "Heerlen", "extent_type": "geojson", "uri": "http://x"},
            {"id": "sa2", "name": "Landgraaf"},
        ],
        "attributes": [
            {
                "id": "at1",
                "link_id": "svc-schuldhulp-heerlen",
                "link_type": "theme",
                "link_entity": "service",
                "taxonomy_term": {
                    "id": "tt1",
                    "code": "KS-SCHULDEN",
                    "name": "schulden",
                    "taxonomy": "kansrijke-start",
                },
            }
        ],
        "languages": [{"id": "l1", "name": "Dutch", "code": "nl"}],
        "service_at_locations": [
            {
                "id": "sal1",
                "description": "Spreekuur",
                "location": {
                    "id": "loc1",
                    "location_type": "physical",
                    "name": "Stadhuis",
                    "latitude": 50.8882,
                    "longitude": 5.9795,
                    "addresses": [{"id": "ad1", "city": "Heerlen", "country": "NL"}],
                },
            }
        ],
        "organization": {"id": "org1", "name": "Gemeente Heerlen", "website": "http://x"},
        "program": {"id": "pr1", "name": "Kansrijke Start"},
    }
    doc.update(over)
    return doc


def test_hsds_service_full_shape_reads_what_matters_and_keeps_the_rest() -> None:
    (svc,) = read_directory(hsds_service()).services
    assert svc.id == "svc-schuldhulp-heerlen"
    assert svc.organization == "Gemeente Heerlen"
    assert svc.themes == ("KS-SCHULDEN", "schulden") and svc.theme_names == ("schulden",)
    assert svc.municipalities == ("Heerlen", "Landgraaf")
    assert svc.languages == ("Dutch", "nl")
    assert (svc.min_age, svc.max_age) == (18, 120)
    assert [(p.lat, p.lon) for p in svc.locations] == [(50.8882, 5.9795)]
    assert svc.contact == "https://example.org/schuldhulp"
    # Unknown (to us) HSDS fields are kept, not rejected.
    assert svc.extra["program"] == {"id": "pr1", "name": "Kansrijke Start"}
    assert svc.extra["schedules"][0]["byday"] == "MO,TU"
    assert "alternate_name" in svc.extra and "x_our_own_extension" not in svc.extra
    (again,) = read_directory([hsds_service(x_our_own_extension=1)]).services
    assert again.extra["x_our_own_extension"] == 1


def test_hsds_service_list_page_shape() -> None:
    page = {
        "total_items": 2,
        "total_pages": 1,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [hsds_service(), hsds_service(id="svc-2", name="Budgetcoach")],
    }
    directory = read_directory(page)
    assert [s.id for s in directory.services] == ["svc-schuldhulp-heerlen", "svc-2"]


def test_native_form_and_mixed_lists() -> None:
    native = {
        "id": "n1",
        "name": "Leefstijlcoach",
        "organization": "GGD Zuid Limburg",
        "themes": ["leefstijl"],
        "municipalities": ["Maastricht"],
        "location": {"lat": 50.85, "lon": 5.69},
        "languages": ["nl", "en"],
        "min_age": 0,
        "max_age": 99,
        "contact": "https://example.org/leefstijl",
        "wait_weeks": 2,
    }
    directory = read_directory([native, hsds_service()])
    n1 = directory.services[0]
    assert n1.themes == ("leefstijl",) and n1.wait_weeks == 2
    assert read_directory(directory.to_native()).services[0] == n1


def errors_of(data: Any) -> list[str]:
    with pytest.raises(DirectoryError) as info:
        read_directory(data, ("directory",))
    return [f"{e.pointer} {e.message}" for e in info.value.errors]


def test_malformed_hsds_fields_are_all_reported_with_their_pointer() -> None:
    bad = hsds_service(
        minimum_age="twelve",
        service_areas=[{"name": 7}],
        attributes=[{"taxonomy_term": {"code": ["x"]}}],
    )
    bad["service_at_locations"][0]["location"]["latitude"] = 100  # as the spec's own example
    second = hsds_service(id="svc-2", languages="nl")
    found = errors_of([bad, second])
    assert found == [
        "/directory/0/attributes/0/taxonomy_term/code must be a string, not a list",
        "/directory/0/service_areas/0/name must be a string, not a number",
        "/directory/0/minimum_age must be a number, not a string",
        "/directory/0/service_at_locations/0/location/latitude must be between -90 and 90",
        "/directory/1/languages must be a list, not a string",
    ]


def test_native_errors_and_duplicates() -> None:
    found = errors_of(
        [
            {"id": "a", "name": "A", "theme": ["typo"], "min_age": -1},
            {"id": "a", "name": "B", "location": {"lat": 95, "lon": 0}},
            {"name": "C", "max_age": 3, "min_age": 5},
            "not an object",
        ]
    )
    assert "/directory/0/theme unknown field" in found[0]
    assert "/directory/0/min_age must be 0 or more" in found
    assert "/directory/1/location/lat must be between -90 and 90" in found
    assert "/directory/2/id is required" in found
    assert "/directory/3 must be an object, not a string" in found
    with pytest.raises(ProblemError, match=r"max_age: must be at least min_age"):
        read_directory([{"id": "c", "name": "C", "max_age": 3, "min_age": 5}])
    with pytest.raises(ProblemError, match="is used twice"):
        read_directory([{"id": "a", "name": "A"}, {"id": "a", "name": "B"}])
    with pytest.raises(ProblemError, match="must be a list of services"):
        read_directory("services")


def test_problem_reads_an_inline_directory_and_names_errors_under_it() -> None:
    doc: dict[str, Any] = {
        "volunteers": [],
        "requests": [
            {
                "id": "r1",
                "location": {"lat": 50.89, "lon": 5.98},
                "duration_minutes": 30,
                "themes": ["schulden"],
                "municipality": "Heerlen",
                "age": 34,
                "refer_only": True,
            }
        ],
        "directory": [hsds_service()],
        "options": {"referral_max_km": 20},
    }
    problem = Problem.from_dict(doc)
    assert problem.directory is not None and len(problem.directory) == 1
    req = problem.requests[0]
    assert (req.themes, req.municipality, req.age, req.refer_only) == (
        frozenset({"schulden"}),
        "Heerlen",
        34,
        True,
    )
    back = Problem.from_dict(problem.to_dict())
    assert back.requests == problem.requests and back.options.referral_max_km == 20
    assert back.directory == Directory(tuple(_native_only(s) for s in problem.directory.services))
    doc["directory"] = [{"id": "x", "name": "X", "wait_weeks": "soon"}]
    with pytest.raises(ProblemError) as info:
        Problem.from_dict(doc)
    assert info.value.pointer == "/directory/0/wait_weeks"
    for field, value, message in (
        ("refer_only", "yes", "must be true or false"),
        ("age", -3, "must be 0 or more"),
        ("themes", "schulden", "must be a list"),
        ("municipality", 12, "must be a string"),
    ):
        bad = json.loads(json.dumps(doc))
        bad["directory"] = []
        bad["requests"][0][field] = value
        with pytest.raises(ProblemError, match=message) as info:
            Problem.from_dict(bad)
        assert info.value.pointer == f"/requests/0/{field}"


def _native_only(svc: Any) -> Any:
    from dataclasses import replace

    return replace(svc, locations=svc.locations[:1], extra={}, topics=())


# -- the CSV data package ------------------------------------------------------------------


def write_csv(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def csv_package(folder: Path) -> Path:
    write_csv(folder, "organizations.csv", [{"id": "o1", "name": "Mondriaan", "website": ""}])
    write_csv(
        folder,
        "services.csv",
        [
            {
                "id": "s1",
                "organization_id": "o1",
                "program_id": "",
                "name": "Psychische hulp jonge ouders",
                "status": "active",
                "url": "https://example.org/s1",
                "minimum_age": "16",
                "maximum_age": "",
                "wait_time": "3 weeks",
            },
            {
                "id": "s2",
                "organization_id": "",
                "program_id": "",
                "name": "Woonloket",
                "status": "active",
                "url": "",
                "minimum_age": "",
                "maximum_age": "",
                "wait_time": "",
            },
        ],
    )
    write_csv(
        folder,
        "service_areas.csv",
        [
            {"id": "a1", "service_id": "s1", "service_at_location_id": "", "name": "Kerkrade"},
            {"id": "a2", "service_id": "s2", "service_at_location_id": "", "name": "Vaals"},
        ],
    )
    write_csv(
        folder,
        "taxonomy_terms.csv",
        [
            {"id": "t1", "code": "KS-PSY", "name": "psychische problemen", "taxonomy": "ks"},
            {"id": "t2", "code": "", "name": "huisvesting", "taxonomy": "ks"},
        ],
    )
    write_csv(
        folder,
        "attributes.csv",
        [
            {"id": "x1", "link_id": "s1", "taxonomy_term_id": "t1", "link_entity": "service"},
            {"id": "x2", "link_id": "s2", "taxonomy_term_id": "t2", "link_entity": "service"},
            {"id": "x3", "link_id": "o1", "taxonomy_term_id": "t2", "link_entity": "organization"},
        ],
    )
    write_csv(
        folder,
        "locations.csv",
        [{"id": "l1", "location_type": "physical", "name": "", "latitude": "50.865",
          "longitude": "6.063"}],
    )  # fmt: skip
    write_csv(
        folder,
        "service_at_location.csv",
        [{"id": "sal1", "service_id": "s1", "location_id": "l1", "description": ""}],
    )
    write_csv(
        folder,
        "languages.csv",
        [
            {"id": "g1", "service_id": "s1", "location_id": "", "phone_id": "", "name": "Dutch",
             "code": "nl", "note": ""},
            {"id": "g2", "service_id": "", "location_id": "l1", "phone_id": "", "name": "German",
             "code": "de", "note": ""},
        ],
    )  # fmt: skip
    return folder


def test_csv_package_reads_the_same_service_model(tmp_path: Path) -> None:
    directory = load_directory(csv_package(tmp_path))
    s1, s2 = directory.services
    assert (s1.organization, s1.themes, s1.municipalities) == (
        "Mondriaan",
        ("KS-PSY", "psychische problemen"),
        ("Kerkrade",),
    )
    assert s1.languages == ("Dutch", "nl") and s1.min_age == 16 and s1.max_age is None
    assert [(p.lat, p.lon) for p in s1.locations] == [(50.865, 6.063)]
    assert s1.extra == {"status": "active", "wait_time": "3 weeks"}
    assert s1.theme_names == ("psychische problemen",)
    assert s2.themes == ("huisvesting",) and s2.locations == ()
    (tmp_path / "datapackage.json").write_text("{}", encoding="utf-8")
    assert load_directory(tmp_path / "datapackage.json") == directory


def test_csv_errors_name_file_row_and_column_all_at_once(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    rows = list(csv.DictReader((folder / "services.csv").open(encoding="utf-8")))
    rows[1]["minimum_age"] = "tien"
    rows[0]["name"] = ""
    write_csv(folder, "services.csv", rows)
    write_csv(
        folder,
        "attributes.csv",
        [{"id": "x1", "link_id": "s9", "taxonomy_term_id": "t1", "link_entity": "service"},
         {"id": "x2", "link_id": "s2", "taxonomy_term_id": "t7", "link_entity": ""}],
    )  # fmt: skip
    write_csv(
        folder,
        "locations.csv",
        [{"id": "l1", "location_type": "physical", "name": "", "latitude": "50.8",
          "longitude": "east"}],
    )  # fmt: skip
    with pytest.raises(DirectoryError) as info:
        read_csv_package(folder)
    found = sorted(e.location + " " + e.message for e in info.value.errors)
    assert found == [
        "attributes.csv[2].link_id names an unknown service",
        "attributes.csv[3].taxonomy_term_id names an unknown taxonomy term",
        "locations.csv[2].longitude must be a number",
        "services.csv[2].name must not be empty",
        "services.csv[3].minimum_age must be a number",
    ]


def test_missing_files_and_unreadable_json(tmp_path: Path) -> None:
    with pytest.raises(ProblemError, match=r"services\.csv: is required"):
        load_directory(tmp_path)
    bad = tmp_path / "d.json"
    bad.write_text("[{", encoding="utf-8")
    with pytest.raises(ProblemError, match="is not valid JSON"):
        load_directory(bad)
    with pytest.raises(ProblemError, match="cannot be read"):
        load_directory(tmp_path / "absent.json")
    (tmp_path / "services.csv").write_bytes(b"id,name\n\xff\xfe,x\n")
    with pytest.raises(ProblemError, match="cannot be read as UTF-8 CSV"):
        load_directory(tmp_path)
