"""Where results are explained: reasons for unserved requests, notes on plans.

The reason of an unserved request is read off its funnel: the first stage at
which fewer volunteers remain than the request needs. When every stage
leaves enough, the request could have been served on its own, so the reason
is ``capacity``: the optimal plan needs those volunteers elsewhere. Unless
pinned commitments alone leave it no room: that is ``not_available``, since
an existing commitment makes a volunteer unavailable at that time. The texts
hold counts and distances only, never names, places or needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from matchcore import geo
from matchcore.errors import ProblemError
from matchcore.problem import Problem, Request, Volunteer
from matchcore.solution import AssignedVolunteer, Funnel, GroupReason, Reason

if TYPE_CHECKING:
    from matchcore.tasks.candidates import Candidates

_STAGES = (
    Reason.NO_SKILL_MATCH,
    Reason.NO_VALID_CREDENTIAL,
    Reason.EXCLUDED,
    Reason.OUT_OF_RANGE,
    Reason.NOT_AVAILABLE,
)

# The one place where a reason is put in words, for the CLI, the reports and the
# service: a short gloss per language. New reasons add a row here.
REASON_GLOSS: dict[Reason | GroupReason, dict[str, str]] = {
    Reason.NO_SKILL_MATCH: {
        "en": "nobody has the skills or a shared language",
        "nl": "niemand heeft de vaardigheden of een gedeelde taal",
    },
    Reason.NO_VALID_CREDENTIAL: {
        "en": "nobody with the skills has every required credential, valid at that time",
        "nl": "niemand met de vaardigheden heeft elk vereist attest, geldig op dat moment",
    },
    Reason.EXCLUDED: {
        "en": "only excluded volunteers qualify",
        "nl": "alleen uitgesloten vrijwilligers komen in aanmerking",
    },
    Reason.OUT_OF_RANGE: {
        "en": "no suitable volunteer lives close enough",
        "nl": "geen geschikte vrijwilliger woont dichtbij genoeg",
    },
    Reason.NOT_AVAILABLE: {
        "en": "no suitable volunteer is free at a fitting time",
        "nl": "geen geschikte vrijwilliger is vrij op een passend moment",
    },
    Reason.CAPACITY: {
        "en": "the volunteers who could go are needed elsewhere",
        "nl": "de vrijwilligers die kunnen gaan, zijn elders nodig",
    },
    Reason.REFERRED: {
        "en": "for professionals alone: referred to a service",
        "nl": "alleen voor professionals: doorverwezen naar een dienst",
    },
    # Groups (matchcore.groups). out_of_range, not_available and capacity are
    # spelled as for requests and share their rows above.
    GroupReason.NO_GROUP_ON_TOPIC: {
        "en": "no group on their topic in a language they share",
        "nl": "geen groep over hun onderwerp in een taal die ze delen",
    },
    GroupReason.GROUP_NOT_OPENED: {
        "en": "the groups that fit them did not open",
        "nl": "de groepen die bij hen passen, gingen niet van start",
    },
    GroupReason.TOO_FEW_PARTICIPANTS: {
        "en": "too few participants could come",
        "nl": "te weinig deelnemers konden komen",
    },
    GroupReason.NO_FACILITATORS: {
        "en": "too few trained facilitators are free",
        "nl": "te weinig getrainde gespreksleiders zijn vrij",
    },
}


def reason_gloss(reason: Reason | GroupReason, lang: str = "en") -> str:
    """The short gloss of ``reason`` in ``lang`` (``en`` or ``nl``)."""
    return REASON_GLOSS[reason][lang]


def funnel_of(cand: Candidates, r: int) -> Funnel:
    return Funnel(*(int(c) for c in cand.funnel[r]))


def reason_for(funnel: Funnel, need: int) -> Reason:
    """The first funnel stage that leaves fewer than ``need`` volunteers."""
    credentials = funnel.skills if funnel.credentials is None else funnel.credentials
    counts = (funnel.skills, credentials, funnel.not_excluded, funnel.in_range, funnel.available)
    for reason, count in zip(_STAGES, counts, strict=True):
        if count < need:
            return reason
    return Reason.CAPACITY


def reason_detail(
    funnel: Funnel,
    need: int,
    reason: Reason,
    limits: tuple[int, int] = (0, 0),
    holders: int = 0,
) -> str:
    """One human sentence for a coordinator, from counts only.

    ``limits`` counts, of the volunteers in range, those with no task to
    give (``max_tasks`` 0) and those, of the others, whose ``max_minutes``
    cannot hold the task with travel (``Candidates.limits``): the
    ``not_available`` sentence names them apart from the time window.
    ``holders`` counts the volunteers with the skills who hold every required
    credential whatever its dates (``Candidates.cred_holders``).
    """
    team = "" if need == 1 else f" (the request needs {need} together)"
    match reason:
        case Reason.NO_SKILL_MATCH:
            return (
                f"{funnel.skills} of {funnel.volunteers} volunteers "
                f"{_has(funnel.skills)} every required skill and a shared language{team}."
            )
        case Reason.NO_VALID_CREDENTIAL:
            valid = funnel.skills if funnel.credentials is None else funnel.credentials
            return (
                f"{_count(funnel.skills, 'volunteer')} {_has(funnel.skills)} the skills; "
                f"{holders} {_has(holders)} every required credential, of whom "
                f"{holders - valid} not valid over the whole task (expired or not yet "
                f"valid), leaving {valid}{team}."
            )
        case Reason.EXCLUDED:
            return (
                f"{_count(funnel.skills, 'volunteer')} {_has(funnel.skills)} the skills, "
                f"but exclusions leave {funnel.not_excluded}{team}."
            )
        case Reason.OUT_OF_RANGE:
            return (
                f"{_count(funnel.not_excluded, 'suitable volunteer')}, but "
                f"{funnel.in_range} {_lives(funnel.in_range)} within their travel range{team}."
            )
        case Reason.NOT_AVAILABLE:
            no_tasks, no_minutes = limits
            if not no_tasks and not no_minutes:
                return (
                    f"{_count(funnel.in_range, 'suitable volunteer')} in range, but "
                    f"{funnel.available} can fit it in the window, travel included{team}."
                )
            causes = []
            if no_tasks:
                causes.append(f"{no_tasks} {_has(no_tasks)} no task to give (max_tasks 0)")
            if no_minutes:
                causes.append(
                    f"{no_minutes} {_has(no_minutes)} too few minutes left for it, "
                    "travel included (max_minutes)"
                )
            rest = funnel.in_range - no_tasks - no_minutes
            if rest:
                causes.append(f"of the other {rest}, {funnel.available} can fit it in the window")
            return (
                f"{_count(funnel.in_range, 'suitable volunteer')} in range, but "
                f"{'; '.join(causes)}{team}."
            )
        case Reason.CAPACITY:
            return (
                f"{_count(funnel.available, 'volunteer')} could do it, but the best plan "
                f"needs them for other requests{team}."
            )
        case Reason.REFERRED:
            return "Marked refer_only: for professionals alone, never given to a volunteer."


# Columns of a role's row in ``Candidates.role_table`` per stage of _STAGES
# (matchcore.tasks.roles): skills, credentials, not_excluded, in_range, available.
_ROLE_COLUMNS = (1, 5, 2, 3, 4)


@dataclass(frozen=True)
class RoleReason:
    """The reason of an unserved request with roles, read off one role.

    ``role`` is the index of the role that runs short first, ``need`` its
    count and ``funnel`` its funnel; ``prefix`` names the role in the detail.
    """

    reason: Reason
    role: int
    need: int
    funnel: Funnel
    detail: str
    prefix: str


def role_reason(
    table: NDArray[np.int64], slots: NDArray[np.int64], counts: Sequence[int]
) -> RoleReason:
    """The reason of a request with roles (``Candidates.role_table`` rows of its
    roles, ``Candidates.role_slots`` of the request, the roles' counts).

    The stage is the first at which the roles cannot all be filled by
    different volunteers (``slots`` below the team's size); the role named is
    the one with the fewest volunteers left for its count there (the first
    such role on a tie). Without such a stage the reason is ``capacity``, and
    the role is the shortest at the last stage.
    """
    need = sum(counts)
    ratio = table[:, list(_ROLE_COLUMNS)] / np.asarray(counts, dtype=np.float64)[:, None]
    reason, stage = Reason.CAPACITY, len(_STAGES) - 1
    for i, (candidate, column) in enumerate(zip(_STAGES, _ROLE_COLUMNS, strict=True)):
        if slots[column] < need:
            reason, stage = candidate, i
            break
    k = int(np.argmin(ratio[:, stage]))
    row = [int(c) for c in table[k]]
    funnel = Funnel(row[0], row[1], row[2], row[3], row[4], row[5])
    count = int(counts[k])
    prefix = (
        f"Role {k} of {len(counts)} ({count} of the {need} members, the role that runs "
        "short first): "
    )
    detail = prefix + reason_detail(funnel, count, reason, (row[7], row[8]), row[6])
    filled = int(slots[_ROLE_COLUMNS[stage]])
    if reason is not Reason.CAPACITY and row[_ROLE_COLUMNS[stage]] >= count:
        detail += (
            f" Each role has enough volunteers on its own, but together different volunteers "
            f"can fill only {filled} of the {need} places."
        )
    return RoleReason(reason, k, count, funnel, detail, prefix)


def pins_detail(funnel: Funnel, need: int) -> str:
    """The detail when pinned commitments take every time the request could fit."""
    team = "" if need == 1 else f" (the request needs {need} together)"
    return (
        f"{_count(funnel.available, 'volunteer')} could fit it, but commitments already "
        f"pinned take the times it could be done{team}."
    )


def pins_unchecked_detail(funnel: Funnel, need: int) -> str:
    """The ``capacity`` detail when pins might also take the request's times but
    the time limit came before that was settled."""
    return (
        reason_detail(funnel, need, Reason.CAPACITY)[:-1]
        + "; commitments already pinned may also take its times (not settled within "
        "the time limit)."
    )


def assignment_note(request: Request, team: tuple[AssignedVolunteer, ...], pinned: bool) -> str:
    """A short line on why this plan is sensible, for the coordinator."""
    parts = []
    if pinned:
        parts.append("kept as pinned")
    preferred = sum(v.preferred for v in team)
    if preferred:
        parts.append("preferred volunteer" if len(team) == 1 else f"{preferred} preferred")
    if request.destination is not None:
        travel = ", ".join(
            f"{v.legs[0].km:.1f} km to the client and {v.legs[1].km:.1f} km on "
            f"({v.travel_minutes} min)"
            for v in team
            if len(v.legs) >= 2
        )
        parts.append(f"ride to the destination and back, each way {travel}")
    else:
        travel = ", ".join(f"{v.distance_km:.1f} km ({v.travel_minutes} min)" for v in team)
        parts.append(f"one way {travel}")
    return "; ".join(parts).capitalize() + "."


def pin_rejection(problem: Problem, r: int, v: int) -> str:
    """Why a pinned volunteer is not a candidate for the pinned request."""
    req, vol = problem.requests[r], problem.volunteers[v]
    if not _skills_match(req, vol):
        return "lacks a required skill or a shared language"
    if not req.credentials <= {c.key for c in vol.credentials}:
        return "lacks a required credential"
    if vol.id in req.excluded_volunteers or req.client_id in vol.excluded_clients:
        return "is excluded for this request"
    dist = float(
        geo.great_circle_km(req.location.lat, req.location.lon, vol.location.lat, vol.location.lon)
    )
    if dist > problem.max_distance_km(vol):
        return "lives beyond their travel range"
    if req.credentials:
        return (
            "is not available for it (window, travel time, their task and minute limits, "
            "or the validity of a required credential)"
        )
    return "is not available for it (window, travel time, or their task and minute limits)"


def pin_error(problem: Problem, pin_index: int, member: int, r: int, v: int) -> ProblemError:
    return ProblemError(
        ("assignments", pin_index, "volunteer_ids", member),
        f"this volunteer {pin_rejection(problem, r, v)}",
    )


def _skills_match(req: Request, vol: Volunteer) -> bool:
    return req.skills <= vol.skills and (not req.languages or bool(req.languages & vol.languages))


def _count(n: int, noun: str) -> str:
    return f"{'No' if n == 0 else n} {noun}{'' if n == 1 else 's'}"


def _has(n: int) -> str:
    return "has" if n == 1 else "have"


def _lives(n: int) -> str:
    return "lives" if n == 1 else "live"
