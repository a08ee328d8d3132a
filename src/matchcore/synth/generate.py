"""Realistic synthetic care networks, deterministic by seed.

:func:`generate` draws volunteers and help requests in and around real towns
of South Limburg (NL), West Flanders (BE), both (the *zorgnetwerken* the
project started from), ~160 Dutch and Flemish cities and towns
(``"national"``), or the area one local network covers around Ieper
(``"westhoek"``). Both volunteers and clients follow population. The task
mix is that of a Flemish *zorgnetwerk*: rides to appointments, shopping,
visits, small chores, homework help, cooking, respite for family carers and
help with paperwork.

Everything is drawn with numpy in whole arrays, so 50,000 volunteers and
200,000 requests take seconds; the only per-item Python work is building the
validated :class:`~matchcore.problem.Problem` objects. The same arguments
always give the same problem.

Vocabulary of the generated problems
------------------------------------
Skills
    ``driving``, ``shopping``, ``visiting``, ``chores``, ``homework``,
    ``cooking``, ``respite_care``, ``paperwork``. Only volunteers who travel
    by car drive.
Languages
    ISO 639 codes: ``nl`` (Dutch), ``fr`` (French), ``en`` (English), ``ar``
    (Arabic), ``tr`` (Turkish), ``pl`` (Polish), ``ber`` (Tamazight).
Ids
    ``vol-00001``, ``req-00001``, ``cli-00001`` (zero-padded to the size).
Time
    Timed problems cover the seven days from ``week_start``; every moment
    carries the UTC offset of Europe/Amsterdam (NL towns) or Europe/Brussels
    (BE towns) at that moment (+01:00 in winter, +02:00 in summer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from matchcore.geo import chord_for_km, great_circle_km, travel_minutes, unit_vectors
from matchcore.problem import (
    Location,
    PinnedAssignment,
    Problem,
    Request,
    TimeWindow,
    TravelMode,
    Volunteer,
    ceil_minute,
    floor_minute,
)
from matchcore.synth.towns import Town, towns

DEFAULT_WEEK_START: Final = date(2026, 3, 2)
"""The Monday used when ``week_start`` is not given, so output depends on the arguments only."""

SKILLS: Final = (
    "driving",
    "shopping",
    "visiting",
    "chores",
    "homework",
    "cooking",
    "respite_care",
    "paperwork",
)
LANGUAGES: Final = ("nl", "fr", "en", "ar", "tr", "pl", "ber")
TIME_ZONES: Final[Mapping[str, str]] = {"NL": "Europe/Amsterdam", "BE": "Europe/Brussels"}

_KM_PER_DEG: Final = 111.32
_QUARTERS_PER_DAY: Final = 96
# Ranges are kept this far inside a volunteer's max_distance_km when pinning.
_RANGE_MARGIN_KM: Final = 1e-6


# -- the task mix ------------------------------------------------------------------------------

_MON_FRI: Final = frozenset(range(5))
_MON_SAT: Final = frozenset(range(6))


@dataclass(frozen=True, slots=True)
class TaskType:
    """A kind of help request and how it is drawn.

    Attributes
    ----------
    name
        Short name (``ride``, ``shopping``, ...); not part of the problem.
    skills
        Skills the volunteer needs.
    weight
        Relative frequency among requests.
    min_minutes, max_minutes
        Duration range, drawn in steps of 15 minutes.
    dayparts
        Local ``(from, to)`` minutes of the day the window lies in.
    days
        Weekdays (0 = Monday) the request may fall on.
    pair_weight
        Relative chance that the task needs two volunteers.
    priorities
        Chances of priority 1, 2 and 3.
    """

    name: str
    skills: tuple[str, ...]
    weight: float
    min_minutes: int
    max_minutes: int
    dayparts: tuple[tuple[int, int], ...]
    days: frozenset[int]
    pair_weight: float
    priorities: tuple[float, float, float]


def _hm(hours: int, minutes: int = 0) -> int:
    return hours * 60 + minutes


_ROUTINE: Final = (0.6, 0.3, 0.1)
TASK_TYPES: Final[tuple[TaskType, ...]] = (
    # A ride to a doctor, hospital or physiotherapist: the volunteer drives there and back.
    TaskType("ride", ("driving",), 0.27, 60, 180, ((_hm(8), _hm(17, 30)),), _MON_FRI, 0.3,
             (0.35, 0.4, 0.25)),
    TaskType("shopping", ("shopping",), 0.15, 45, 90, ((_hm(9), _hm(18)),), _MON_SAT, 0.2,
             _ROUTINE),
    # Shopping with the client along, by car.
    TaskType("shopping_ride", ("driving", "shopping"), 0.05, 60, 90, ((_hm(9), _hm(18)),),
             _MON_SAT, 0.2, _ROUTINE),
    TaskType("visit", ("visiting",), 0.18, 60, 120, ((_hm(10), _hm(17)), (_hm(14), _hm(20))),
             _MON_SAT, 0.3, (0.65, 0.3, 0.05)),
    # Small chores; moving furniture and the like takes two.
    TaskType("chore", ("chores",), 0.12, 30, 120, ((_hm(8, 30), _hm(17)),), _MON_SAT, 4.0,
             _ROUTINE),
    TaskType("homework", ("homework",), 0.07, 60, 90, ((_hm(15, 30), _hm(20)),), _MON_FRI, 0.0,
             (0.5, 0.4, 0.1)),
    TaskType("cooking", ("cooking",), 0.06, 90, 150, ((_hm(9, 30), _hm(13, 30)),
             (_hm(15, 30), _hm(19, 30))), _MON_SAT, 0.5, _ROUTINE),
    # Sitting in for a family carer (respijtzorg).
    TaskType("respite", ("respite_care",), 0.07, 120, 240, ((_hm(9), _hm(17)), (_hm(18), _hm(22))),
             _MON_SAT, 0.0, (0.4, 0.4, 0.2)),
    TaskType("paperwork", ("paperwork",), 0.03, 45, 90, ((_hm(9), _hm(17)),), _MON_FRI, 0.0,
             _ROUTINE),
)  # fmt: skip

# Volunteer skill rates (driving only for car travellers).
_SKILL_RATES: Final[Mapping[str, float]] = {
    "driving": 0.7,
    "shopping": 0.5,
    "visiting": 0.55,
    "chores": 0.35,
    "homework": 0.15,
    "cooking": 0.15,
    "respite_care": 0.15,
    "paperwork": 0.12,
}

# Travel modes and their ranges (km, drawn uniformly in steps of 0.5 km).
_MODES: Final = (TravelMode.CAR, TravelMode.BIKE, TravelMode.WALK, TravelMode.TRANSIT)
_MODE_SHARES: Final[Mapping[str, tuple[float, float, float, float]]] = {
    "NL": (0.50, 0.32, 0.10, 0.08),
    "BE": (0.65, 0.17, 0.10, 0.08),
}
_MODE_RANGE_KM: Final = ((10.0, 20.0), (5.0, 8.0), (2.0, 3.0), (8.0, 12.0))

# Volunteer availability: day parts (local minutes) and their weight on weekdays / weekends.
_SLOTS: Final = ((_hm(8), _hm(13)), (_hm(12, 30), _hm(18)), (_hm(17, 30), _hm(22)))
_SLOT_WEIGHTS: Final = ((1.0, 0.25), (1.0, 0.25), (0.5, 0.1))


# -- time ---------------------------------------------------------------------------------------


class _Clock:
    """Aware datetimes for quarter hours of the week, with fixed UTC offsets from zoneinfo."""

    def __init__(self, week_start: date) -> None:
        self.week_start = week_start
        self.zones = {c: ZoneInfo(z) for c, z in TIME_ZONES.items()}
        self._moments: dict[tuple[str, int], datetime] = {}
        self._windows: dict[tuple[datetime, datetime], TimeWindow] = {}

    def weekday(self, day: int) -> int:
        return (self.week_start + timedelta(days=day)).weekday()

    def moment(self, country: str, quarter: int) -> datetime:
        """Quarter ``quarter`` of the week (local time) as an aware datetime."""
        key = (country, quarter)
        found = self._moments.get(key)
        if found is None:
            day, q = divmod(quarter, _QUARTERS_PER_DAY)
            local = datetime.combine(
                self.week_start + timedelta(days=day),
                time(q // 4, 15 * (q % 4)),
                tzinfo=self.zones[country],
            )
            offset = local.utcoffset()
            assert offset is not None
            found = local.replace(tzinfo=timezone(offset))
            self._moments[key] = found
        return found

    def window(self, country: str, start: int, end: int) -> TimeWindow:
        """One shared window object per distinct pair of moments (saves memory at scale)."""
        key = (self.moment(country, start), self.moment(country, end))
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = TimeWindow(*key)
        return found

    def at_minute(self, country: str, minute: int) -> datetime:
        """A whole UTC minute since the epoch, in the local offset of ``country``."""
        utc = datetime.fromtimestamp(minute * 60, tz=UTC)
        offset = utc.astimezone(self.zones[country]).utcoffset()
        assert offset is not None
        return utc.astimezone(timezone(offset))


# -- drawing ------------------------------------------------------------------------------------

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class _Points:
    lat: FloatArray
    lon: FloatArray
    town: IntArray


def _draw_points(rng: np.random.Generator, table: Sequence[Town], n: int) -> _Points:
    """``n`` points, population-weighted over the towns, scattered around their centres."""
    pop = np.array([t.population for t in table], dtype=np.float64)
    town = rng.choice(len(table), size=n, p=pop / pop.sum()).astype(np.int64)
    lat0 = np.array([t.lat for t in table])[town]
    lon0 = np.array([t.lon for t in table])[town]
    # Spread grows with the town: ~1.6 km for a village, ~3 km at 100k, ~7 km for a metropolis.
    sigma = (1.0 + 0.65 * np.sqrt(pop / 10_000.0))[town]
    east, north = rng.standard_normal((2, n)) * sigma
    radius = np.hypot(east, north)
    cap = np.minimum(1.0, 3.0 * sigma / np.maximum(radius, 1e-9))
    east, north = east * cap, north * cap
    sea_deg = np.array([np.nan if t.sea is None else t.sea for t in table])[town]
    coastal = ~np.isnan(sea_deg)
    if coastal.any():
        bearing = np.radians(np.where(coastal, sea_deg, 0.0))
        ux, uy = np.sin(bearing), np.cos(bearing)  # unit vector towards the sea (east, north)
        seaward = np.where(coastal, east * ux + north * uy, 0.0)
        flip = seaward > 0
        east = np.where(flip, east - 2 * seaward * ux, east)
        north = np.where(flip, north - 2 * seaward * uy, north)
    lat = lat0 + north / _KM_PER_DEG
    lon = lon0 + east / (_KM_PER_DEG * np.cos(np.radians(lat0)))
    return _Points(np.round(lat, 5), np.round(lon, 5), town)


def _weighted_top(rng: np.random.Generator, weights: FloatArray, k: int) -> IntArray:
    """Indices of ``k`` distinct items drawn with probability ∝ ``weights`` (no replacement)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(rng.random(weights.shape[0])) / weights  # Efraimidis-Spirakis
    return np.sort(np.argpartition(-keys, k - 1)[:k]).astype(np.int64)


