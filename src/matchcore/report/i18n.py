"""Every label of the reports in Dutch and English, in one table.

Reasons are not here: their wording is ``matchcore.explain.REASON_GLOSS``.
Templates get :func:`labels` as ``t``; the text summary and the spreadsheet
column names read the same table, so a word is changed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

_LABELS: dict[str, tuple[str, str]] = {
    # key: (nl, en)
    "title": ("Planning", "Plan"),
    "report_of": ("Rapport van matchcore", "matchcore report"),
    "summary": ("Samenvatting", "Summary"),
    "volunteers": ("vrijwilligers", "volunteers"),
    "open_requests": ("open hulpvragen", "open requests"),
    "plan": ("Planning", "Plan"),
    "optimal": ("optimaal (bewezen)", "optimal (proven)"),
    "feasible": (
        "haalbaar (tijdslimiet bereikt vóór een bewijs)",
        "feasible (time limit reached before a proof)",
    ),
    "served": ("Geholpen", "Served"),
    "served_of": ("{served} van {total} hulpvragen", "{served} of {total} requests"),
    "priority": ("Prioriteit", "Priority"),
    "priority_line": (
        "{served} geholpen van {total} gevraagd (hoogstens {bound} mogelijk)",
        "{served} served of {total} asked (at most {bound} possible)",
    ),
    "continuity": ("Continuïteit", "Continuity"),
    "continuity_line": (
        "bezoeken door de vaste vrijwilliger van de cliënt",
        "visits by the client's usual volunteer",
    ),
    "travel": ("Verplaatsing", "Travel"),
    "travel_line": ("{km} km in totaal (heen en terug)", "{km} km in all (round trips)"),
    "seconds": ("s", "s"),
    "map": ("Kaart", "Map"),
    "map_note": (
        "Huizen van vrijwilligers (vierkant), hulpvragen (rond: groen geholpen, andere "
        "kleuren per reden), lijnen voor toewijzingen, stippellijnen voor ritten.",
        "Volunteers' homes (squares), requests (circles: green served, other colours by "
        "reason), lines for assignments, dashed lines for rides.",
    ),
    "day": ("Dag", "Day"),
    "all_days": ("alle dagen", "all days"),
    "status": ("Toestand", "Status"),
    "all": ("alles", "all"),
    "home": ("thuis", "home"),
    "no_day": ("zonder dag", "no day"),
    "charts": ("Grafieken", "Charts"),
    "per_day": ("Geholpen en niet geholpen per dag", "Served and unserved per day"),
    "reasons": ("Redenen", "Reasons"),
    "load": (
        "Belasting per vrijwilliger (taken / maximum)",
        "Load per volunteer (tasks / maximum)",
    ),
    "load_cut": ("de {n} meest belaste", "the {n} most loaded"),
    "unserved": ("Niet geholpen", "Not served"),
    "unserved_count": ("Niet geholpen: {n}, per reden", "Not served: {n}, by reason"),
    "everyone_served": ("Elke hulpvraag is geholpen.", "Every request is served."),
    "reason": ("Reden", "Reason"),
    "detail": ("Uitleg", "Detail"),
    "count": ("Aantal", "Count"),
    "assignments": ("Toewijzingen", "Assignments"),
    "request": ("Hulpvraag", "Request"),
    "client": ("Cliënt", "Client"),
    "volunteer": ("Vrijwilliger", "Volunteer"),
    "time": ("Tijd", "Time"),
    "start": ("Begin", "Start"),
    "end": ("Einde", "End"),
    "place": ("Plaats", "Place"),
    "destination": ("Bestemming", "Destination"),
    "km": ("km", "km"),
    "minutes": ("Reistijd enkel (min)", "One-way travel (min)"),
    "role": ("Rol", "Role"),
    "preferred": ("Vaste vrijwilliger", "Usual volunteer"),
    "pinned": ("Vastgelegd", "Pinned"),
    "any_time": ("vrij te kiezen", "any time"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "weeks": ("Rooster per vrijwilliger", "Each volunteer's week"),
    "week_of": ("Rooster van {id}", "Week of {id}"),
    "tasks_line": (
        "Taken: {n}{cap} · {minutes} min · {km} km heen en terug",
        "Tasks: {n}{cap} · {minutes} min · {km} km round trips",
    ),
    "of_max": (" (max. {max})", " (at most {max})"),
    "scale": ("schaal", "scale"),
    "idle": ("Zonder taken deze planning", "Without tasks in this plan"),
    "ride": ("rit", "ride"),
    "ride_legs": ("ritbenen", "ride legs"),
    "rides": ("Ritten", "Rides"),
    "referrals": ("Doorverwijzingen", "Referrals"),
    "service": ("Dienst", "Service"),
    "organization": ("Organisatie", "Organisation"),
    "why": ("Waarom", "Why"),
    "distance": ("Afstand (km)", "Distance (km)"),
    "signals": ("Signalen", "Signals"),
    "unmet": ("Onbeantwoorde noden", "Unmet needs"),
    "recruit": ("Wie te werven", "Whom to recruit"),
    "extra_requests": ("Extra hulpvragen", "Extra requests"),
    "extra_priority": ("Extra prioriteit", "Extra priority"),
    "near_misses": ("Bijna geholpen", "Near misses"),
    "near_miss": ("Bijna", "Near miss"),
    "zorgpad_gaps": ("Gaten in het zorgpad", "Gaps in the zorgpad"),
    "group_proposals": ("Voorstellen voor groepen", "Proposed groups"),
    "warnings": ("Waarschuwingen", "Warnings"),
    "code": ("Code", "Code"),
    "request_id": ("Hulpvraag", "Request"),
    "municipality": ("Gemeente", "Municipality"),
    "weekday": ("Weekdag", "Weekday"),
    "part_of_day": ("Dagdeel", "Part of day"),
    "skills": ("Vaardigheden", "Skills"),
    "languages": ("Talen", "Languages"),
    "theme": ("Thema", "Theme"),
    "pointer": ("Plaats in de invoer", "Where in the input"),
    "message": ("Melding", "Message"),
    "groups": ("Groepen", "Groups"),
    "group": ("Groep", "Group"),
    "participants": ("Deelnemers", "Participants"),
    "participant": ("Deelnemer", "Participant"),
    "facilitators": ("Begeleiders", "Facilitators"),
    "closed_groups": ("Niet gestarte groepen", "Groups not opened"),
    "unplaced": ("Niet geplaatste deelnemers", "Participants not placed"),
    "summary_text": ("Samenvatting", "Summary"),
    "print_note": (
        "Afdrukken geeft een overzichtspagina en daarna één pagina per vrijwilliger.",
        "Printing gives one overview page, then one page per volunteer.",
    ),
    "redacted": (
        "Identificaties zijn vervangen door pseudoniemen.",
        "Identifiers are replaced by pseudonyms.",
    ),
    "no_script": (
        "Zonder JavaScript werken de filters niet; de rest wel.",
        "Without JavaScript the filters do not work; everything else does.",
    ),
    "usual_mark": ("* vaste vrijwilliger van de cliënt", "* the client's usual volunteer"),
    "km_note": ("km: heen en terug vanaf thuis", "km: round trips from home"),
    "first_n_of": ("de eerste {n} van {total}", "the first {n} of {total}"),
    "and_more": ("... en nog {n}", "... and {n} more"),
    "weekday_0": ("ma", "Mon"),
    "weekday_1": ("di", "Tue"),
    "weekday_2": ("wo", "Wed"),
    "weekday_3": ("do", "Thu"),
    "weekday_4": ("vr", "Fri"),
    "weekday_5": ("za", "Sat"),
    "weekday_6": ("zo", "Sun"),
    "sheet_date": ("Datum", "Date"),
    "sheet_start": ("Begin", "Start"),
    "sheet_end": ("Einde", "End"),
    "sheet_lat": ("Breedtegraad", "Latitude"),
    "sheet_lon": ("Lengtegraad", "Longitude"),
    "sheet_dest_lat": ("Bestemming breedtegraad", "Destination latitude"),
    "sheet_dest_lon": ("Bestemming lengtegraad", "Destination longitude"),
    "sheet_volunteers": ("Vrijwilligers", "Volunteers"),
    "sheet_reason_code": ("Redencode", "Reason code"),
    "sheet_tasks": ("Taken", "Tasks"),
    "sheet_max_tasks": ("Max. taken", "Max tasks"),
    "sheet_travel_minutes": ("Reistijd (min)", "Travel minutes"),
    "sheet_signal": ("Signaal", "Signal"),
    "sheet_kind": ("Soort", "Kind"),
}


def labels(lang: str) -> Mapping[str, str]:
    """Every label in ``lang`` (``nl`` or ``en``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    column = LANGUAGES.index(lang)
    return MappingProxyType({key: pair[column] for key, pair in _LABELS.items()})
