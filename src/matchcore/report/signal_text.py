"""The signals of a plan (issue 11) as lines a coordinator reads in a text summary.

Read from the JSON form of ``Solution.signals``, so a saved plan reads the
same as a fresh one; used by :mod:`matchcore.report` and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matchcore.solution import Solution

_SHOWN = 4  # groups and near misses listed in a summary: the largest first


def signal_lines(signals: Any) -> list[str]:
    """The signals of a plan as a coordinator reads them (empty without signals).

    ``signals`` is a :class:`~matchcore.solution.Solution` or the JSON form of its
    ``signals`` member, so a saved plan reads the same as a fresh one.
    """
    if isinstance(signals, Solution):
        signals = None if signals.signals is None else signals.signals.to_dict()
    if not isinstance(signals, Mapping):
        return []
    out: list[str] = []
    unmet = _records(signals, "unmet")
    if unmet:
        out += ["", "Signals: unmet needs (reason, needs, place, when: requests, priority)"]
        for g in unmet[:_SHOWN]:
            reason = str(g.get("reason", ""))
            needs = "+".join(map(str, g.get("skills") or [])) or (
                "" if reason == "referred" else "any help"
            )
            if reason == "referred":
                needs = (needs + " " if needs else "") + "(professional)"
            if g.get("languages"):
                needs += f" in {'/'.join(map(str, g['languages']))}"
            when = f"{g['weekday']} {g.get('part_of_day')}" if g.get("weekday") else "any time"
            out.append(
                f"  {reason:<15} {needs:<26} {_place_label(g.get('place')):<18} {when:<18}"
                f" {g.get('requests', 0):>3}  {g.get('priority', 0):g}"
            )
        if len(unmet) > _SHOWN:
            out.append(f"  ... and {len(unmet) - _SHOWN} more groups")
    recruits = _records(signals, "recruit")
    if recruits:
        out += ["", "Signals: recruit (verified by solving again)"]
        out += [f"  {r.get('summary', '')}" for r in recruits]
    misses = _records(signals, "near_misses")
    if misses:
        out += ["", "Signals: near misses (one change serves the request)"]
        out += [f"  {m.get('summary', '')}" for m in misses[:_SHOWN]]
        if len(misses) > _SHOWN:
            out.append(f"  ... and {len(misses) - _SHOWN} more")
    gaps = _records(signals, "zorgpad_gaps")
    if gaps:
        out += ["", "Signals: zorgpad gaps (theme, place: requests without a service)"]
        out += [
            f"  {g.get('theme')}, {_place_label(g.get('place'))}: {g.get('requests')}" for g in gaps
        ]
    proposals = _records(signals, "group_proposals")
    if proposals:
        out += ["", "Signals: proposed groups (topic, place: people asking, who could lead)"]
        out += [
            f"  {p.get('topic')}, {_place_label(p.get('place'))}: {p.get('count')}; "
            f"{len(p.get('facilitators') or [])} could lead"
            for p in proposals[:_SHOWN]
        ]
        if len(proposals) > _SHOWN:
            out.append(f"  ... and {len(proposals) - _SHOWN} more")
    if signals.get("complete") is False:
        out.append("  (advice cut short by the time limit)")
    return out


def _records(signals: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    items = signals.get(kind)
    return [r for r in items if isinstance(r, Mapping)] if isinstance(items, list) else []


def _place_label(place: Any) -> str:
    """A municipality's name, else its 5 km cell (as ``Place.label``)."""
    if not isinstance(place, Mapping):
        return ""
    if place.get("municipality") is not None:
        return str(place["municipality"])
    return f"cell {place.get('cell')}"
