"""Hypothesis strategies: small, realistic, random matching problems.

Problems are built directly from the data classes (no JSON), around a town
centre in South Limburg or West Flanders, on one day. Everything is drawn
from small pools so that examples shrink to readable ones: a few skills and
languages, durations in quarter hours, windows on a five-minute grid with a
little slack, a few availability blocks; a quarter of the requests are rides.

``tiny_problems()`` stays within reach of the brute-force oracle (at most 6
requests and 4 volunteers); ``small_problems()`` goes up to 15 requests and
10 volunteers, for properties that need no oracle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from oracle import pair_starts

from matchcore.check import check
from matchcore.problem import (
    Credential,
    Location,
    Options,
    PinnedAssignment,
    Problem,
    Request,
    Role,
    TimeWindow,
    TravelMode,
    TravelOptions,
    Volunteer,
    minute_to_datetime,
)

CENTRES = (
    (50.8514, 5.6910),  # Maastricht
    (50.8882, 5.9795),  # Heerlen
    (50.8280, 3.2650),  # Kortrijk
    (51.2093, 3.2247),  # Brugge
)
SKILLS = ("driving", "shopping", "cooking")
LANGUAGES = ("nl", "fr", "en")
PRIORITIES = (1.0, 2.0, 3.0, 1.5)
DURATIONS = (15, 30, 45, 60, 90)
CET = timezone(timedelta(hours=1))
ZONES = (CET, CET, UTC, timezone(timedelta(hours=2)))
DAY = datetime(2026, 3, 2, tzinfo=CET)  # a Monday, midnight in Brussels

Centre = tuple[float, float, float]  # latitude, longitude, spread (0..1 of the box)

# ~15 km around the centre: 0.135 degrees of latitude, 0.21 of longitude at 51 N.
_DLAT, _DLON = 0.135, 0.21

# Strategies are built once: making them per draw costs more than drawing.
_LAT = st.floats(-_DLAT, _DLAT, allow_nan=False)
_LON = st.floats(-_DLON, _DLON, allow_nan=False)
_CENTRE = st.sampled_from(CENTRES)
_SPREAD = st.sampled_from((0.4, 0.6, 1.0))  # a town, a small region, the whole box
_ZONE = st.sampled_from(ZONES)
_SECOND = st.sampled_from((0, 0, 0, 0, 30))
_AVAILABILITY_KIND = st.sampled_from(("windows",) * 4 + ("always",) * 3 + ("never",))
# Weekly availability blocks of a day: morning, afternoon, the whole day, or odd.
_BLOCK = st.sampled_from(((8 * 60, 270), (12 * 60 + 30, 330), (8 * 60, 600), (None, 0)))
_MODE = st.sampled_from((TravelMode.CAR, TravelMode.CAR, TravelMode.BIKE, *TravelMode))
_RANGE = st.sampled_from((None, None, 3.0, 5.0, 8.0, 15.0, 25.0))
_MAX_TASKS = st.sampled_from((None, None, None, None, 0, 1, 1, 2, 3))
_MAX_MINUTES = st.sampled_from((None, None, None, 60, 120, 180, 240))
_CLIENT = st.sampled_from(("", "", "c1", "c2"))
_DURATION = st.sampled_from(DURATIONS)
_TIMED = st.sampled_from((True, True, False))
_PRIORITY = st.sampled_from(PRIORITIES)
_REQUEST_SKILLS = st.sampled_from(
    ((), (), ("driving",), ("shopping",), ("cooking",), ("driving", "shopping"))
)
_REQUEST_LANGUAGES = st.sampled_from(((), (), ("nl",), ("fr",), ("nl", "fr"), ("en",)))
_DETOUR = st.sampled_from((1.3, 1.3, 1.0, 1.5))
_COIN = st.booleans()
# A quarter of the requests are rides (to a destination in the same town box).
_RIDE = st.sampled_from((False, False, False, True))
_DEFAULT_RANGE = st.sampled_from((10.0, 10.0, 6.0))
# Credentials: a certificate of conduct that lapses during the day (or holds),
# spelled as coordinators do; a first-aid course some have.
_CREDENTIAL_UNTIL = st.sampled_from((10 * 60, 13 * 60, 16 * 60, 3 * 24 * 60))
_CREDENTIAL_FROM = st.sampled_from((None, None, None, 9 * 60, 12 * 60))
_CREDENTIAL_NAME = st.sampled_from(("vog", "VOG", "first aid"))
_REQUEST_CREDENTIALS = st.sampled_from(((),) * 6 + (("vog",), ("vog",), ("Vog", "first aid")))


def _subset(draw: st.DrawFn, pool: Sequence[str], max_size: int) -> frozenset[str]:
    """A subset of ``pool`` of at most ``max_size``; shrinks to the empty set."""
    if not pool:
        return frozenset()
    mask = draw(st.integers(0, 2 ** len(pool) - 1))
    chosen = [x for i, x in enumerate(pool) if mask >> i & 1]
    return frozenset(chosen[:max_size])


def _location(draw: st.DrawFn, centre: Centre) -> Location:
    """A point in the box around ``centre[:2]``, shrunk by the spread ``centre[2]``."""
    return Location(centre[0] + centre[2] * draw(_LAT), centre[1] + centre[2] * draw(_LON))


def _moment(minute: int, second: int, zone: timezone) -> datetime:
    """``minute`` minutes and ``second`` seconds after midnight of DAY, in ``zone``."""
    return (DAY + timedelta(minutes=minute, seconds=second)).astimezone(zone)


def _availability(draw: st.DrawFn) -> tuple[TimeWindow, ...] | None:
    kind = draw(_AVAILABILITY_KIND)
    if kind == "always":
        return None
    if kind == "never":
        return ()
    windows = []
    for _ in range(draw(st.integers(1, 2))):
        start, length = draw(_BLOCK)
        if start is None:  # an odd block: 07:00 .. 18:00, 1 .. 8 hours
            start = 7 * 60 + 15 * draw(st.integers(0, 44))
            length = 15 * draw(st.integers(4, 32))
        else:  # a usual day part, give or take half an hour at either end
            start += 15 * draw(st.integers(-2, 2))
            length += 15 * draw(st.integers(-2, 2))
        zone = draw(_ZONE)
        windows.append(
            TimeWindow(_moment(start, draw(_SECOND), zone), _moment(start + length, 0, zone))
        )
    return tuple(windows)


def _window(draw: st.DrawFn, duration: int) -> TimeWindow:
    start = 8 * 60 + 5 * draw(st.integers(0, 120))  # 08:00 .. 18:00
    second = draw(_SECOND)
    slack = draw(st.integers(0, 60)) + (1 if second else 0)
    begin = _moment(start, second, draw(_ZONE))
    return TimeWindow(begin, begin + timedelta(minutes=duration + slack))


def _credentials(draw: st.DrawFn) -> tuple[Credential, ...]:
    out = []
    for _ in range(draw(st.sampled_from((0, 0, 1, 1, 2)))):
        until = draw(_CREDENTIAL_UNTIL)
        start = draw(_CREDENTIAL_FROM)
        out.append(
            Credential(
                draw(_CREDENTIAL_NAME),
                _moment(until, 0, CET),
                None if start is None or start >= until else _moment(start, 0, UTC),
            )
        )
    return tuple(out)


def _volunteer(draw: st.DrawFn, vid: str, centre: Centre, clients: Sequence[str]) -> Volunteer:
    return Volunteer(
        id=vid,
        location=_location(draw, centre),
        skills=_subset(draw, SKILLS, 3),
        languages=frozenset({"nl"}) ^ _subset(draw, LANGUAGES, 2),
        travel_mode=draw(_MODE),
        max_distance_km=draw(_RANGE),
        availability=_availability(draw),
        max_tasks=draw(_MAX_TASKS),
        max_minutes=draw(_MAX_MINUTES),
        excluded_clients=_subset(draw, clients, 1) if draw(st.integers(0, 3)) == 3 else frozenset(),
        credentials=_credentials(draw),
    )


def _request(
    draw: st.DrawFn,
    rid: str,
    centre: Centre,
    vids: Sequence[str],
    team_max: int,
) -> Request:
    duration = draw(_DURATION)
    preferred = _subset(draw, vids, 2) if draw(st.booleans()) else frozenset()
    others = [v for v in vids if v not in preferred]
    excluded = _subset(draw, others, 1) if draw(st.integers(0, 3)) == 3 else frozenset()
    team = 1
    if team_max > 1 and draw(st.integers(0, 3)) == 3:
        team = draw(st.integers(2, team_max))
    return Request(
        id=rid,
        location=_location(draw, centre),
        duration_minutes=duration,
        client_id=draw(_CLIENT),
        skills=frozenset(draw(_REQUEST_SKILLS)),
        languages=frozenset(draw(_REQUEST_LANGUAGES)),
        window=_window(draw, duration) if draw(_TIMED) else None,
        volunteers_needed=team,
        priority=draw(_PRIORITY),
        preferred_volunteers=preferred,
        excluded_volunteers=excluded,
        credentials=frozenset(draw(_REQUEST_CREDENTIALS)),
        destination=_location(draw, centre) if draw(_RIDE) else None,
    )


def _options(draw: st.DrawFn) -> Options:
    return Options(
        default_max_distance_km=draw(_DEFAULT_RANGE),
        travel=TravelOptions(detour_factor=draw(_DETOUR)),
    )


def _pick(draw: st.DrawFn, items: Sequence[Any]) -> Any:
    return items[draw(st.integers(0, len(items) - 1))]


def _pins(draw: st.DrawFn, problem: Problem, max_pins: int) -> tuple[PinnedAssignment, ...]:
    """Up to ``max_pins`` pins that hold together (kept only if ``check`` agrees)."""
    pins: list[PinnedAssignment] = []
    plan: list[dict[str, Any]] = []
    starts = {
        (r.id, v.id): pair_starts(problem, v, r)
        for r in problem.requests
        for v in problem.volunteers
    }
    servable = [
        r
        for r in problem.requests
        if sum(starts[r.id, v.id] is not None for v in problem.volunteers) >= r.volunteers_needed
    ]
    for _ in range(draw(st.integers(1, max_pins)) if servable else 0):
        req = _pick(draw, servable)
        if any(p.request_id == req.id for p in pins):
            continue
        ok = [v.id for v in problem.volunteers if starts[req.id, v.id] is not None]
        team: list[str] = []
        for _ in range(req.volunteers_needed):
            team.append(_pick(draw, [vid for vid in ok if vid not in team]))
        item: dict[str, Any] = {"request_id": req.id, "volunteer_ids": team}
        start = None
        if req.window is not None:
            common = set.intersection(*(set(starts[req.id, vid] or ()) for vid in team))
            if not common:
                continue
            minute = _pick(draw, sorted(common))
            witness = minute_to_datetime(minute, req.window.start)
            item["start"] = witness.isoformat()
            if draw(st.booleans()):
                start = witness
        pins.append(PinnedAssignment(req.id, tuple(team), start))
        plan.append(item)
    if not pins:
        return ()
    with_pins = Problem(problem.volunteers, problem.requests, tuple(pins), problem.options)
    if not check(with_pins, {"assignments": plan}).ok:
        return ()
    return tuple(pins)


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    max_requests: int = 6,
    max_volunteers: int = 4,
    team_max: int = 2,
    max_pins: int = 2,
) -> Problem:
    """Random problems of up to ``max_requests`` requests and ``max_volunteers`` volunteers.

    Every problem is valid. Pins (tried in half of the problems that have
    volunteers) hold together: the strategy checked them with a witness
    start, also when the pin itself leaves the start open.
    """
    lat, lon = draw(_CENTRE)
    centre = (lat, lon, draw(_SPREAD))
    n_v = draw(st.integers(0, max_volunteers))
    n_r = draw(st.integers(1, max_requests))
    vids = [f"v{i}" for i in range(n_v)]
    clients = ["c1", "c2", *(f"r{i}" for i in range(n_r))]
    volunteers = tuple(_volunteer(draw, vid, centre, clients) for vid in vids)
    requests = tuple(_request(draw, f"r{i}", centre, vids, team_max) for i in range(n_r))
    problem = Problem(volunteers, requests, (), _options(draw))
    if max_pins > 0 and len(volunteers) > 0 and draw(_COIN):
        pins = _pins(draw, problem, max_pins)
        if pins:
            problem = Problem(volunteers, requests, pins, problem.options)
    return problem


def tiny_problems() -> st.SearchStrategy[Problem]:
    """At most 6 requests and 4 volunteers: small enough for the brute-force oracle."""
    return problems(max_requests=6, max_volunteers=4)


def small_problems() -> st.SearchStrategy[Problem]:
    """Up to 15 requests and 10 volunteers, teams of up to 3: for oracle-free properties."""
    return problems(max_requests=15, max_volunteers=10, team_max=3, max_pins=3)


_ROLE_SKILLS = st.sampled_from(((), ("driving",), ("shopping",), ("cooking",), ("driving",)))
_ROLE_LANGUAGES = st.sampled_from(((),) * 5 + (("nl",), ("fr",), ("fr", "en")))


def _roles(draw: st.DrawFn, team_max: int) -> tuple[Role, ...]:
    """One to three roles of at most ``team_max`` members in all."""
    roles: list[Role] = []
    left = team_max
    while left > 0 and len(roles) < 3 and (not roles or draw(_COIN)):
        count = draw(st.integers(1, min(2, left)))
        roles.append(
            Role(
                skills=frozenset(draw(_ROLE_SKILLS)),
                languages=frozenset(draw(_ROLE_LANGUAGES)),
                count=count,
            )
        )
        left -= count
    return tuple(roles)


@st.composite
def role_problems(
    draw: st.DrawFn, *, max_requests: int = 4, max_volunteers: int = 6, team_max: int = 3
) -> Problem:
    """Problems (without pins) where some requests are teams of roles (whose own
    skills, languages and credentials are often dropped, so that teams get served)."""
    problem = draw(problems(max_requests=max_requests, max_volunteers=max_volunteers, max_pins=0))
    requests = []
    for req in problem.requests:
        if draw(_COIN):
            roles = _roles(draw, team_max)
            plain = {"skills": frozenset(), "languages": frozenset(), "credentials": frozenset()}
            own = {} if draw(st.integers(0, 3)) == 3 else plain
            req = replace(req, roles=roles, volunteers_needed=sum(r.count for r in roles), **own)
        requests.append(req)
    return replace(problem, requests=tuple(requests))
