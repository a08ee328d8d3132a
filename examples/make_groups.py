"""Write the group examples of issue 10 (seeded, so the files are the same every run).

- ``zelfregie_south_limburg.json``: a South-Limburg zelfregienetwerk, 26
  zelfregiegroepen on 12 topics, 300 participants, 60 volunteers who also
  drive and visit in a week of 120 tasks (the measured instance of the README);
- ``kansrijke_start_parents.json``: a Kansrijke Start parents' network,
  mamacafés (one host) and CenteringZorg groups (a midwife and a host);
- ``mezzo_coaching.json``: a Mezzo coaching round, organisations with an
  approach coaching up to four organisations each in their region
  (``facilitators_needed: 1``);
- ``mixed_week.json``: one small week where the same volunteers drive rides
  and lead groups.

Run from the repository root: ``python examples/make_groups.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOWNS = {
    "Heerlen": (50.888, 5.979), "Sittard": (51.000, 5.869), "Geleen": (50.974, 5.830),
    "Kerkrade": (50.866, 6.062), "Brunssum": (50.946, 5.971), "Landgraaf": (50.907, 6.030),
    "Maastricht": (50.851, 5.691), "Valkenburg": (50.865, 5.831), "Meerssen": (50.887, 5.751),
    "Gulpen": (50.815, 5.889), "Vaals": (50.770, 6.018), "Beek": (50.941, 5.795),
    "Stein": (50.969, 5.766), "Nuth": (50.917, 5.886), "Simpelveld": (50.834, 5.982),
}  # fmt: skip
TOPICS = [
    "diabetes", "schulden", "pubers", "rouw", "mantelzorg", "eenzaamheid", "burn-out",
    "dementie", "angst", "verslaving", "chronische pijn", "scheiding",
]  # fmt: skip
DAYS = ["ma", "di", "wo", "do", "vr"]
OPTIONS = {
    "timezone": "Europe/Amsterdam",
    "horizon": {"start": "2026-03-02T00:00", "end": "2026-03-08T23:59"},
    "time_limit_seconds": 60,
    "seed": 7,
}


def _place(rnd: random.Random, town: str, spread: float = 0.02) -> dict[str, float]:
    lat, lon = TOWNS[town]
    return {
        "lat": round(lat + rnd.uniform(-spread, spread), 5),
        "lon": round(lon + rnd.uniform(-spread, spread), 5),
    }


def _tasks(rnd: random.Random, n: int) -> list[dict[str, Any]]:
    """A week of rides, visits and shopping in South Limburg."""
    out = []
    for r in range(n):
        day = rnd.randint(2, 6)
        hour = rnd.choice([9, 10, 11, 13, 14, 15, 18, 19])
        kind = rnd.choice(["driving", "visiting", "shopping"])
        out.append(
            {
                "id": f"req-{r:03d}",
                "location": _place(rnd, rnd.choice(list(TOWNS))),
                "skills": [kind],
                "duration_minutes": rnd.choice([45, 60, 90]),
                "window": {
                    "start": f"2026-03-0{day}T{hour:02d}:00",
                    "end": f"2026-03-0{day}T{hour + 2:02d}:00",
                },
                "priority": rnd.choice([1, 1, 2, 3]),
            }
        )
    return out


def zelfregie() -> dict[str, Any]:
    rnd = random.Random(2026)
    towns = list(TOWNS)
    volunteers = []
    for v in range(60):
        skills = rnd.sample(["driving", "visiting", "shopping"], rnd.randint(1, 2))
        if v % 2 == 0:
            skills += ["ervaringsdeskundige"]
        vol: dict[str, Any] = {
            "id": f"vol-{v:02d}",
            "location": _place(rnd, rnd.choice(towns)),
            "skills": skills,
            "languages": ["nl"] + (["ar"] if v % 9 == 0 else []),
            "max_distance_km": rnd.choice([10, 15, 20]),
            "availability": [
                {"weekly": {"days": rnd.sample(DAYS, 3), "start": "09:00", "end": "21:30"}}
            ],
            "max_tasks": rnd.choice([3, 4, 5]),
        }
        volunteers.append(vol)
    groups = []
    for g in range(26):
        topic = TOPICS[g % len(TOPICS)]
        town = towns[(g * 7) % len(towns)]
        day = DAYS[g % 5]
        groups.append(
            {
                "id": f"zrg-{topic.replace(' ', '-')}-{town.lower()}",
                "topic": topic,
                "location": _place(rnd, town, 0.005),
                "sessions": [{"weekly": {"days": [day], "start": "19:30", "end": "21:00"}}],
                "min_participants": 5,
                "max_participants": 12,
                "facilitators_needed": 2,
                "facilitator_skills": ["ervaringsdeskundige"],
            }
        )
    people = []
    weights = [6, 6, 4, 4, 3, 3, 2, 2, 2, 1, 1, 1]
    for i in range(300):
        topics = []
        while len(topics) < rnd.choice([1, 2, 2, 3]):
            topic = rnd.choices(TOPICS, weights)[0]
            if topic not in topics:
                topics.append(topic)
        person: dict[str, Any] = {
            "id": f"p-{i:03d}",
            "location": _place(rnd, rnd.choice(towns), 0.03),
            "topics": topics,
            "languages": ["nl"],
            "max_distance_km": rnd.choice([5, 8, 12]),
            "travel_mode": rnd.choice(["car", "bike", "transit"]),
        }
        if i % 4 == 0:
            person["availability"] = [
                {"weekly": {"days": rnd.sample(DAYS, 2), "start": "19:00", "end": "22:00"}}
            ]
        people.append(person)
    return {
        "volunteers": volunteers,
        "requests": _tasks(rnd, 120),
        "groups": groups,
        "participants": people,
        "options": OPTIONS,
    }


def parents() -> dict[str, Any]:
    rnd = random.Random(11)
    towns = ["Heerlen", "Kerkrade", "Brunssum", "Sittard", "Geleen", "Maastricht"]
    volunteers = []
    for v in range(14):
        skills = ["gastvrouw"] + (["verloskundige"] if v < 4 else [])
        volunteers.append(
            {
                "id": f"host-{v:02d}" if v >= 4 else f"midwife-{v}",
                "location": _place(rnd, towns[v % len(towns)]),
                "skills": skills,
                "languages": ["nl"] + (["ar"] if v % 5 == 0 else []),
                "max_distance_km": 15,
                "availability": [
                    {"weekly": {"days": ["di", "do"], "start": "09:00", "end": "13:00"}}
                ],
            }
        )
    groups = []
    for g, town in enumerate(towns):
        groups.append(
            {
                "id": f"mamacafe-{town.lower()}",
                "topic": "mamacafé",
                "location": _place(rnd, town, 0.003),
                "sessions": [{"weekly": {"days": ["di"], "start": "10:00", "end": "11:30"}}],
                "min_participants": 3,
                "max_participants": 10,
                "facilitators_needed": 1,
                "facilitator_skills": ["gastvrouw"],
            }
        )
        if g < 3:
            groups.append(
                {
                    "id": f"centeringzorg-{town.lower()}",
                    "topic": "CenteringZorg",
                    "location": _place(rnd, town, 0.003),
                    "sessions": [{"weekly": {"days": ["do"], "start": "10:00", "end": "12:00"}}],
                    "min_participants": 6,
                    "max_participants": 12,
                    "facilitators_needed": 2,
                    "facilitator_skills": ["gastvrouw"],
                    "facilitator_credentials": ["verloskundige"] if g < 2 else [],
                    "priority": 2,
                }
            )
    people = []
    for i in range(70):
        pregnant = i % 3 == 0
        people.append(
            {
                "id": f"ouder-{i:02d}",
                "location": _place(rnd, rnd.choice(towns), 0.03),
                "topics": ["CenteringZorg", "mamacafé"] if pregnant else ["mamacafé"],
                "languages": ["nl"] if i % 6 else ["ar"],
                "max_distance_km": rnd.choice([4, 6, 10]),
                "travel_mode": rnd.choice(["walk", "bike", "transit"]),
            }
        )
    return {
        "volunteers": volunteers,
        "requests": [],
        "groups": groups,
        "participants": people,
        "options": OPTIONS,
    }


def mezzo() -> dict[str, Any]:
    rnd = random.Random(4)
    approaches = ["respijtzorg", "mantelzorgcafé", "jonge mantelzorgers", "werk en mantelzorg"]
    towns = list(TOWNS)
    coaches, groups, learners = [], [], []
    for c in range(8):
        approach = approaches[c % len(approaches)]
        coaches.append(
            {
                "id": f"org-coach-{c}",
                "location": _place(rnd, towns[c * 2 % len(towns)]),
                "skills": [f"coach {approach}"],
                "max_distance_km": 30,
                "max_tasks": 1,
            }
        )
    for t in range(10):
        approach = approaches[t % len(approaches)]
        groups.append(
            {
                "id": f"traject-{t}",
                "topic": approach,
                "location": _place(rnd, towns[t % len(towns)], 0.002),
                "sessions": [{"weekly": {"days": ["wo"], "start": "13:00", "end": "16:00"}}],
                "min_participants": 2,
                "max_participants": 4,
                "facilitators_needed": 1,
                "facilitator_skills": [f"coach {approach}"],
            }
        )
    for i in range(30):
        learners.append(
            {
                "id": f"org-{i:02d}",
                "location": _place(rnd, rnd.choice(towns)),
                "topics": rnd.sample(approaches, 2),
                "max_distance_km": 25,
            }
        )
    return {
        "volunteers": coaches,
        "requests": [],
        "groups": groups,
        "participants": learners,
        "options": OPTIONS,
    }


def mixed() -> dict[str, Any]:
    rnd = random.Random(5)
    towns = ["Heerlen", "Brunssum", "Landgraaf", "Kerkrade"]
    volunteers = [
        {
            "id": f"vol-{v}",
            "location": _place(rnd, towns[v % 4]),
            "skills": ["driving"] + (["ervaringsdeskundige"] if v < 4 else []),
            "max_distance_km": 15,
            "availability": [
                {"weekly": {"days": ["ma", "di", "wo"], "start": "08:00", "end": "22:00"}}
            ],
            "max_tasks": 3,
        }
        for v in range(6)
    ]
    rides = [
        {
            "id": f"rit-{r}",
            "location": _place(rnd, towns[r % 4]),
            "skills": ["driving"],
            "duration_minutes": 90,
            "window": {
                "start": f"2026-03-0{2 + r % 3}T18:30",
                "end": f"2026-03-0{2 + r % 3}T21:00",
            },
            "priority": 2 if r % 4 == 0 else 1,
        }
        for r in range(9)
    ]
    groups = [
        {
            "id": f"zrg-{topic}",
            "topic": topic,
            "location": _place(rnd, "Heerlen", 0.004),
            "sessions": [{"weekly": {"days": [day], "start": "19:30", "end": "21:00"}}],
            "min_participants": 4,
            "max_participants": 8,
            "facilitator_skills": ["ervaringsdeskundige"],
        }
        for topic, day in (("schulden", "ma"), ("rouw", "di"), ("diabetes", "wo"))
    ]
    people = [
        {
            "id": f"p-{i:02d}",
            "location": _place(rnd, rnd.choice(towns), 0.02),
            "topics": rnd.sample(["schulden", "rouw", "diabetes"], 2),
            "max_distance_km": 10,
        }
        for i in range(20)
    ]
    return {
        "volunteers": volunteers,
        "requests": rides,
        "groups": groups,
        "participants": people,
        "options": OPTIONS,
    }


def main() -> None:
    for name, data in (
        ("zelfregie_south_limburg", zelfregie()),
        ("kansrijke_start_parents", parents()),
        ("mezzo_coaching", mezzo()),
        ("mixed_week", mixed()),
    ):
        (HERE / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
