"""The zorgpad: per theme and municipality, which help exists.

Professional help comes from the directory: the services that fit the theme
and name the municipality as a service area. Informal help, when a network
problem is given, is its volunteers with a skill named as the theme
(case-insensitive) whose travel range reaches a request in that
municipality, and its groups on the theme (self-help groups, parents'
networks: a group's ``topic`` named as the theme) that lie within
``options.default_max_distance_km`` (a participant's default range) of a
request there; with no request there, those with the skill and the groups on
the topic anywhere in the network (``reach`` says which). The topics of the
problem's groups are themes of the zorgpad beside the directory's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from matchcore import geo
from matchcore.problem import Problem
from matchcore.refer.directory import Directory, Service, normal


@dataclass(frozen=True)
class ZorgpadRow:
    """The help for one theme in one municipality."""

    theme: str
    municipality: str
    services: tuple[Service, ...]
    volunteer_ids: tuple[str, ...] | None  # None without a network problem
    reach: str  # "municipality", "network" or "" (no problem)
    group_ids: tuple[str, ...] | None = None  # None without a network problem

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "theme": self.theme,
            "municipality": self.municipality,
            "services": [
                {
                    "service_id": s.id,
                    "name": s.name,
                    "organization": s.organization,
                    "contact": s.contact,
                    "wait_weeks": s.wait_weeks,
                }
                for s in self.services
            ],
        }
        if self.volunteer_ids is not None:
            out["informal"] = {
                "volunteer_ids": list(self.volunteer_ids),
                "group_ids": list(self.group_ids or ()),
                "reach": self.reach,
            }
        return out


def zorgpad(
    directory: Directory,
    *,
    municipality: str | None = None,
    theme: str | None = None,
    problem: Problem | None = None,
) -> tuple[ZorgpadRow, ...]:
    """Rows for every theme x municipality (or the ones asked for), sorted by name.

    Themes are those of the directory and the topics of the problem's groups;
    municipalities those its services name and those of the problem's requests.
    A theme or municipality asked for is listed even when nothing is known for
    it: that is a gap.
    """
    groups = problem.groups if problem is not None else ()
    themes = _labels(
        [t for s in directory.services for t in s.theme_names]
        + [g.as_written(g.topic) for g in groups]
    )
    places = _labels(
        [m for s in directory.services for m in s.municipalities]
        + [r.municipality for r in (problem.requests if problem else ()) if r.municipality]
    )
    if theme is not None:
        themes = {normal(theme): themes.get(normal(theme), theme)}
    if municipality is not None:
        places = {normal(municipality): places.get(normal(municipality), municipality)}
    rows = []
    for tkey, tname in sorted(themes.items()):
        for mkey, mname in sorted(places.items()):
            services = tuple(
                s
                for s in directory.services
                if tkey in s.theme_keys and mkey in s.municipality_keys
            )
            vids, gids, reach = _informal(problem, tkey, mkey)
            rows.append(ZorgpadRow(tname, mname, services, vids, reach, gids))
    return tuple(rows)


def _labels(values: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        out.setdefault(normal(v), v)
    return out


def _informal(
    problem: Problem | None, theme: str, place: str
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, str]:
    """Volunteers with the skill and groups on the topic, and whether in reach of ``place``."""
    if problem is None:
        return None, None, ""
    skilled = [v for v in problem.volunteers if theme in {normal(s) for s in v.skills}]
    on_topic = [g for g in problem.groups if normal(g.topic) == theme]
    there = [r for r in problem.requests if r.municipality and normal(r.municipality) == place]
    if not there:
        return tuple(v.id for v in skilled), tuple(g.id for g in on_topic), "network"
    lat = np.array([r.location.lat for r in there])
    lon = np.array([r.location.lon for r in there])

    def nearest_km(lat_: float, lon_: float) -> float:
        return float(geo.great_circle_km(lat_, lon_, lat, lon).min())

    reach = [
        v.id
        for v in skilled
        if nearest_km(v.location.lat, v.location.lon) <= problem.max_distance_km(v)
    ]
    limit = problem.options.default_max_distance_km
    groups = [g.id for g in on_topic if nearest_km(g.location.lat, g.location.lon) <= limit]
    return tuple(reach), tuple(groups), "municipality"


def format_zorgpad(rows: tuple[ZorgpadRow, ...]) -> str:
    """The zorgpad as text for a coordinator: one block per theme."""
    if not rows:
        return "The directory names no themes or municipalities."
    out: list[str] = []
    theme = None
    for row in rows:
        if row.theme != theme:
            theme = row.theme
            out += ["", f"Zorgpad {theme}"] if out else [f"Zorgpad {theme}"]
        names = ", ".join(
            s.name + (f" ({s.organization})" if s.organization else "") for s in row.services
        )
        line = f"  {row.municipality:<24} {names or '-- no service (a gap)'}"
        out.append(line)
        if row.volunteer_ids is not None:
            who = ", ".join(row.volunteer_ids) or "none"
            where = "in reach" if row.reach == "municipality" else "in the network"
            out.append(f"  {'':<24} volunteers {where}: {who}")
            if row.group_ids:
                out.append(f"  {'':<24} groups {where}: {', '.join(row.group_ids)}")
    return "\n".join(out)
