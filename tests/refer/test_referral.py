"""Referral ranking: properties against an independent reading of the issue's rules.

The oracle below decides fit with ``geopy`` distances and plain Python, from
the rules as the issue words them; the properties then hold the ranked list
to them: only fitting services, as many as fit up to five, best first, the
same whatever the directory's order.
"""

from __future__ import annotations

from typing import Any

from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

from matchcore.problem import Location, Request
from matchcore.refer.directory import read_directory
from matchcore.refer.referral import MAX_REFERRALS, Fit, ranked_fits, referrals_for

THEMES = ("schulden", "leefstijl", "psychische problemen", "huisvesting", "KS-SCHULDEN")
PLACES = ("Heerlen", "Kerkrade", "Maastricht", "Vaals")
CENTRE = (50.88, 5.98)


def spelled(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from((word, word.upper(), word.capitalize()))


@st.composite
def services(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 12))):
        svc: dict[str, Any] = {
            "id": f"s{i:02d}",
            "name": f"Service {i}",
            "themes": [draw(spelled(t)) for t in draw(st.sets(st.sampled_from(THEMES)))],
            "municipalities": [draw(spelled(m)) for m in draw(st.sets(st.sampled_from(PLACES)))],
        }
        if draw(st.booleans()):
            svc["location"] = {
                "lat": CENTRE[0] + draw(st.floats(-0.3, 0.3)),
                "lon": CENTRE[1] + draw(st.floats(-0.4, 0.4)),
            }
        if draw(st.booleans()):
            svc["languages"] = list(draw(st.sets(st.sampled_from(("nl", "ar", "de")), min_size=1)))
        if draw(st.booleans()):
            svc["min_age"] = draw(st.integers(0, 30))
            svc["max_age"] = svc["min_age"] + draw(st.integers(0, 70))
        if draw(st.booleans()):
            svc["wait_weeks"] = draw(st.integers(0, 8))
        out.append(svc)
    return out


@st.composite
def requests(draw: st.DrawFn) -> Request:
    return Request(
        id="r",
        location=Location(
            CENTRE[0] + draw(st.floats(-0.2, 0.2)), CENTRE[1] + draw(st.floats(-0.3, 0.3))
        ),
        duration_minutes=30,
        themes=frozenset(draw(st.sets(spelled_theme(), min_size=1, max_size=3))),
        municipality=draw(st.none() | st.sampled_from(PLACES)),
        languages=frozenset(draw(st.sets(st.sampled_from(("nl", "ar"))))),
        age=draw(st.none() | st.integers(0, 90)),
    )


def spelled_theme() -> st.SearchStrategy[str]:
    return st.sampled_from(THEMES).flatmap(spelled)


def oracle_fits(svc: dict[str, Any], req: Request, max_km: float) -> bool:
    """The issue's rules, read independently."""
    themes = {t.lower() for t in svc["themes"]}
    if not any(t.lower() in themes for t in req.themes):
        return False
    if req.age is not None and not (
        svc.get("min_age", 0) <= req.age <= svc.get("max_age", float("inf"))
    ):
        return False
    if req.municipality is not None and req.municipality.lower() in {
        m.lower() for m in svc["municipalities"]
    }:
        return True
    if "location" not in svc:
        return False
    here = (req.location.lat, req.location.lon)
    return bool(great_circle(here, (svc["location"]["lat"], svc["location"]["lon"])).km <= max_km)


MAX_KM = st.sampled_from((5.0, 15.0, 40.0))


