"""Write the worked examples of repeating requests and re-planning (issue 9).

A zorgnetwerk around Ieper over three weeks, Tuesday 16 March to Thursday 1
April 2027, in local time (Europe/Brussels; the clocks go forward on Sunday
28 March, so the last week's times carry +02:00):

- ``series_three_weeks.json``: Mrs. Janssens is visited every Tuesday
  afternoon for three weeks and Mr. Peeters gets his shopping every Thursday
  morning; beside them, a ride to the hospital, a small chore and a visit.
  Chantal lives nearest to Mrs. Janssens, but she is away on the third
  Tuesday, so the plan gives all three visits to An (one volunteer for the
  series) rather than two to Chantal and one to An.
- ``series_withdrawn.json``: the same network on Wednesday 24 March, after
  An withdrew: what is over is no longer in it (each series' window now
  starts at its next occurrence, so the occurrence ids stay the same), and
  An is gone. Solved again with ``--previous`` (the plan of the first file),
  the occurrences An had are reassigned (``volunteer_withdrawn``) and the
  rest is kept.

Run from the repository root: ``python examples/make_series.py``.
"""

# The tables keep one row per line, however wide:
# ruff: noqa: E501

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _volunteer(vid: str, lat: float, lon: float, skills: list[str], days: list[str],
               start: str, end: str, **extra: Any) -> dict[str, Any]:  # fmt: skip
    weekly = {"weekly": {"days": days, "start": start, "end": end}}
    return {
        "id": vid,
        "location": {"lat": lat, "lon": lon},
        "skills": skills,
        "languages": ["nl"],
        "max_distance_km": 12,
        "availability": [weekly],
        **extra,
    }


def _request(rid: str, lat: float, lon: float, skills: list[str], minutes: int, day: str,
             start: str, end: str, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": rid,
        "location": {"lat": lat, "lon": lon},
        "skills": skills,
        "languages": ["nl"],
        "duration_minutes": minutes,
        "window": {"start": f"{day}T{start}", "end": f"{day}T{end}"},
        **extra,
    }


VOLUNTEERS = [
    _volunteer("vol-an", 50.8512, 2.8861, ["visiting", "shopping"], ["tue", "thu"], "09:00", "17:00"),
    _volunteer("vol-bart", 50.8547, 2.8200, ["driving", "chores"], ["mon", "tue", "wed", "thu", "fri"], "08:00", "12:30"),
    _volunteer("vol-chantal", 50.8372, 2.9105, ["visiting"], ["tue"], "13:00", "18:00",
               unavailable=[{"start": "2027-03-29T00:00", "end": "2027-03-31T00:00"}]),
    _volunteer("vol-els", 50.8660, 2.8790, ["visiting", "shopping"], ["tue", "wed", "thu"], "09:00", "18:00"),
    _volunteer("vol-fatima", 50.8450, 2.8700, ["shopping", "cooking"], ["thu", "fri"], "08:30", "13:00"),
]  # fmt: skip

JANSSENS = _request("req-bezoek-janssens", 50.8395, 2.9040, ["visiting"], 90, "2027-03-16",
                    "14:00", "16:30", client_id="client-janssens",
                    repeat={"weekly": {"days": ["tue"]}, "until": "2027-03-30"})  # fmt: skip
PEETERS = _request("req-boodschappen-peeters", 50.8480, 2.8790, ["shopping"], 60, "2027-03-18",
                   "09:30", "12:00", client_id="client-peeters",
                   repeat={"rrule": "FREQ=WEEKLY;COUNT=3"})  # fmt: skip
ONE_OFF = [
    _request("req-rit-ziekenhuis", 50.8600, 2.8500, ["driving"], 120, "2027-03-17", "08:30", "12:00"),
    _request("req-klusje", 50.8530, 2.8400, ["chores"], 60, "2027-03-22", "09:00", "12:00"),
    _request("req-bezoek-maes", 50.8620, 2.8850, ["visiting"], 60, "2027-03-25", "14:00", "17:00"),
]  # fmt: skip
OPTIONS = {"timezone": "Europe/Brussels", "time_limit_seconds": 10}


def three_weeks() -> dict[str, Any]:
    """The three-week network, every request as it was asked."""
    return {
        "version": 1,
        "volunteers": VOLUNTEERS,
        "requests": [JANSSENS, PEETERS, *ONE_OFF],
        "options": {**OPTIONS, "horizon": {"start": "2027-03-15T00:00", "end": "2027-04-03T00:00"}},
    }


def withdrawn() -> dict[str, Any]:
    """The network from Wednesday 24 March on, An withdrawn."""
    janssens = {**JANSSENS, "window": {"start": "2027-03-30T14:00", "end": "2027-03-30T16:30"}}
    peeters = {
        **PEETERS,
        "window": {"start": "2027-03-25T09:30", "end": "2027-03-25T12:00"},
        "repeat": {"rrule": "FREQ=WEEKLY;COUNT=2"},
    }
    later = [r for r in ONE_OFF if r["window"]["start"] >= "2027-03-24"]
    return {
        "version": 1,
        "volunteers": [v for v in VOLUNTEERS if v["id"] != "vol-an"],
        "requests": [janssens, peeters, *later],
        "options": {**OPTIONS, "horizon": {"start": "2027-03-24T00:00", "end": "2027-04-03T00:00"}},
    }


def main() -> None:
    for name, doc in (("series_three_weeks", three_weeks()), ("series_withdrawn", withdrawn())):
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
