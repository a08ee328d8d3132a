"""Referral: which professional services fit a request, ranked.

The rules (issue 11), for a request with ``themes``:

* a service **fits a theme** when one of its taxonomy terms' ``code`` or
  ``name``, or one of its native ``themes``, equals the theme
  (case-insensitive);
* a service **serves the request's place** when one of its service areas
  (HSDS) or native ``municipalities`` names the request's municipality
  (case-insensitive), or, failing that, when one of its locations lies
  within ``options.referral_max_km`` of the request;
* a service whose age range excludes the request's ``age`` does not fit.

Of the services that fit a theme and serve the place, the first five by this
order are referred: more of the request's themes first, then serving the
municipality by name before by distance, then speaking one of the request's
languages, then the shorter distance (no location last), then the shorter
wait, then the service id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matchcore import geo
from matchcore.problem import Request
from matchcore.refer.directory import Directory, Service, normal
from matchcore.solution import Referral

#: At most this many services are referred per request.
MAX_REFERRALS = 5


@dataclass(frozen=True)
class Fit:
    """How one service fits one request; ``None`` from :func:`fit` when it does not."""

    service: Service
    themes: tuple[str, ...]
    by_name: bool
    distance_km: float | None
    languages: tuple[str, ...]
    age: bool

    def rank_key(self) -> tuple[int, int, int, float, float, str]:
        """Smaller is better (see the module docstring)."""
        dist = np.inf if self.distance_km is None else self.distance_km
        wait = np.inf if self.service.wait_weeks is None else self.service.wait_weeks
        return (
            -len(self.themes),
            0 if self.by_name else 1,
            0 if self.languages else 1,
            float(dist),
            float(wait),
            self.service.id,
        )

    def why(self, municipality: str | None) -> str:
        parts = [f"theme {', '.join(self.themes)}"]
        if self.by_name and municipality:
            parts.append(f"serves {municipality}")
        elif self.distance_km is not None:
            parts.append(f"within {self.distance_km:.1f} km")
        if self.languages:
            parts.append(f"language {', '.join(self.languages)}")
        if self.age:
            parts.append("age fits")
        return "; ".join(parts)

    def referral(self, municipality: str | None) -> Referral:
        dist = None if self.distance_km is None else round(self.distance_km, 1)
        return Referral(
            self.service.id,
            self.service.name,
            self.service.organization,
            dist,
            self.why(municipality),
        )


def service_distance_km(service: Service, lat: float, lon: float) -> float | None:
    """Great-circle km from a point to the service's nearest location."""
    if not service.locations:
        return None
    lats = np.array([p.lat for p in service.locations])
    lons = np.array([p.lon for p in service.locations])
    return float(geo.great_circle_km(lat, lon, lats, lons).min())


def fit(service: Service, request: Request, max_km: float) -> Fit | None:
    """How ``service`` fits ``request``, or ``None`` when it does not."""
    wanted = {normal(t): t for t in sorted(request.themes)}
    themes = tuple(t for key, t in wanted.items() if key in service.theme_keys)
    if not themes:
        return None
    if request.age is not None and not _age_fits(service, request.age):
        return None
    distance = service_distance_km(service, request.location.lat, request.location.lon)
    by_name = (
        request.municipality is not None
        and normal(request.municipality) in service.municipality_keys
    )
    if not by_name and (distance is None or distance > max_km):
        return None
    langs = tuple(x for x in sorted(request.languages) if normal(x) in service.language_keys)
    age = request.age is not None and (service.min_age is not None or service.max_age is not None)
    return Fit(service, themes, by_name, distance, langs, age)


def _age_fits(service: Service, age: float) -> bool:
    lo, hi = service.min_age, service.max_age
    return (lo is None or age >= lo) and (hi is None or age <= hi)


def ranked_fits(directory: Directory, request: Request, max_km: float) -> list[Fit]:
    """Every service that fits ``request``, best first."""
    fits = [f for s in directory.services if (f := fit(s, request, max_km)) is not None]
    return sorted(fits, key=Fit.rank_key)


def referrals_for(
    directory: Directory, request: Request, max_km: float, limit: int = MAX_REFERRALS
) -> tuple[Referral, ...]:
    """The best ``limit`` services for ``request`` (empty when none fits)."""
    return tuple(f.referral(request.municipality) for f in ranked_fits(directory, request, max_km))[
        :limit
    ]


def services_for_place(directory: Directory, theme: str, municipality: str) -> Sequence[Service]:
    """Services fitting ``theme`` that name ``municipality`` as a service area."""
    t, m = normal(theme), normal(municipality)
    return [s for s in directory.services if t in s.theme_keys and m in s.municipality_keys]
