"""Write the West-Flemish example weeks: a workbook each, and the JSON the workbook reads as.

A zorgnetwerk between Brugge and Roeselare: 15 volunteers, 30 requests (rides
to AZ Sint-Jan Brugge and AZ Delta Roeselare among them), weekly availability
with holidays, certificates of conduct (one lapses on Wednesday),
in local time (Europe/Brussels). Two weeks:

- ``west_flanders_week``: Monday 7 to Sunday 13 December 2026, no clock change;
- ``west_flanders_dst_week``: Monday 22 to Sunday 28 March 2027; the clocks go
  forward on Sunday 28 March at 02:00, so Sunday's times carry +02:00.

Run from the repository root: ``python examples/make_west_flanders.py``. The
JSON files are what ``matchcore import`` makes of the workbooks; a test checks
that both give the same problem and plan.
"""

# The tables keep one row per line, however wide:
# ruff: noqa: E501

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from matchcore.io.sheets import SHEETS, read_sheets

HERE = Path(__file__).resolve().parent

# id, lat, lon, skills, languages, travel_mode, max_distance_km, max_tasks, max_minutes
VOLUNTEERS = [
    ("vol-01", 51.2089, 3.2242, "driving, shopping", "nl, fr", "car", 15, 4, 600),  # Brugge
    ("vol-02", 51.1960, 3.1790, "visiting, administration", "nl, en", "bike", 6, 3, None),
    ("vol-03", 51.2130, 3.2500, "Driving, visiting", "NL", "car", 20, 5, None),  # Sint-Kruis
    ("vol-04", 51.1960, 3.2540, "babysitting, homework", "nl, en", "bike", 5, 3, 480),
    ("vol-05", 51.1540, 3.2330, "driving, gardening", "nl", "car", 20, 3, None),  # Oostkamp
    ("vol-06", 51.1430, 3.1370, "shopping, visiting", "nl, fr", "car", 12, 3, None),
    ("vol-07", 51.1390, 3.3390, "driving", "nl", "car", 25, 4, None),  # Beernem
    ("vol-08", 51.0650, 3.1010, "driving, shopping", "nl", "car", 20, 4, None),  # Torhout
    ("vol-09", 51.0330, 3.1400, "visiting, administration", "nl, fr", "bike", 8, 2, None),
    ("vol-10", 50.9460, 3.1230, "driving, visiting", "nl, tr", "car", 15, 5, None),  # Roeselare
    ("vol-11", 50.9300, 3.1600, "homework, babysitting", "nl, ar", "bike", 6, 3, None),
    ("vol-12", 50.9140, 3.2130, "shopping, driving", "nl", "car", 15, 3, None),  # Izegem
    ("vol-13", 50.9830, 3.0830, "gardening, visiting", "nl", "car", 12, 2, None),  # Hooglede
    ("vol-14", 50.9760, 3.2000, "driving, administration", "nl, en", "car", 20, 4, None),
    ("vol-15", 50.9440, 3.1300, "visiting, shopping", "nl, fr", "walk", 3, 3, None),
]

# volunteer_id, days, start, end (weekly); a day offset instead of days gives a dated row
AVAILABILITY: list[tuple[str, str | int, str, str]] = [
    ("vol-01", "mon, tue, thu", "08:30", "12:30"),
    ("vol-01", "wed", "13:00", "17:00"),
    ("vol-02", "tue, thu", "09:00", "12:00"),
    ("vol-03", "mon, wed, fri", "08:00", "16:00"),
    ("vol-03", "sun", "08:00", "12:00"),
    ("vol-04", "mon, tue, thu", "15:30", "19:30"),
    ("vol-05", "mon, tue, wed, thu, fri", "09:00", "17:00"),
    ("vol-06", "tue, fri", "09:00", "12:00"),
    ("vol-07", "mon, wed", "07:30", "13:00"),
    ("vol-07", 5, "09:00", "13:00"),  # this Saturday only
    ("vol-08", "tue, wed, thu", "08:00", "14:00"),
    ("vol-09", "mon, thu", "13:30", "17:00"),
    ("vol-10", "mon, tue, wed, thu, fri", "08:00", "13:00"),
    ("vol-10", "sun", "09:00", "12:00"),
    ("vol-11", "mon, wed, thu", "15:30", "19:00"),
    ("vol-12", "wed, fri", "09:00", "16:00"),
    ("vol-13", "sat", "09:00", "13:00"),
    ("vol-14", "mon, tue, thu, fri", "07:30", "12:00"),
    ("vol-15", "tue, wed, fri", "10:00", "16:00"),
]

# volunteer_id, first day offset, last day offset (inclusive): holidays and a hospital stay
UNAVAILABLE = [("vol-05", 2, 3), ("vol-10", 1, 1)]