def _masks(values: Sequence[str]) -> dict[str, int]:
    return {v: 1 << i for i, v in enumerate(values)}


_SKILL_BIT: Final = _masks(SKILLS)
_LANG_BIT: Final = _masks(LANGUAGES)


class _Sets:
    """Shared frozensets for bit masks (few distinct ones, many users)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.cache: dict[int, frozenset[str]] = {}

    def __call__(self, mask: int) -> frozenset[str]:
        found = self.cache.get(mask)
        if found is None:
            found = frozenset(n for i, n in enumerate(self.names) if mask >> i & 1)
            self.cache[mask] = found
        return found


def _ids(prefix: str, n: int) -> list[str]:
    width = max(5, len(str(n)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, n + 1)]


@dataclass(frozen=True)
class _VolunteerArrays:
    points: _Points
    country: list[str]
    skills: IntArray
    languages: IntArray
    mode: IntArray
    max_km: FloatArray  # effective range (the default where the volunteer has none)
    own_range: BoolArray


def _draw_volunteers(
    rng: np.random.Generator, table: Sequence[Town], n: int, default_km: float
) -> _VolunteerArrays:
    pts = _draw_points(rng, table, n)
    country = [table[t].country for t in pts.town.tolist()]
    is_be = np.array([table[i].country == "BE" for i in range(len(table))])[pts.town]
    is_brussels = np.array([table[i].name == "Brussel" for i in range(len(table))])[pts.town]

    # Travel mode by country, range by mode.
    shares = np.array([_MODE_SHARES["NL"], _MODE_SHARES["BE"]])
    cum = np.cumsum(shares, axis=1)[is_be.astype(np.int64)]
    mode = (rng.random(n)[:, None] > cum[:, :-1]).sum(axis=1).astype(np.int64)
    lo = np.array([r[0] for r in _MODE_RANGE_KM])[mode]
    hi = np.array([r[1] for r in _MODE_RANGE_KM])[mode]
    steps = np.round((hi - lo) / 0.5).astype(np.int64)
    own_km = lo + 0.5 * rng.integers(0, steps + 1)
    # Some car and transit volunteers leave the range to the network's default.
    own_range = ~((mode == 0) | (mode == 3)) | (rng.random(n) >= 0.1)
    max_km = np.where(own_range, own_km, default_km)

    # Skills: at least one; driving only by car.
    skills = np.zeros(n, dtype=np.int64)
    draw = rng.random((n, len(SKILLS)))
    for j, name in enumerate(SKILLS):
        has = draw[:, j] < _SKILL_RATES[name]
        if name == "driving":
            has &= mode == 0
        skills |= np.where(has, _SKILL_BIT[name], 0)
    skills = np.where(skills == 0, _SKILL_BIT["visiting"], skills)

    # Languages: Dutch (nearly) always; French common in Flanders and Brussels.
    draw = rng.random((n, 5))
    dutch = draw[:, 0] < np.where(is_brussels, 0.55, 0.99)
    french = draw[:, 1] < np.where(is_brussels, 0.9, np.where(is_be, 0.35, 0.04))
    english = draw[:, 2] < 0.3
    moroccan = draw[:, 3] < 0.035
    other = draw[:, 4]
    arabic = (moroccan & (other < 0.8)) | ((~moroccan) & (other < 0.01))
    tamazight = moroccan & (other > 0.35)
    turkish = (~moroccan) & (other > 0.97)
    polish = (~moroccan) & (other > 0.955) & (other <= 0.97)
    languages = np.zeros(n, dtype=np.int64)
    for has, code in (
        (dutch, "nl"), (french, "fr"), (english, "en"), (arabic, "ar"),
        (tamazight, "ber"), (turkish, "tr"), (polish, "pl"),
    ):  # fmt: skip
        languages |= np.where(has, _LANG_BIT[code], 0)
    languages = np.where(languages == 0, _LANG_BIT["fr"], languages)
    return _VolunteerArrays(pts, country, skills, languages, mode, max_km, own_range)


@dataclass(frozen=True)
class _RequestArrays:
    points: _Points
    country: list[str]
    client: IntArray
    n_clients: int
    task: IntArray
    skills: IntArray
    languages: IntArray
    duration: IntArray
    needed: IntArray
    priority: FloatArray


# Clients' language needs: (mask, chance) per country; the rest list none.
_CLIENT_LANGUAGES: Final[Mapping[str, tuple[tuple[tuple[str, ...], float], ...]]] = {
    "NL": (
        (("nl",), 0.12), (("tr",), 0.025), (("ar", "ber"), 0.025), (("ar",), 0.01),
        (("en",), 0.01), (("pl",), 0.01), (("nl", "en"), 0.02),
    ),
    "BE": (
        (("nl",), 0.12), (("fr",), 0.04), (("fr", "nl"), 0.03), (("ar", "fr"), 0.02),
        (("tr",), 0.015), (("en",), 0.01), (("pl",), 0.005),
    ),
}  # fmt: skip


def _draw_requests(
    rng: np.random.Generator,
    table: Sequence[Town],
    n: int,
    multi_share: float,
) -> _RequestArrays:
    # Clients: most ask once this week, some several times (heavy tail).
    per_client = rng.geometric(0.6, size=max(8, int(n / 1.5) + 8)).astype(np.int64)
    while int(per_client.sum()) < n:
        per_client = np.concatenate([per_client, rng.geometric(0.6, size=per_client.size)])
    ends = np.cumsum(per_client)
    n_clients = int(np.searchsorted(ends, n) + 1) if n else 0
    client = np.repeat(np.arange(n_clients, dtype=np.int64), per_client[:n_clients])[:n]
    client = client[rng.permutation(n)]
    home = _draw_points(rng, table, n_clients)
    pts = _Points(home.lat[client], home.lon[client], home.town[client])
    is_be_town = np.array([t.country == "BE" for t in table])
    client_be = is_be_town[home.town]
    country = [table[t].country for t in pts.town.tolist()]

    # Language needs per client.
    client_lang = np.zeros(n_clients, dtype=np.int64)
    draw = rng.random(n_clients)
    for code, is_be in (("NL", False), ("BE", True)):
        edge = 0.0
        for langs, chance in _CLIENT_LANGUAGES[code]:
            hit = (client_be == is_be) & (draw >= edge) & (draw < edge + chance)
            client_lang |= np.where(hit, sum(_LANG_BIT[c] for c in langs), 0)
            edge += chance
    languages = client_lang[client]

    weights = np.array([t.weight for t in TASK_TYPES])
    task = rng.choice(len(TASK_TYPES), size=n, p=weights / weights.sum()).astype(np.int64)
    task_skills = np.array([sum(_SKILL_BIT[s] for s in t.skills) for t in TASK_TYPES])
    skills = task_skills[task]
    lo = np.array([t.min_minutes for t in TASK_TYPES])[task]
    hi = np.array([t.max_minutes for t in TASK_TYPES])[task]
    duration = (lo + 15 * rng.integers(0, (hi - lo) // 15 + 1)).astype(np.int64)

    needed = np.ones(n, dtype=np.int64)
    pair_w = np.array([t.pair_weight for t in TASK_TYPES])[task] + 0.02
    needed[_weighted_top(rng, pair_w, round(multi_share * n))] = 2

    prio_p = np.cumsum(np.array([t.priorities for t in TASK_TYPES]), axis=1)[task]
    priority = 1.0 + (rng.random(n)[:, None] > prio_p[:, :2]).sum(axis=1)
    priority = np.where(rng.random(n) < 0.02, 5.0, priority)  # urgent
    return _RequestArrays(
        pts, country, client, n_clients, task, skills, languages, duration, needed, priority
    )


def _draw_windows(
    rng: np.random.Generator, clock: _Clock, task: IntArray, duration: IntArray
) -> tuple[IntArray, IntArray]:
    """Start and end quarter hours of the week for each request's window."""
    n = task.size
    day = np.zeros(n, dtype=np.int64)
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    weekdays = [clock.weekday(d) for d in range(7)]
    for k, tt in enumerate(TASK_TYPES):
        idx = np.flatnonzero(task == k)
        if idx.size == 0:
            continue
        days = np.array([d for d in range(7) if weekdays[d] in tt.days])
        # Saturdays are rarer than weekdays.
        w = np.array([0.3 if weekdays[d] == 5 else 1.0 for d in days])
        day[idx] = days[rng.choice(days.size, size=idx.size, p=w / w.sum())]
        parts = np.array(tt.dayparts)
        part = rng.integers(0, len(parts), size=idx.size)
        lo[idx], hi[idx] = parts[part, 0], parts[part, 1]
        assert (parts[:, 1] - parts[:, 0] >= tt.max_minutes).all()
    # Width: 2-8 hours, at least the duration plus a little slack, at most the day part.
    width = 15 * rng.integers(8, 33, size=n)
    width = np.maximum(width, duration + 15 * rng.integers(0, 5, size=n))
    width = np.minimum(width, hi - lo)
    slack_q = (hi - lo - width) // 15
    start = lo + 15 * rng.integers(0, slack_q + 1)
    base = day * _QUARTERS_PER_DAY
    return base + start // 15, base + (start + width) // 15


