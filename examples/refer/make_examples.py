"""Write the referral examples (issue 11): two directories and a West-Flemish week.

* ``zuid-limburg.hsds.json``: a zorgpad directory for the 16 municipalities
  of South Limburg, in Open Referral HSDS 3.0 JSON (a page of ``service``
  objects), with the themes of the Kansrijke Start zorgpaden;
* ``zuid-limburg.native.json``: the same services in matchcore's native form;
* ``west-flemish-week.json``: one week of a zorgnetwerk around Roeselare,
  with rides (dialysis among them), requests with themes, some for
  professionals alone (``refer_only``), and its own small directory inline.

The services are illustrative: the organisations are named by kind and
place, not taken from a real directory. Run from the repository root::

    .venv/bin/python examples/refer/make_examples.py          # rewrite the files
    .venv/bin/python examples/refer/make_examples.py --check  # exit 1 if one is stale
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# The 16 municipalities of South Limburg and a point near each centre.
ZUID_LIMBURG = {
    "Beek": (50.941, 5.797),
    "Beekdaelen": (50.940, 5.890),
    "Brunssum": (50.947, 5.970),
    "Eijsden-Margraten": (50.800, 5.770),
    "Gulpen-Wittem": (50.815, 5.890),
    "Heerlen": (50.888, 5.979),
    "Kerkrade": (50.866, 6.063),
    "Landgraaf": (50.908, 6.030),
    "Maastricht": (50.851, 5.691),
    "Meerssen": (50.887, 5.752),
    "Simpelveld": (50.834, 5.982),
    "Sittard-Geleen": (50.998, 5.869),
    "Stein": (50.970, 5.766),
    "Vaals": (50.771, 6.019),
    "Valkenburg aan de Geul": (50.865, 5.832),
    "Voerendaal": (50.878, 5.930),
}
PARKSTAD = ["Beekdaelen", "Brunssum", "Heerlen", "Kerkrade", "Landgraaf", "Simpelveld",
            "Voerendaal"]  # fmt: skip
HEUVELLAND = ["Eijsden-Margraten", "Gulpen-Wittem", "Meerssen", "Vaals", "Valkenburg aan de Geul"]
WESTMIJNSTREEK = ["Beek", "Sittard-Geleen", "Stein"]

# Kansrijke Start themes: (taxonomy code, name).
THEMES = {
    "leefstijl": "KS-LEEFSTIJL",
    "schulden": "KS-SCHULDEN",
    "psychische problemen": "KS-PSYCHE",
    "huisvesting": "KS-WONEN",
    "huiselijk geweld": "KS-GEWELD",
    "middelengebruik": "KS-MIDDELEN",
    "laaggeletterdheid": "KS-TAAL",
}

# (id, name, organisation, themes, municipalities, seat, languages, ages, wait weeks)
Row = tuple[str, str, str, list[str], list[str], str, list[str], tuple[int, int] | None, int]
SERVICES: list[Row] = [
    ("zl-schuld-parkstad", "Schuldhulpverlening Parkstad", "Gemeentelijke kredietbank Parkstad",
     ["schulden"], PARKSTAD, "Heerlen", ["nl", "de"], (18, 120), 3),
    ("zl-schuld-maastricht", "Schuldhulpverlening Maastricht-Heuvelland",
     "Gemeentelijke kredietbank Maastricht", ["schulden"], ["Maastricht", *HEUVELLAND],
     "Maastricht", ["nl", "en"], (18, 120), 4),
    ("zl-schuld-westmijn", "Geldzaken Westelijke Mijnstreek", "Sociaal team Sittard-Geleen",
     ["schulden"], WESTMIJNSTREEK, "Sittard-Geleen", ["nl"], (18, 120), 2),
    ("zl-budget-jong", "Budgetcoach jonge ouders", "Kansrijke Start Zuid-Limburg",
     ["schulden", "leefstijl"], list(ZUID_LIMBURG), "Heerlen", ["nl", "ar", "en"], (16, 30), 1),
    ("zl-leefstijl-ggd", "Leefstijlcoaching zwangeren", "GGD Zuid Limburg", ["leefstijl"],
     list(ZUID_LIMBURG), "Sittard-Geleen", ["nl", "en"], (16, 50), 2),
    ("zl-stoppen-roken", "Stoppen met roken rond de zwangerschap", "Verloskundigenpraktijk",
     ["leefstijl", "middelengebruik"], ["Maastricht", "Meerssen", "Valkenburg aan de Geul"],
     "Maastricht", ["nl"], None, 0),
    ("zl-ggz-jong", "Psychische hulp jonge ouders", "GGZ-instelling Zuid-Limburg",
     ["psychische problemen"], list(ZUID_LIMBURG), "Maastricht", ["nl", "en", "de"], (16, 120), 8),
    ("zl-poh-parkstad", "POH-GGZ huisartsen Parkstad", "Huisartsenzorg Parkstad",
     ["psychische problemen"], PARKSTAD, "Heerlen", ["nl"], None, 2),
    ("zl-wonen-parkstad", "Woonloket Parkstad", "Woningcorporatie Parkstad", ["huisvesting"],
     ["Heerlen", "Kerkrade", "Landgraaf", "Brunssum"], "Kerkrade", ["nl", "de"], (18, 120), 6),
    ("zl-wonen-maastricht", "Woonloket Maastricht", "Woningcorporatie Maastricht",
     ["huisvesting"], ["Maastricht", "Meerssen", "Eijsden-Margraten"], "Maastricht", ["nl"],
     (18, 120), 10),
    ("zl-veilig-thuis", "Veilig Thuis Zuid-Limburg", "Veilig Thuis", ["huiselijk geweld"],
     list(ZUID_LIMBURG), "Maastricht", ["nl", "en", "de", "ar", "tr"], None, 0),
    ("zl-verslaving", "Verslavingszorg", "Verslavingszorg Zuid-Limburg", ["middelengebruik"],
     list(ZUID_LIMBURG), "Heerlen", ["nl", "en"], (12, 120), 3),
    ("zl-taalhuis-heerlen", "Taalhuis Heerlen", "Bibliotheek Parkstad", ["laaggeletterdheid"],
     ["Heerlen", "Landgraaf", "Voerendaal", "Brunssum"], "Heerlen", ["nl"], (16, 120), 1),
    ("zl-taalhuis-maastricht", "Taalhuis Maastricht", "Centre Céramique",
     ["laaggeletterdheid"], ["Maastricht"], "Maastricht", ["nl"], (16, 120), 1),
]  # fmt: skip


def hsds_service(row: Row) -> dict[str, Any]:
    sid, name, org, themes, places, seat, langs, ages, wait = row
    lat, lon = ZUID_LIMBURG[seat]
    doc: dict[str, Any] = {
        "id": sid,
        "name": name,
        "description": f"{name}: {', '.join(themes)}.",
        "url": f"https://example.org/zorgpad/{sid}",
        "status": "active",
        "wait_time": f"{wait} weeks",
        "organization": {"id": f"org-{sid}", "name": org},
        "attributes": [
            {
                "id": f"{sid}-attr-{i}",
                "link_id": sid,
                "link_entity": "service",
                "link_type": "theme",
                "taxonomy_term": {
                    "id": f"term-{THEMES[t]}",
                    "code": THEMES[t],
                    "name": t,
                    "taxonomy": "kansrijke-start-zorgpaden",
                },
            }
            for i, t in enumerate(themes)
        ],
        "service_areas": [{"id": f"{sid}-area-{i}", "name": m} for i, m in enumerate(places)],
        "languages": [{"id": f"{sid}-lang-{x}", "code": x} for x in langs],
        "service_at_locations": [
            {
                "id": f"{sid}-at-1",
                "location": {
                    "id": f"loc-{sid}",
                    "location_type": "physical",
                    "latitude": lat,
                    "longitude": lon,
                },
            }
        ],
    }
    if ages is not None:
        doc["minimum_age"], doc["maximum_age"] = ages
    return doc


def native_service(row: Row) -> dict[str, Any]:
    sid, name, org, themes, places, seat, langs, ages, wait = row
    lat, lon = ZUID_LIMBURG[seat]
    doc: dict[str, Any] = {
        "id": sid,
        "name": name,
        "organization": org,
        "themes": themes,
        "municipalities": places,
        "location": {"lat": lat, "lon": lon},
        "languages": langs,
        "contact": f"https://example.org/zorgpad/{sid}",
        "wait_weeks": wait,
    }
    if ages is not None:
        doc["min_age"], doc["max_age"] = ages
    return doc


# -- a week of a West-Flemish zorgnetwerk around Roeselare --------------------------------

TOWNS = {
    "Roeselare": (50.9466, 3.1239),
    "Izegem": (50.9145, 3.2140),
    "Hooglede": (50.9830, 3.0850),
    "Staden": (50.9750, 3.0150),
    "Moorslede": (50.8920, 3.0630),
    "Lichtervelde": (51.0330, 3.1420),
    "Ledegem": (50.8580, 3.1230),
}
HOSPITAL = (50.9410, 3.1180)  # the dialysis unit in Roeselare
WEEK = "2026-03-0"  # Monday 2 to Friday 6 March 2026
TZ = "+01:00"


def at(day: int, hhmm: str) -> str:
    return f"{WEEK}{day}T{hhmm}:00{TZ}"


def near(town: str, dlat: float, dlon: float) -> dict[str, float]:
    lat, lon = TOWNS[town]
    return {"lat": round(lat + dlat, 4), "lon": round(lon + dlon, 4)}


def west_flemish_week() -> dict[str, Any]:
    volunteers = [
        vol("vol-01", "Roeselare", 0.004, 0.003, ["driving"], ["nl"], [(2, "08:00", "12:00"),
            (4, "08:00", "12:00")]),
        vol("vol-02", "Izegem", -0.002, 0.004, ["driving", "shopping"], ["nl", "fr"],
            [(2, "08:00", "17:00"), (3, "08:00", "12:00")]),
        vol("vol-03", "Hooglede", 0.003, -0.002, ["driving"], ["nl"], [(4, "08:00", "12:00")]),
        vol("vol-04", "Roeselare", -0.006, -0.004, ["shopping", "visit"], ["nl"],
            [(3, "13:00", "18:00"), (5, "09:00", "12:00")]),
        vol("vol-05", "Staden", 0.002, 0.002, ["visit", "paperwork"], ["nl", "en"],
            [(2, "13:00", "17:00"), (5, "13:00", "17:00")]),
        vol("vol-06", "Moorslede", 0.001, -0.003, ["driving", "visit"], ["nl"],
            [(3, "09:00", "12:00"), (6, "09:00", "12:00")]),
        vol("vol-07", "Lichtervelde", -0.003, 0.001, ["paperwork"], ["nl", "fr"],
            [(4, "13:00", "17:00")], max_tasks=1),
        vol("vol-08", "Ledegem", 0.002, 0.005, ["shopping", "driving"], ["nl"],
            [(5, "08:00", "12:00")], max_km=6.0),
    ]  # fmt: skip
    requests = [
        # Dialysis rides: the unit wants patients in by 08:30, a 30-minute ride window
        # that forces a start by 08:00 -- and the drivers are free from 08:00.
        ride("dialyse-ma", "Roeselare", 0.008, 0.010, 2, "07:00", "08:30", 10),
        ride("dialyse-wo", "Roeselare", 0.008, 0.010, 4, "07:00", "08:30", 10),
        ride("dialyse-vr", "Roeselare", 0.008, 0.010, 6, "07:00", "08:30", 10),
        ride("rit-izegem-ziekenhuis", "Izegem", 0.003, 0.002, 2, "09:00", "12:00", 4),
        ride("rit-hooglede-huisarts", "Hooglede", 0.002, 0.001, 4, "09:00", "11:30", 3),
        # Arabic-speaking clients in Roeselare on Tuesday morning: nobody speaks Arabic.
        ride("rit-roeselare-ar-1", "Roeselare", -0.004, 0.006, 3, "09:00", "11:30", 5, ["ar"]),
        ride("rit-roeselare-ar-2", "Roeselare", 0.005, -0.007, 3, "09:30", "12:00", 4, ["ar"]),
        ride("rit-roeselare-ar-3", "Roeselare", -0.002, -0.008, 3, "09:00", "12:00", 3, ["ar"]),
        task("boodschappen-izegem", "Izegem", 0.001, -0.002, ["shopping"], 2, "10:00", "16:00", 60,
             2),
        task("boodschappen-roeselare", "Roeselare", -0.003, 0.002, ["shopping"], 3, "14:00",
             "17:30", 60, 2),
        task("bezoek-staden", "Staden", -0.002, 0.003, ["visit"], 2, "14:00", "16:30", 60, 2),
        task("bezoek-moorslede", "Moorslede", 0.003, 0.002, ["visit"], 3, "09:30", "11:30", 60,
             2),
        task("papieren-lichtervelde", "Lichtervelde", 0.002, 0.002, ["paperwork"], 4, "13:30",
             "16:00", 60, 2, themes=["schulden"], municipality="Lichtervelde"),
        task("papieren-lichtervelde-2", "Lichtervelde", -0.001, 0.003, ["paperwork"], 4, "13:30",
             "16:30", 60, 2, themes=["schulden"], municipality="Lichtervelde"),
        # Wound care is for nurses, not volunteers: refer only.
        task("wondzorg-roeselare", "Roeselare", 0.002, 0.004, ["wound_care"], 3, "09:00",
             "12:00", 30, 5, themes=["thuisverpleging"], municipality="Roeselare",
             refer_only=True),
        task("schulden-izegem", "Izegem", -0.002, 0.001, [], 5, "09:00", "17:00", 60, 3,
             themes=["schulden"], municipality="Izegem", refer_only=True, age=34),
        task("psy-roeselare", "Roeselare", 0.006, -0.002, [], 5, "09:00", "17:00", 60, 4,
             themes=["psychische problemen"], municipality="Roeselare", refer_only=True, age=27),
        task("wonen-staden", "Staden", 0.001, -0.001, [], 5, "09:00", "17:00", 60, 3,
             themes=["huisvesting"], municipality="Staden", refer_only=True, age=61),
        task("taal-moorslede", "Moorslede", -0.002, 0.002, [], 5, "09:00", "17:00", 60, 2,
             themes=["laaggeletterdheid"], municipality="Moorslede", refer_only=True, age=45),
        task("boodschappen-ledegem", "Ledegem", -0.004, -0.006, ["shopping"], 6, "09:00",
             "11:00", 45, 1, municipality="Ledegem"),
    ]  # fmt: skip
    directory = [
        wf_service("wf-schuld-roeselare", "Schuldbemiddeling", "Sociaal Huis Roeselare",
                   ["schulden"], ["Roeselare", "Hooglede", "Staden"], "Roeselare", 3),
        wf_service("wf-schuld-izegem", "Budgetbegeleiding", "Sociaal Huis Izegem",
                   ["schulden"], ["Izegem", "Ledegem"], "Izegem", 2),
        wf_service("wf-caw", "Onthaal en begeleiding", "CAW Centraal-West-Vlaanderen",
                   ["schulden", "huisvesting", "psychische problemen"],
                   ["Roeselare", "Izegem", "Moorslede", "Hooglede"], "Roeselare", 4),
        wf_service("wf-cgg", "Centrum Geestelijke Gezondheidszorg", "CGG Roeselare",
                   ["psychische problemen"], ["Roeselare", "Izegem", "Staden", "Hooglede",
                   "Moorslede", "Lichtervelde", "Ledegem"], "Roeselare", 9),
        wf_service("wf-thuisverpleging", "Thuisverpleging", "Wit-Gele Kruis West-Vlaanderen",
                   ["thuisverpleging", "wondzorg"], list(TOWNS), "Roeselare", 0),
        wf_service("wf-wonen-staden", "Woonwinkel", "Intergemeentelijke woondienst",
                   ["huisvesting"], ["Roeselare", "Izegem"], "Roeselare", 5),
    ]  # fmt: skip
    return {
        "version": 1,
        "volunteers": volunteers,
        "requests": requests,
        "directory": directory,
        "options": {"time_limit_seconds": 20, "referral_max_km": 15, "seed": 1, "workers": 1},
    }


def vol(
    vid: str,
    town: str,
    dlat: float,
    dlon: float,
    skills: list[str],
    langs: list[str],
    days: list[tuple[int, str, str]],
    *,
    max_tasks: int | None = None,
    max_km: float = 12.0,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": vid,
        "location": near(town, dlat, dlon),
        "skills": skills,
        "languages": langs,
        "travel_mode": "car",
        "max_distance_km": max_km,
        "availability": [{"start": at(d, a), "end": at(d, b)} for d, a, b in days],
    }
    if max_tasks is not None:
        doc["max_tasks"] = max_tasks
    return doc


def ride(
    rid: str,
    town: str,
    dlat: float,
    dlon: float,
    day: int,
    start: str,
    end: str,
    priority: float,
    langs: list[str] | None = None,
) -> dict[str, Any]:
    return task(rid, town, dlat, dlon, ["driving"], day, start, end, 30, priority,
                municipality=town, langs=langs)  # fmt: skip


def task(
    rid: str,
    town: str,
    dlat: float,
    dlon: float,
    skills: list[str],
    day: int,
    start: str,
    end: str,
    minutes: int,
    priority: float,
    *,
    themes: list[str] | None = None,
    municipality: str | None = None,
    refer_only: bool = False,
    age: int | None = None,
    langs: list[str] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": rid,
        "client_id": f"client-{rid}",
        "location": near(town, dlat, dlon),
        "skills": skills,
        "duration_minutes": minutes,
        "window": {"start": at(day, start), "end": at(day, end)},
        "priority": priority,
    }
    if langs:
        doc["languages"] = langs
    if themes:
        doc["themes"] = themes
    if municipality:
        doc["municipality"] = municipality
    if refer_only:
        doc["refer_only"] = True
    if age is not None:
        doc["age"] = age
    return doc


def wf_service(
    sid: str, name: str, org: str, themes: list[str], places: list[str], seat: str, wait: int
) -> dict[str, Any]:
    lat, lon = TOWNS[seat]
    return {
        "id": sid,
        "name": name,
        "organization": org,
        "themes": themes,
        "municipalities": places,
        "location": {"lat": lat, "lon": lon},
        "languages": ["nl", "fr"],
        "contact": f"https://example.org/{sid}",
        "wait_weeks": wait,
    }


def documents() -> dict[str, Any]:
    return {
        "zuid-limburg.hsds.json": {
            "total_items": len(SERVICES),
            "total_pages": 1,
            "page_number": 1,
            "size": len(SERVICES),
            "first_page": True,
            "last_page": True,
            "empty": False,
            "contents": [hsds_service(r) for r in SERVICES],
        },
        "zuid-limburg.native.json": [native_service(r) for r in SERVICES],
        "west-flemish-week.json": west_flemish_week(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args()
    stale = []
    for name, doc in documents().items():
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale:", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