# volunteer_id, valid_from (day offset or None), valid_until (day offset, inclusive): a
# certificate of conduct (VOG / uittreksel strafregister). vol-11's lapses on Wednesday.
CREDENTIALS: list[tuple[str, str, int | None, int]] = [("vol-11", "VOG", -340, 2)]
# Requests that need a certificate of conduct: homework help at the El Amrani family.
REQUEST_CREDENTIALS = {"req-13": "vog", "req-14": "vog"}

# id, client, lat, lon, skills, languages, minutes, day offset, start, end, needed, priority,
# preferred volunteers. Driving tasks in RIDES are rides to AZ Sint-Jan Brugge or AZ Delta
# Roeselare.
# Rides (destination lat, lon): the volunteer takes the client to hospital and back.
AZ_SINT_JAN_BRUGGE = (51.2126, 3.2446)  # Ruddershove 10, 8000 Brugge
AZ_DELTA_ROESELARE = (50.9314, 3.1222)  # Deltalaan 1, 8800 Roeselare
RIDES = {
    "req-01": AZ_SINT_JAN_BRUGGE,
    "req-08": AZ_SINT_JAN_BRUGGE,
    "req-19": AZ_DELTA_ROESELARE,
    "req-25": AZ_DELTA_ROESELARE,
}
REQUESTS: list[tuple[Any, ...]] = [
    ("req-01", "cl-peeters", 51.2010, 3.2190, "driving", "nl", 180, 0, "08:30", "12:30", 1, 3, "vol-01"),
    ("req-02", "cl-claes", 51.2150, 3.2310, "shopping", "nl", 60, 0, "09:00", "12:00", 1, 1, ""),
    ("req-03", "cl-janssens", 51.1905, 3.1850, "administration", "nl", 90, 1, "09:00", "12:00", 1, 1, "vol-02"),
    ("req-04", "cl-maes", 51.1990, 3.2600, "babysitting", "nl", 120, 0, "16:00", "19:00", 1, 2, ""),
    ("req-05", "cl-maes", 51.1990, 3.2600, "driving", "nl", 60, 0, "16:00", "19:00", 1, 2, ""),
    ("req-06", "cl-wouters", 51.1600, 3.2400, "gardening", "nl", 120, 4, "09:00", "16:00", 1, 0.5, ""),
    ("req-07", "cl-mertens", 51.1450, 3.1450, "visiting", "fr", 60, 1, "09:30", "11:30", 1, 1, ""),
    ("req-08", "cl-goossens", 51.1420, 3.3300, "driving", "nl", 150, 2, "08:00", "12:00", 1, 3, ""),
    ("req-09", "cl-de-smet", 51.0700, 3.1050, "shopping", "nl", 60, 1, "09:00", "13:00", 1, 1, ""),
    ("req-10", "cl-de-smet", 51.0700, 3.1050, "driving", "nl", 120, 3, "08:30", "13:00", 1, 2, "vol-08"),
    ("req-11", "cl-vermeulen", 51.0350, 3.1350, "visiting", "nl", 60, 3, "14:00", "17:00", 1, 1, ""),
    ("req-12", "cl-yilmaz", 50.9480, 3.1200, "visiting", "tr", 60, 2, "09:00", "12:00", 1, 1, "vol-10"),
    ("req-13", "cl-el-amrani", 50.9320, 3.1550, "homework", "ar, nl", 60, 0, "16:00", "18:30", 1, 2, ""),
    ("req-14", "cl-el-amrani", 50.9320, 3.1550, "homework", "ar, nl", 60, 3, "16:00", "18:30", 1, 2, ""),
    ("req-15", "cl-desmet-r", 50.9200, 3.2100, "shopping", "nl", 45, 4, "10:00", "12:00", 1, 1, ""),
    ("req-16", "cl-dumont", 50.9850, 3.0850, "gardening", "nl", 180, 5, "09:00", "13:00", 2, 1, ""),
    ("req-17", "cl-verhaeghe", 50.9700, 3.1950, "administration", "en", 60, 0, "08:00", "11:00", 1, 1, ""),
    ("req-18", "cl-lambrecht", 50.9430, 3.1350, "visiting", "fr", 60, 2, "13:00", "16:00", 1, 1, "vol-15"),
    ("req-19", "cl-vandenberghe", 50.9500, 3.1300, "driving", "nl", 240, 1, "08:00", "13:00", 1, 3, ""),
    ("req-20", "cl-hoste", 51.1950, 3.2200, "driving", "nl", 120, 6, "08:30", "12:00", 1, 2, ""),
    ("req-21", "cl-devos", 50.9400, 3.1250, "visiting", "nl", 60, 6, "09:00", "12:00", 1, 1, ""),
    ("req-22", "cl-bauwens", 51.2000, 3.2450, "shopping", "nl", 90, 2, "13:00", "17:00", 1, 1, ""),
    ("req-23", "cl-coppens", 51.2200, 3.2550, "visiting", "nl", 60, 4, "08:30", "12:00", 1, 1, ""),
    ("req-24", "cl-de-clercq", 51.1500, 3.2250, "driving", "nl", 90, 4, "09:00", "12:00", 1, 2, ""),
    ("req-25", "cl-willems", 50.9150, 3.2200, "driving", "nl", 120, 2, "09:00", "15:00", 1, 2, "vol-12"),
    ("req-26", "cl-pauwels", 51.0400, 3.1500, "administration", "fr", 60, 0, "14:00", "17:00", 1, 1, ""),
    ("req-27", "cl-martens", 50.9750, 3.2050, "driving", "nl", 90, 3, "08:00", "11:30", 1, 2, ""),
    ("req-28", "cl-verstraete", 51.1400, 3.3450, "driving", "nl", 60, 0, "08:00", "12:00", 1, 1, ""),
    ("req-29", "cl-de-backer", 50.9470, 3.1280, "shopping", "nl", 60, 1, "10:00", "15:00", 1, 1, ""),
    ("req-30", "cl-de-backer", 50.9470, 3.1280, "gardening", "nl", 120, 5, "09:00", "13:00", 1, 0.5, ""),
]  # fmt: skip

