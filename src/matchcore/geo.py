"""Distances and travel times, vectorised with numpy.

Distance is the great-circle distance on a sphere of radius 6371.009 km (as
``geopy.distance.great_circle``). One-way travel minutes are
``distance * detour_factor / speed * 60`` rounded *up* to a whole minute:
plans are made in whole minutes, and rounding up never leaves a volunteer
less time than the formula asks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from matchcore.problem import EARTH_RADIUS_KM

# Rounding slack: a product that is a whole number up to float noise stays whole.
_MINUTE_EPS = 1e-9


def great_circle_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), np.float64)


def travel_minutes(
    distance_km: ArrayLike, speed_kmh: ArrayLike, detour_factor: float
) -> NDArray[np.int64]:
    """One-way travel minutes, rounded up to whole minutes (broadcasts)."""
    exact = np.asarray(distance_km) * detour_factor / np.asarray(speed_kmh) * 60.0
    return np.asarray(np.ceil(exact - _MINUTE_EPS), dtype=np.int64)


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Points as 3-d unit vectors, for k-d trees (chord distance is monotone in arc)."""
    p, lam = (
        np.radians(np.asarray(lat, dtype=np.float64)),
        np.radians(np.asarray(lon, dtype=np.float64)),
    )
    return np.column_stack((np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)))


def chord_for_km(distance_km: ArrayLike) -> NDArray[np.float64]:
    """Chord length on the unit sphere that matches an arc of ``distance_km``."""
    return 2.0 * np.sin(np.minimum(np.asarray(distance_km) / EARTH_RADIUS_KM, np.pi) / 2.0)


def chord_to_km(chord: ArrayLike) -> NDArray[np.float64]:
    """Arc length in km for a chord on the unit sphere (inverse of ``chord_for_km``)."""
    half = np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(half), dtype=np.float64)