def _draw_availability(
    rng: np.random.Generator, clock: _Clock, n: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Availability blocks as (volunteer, start quarter, end quarter) of the week."""
    weekend = np.array([clock.weekday(d) >= 5 for d in range(7)])
    slot_day = np.repeat(np.arange(7), len(_SLOTS))
    slot_part = np.tile(np.arange(len(_SLOTS)), 7)
    w = np.array(
        [_SLOT_WEIGHTS[p][int(weekend[d])] for d, p in zip(slot_day, slot_part, strict=True)]
    )
    count = rng.choice(np.array([2, 3, 4, 5]), size=n, p=[0.3, 0.35, 0.2, 0.15])
    top = 5
    keys = np.log(rng.random((n, w.size))) / w  # Efraimidis-Spirakis: distinct weighted slots
    chosen = np.argsort(-keys, axis=1)[:, :top]
    keep = np.arange(top)[None, :] < count[:, None]
    vol = np.repeat(np.arange(n, dtype=np.int64), top).reshape(n, top)[keep]
    slot = chosen[keep]
    lo = np.array([s[0] for s in _SLOTS])[slot_part[slot]]
    hi = np.array([s[1] for s in _SLOTS])[slot_part[slot]]
    length = np.minimum(30 * rng.integers(4, 11, size=slot.size), hi - lo)
    start = lo + 30 * rng.integers(0, (hi - lo - length) // 30 + 1)
    base = slot_day[slot] * _QUARTERS_PER_DAY
    return vol, base + start // 15, base + (start + length) // 15


# -- continuity and exclusions ----------------------------------------------------------------


def _pick(rng: np.random.Generator, ok: BoolArray) -> IntArray:
    """Per row, a column where ``ok`` holds, favouring the first ones; -1 where none does."""
    score = np.arange(ok.shape[1])[None, :] + 4.0 * rng.random(ok.shape)
    score = np.where(ok, score, np.inf)
    col = np.argmin(score, axis=1)
    return np.where(ok.any(axis=1), col, -1).astype(np.int64)


def _relations(
    rng: np.random.Generator, vols: _VolunteerArrays, reqs: _RequestArrays
) -> tuple[IntArray, IntArray, IntArray]:
    """Per request a preferred and an excluded volunteer, per volunteer an excluded client.

    -1 means none. The preferred volunteer is a nearby one who has the skills,
    speaks a language of the client and has the client within range: the
    client's usual volunteer where that one fits, sometimes another.
    """
    n_v, n_r, n_c = vols.skills.size, reqs.skills.size, reqs.n_clients
    none_r = np.full(n_r, -1, dtype=np.int64)
    none_v = np.full(n_v, -1, dtype=np.int64)
    if n_v == 0 or n_r == 0:
        return none_r, none_r.copy(), none_v
    k = min(16, n_v)
    vtree = cKDTree(unit_vectors(vols.points.lat, vols.points.lon))
    first = np.zeros(n_c, dtype=np.int64)
    first[reqs.client[::-1]] = np.arange(n_r - 1, -1, -1)  # one request per client
    c_lat, c_lon = reqs.points.lat[first], reqs.points.lon[first]
    _, near = vtree.query(unit_vectors(c_lat, c_lon), k=k)
    near = np.asarray(near, dtype=np.int64).reshape(n_c, k)
    dist = great_circle_km(c_lat[:, None], c_lon[:, None], vols.points.lat[near],
                           vols.points.lon[near])  # fmt: skip
    c_lang = reqs.languages[first]
    speaks = (c_lang[:, None] == 0) | ((vols.languages[near] & c_lang[:, None]) != 0)
    reach = dist <= vols.max_km[near] - _RANGE_MARGIN_KM
    rows = np.arange(n_c)

    # A few clients refuse a volunteer (some earlier trouble): a nearby one.
    refuses = rng.random(n_c) < 0.015
    col = rng.integers(0, k, size=n_c)
    client_excl = np.where(refuses, near[rows, col], -1)
    not_excl = near != client_excl[:, None]

    # The client's usual volunteer.
    has_usual = rng.random(n_c) < 0.4
    col = _pick(rng, reach & speaks & not_excl)
    usual = np.where(has_usual & (col >= 0), near[rows, np.maximum(col, 0)], -1)

    req_near = near[reqs.client]
    skilled = (vols.skills[req_near] & reqs.skills[:, None]) == reqs.skills[:, None]
    ok = skilled & (reach & speaks & not_excl)[reqs.client]
    usual_r = usual[reqs.client]
    usual_fits = (usual_r >= 0) & ok[np.arange(n_r), np.argmax(req_near == usual_r[:, None], 1)]
    preferred = np.where(usual_fits & (rng.random(n_r) < 0.9), usual_r, -1)
    col = _pick(rng, ok)
    other = (preferred < 0) & (col >= 0) & (rng.random(n_r) < np.where(usual_r >= 0, 0.3, 0.1))
    preferred = np.where(other, req_near[np.arange(n_r), np.maximum(col, 0)], preferred)
    excluded = client_excl[reqs.client]

    # A few volunteers will not go to one particular client nearby.
    vol_excl = none_v
    picky = np.flatnonzero(rng.random(n_v) < 0.02)
    if picky.size:
        kc = min(4, n_c)
        ctree = cKDTree(unit_vectors(c_lat, c_lon))
        _, cnear = ctree.query(unit_vectors(vols.points.lat[picky], vols.points.lon[picky]), k=kc)
        cnear = np.asarray(cnear, dtype=np.int64).reshape(picky.size, kc)
        vol_excl = none_v.copy()
        vol_excl[picky] = cnear[np.arange(picky.size), rng.integers(0, kc, size=picky.size)]
    return preferred.astype(np.int64), excluded.astype(np.int64), vol_excl


# -- pins ----------------------------------------------------------------------------------------

Interval = tuple[int, int]


def _subtract(spans: list[Interval], lo: int, hi: int) -> list[Interval]:
    """Remove the integers ``lo..hi`` from closed integer intervals."""
    out: list[Interval] = []
    for a, b in spans:
        if hi < a or lo > b:
            out.append((a, b))
            continue
        if a < lo:
            out.append((a, lo - 1))
        if hi < b:
            out.append((hi + 1, b))
    return out


@dataclass
class _Load:
    tasks: int = 0
    minutes: int = 0
    blocks: list[Interval] | None = None  # timed blocks [start - t, end + t], UTC minutes


def _choose_pins(
    rng: np.random.Generator,
    problem: Problem,
    vols: _VolunteerArrays,
    req_country: Sequence[str],
    clock: _Clock,
    count: int,
) -> tuple[PinnedAssignment, ...]:
    """Pin up to ``count`` requests to volunteers that satisfy every hard rule."""
    volunteers, requests = problem.volunteers, problem.requests
    if count <= 0 or not volunteers or not requests:
        return ()
    travel = problem.options.travel
    speed = np.array([travel.speeds_kmh[m] for m in _MODES])[vols.mode]
    tree = cKDTree(unit_vectors(vols.points.lat, vols.points.lon))
    reach_chord = float(chord_for_km(float(vols.max_km.max()))) * (1 + 1e-9)
    loads: dict[int, _Load] = {}
    pins: list[PinnedAssignment] = []
    order = rng.permutation(len(requests))[: max(20 * count, 100)]
    for r in order.tolist():
        if len(pins) >= count:
            break
        pin = _pin_one(r, problem, vols, speed, tree, reach_chord, loads, rng)
        if pin is None:
            continue
        vids, start, blocks, minutes = pin
        for v, block, m in zip(vids, blocks, minutes, strict=True):
            load = loads.setdefault(v, _Load(blocks=[]))
            load.tasks += 1
            load.minutes += m
            if block is not None:
                assert load.blocks is not None
                load.blocks.append(block)
        moment = None if start is None else clock.at_minute(req_country[r], start)
        pins.append(PinnedAssignment(requests[r].id, tuple(volunteers[v].id for v in vids), moment))
    return tuple(sorted(pins, key=lambda p: problem.request_index[p.request_id]))


def _pin_one(
    r: int,
    problem: Problem,
    vols: _VolunteerArrays,
    speed: FloatArray,
    tree: Any,
    reach_chord: float,
    loads: dict[int, _Load],
    rng: np.random.Generator,
) -> tuple[list[int], int | None, list[Interval | None], list[int]] | None:
    req = problem.requests[r]
    volunteers = problem.volunteers
    here = unit_vectors([req.location.lat], [req.location.lon])[0]
    near = np.asarray(tree.query_ball_point(here, reach_chord), dtype=np.int64)
    if near.size < req.volunteers_needed:
        return None
    dist = great_circle_km(req.location.lat, req.location.lon, vols.points.lat[near],
                           vols.points.lon[near])  # fmt: skip
    need = sum(_SKILL_BIT[s] for s in req.skills)
    want = sum(_LANG_BIT[s] for s in req.languages)
    ok = (dist <= vols.max_km[near] - _RANGE_MARGIN_KM) & ((vols.skills[near] & need) == need)
    if want:
        ok &= (vols.languages[near] & want) != 0
    cand, dist = near[ok], dist[ok]
    t_all = travel_minutes(dist, speed[cand], problem.options.travel.detour_factor)
    # Continuity first, then the nearest.
    pref = np.array([volunteers[v].id in req.preferred_volunteers for v in cand.tolist()], bool)
    order = np.lexsort((rng.random(cand.size), dist, ~pref))
    options: list[tuple[int, int, list[Interval]]] = []  # volunteer, travel, feasible starts
    for i in order.tolist():
        v, t = int(cand[i]), int(t_all[i])
        vol = volunteers[v]
        if vol.id in req.excluded_volunteers or req.client_id in vol.excluded_clients:
            continue
        load = loads.get(v, _Load())
        task_minutes = req.duration_minutes + 2 * t
        if vol.max_tasks is not None and load.tasks + 1 > vol.max_tasks:
            continue
        if vol.max_minutes is not None and load.minutes + task_minutes > vol.max_minutes:
            continue
        if req.window is None:
            options.append((v, t, []))
        else:
            spans = _starts(req, vol, t, load.blocks or [])
            if spans:
                options.append((v, t, spans))
        if req.window is None and len(options) >= req.volunteers_needed:
            break
        if len(options) >= 12:
            break
    chosen, start = _common_start(options, req.volunteers_needed, req.window is None)
    if not chosen:
        return None
    blocks: list[Interval | None] = []
    minutes: list[int] = []
    for _, t, _ in chosen:
        minutes.append(req.duration_minutes + 2 * t)
        if start is None:
            blocks.append(None)
        else:
            blocks.append((start - t, start + req.duration_minutes + t))
    return [v for v, _, _ in chosen], start, blocks, minutes


def _starts(req: Request, vol: Volunteer, t: int, busy: list[Interval]) -> list[Interval]:
    """Whole UTC minutes at which ``vol`` can start ``req``: window, availability, other pins."""
    first, last, d = req.earliest_start_minute, req.latest_start_minute, req.duration_minutes
    if vol.availability is None:
        spans = [(first, last)]
    else:
        spans = []
        for w in vol.availability:
            lo = max(first, ceil_minute(w.start) + t)
            hi = min(last, floor_minute(w.end) - d - t)
            if lo <= hi:
                spans.append((lo, hi))
    for b0, b1 in busy:
        # [s - t, s + d + t] must not overlap (b0, b1); touching is fine.
        spans = _subtract(spans, b0 - d - t + 1, b1 + t - 1)
    return spans


def _nice(lo: int, hi: int) -> int:
    """The first quarter hour in ``lo..hi``, else ``lo`` (offsets are whole hours)."""
    quarter = -(-lo // 15) * 15
    return quarter if quarter <= hi else lo


def _common_start(
    options: list[tuple[int, int, list[Interval]]], needed: int, untimed: bool
) -> tuple[list[tuple[int, int, list[Interval]]], int | None]:
    """The first ``needed`` options (in preference order) that share one start."""
    if len(options) < needed:
        return [], None
    if untimed:
        return options[:needed], None
    if needed == 1:
        lo, hi = options[0][2][0]
        return options[:1], _nice(lo, hi)
    points = sorted({p for _, _, spans in options for lo, hi in spans for p in (lo, _nice(lo, hi))})
    for s in points:
        fits = [o for o in options if any(lo <= s <= hi for lo, hi in o[2])]
        if len(fits) >= needed:
            return fits[:needed], s
    return [], None


# -- the public entry point ----------------------------------------------------------------------


def generate(
    volunteers: int,
    requests: int,
    *,
    region: str = "zorgnetwerken",
    timed: bool = True,
    seed: int = 0,
    week_start: date | None = None,
    multi_volunteer_share: float = 0.05,
    pins: int = 0,
    task_limit_share: float = 0.4,
    minute_limit_share: float = 0.25,
) -> Problem:
    """A realistic synthetic matching problem for one week of a care network.

    Parameters
    ----------
    volunteers
        Number of volunteers (0 or more).
    requests
        Number of help requests (0 or more).
    region
        Where to draw towns from, one of :data:`REGIONS`: ``"south-limburg"``,
        ``"west-flanders"``, ``"zorgnetwerken"`` (both), ``"national"``
        (~160 Dutch and Flemish cities and towns) or ``"westhoek"`` (one
        local network's area around Ieper).
    timed
        With weekly availability blocks for the volunteers and a time window
        for every request; without, neither (``availability`` omitted: the
        volunteer is available at any time).
    seed
        Random seed (0 or more); the same arguments give the same problem.
    week_start
        First day of the week the windows fall in; defaults to
        :data:`DEFAULT_WEEK_START` (Monday 2 March 2026). Weekdays are real
        weekdays of these seven days.
    multi_volunteer_share
        Share of requests that need two volunteers (mostly chores such as
        moving furniture), between 0 and 1.
    pins
        Number of requests to pin to volunteers who satisfy every hard rule
        (skills, language, exclusions, range, availability with travel, no
        overlap between one volunteer's pins, ``max_tasks``,
        ``max_minutes``). Fewer are pinned when no such volunteers are found.
    task_limit_share
        Share of volunteers with a weekly task limit (``max_tasks`` 1 to 5),
        between 0 and 1. At 1 every volunteer has one, so supply runs out
        where requests are dense (the benchmarks' scarce national batch).
    minute_limit_share
        Share of volunteers with a weekly minute budget (``max_minutes`` 2 to
        12 hours), between 0 and 1.

    Returns
    -------
    Problem
        A validated problem with default options.

    Raises
    ------
    ValueError
        For a negative size or pin count, an unknown region, a negative seed
        or a share outside 0..1.

    Examples
    --------
    >>> problem = generate(60, 120, region="west-flanders", seed=7, pins=2)
    >>> len(problem.volunteers), len(problem.requests), len(problem.assignments)
    (60, 120, 2)
    """
    if volunteers < 0 or requests < 0:
        raise ValueError("volunteers and requests must be 0 or more")
    if pins < 0:
        raise ValueError("pins must be 0 or more")
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    if not 0.0 <= multi_volunteer_share <= 1.0:
        raise ValueError("multi_volunteer_share must be between 0 and 1")
    if not (0.0 <= task_limit_share <= 1.0 and 0.0 <= minute_limit_share <= 1.0):
        raise ValueError("task_limit_share and minute_limit_share must be between 0 and 1")
    table = towns(region)
    week = DEFAULT_WEEK_START if week_start is None else week_start
    clock = _Clock(date(week.year, week.month, week.day))
    rng = np.random.default_rng(seed)
    problem = Problem((), ())
    default_km = problem.options.default_max_distance_km

    vols = _draw_volunteers(rng, table, volunteers, default_km)
    reqs = _draw_requests(rng, table, requests, multi_volunteer_share)
    preferred, excluded, vol_excl = _relations(rng, vols, reqs)
    # Per-volunteer limits for some (the same draws whatever the shares: a share
    # only moves the threshold, so other arguments keep their problems).
    max_tasks = np.where(
        rng.random(volunteers) < task_limit_share, rng.integers(1, 6, size=volunteers), -1
    )
    max_minutes = np.where(
        rng.random(volunteers) < minute_limit_share, 60 * rng.integers(2, 13, size=volunteers), -1
    )

    vol_ids = _ids("vol", volunteers)
    req_ids = _ids("req", requests)
    client_ids = _ids("cli", reqs.n_clients)
    skill_set, lang_set = _Sets(SKILLS), _Sets(LANGUAGES)
    empty: frozenset[str] = frozenset()

    avail: list[list[TimeWindow]] | None = None
    if timed:
        a_vol, a_start, a_end = _draw_availability(rng, clock, volunteers)
        avail = [[] for _ in range(volunteers)]
        for v, s, e in zip(a_vol.tolist(), a_start.tolist(), a_end.tolist(), strict=True):
            avail[v].append(clock.window(vols.country[v], s, e))
        w_start, w_end = _draw_windows(rng, clock, reqs.task, reqs.duration)

    vol_objs: list[Volunteer] = []
    for i, (lat, lon, sk, la, mode, km, own, mt, mm, xc) in enumerate(
        zip(
            vols.points.lat.tolist(), vols.points.lon.tolist(), vols.skills.tolist(),
            vols.languages.tolist(), vols.mode.tolist(), vols.max_km.tolist(),
            vols.own_range.tolist(), max_tasks.tolist(), max_minutes.tolist(),
            vol_excl.tolist(), strict=True,
        )
    ):  # fmt: skip
        vol_objs.append(
            Volunteer(
                id=vol_ids[i],
                location=Location(lat, lon),
                skills=skill_set(sk),
                languages=lang_set(la),
                travel_mode=_MODES[mode],
                max_distance_km=km if own else None,
                availability=None if avail is None else tuple(avail[i]),
                max_tasks=mt if mt >= 0 else None,
                max_minutes=mm if mm >= 0 else None,
                excluded_clients=frozenset((client_ids[xc],)) if xc >= 0 else empty,
            )
        )

    one: dict[int, frozenset[str]] = {}

    def single(v: int) -> frozenset[str]:
        if v < 0:
            return empty
        found = one.get(v)
        if found is None:
            found = one[v] = frozenset((vol_ids[v],))
        return found

    windows: list[TimeWindow | None]
    if timed:
        windows = [
            clock.window(c, s, e)
            for c, s, e in zip(reqs.country, w_start.tolist(), w_end.tolist(), strict=True)
        ]
    else:
        windows = [None] * requests
    req_objs: list[Request] = []
    for i, (lat, lon, cl, sk, la, du, ne, pr, pv, xv) in enumerate(
        zip(
            reqs.points.lat.tolist(), reqs.points.lon.tolist(), reqs.client.tolist(),
            reqs.skills.tolist(), reqs.languages.tolist(), reqs.duration.tolist(),
            reqs.needed.tolist(), reqs.priority.tolist(), preferred.tolist(), excluded.tolist(),
            strict=True,
        )
    ):  # fmt: skip
        req_objs.append(
            Request(
                id=req_ids[i],
                location=Location(lat, lon),
                duration_minutes=du,
                client_id=client_ids[cl],
                skills=skill_set(sk),
                languages=lang_set(la),
                window=windows[i],
                volunteers_needed=ne,
                priority=pr,
                preferred_volunteers=single(pv),
                excluded_volunteers=single(xv),
            )
        )
    problem = Problem(tuple(vol_objs), tuple(req_objs))
    if pins > 0:
        pinned = _choose_pins(rng, problem, vols, reqs.country, clock, pins)
        problem = Problem(problem.volunteers, problem.requests, pinned, problem.options)
    return problem


__all__ = [
    "DEFAULT_WEEK_START",
    "LANGUAGES",
    "SKILLS",
    "TASK_TYPES",
    "TIME_ZONES",
    "TaskType",
    "generate",
]
