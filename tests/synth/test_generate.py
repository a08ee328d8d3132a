"""The synthetic network generator: deterministic, valid, realistic, honest pins."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
from collections import Counter
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle

from matchcore.problem import Problem, Request, TimeWindow, TravelMode, Volunteer
from matchcore.synth.generate import LANGUAGES, SKILLS, TASK_TYPES, generate
from matchcore.synth.towns import REGIONS, towns

ROOT = Path(__file__).resolve().parents[2]
ZONES = (ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/Brussels"))
DURATIONS = {tuple(sorted(t.skills)): (t.min_minutes, t.max_minutes) for t in TASK_TYPES}


def roundtrip(problem: Problem) -> dict[str, Any]:
    data = problem.to_dict()
    again = Problem.from_json(json.dumps(data))
    assert again.to_dict() == data
    return data


def moments(problem: Problem) -> list[datetime]:
    out: list[datetime] = []
    for v in problem.volunteers:
        for w in v.availability or ():
            out += [w.start, w.end]
    for r in problem.requests:
        if r.window is not None:
            out += [r.window.start, r.window.end]
    out += [p.start for p in problem.assignments if p.start is not None]
    return out


# -- determinism and sizes -----------------------------------------------------------------


def test_same_seed_same_problem() -> None:
    a = generate(40, 90, seed=11, pins=3)
    b = generate(40, 90, seed=11, pins=3)
    assert a.to_dict() == b.to_dict()


def test_different_seeds_differ() -> None:
    a, b = generate(40, 90, seed=1), generate(40, 90, seed=2)
    assert a.to_dict()["volunteers"] != b.to_dict()["volunteers"]
    assert a.to_dict()["requests"] != b.to_dict()["requests"]


@pytest.mark.parametrize("timed", [True, False])
@pytest.mark.parametrize(("n_vol", "n_req"), [(0, 0), (0, 4), (3, 0), (1, 1), (17, 53)])
def test_sizes_are_honoured(n_vol: int, n_req: int, timed: bool) -> None:
    problem = generate(n_vol, n_req, timed=timed, seed=3, pins=2)
    assert len(problem.volunteers) == n_vol
    assert len(problem.requests) == n_req
    assert len({v.id for v in problem.volunteers}) == n_vol
    assert len({r.id for r in problem.requests}) == n_req
    assert len(problem.assignments) <= 2
    roundtrip(problem)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"region": "flanders"},
        {"seed": -1},
        {"pins": -1},
        {"multi_volunteer_share": 1.5},
        {"multi_volunteer_share": -0.1},
        {"task_limit_share": 1.01},
        {"minute_limit_share": -0.5},
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        generate(5, 5, **kwargs)
    with pytest.raises(ValueError):
        generate(-1, 5)


# -- every region: valid, round-trips, points where the towns are ----------------------------


@pytest.mark.parametrize("timed", [True, False])
@pytest.mark.parametrize("region", REGIONS)
def test_every_region_is_valid_and_round_trips(region: str, timed: bool) -> None:
    problem = generate(80, 200, region=region, timed=timed, seed=5, pins=4)
    roundtrip(problem)
    table = towns(region)
    lats = [t.lat for t in table]
    lons = [t.lon for t in table]
    for item in (*problem.volunteers, *problem.requests):
        assert min(lats) - 0.25 <= item.location.lat <= max(lats) + 0.25
        assert min(lons) - 0.35 <= item.location.lon <= max(lons) + 0.35
    assert problem.options == Problem((), ()).options
    if timed:
        assert all(v.availability for v in problem.volunteers)
        assert all(r.window is not None for r in problem.requests)
    else:
        assert all(v.availability is None for v in problem.volunteers)
        assert all(r.window is None for r in problem.requests)
        assert all(p.start is None for p in problem.assignments)


def test_points_follow_population() -> None:
    problem = generate(3000, 3000, region="west-flanders", seed=8)
    table = towns("west-flanders")

    def nearest(lat: float, lon: float) -> str:
        return min(table, key=lambda t: (t.lat - lat) ** 2 + ((t.lon - lon) * 0.63) ** 2).name

    near = Counter(nearest(x.location.lat, x.location.lon) for x in problem.volunteers)
    # Brugge (119k) far outweighs Mesen (1k).
    assert near["Brugge"] > 10 * max(near["Mesen"], 1)
    assert near["Brugge"] > near["Ieper"] > near["Vleteren"]


# -- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week_start", "offsets"),
    [
        (date(2026, 1, 12), {timedelta(hours=1)}),  # winter
        (date(2026, 7, 6), {timedelta(hours=2)}),  # summer
        (date(2026, 3, 23), {timedelta(hours=1), timedelta(hours=2)}),  # clocks go forward Sun
        (date(2026, 10, 21), {timedelta(hours=1), timedelta(hours=2)}),  # a Wednesday; back Sun
    ],
)
def test_timed_moments_carry_the_local_offset(week_start: date, offsets: set[timedelta]) -> None:
    problem = generate(300, 600, region="zorgnetwerken", week_start=week_start, seed=4, pins=5)
    roundtrip(problem)
    start = datetime.combine(week_start, datetime.min.time(), tzinfo=ZONES[0])
    seen: set[timedelta] = set()
    for moment in moments(problem):
        offset = moment.utcoffset()
        assert offset is not None
        seen.add(offset)
        for zone in ZONES:
            assert offset == zone.utcoffset(moment.astimezone(zone))
        assert start <= moment <= start + timedelta(days=7)
    assert seen == offsets
    days = {r.window.start.date() for r in problem.requests if r.window is not None}
    assert all(d.weekday() < 6 for d in days)  # requests Monday to Saturday


def test_default_week_is_fixed() -> None:
    problem = generate(5, 10, seed=0)
    first = min(r.window.start for r in problem.requests if r.window is not None)
    assert first.date() >= date(2026, 3, 2)
    assert first.date() < date(2026, 3, 9)


def test_windows_fit_durations() -> None:
    problem = generate(200, 2000, region="national", seed=6)
    for r in problem.requests:
        assert r.window is not None
        assert r.window.minutes >= r.duration_minutes
        assert r.window.minutes <= 8 * 60
        assert r.latest_start_minute >= r.earliest_start_minute
        assert r.window.start.date() == r.window.end.date()
        lo, hi = DURATIONS[tuple(sorted(r.skills))]
        assert lo <= r.duration_minutes <= hi


def test_availability_blocks() -> None:
    problem = generate(500, 10, seed=9)
    for v in problem.volunteers:
        assert v.availability
        # 2-5 blocks of 2-5 hours; blocks that touch or overlap are merged.
        assert 1 <= len(v.availability) <= 5
        assert all(120 <= w.minutes <= 10 * 60 for w in v.availability)
        assert all(w.start.hour >= 7 and w.end.hour <= 22 for w in v.availability)


# -- the content -------------------------------------------------------------------------------


def test_realistic_mix() -> None:
    problem = generate(2000, 4000, region="zorgnetwerken", seed=12)
    vols, reqs = problem.volunteers, problem.requests
    modes = Counter(v.travel_mode for v in vols)
    assert modes[TravelMode.CAR] > modes[TravelMode.BIKE] > modes[TravelMode.WALK] > 0
    assert modes[TravelMode.TRANSIT] > 0
    ranges = {TravelMode.WALK: (2, 3), TravelMode.BIKE: (5, 8), TravelMode.CAR: (10, 20)}
    for v in vols:
        assert v.skills and v.skills <= set(SKILLS)
        assert v.languages and v.languages <= set(LANGUAGES)
        if "driving" in v.skills:
            assert v.travel_mode is TravelMode.CAR
        if v.travel_mode in ranges and v.max_distance_km is not None:
            lo, hi = ranges[v.travel_mode]
            assert lo <= v.max_distance_km <= hi
    assert sum("nl" in v.languages for v in vols) > 0.95 * len(vols)
    for code in ("fr", "en", "ar", "tr", "pl", "ber"):
        assert 0 < sum(code in v.languages for v in vols) < 0.5 * len(vols)
    assert 0.1 * len(vols) < sum(v.max_tasks is not None for v in vols) < 0.7 * len(vols)
    assert 0 < sum(v.max_minutes is not None for v in vols) < 0.5 * len(vols)
    assert 0 < sum(bool(v.excluded_clients) for v in vols) < 0.05 * len(vols)

    assert {tuple(sorted(r.skills)) for r in reqs} == set(DURATIONS)
    assert {r.priority for r in reqs} <= {1.0, 2.0, 3.0, 5.0}
    assert 0 < sum(bool(r.languages) for r in reqs) < 0.4 * len(reqs)
    assert 0.1 * len(reqs) < sum(bool(r.preferred_volunteers) for r in reqs) < 0.5 * len(reqs)
    assert 0 < sum(bool(r.excluded_volunteers) for r in reqs) < 0.05 * len(reqs)
    per_client = Counter(r.client_id for r in reqs)
    assert max(per_client.values()) >= 4
    assert len(per_client) < 0.8 * len(reqs)
    homes: dict[str, tuple[float, float]] = {}
    for r in reqs:
        home = homes.setdefault(r.client_id, (r.location.lat, r.location.lon))
        assert home == (r.location.lat, r.location.lon)


def test_preferred_volunteers_are_suitable_and_near() -> None:
    problem = generate(400, 1000, region="south-limburg", seed=13)
    for r in problem.requests:
        for vid in r.preferred_volunteers:
            v = problem.volunteers[problem.volunteer_index[vid]]
            assert r.skills <= v.skills
            assert not r.languages or r.languages & v.languages
            assert distance_km(v, r) <= problem.max_distance_km(v)
            assert vid not in r.excluded_volunteers


@pytest.mark.parametrize("share", [0.0, 0.05, 0.3, 1.0])
def test_multi_volunteer_share(share: float) -> None:
    problem = generate(50, 400, seed=14, multi_volunteer_share=share)
    pairs = sum(r.volunteers_needed == 2 for r in problem.requests)
    assert pairs == round(share * 400)
    assert all(r.volunteers_needed in (1, 2) for r in problem.requests)


# -- pins, checked by hand ---------------------------------------------------------------------


def distance_km(v: Volunteer, r: Request) -> float:
    a, b = (v.location.lat, v.location.lon), (r.location.lat, r.location.lon)
    return float(great_circle(a, b).km)


def check_pins(problem: Problem) -> None:
    """Every pin keeps every hard rule (exact travel minutes, geopy distances)."""
    travel = problem.options.travel
    load: dict[str, list[float]] = {}
    blocks: dict[str, list[tuple[float, float]]] = {}
    for pin in problem.assignments:
        r = problem.requests[problem.request_index[pin.request_id]]
        assert len(set(pin.volunteer_ids)) == len(pin.volunteer_ids) == r.volunteers_needed
        assert (pin.start is None) == (r.window is None)
        if pin.start is not None:
            assert r.window is not None
            assert pin.start.second == 0 and pin.start.microsecond == 0
            assert r.window.start <= pin.start
            assert pin.start + timedelta(minutes=r.duration_minutes) <= r.window.end
            assert pin.start.utcoffset() == r.window.start.utcoffset()
        for vid in pin.volunteer_ids:
            v = problem.volunteers[problem.volunteer_index[vid]]
            assert r.skills <= v.skills
            assert not r.languages or r.languages & v.languages
            assert vid not in r.excluded_volunteers
            assert r.client_id not in v.excluded_clients
            km = distance_km(v, r)
            assert km <= problem.max_distance_km(v)
            t = km * travel.detour_factor / travel.speeds_kmh[v.travel_mode] * 60.0
            load.setdefault(vid, []).append(r.duration_minutes + 2 * t)
            if pin.start is not None:
                begin = pin.start - timedelta(minutes=t)
                end = pin.start + timedelta(minutes=r.duration_minutes + t)
                windows = v.availability
                assert windows is None or any(w.start <= begin and end <= w.end for w in windows)
                blocks.setdefault(vid, []).append((begin.timestamp(), end.timestamp()))
    for vid, minutes in load.items():
        v = problem.volunteers[problem.volunteer_index[vid]]
        assert v.max_tasks is None or len(minutes) <= v.max_tasks
        assert v.max_minutes is None or sum(minutes) <= v.max_minutes + 1e-6
    for spans in blocks.values():
        spans.sort()
        for (_, end), (begin, _) in itertools.pairwise(spans):
            assert end <= begin + 1e-6  # touching is fine


@pytest.mark.parametrize(
    ("region", "timed", "seed"),
    [
        ("westhoek", True, 0),
        ("westhoek", True, 3),
        ("west-flanders", True, 1),
        ("south-limburg", False, 2),
        ("national", True, 4),
        ("zorgnetwerken", False, 5),
    ],
)
def test_pins_keep_every_hard_rule(region: str, timed: bool, seed: int) -> None:
    problem = generate(
        150, 300, region=region, timed=timed, seed=seed, pins=40, multi_volunteer_share=0.2
    )
    roundtrip(problem)
    assert 0 < len(problem.assignments) <= 40
    assert len({p.request_id for p in problem.assignments}) == len(problem.assignments)
    check_pins(problem)
    if region == "westhoek":
        assert any(len(p.volunteer_ids) == 2 for p in problem.assignments)
        # Dense enough that some volunteer keeps two pins on one day.
        per_volunteer = Counter(v for p in problem.assignments for v in p.volunteer_ids)
        assert max(per_volunteer.values()) >= 2


def test_pins_asked_for_are_found_when_easy() -> None:
    problem = generate(60, 120, region="westhoek", seed=2, pins=2)
    assert len(problem.assignments) == 2
    check_pins(problem)


def test_pins_on_a_dst_week() -> None:
    problem = generate(200, 400, week_start=date(2026, 3, 23), seed=7, pins=30)
    check_pins(problem)


# -- size, and the bundled files ----------------------------------------------------------------


@pytest.mark.timeout(120)
def test_medium_size_generates() -> None:
    problem = generate(5_000, 20_000, region="zorgnetwerken", seed=1, pins=20)
    assert len(problem.volunteers) == 5_000
    assert len(problem.requests) == 20_000
    assert len(problem.assignments) == 20
    check_pins(problem)


def _demo_script() -> Any:
    path = ROOT / "examples" / "make_demo_network.py"
    spec = importlib.util.spec_from_file_location("make_demo_network", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_demo_network_is_reproducible() -> None:
    bundled = resources.files("matchcore").joinpath("data/demo_network.json").read_text("utf-8")
    assert bundled == _demo_script().demo_text()
    problem = Problem.from_json(bundled)
    assert (len(problem.volunteers), len(problem.requests), len(problem.assignments)) == (
        60,
        120,
        2,
    )
    check_pins(problem)


def test_small_network_example_shows_every_feature() -> None:
    problem = Problem.from_json((ROOT / "examples" / "small_network.json").read_bytes())
    vols, reqs = problem.volunteers, problem.requests
    assert 5 <= len(vols) <= 8 and 6 <= len(reqs) <= 10
    assert any(v.availability is None for v in vols)
    assert any(v.max_tasks is not None for v in vols)
    assert any(v.max_minutes is not None for v in vols)
    assert any(v.excluded_clients for v in vols)
    assert {v.travel_mode for v in vols} == set(TravelMode)
    assert any(r.window is None for r in reqs) and any(r.window is not None for r in reqs)
    assert any(r.volunteers_needed == 2 for r in reqs)
    assert any(r.languages for r in reqs)
    assert any(r.preferred_volunteers for r in reqs)
    assert any(r.excluded_volunteers for r in reqs)
    assert len(Counter(r.client_id for r in reqs)) < len(reqs)  # shared clients
    assert problem.assignments
    check_pins(problem)
    # The clear case for the README: nobody offers respite care.
    offered = set().union(*(v.skills for v in vols))
    unservable = [r.id for r in reqs if not r.skills <= offered]
    assert unservable == ["req-oppas-mantelzorg"]


def test_window_objects_are_shared_not_copied() -> None:
    # Memory at scale: identical windows are one object.
    problem = generate(10, 3000, seed=15)
    windows = [r.window for r in problem.requests if r.window is not None]
    assert len({id(w) for w in windows}) == len(set(windows)) < len(windows)
    assert all(isinstance(w, TimeWindow) for w in windows)
    assert math.isfinite(sum(w.minutes for w in windows))


def test_limit_shares_set_who_has_a_limit_and_keep_everything_else() -> None:
    base = generate(200, 50, timed=False, seed=6)
    every = generate(200, 50, timed=False, seed=6, task_limit_share=1.0, minute_limit_share=0.0)
    assert all(v.max_tasks is not None and 1 <= v.max_tasks <= 5 for v in every.volunteers)
    assert all(v.max_minutes is None for v in every.volunteers)
    # A share only moves a threshold: whoever had a limit keeps the same one.
    for a, b in zip(base.volunteers, every.volunteers, strict=True):
        if a.max_tasks is not None:
            assert b.max_tasks == a.max_tasks
        assert (a.location, a.skills, a.languages) == (b.location, b.skills, b.languages)
    assert base.requests == every.requests
    defaults = generate(200, 50, timed=False, seed=6, task_limit_share=0.4, minute_limit_share=0.25)
    assert defaults.volunteers == base.volunteers