# A team of roles (the ``roles`` sheet): the Vandamme family needs one driver to take a
# parent to AZ Sint-Jan and one babysitter (who speaks Dutch) for the children meanwhile.
# Same columns as REQUESTS; skills and volunteers_needed are left to the roles.
ROLE_REQUESTS: list[tuple[Any, ...]] = [
    ("req-31", "cl-vandamme", 51.1850, 3.2400, "", "", 60, 1, "15:30", "17:30", None, 3, ""),
]  # fmt: skip
# request_id, role (0, 1, ...), skills, languages, count
ROLES: list[list[Any]] = [
    ["req-31", 0, "driving", None, 1],
    ["req-31", 1, "babysitting", "nl", 1],
]

WEEKS = {
    "west_flanders_week": date(2026, 12, 7),  # no clock change
    "west_flanders_dst_week": date(2027, 3, 22),  # summer time from Sunday 28 March, 02:00
}


def workbook(monday: date) -> Workbook:
    """The week starting on ``monday`` as a workbook of the spreadsheet format."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    sunday = monday + timedelta(days=6)

    def sheet(name: str, rows: list[list[Any]]) -> None:
        ws = book.create_sheet(name)
        header = [c.name for c in SHEETS[name]]
        ws.append(header)
        for row in rows:
            ws.append(row)

    sheet(
        "settings",
        [
            ["timezone", "Europe/Brussels"],
            ["default_max_distance_km", 10],
            ["time_limit_seconds", 10],
            ["horizon_start", monday.isoformat()],
            ["horizon_end", sunday.isoformat()],
        ],
    )
    sheet("volunteers", [[*v[:9], ""] for v in VOLUNTEERS])
    rows: list[list[Any]] = []
    for vid, days, start, end in AVAILABILITY:
        if isinstance(days, int):
            rows.append([vid, None, monday + timedelta(days=days), start, end, None, None, None])
        else:
            rows.append([vid, days, None, start, end, None, None, None])
    sheet("availability", rows)
    away = [
        [vid, (monday + timedelta(days=a)).strftime("%d-%m-%Y"), monday + timedelta(days=b)]
        for vid, a, b in UNAVAILABLE
    ]
    sheet("unavailable", away)
    sheet(
        "credentials",
        [
            [
                vid,
                name,
                None if a is None else monday + timedelta(days=a),
                monday + timedelta(days=b),
            ]
            for vid, name, a, b in CREDENTIALS
        ],
    )
    reqs = []
    for (
        rid,
        client,
        lat,
        lon,
        skills,
        langs,
        minutes,
        day,
        start,
        end,
        need,
        prio,
        pref,
    ) in REQUESTS + ROLE_REQUESTS:
        when = monday + timedelta(days=day)
        reqs.append(
            [rid, client, lat, lon, *RIDES.get(rid, (None, None)), skills, langs, REQUEST_CREDENTIALS.get(rid), minutes,
             when.isoformat(), start, end, need, prio, pref, ""]
        )  # fmt: skip
    sheet("requests", reqs)
    sheet("roles", ROLES)
    return book


def main() -> int:
    for name, monday in WEEKS.items():
        path = HERE / f"{name}.xlsx"
        workbook(monday).save(path)
        doc = read_sheets(path)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"wrote {path.name} and {name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