@settings(max_examples=200, deadline=None)
@given(services(), requests(), MAX_KM)
def test_referrals_are_the_best_fitting_services(
    docs: list[dict[str, Any]], req: Request, max_km: float
) -> None:
    directory = read_directory(docs)
    refs = referrals_for(directory, req, max_km)
    fitting = {s["id"] for s in docs if oracle_fits(s, req, max_km)}
    assert len(refs) == min(MAX_REFERRALS, len(fitting))
    assert {r.service_id for r in refs} <= fitting
    ranked = ranked_fits(directory, req, max_km)
    keys = [f.rank_key() for f in ranked]
    assert keys == sorted(keys)
    assert [r.service_id for r in refs] == [f.service.id for f in ranked[:MAX_REFERRALS]]
    for ref, f in zip(refs, ranked, strict=False):
        assert f.themes and f.themes[0].lower() in {t.lower() for t in f.service.themes}
        assert ("serves " in ref.why) == (f.by_name and req.municipality is not None)
        if f.distance_km is not None:
            svc = next(s for s in docs if s["id"] == ref.service_id)
            here = (req.location.lat, req.location.lon)
            exact = great_circle(here, (svc["location"]["lat"], svc["location"]["lon"])).km
            assert ref.distance_km == round(exact, 1) or abs(ref.distance_km - exact) < 0.051


@settings(max_examples=100, deadline=None)
@given(services(), requests(), MAX_KM, st.randoms(use_true_random=False))
def test_the_directory_order_does_not_matter(
    docs: list[dict[str, Any]], req: Request, max_km: float, rnd: Any
) -> None:
    shuffled = list(docs)
    rnd.shuffle(shuffled)
    assert referrals_for(read_directory(docs), req, max_km) == referrals_for(
        read_directory(shuffled), req, max_km
    )


@settings(max_examples=100, deadline=None)
@given(services(), requests())
def test_a_longer_referral_distance_only_adds_services(
    docs: list[dict[str, Any]], req: Request
) -> None:
    directory = read_directory(docs)
    near = {f.service.id for f in ranked_fits(directory, req, 5.0)}
    far = {f.service.id for f in ranked_fits(directory, req, 40.0)}
    assert near <= far


def test_ranking_prefers_more_themes_then_name_then_language_then_distance() -> None:
    req = Request(
        "r",
        Location(50.888, 5.979),
        30,
        themes=frozenset({"schulden", "huisvesting"}),
        municipality="heerlen",
        languages=frozenset({"ar"}),
    )
    near = {"lat": 50.889, "lon": 5.98}
    directory = read_directory(
        [
            {"id": "a-near-one-theme", "name": "A", "themes": ["schulden"], "location": near},
            {"id": "b-two-themes-far", "name": "B", "themes": ["Schulden", "HUISVESTING"],
             "location": {"lat": 50.95, "lon": 5.98}},
            {"id": "c-by-name", "name": "C", "themes": ["schulden"], "municipalities": ["Heerlen"]},
            {"id": "d-by-name-arabic", "name": "D", "themes": ["schulden"],
             "municipalities": ["HEERLEN"], "languages": ["ar"]},
            {"id": "e-too-far", "name": "E", "themes": ["schulden"],
             "location": {"lat": 51.5, "lon": 5.98}},
            {"id": "f-other-theme", "name": "F", "themes": ["leefstijl"], "location": near},
        ]
    )  # fmt: skip
    refs = referrals_for(directory, req, 15.0)
    assert [r.service_id for r in refs] == [
        "b-two-themes-far",
        "d-by-name-arabic",
        "c-by-name",
        "a-near-one-theme",
    ]
    assert refs[1].why == "theme schulden; serves heerlen; language ar"
    assert refs[3].why.startswith("theme schulden; within 0.1 km")
    assert refs[1].distance_km is None


def test_age_outside_a_service_range_excludes_it() -> None:
    directory = read_directory(
        [{"id": "teen", "name": "T", "themes": ["leefstijl"], "municipalities": ["Stein"],
          "min_age": 12, "max_age": 18}]
    )  # fmt: skip
    base = dict(id="r", location=Location(50.97, 5.76), duration_minutes=30)
    young = Request(**base, themes=frozenset({"leefstijl"}), municipality="Stein", age=15)  # type: ignore[arg-type]
    old = Request(**base, themes=frozenset({"leefstijl"}), municipality="Stein", age=40)  # type: ignore[arg-type]
    assert [r.why for r in referrals_for(directory, young, 15)] == [
        "theme leefstijl; serves Stein; age fits"
    ]
    assert referrals_for(directory, old, 15) == ()
    assert isinstance(ranked_fits(directory, young, 15)[0], Fit)
