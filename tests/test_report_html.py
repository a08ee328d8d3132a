"""The HTML report's structure, read back with the standard library's HTML parser."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from report_cases import NASTY_ID, bare, plan, with_extras

from matchcore.explain import reason_gloss
from matchcore.report import render_html
from matchcore.report.html import MAX_LOAD_BARS, content_security_policy, render_report_html
from matchcore.report.model import build_report
from matchcore.solution import Reason


class Page(HTMLParser):
    """Tables by id (rows of cell texts), sections by id, meta, scripts, styles and attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: list[str] = []
        self.meta: dict[str, str] = {}
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []
        self._table: str | None = None
        self._in_body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._raw: str | None = None
        self._raw_text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags[tag] += 1
        self.attributes += [(tag, k, v) for k, v in a.items()]
        if tag == "table" and "id" in a:
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tbody" and self._table:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "section" and "id" in a:
            self.sections.append(a["id"])
        elif tag == "meta" and "http-equiv" in a:
            self.meta[a["http-equiv"]] = a.get("content", "")
        elif tag in ("script", "style"):
            self._raw, self._raw_text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None
        elif tag == self._raw:
            (self.scripts if tag == "script" else self.styles).append("".join(self._raw_text))
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._raw is not None:
            self._raw_text.append(data)


def _page(problem: Any, doc: Any, **kwargs: Any) -> tuple[str, Page]:
    text = render_html(problem, doc, **kwargs)
    return text, Page(text)


def test_every_assignment_and_every_unserved_request_appears_exactly_once() -> None:
    problem, doc = plan()
    _, page = _page(problem, doc)
    assigned = Counter(row[0].split()[0] for row in page.tables["table-assignments"])
    assert assigned == Counter(a["request_id"] for a in doc["assignments"])
    unserved = Counter(row[0] for row in page.tables["table-unserved"])
    assert unserved == Counter(u["request_id"] for u in doc["unassigned"])
    assert set(assigned).isdisjoint(unserved)


def test_unserved_rows_carry_the_gloss_of_their_reason_and_the_detail() -> None:
    problem, doc = plan()
    for lang in ("nl", "en"):
        _, page = _page(problem, doc, lang=lang)
        rows = {row[0]: row for row in page.tables["table-unserved"]}
        for u in doc["unassigned"]:
            row = rows[u["request_id"]]
            assert row[3] == reason_gloss(Reason(u["reason"]), lang)
            assert row[4] == u["detail"]


def test_each_busy_volunteer_has_a_week_with_each_of_their_tasks_once() -> None:
    problem, doc = plan()
    text, _ = _page(problem, doc)
    busy = Counter(vid for a in doc["assignments"] for vid in a["volunteer_ids"])
    assert text.count('<article class="week"') == len(busy)
    # each article's table: one row per task of that volunteer
    articles = re.findall(r'<article class="week".*?</article>', text, flags=re.S)
    seen: Counter[str] = Counter()
    for article in articles:
        week = Page(article.replace("<table>", '<table id="w">'))
        heading = re.search(r"<h3>Rooster van (.*?)</h3>", article, flags=re.S)
        assert heading is not None
        owner = Page(f"<table id='o'><tbody><tr><td>{heading.group(1)}</td></tr></tbody></table>")
        seen[owner.tables["o"][0][0]] = len(week.tables["w"])
    assert seen == busy


def test_ids_are_escaped_and_stay_text() -> None:
    problem, doc = plan()
    text, page = _page(problem, doc)
    assert NASTY_ID not in text  # never verbatim in the markup
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;amp;" in text
    assert page.tags["script"] == 1  # only the page's own
    cells = [c for rows in page.tables.values() for row in rows for c in row]
    assert any(NASTY_ID in c for c in cells)  # read back as the very text given


def test_the_page_is_self_contained() -> None:
    problem, doc = plan()
    _text, page = _page(problem, doc)
    for tag, name, value in page.attributes:
        if name in ("src", "href", "action", "srcset", "poster", "data"):
            assert value.startswith("#"), (tag, name, value)
    assert page.tags["link"] == page.tags["img"] == page.tags["iframe"] == 0
    assert "url(" not in "".join(page.styles) and "@import" not in "".join(page.styles)
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|import\()", "".join(page.scripts))


def test_the_content_security_policy_admits_only_the_pages_own_style_and_script() -> None:
    problem, doc = plan()
    _, page = _page(problem, doc)
    csp = page.meta["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    (script,) = page.scripts
    (style,) = page.styles
    assert f"script-src 'sha256-{digest(script)}'" in csp
    assert f"style-src 'sha256-{digest(style)}'" in csp
    assert content_security_policy("a", "b") != content_security_policy("a", "c")


def test_no_inline_style_attributes_or_event_handlers() -> None:
    # the policy would block them; none must be needed
    problem, doc = with_extras()
    _, page = _page(problem, doc)
    for _, name, _ in page.attributes:
        assert name != "style" and not name.startswith("on"), name


def test_sections_for_later_fields_appear_only_with_their_data() -> None:
    problem, doc = bare()
    _, page = _page(problem, doc)
    for section in ("referrals", "groups", "signals", "warnings"):
        assert section not in page.sections
    problem, doc = with_extras()
    text, full = _page(problem, doc, lang="en")
    for section in ("referrals", "groups", "signals", "warnings"):
        assert section in full.sections
    assert full.tables["table-referrals"] == [
        [
            "req-skill",
            "Thuisverpleging Brugge",
            "Wit-Gele Kruis",
            "2.4",
            "theme wondzorg; serves Brugge",
        ]
    ]
    assert [row[0] for row in full.tables["table-groups"]] == ["grp-debts"]
    assert full.tables["table-closed-groups"][0][:1] == ["grp-grief"]
    assert full.tables["table-unplaced"][0][0] == "par-3"
    assert "Near misses" in text and "Whom to recruit" in text
    assert "one more volunteer with nursing skills" in text
    assert "/volunteers/0/max_distance_km" not in text  # a patch is for machines
    assert full.tables["table-warnings"][0][0] == "unknown_skill"
    # rides: a destination column in the assignments and the weeks
    header_has_destination = "Destination" in text
    assert header_has_destination and 'class="ride"' in text


def test_languages_differ_and_unknown_ones_are_refused() -> None:
    problem, doc = plan()
    nl, _ = _page(problem, doc, lang="nl")
    en, _ = _page(problem, doc, lang="en")
    assert '<html lang="nl">' in nl and "Niet geholpen" in nl
    assert '<html lang="en">' in en and "Not served" in en
    with pytest.raises(ValueError, match="unknown language"):
        render_html(problem, doc, lang="fr")


def test_redacted_page_has_no_original_id() -> None:
    problem, doc = with_extras()
    text, _ = _page(problem, doc, redact=True)
    for v in problem.volunteers:
        assert v.id not in text
    for r in problem.requests:
        assert r.id not in text and r.client_id not in text
    assert "pseudoniemen" in text


def test_filters_offer_each_day_and_each_reason() -> None:
    problem, doc = plan()
    text, _ = _page(problem, doc)
    report = build_report(problem, doc)
    for d in report.days:
        key = d.day.isoformat() if d.day else "none"
        assert f'<option value="{key}">' in text
    for rc in report.reasons:
        assert f'<option value="{rc.reason}">' in text
    marks = re.findall(r'<circle class="req" data-day="[^"]*" data-status="([^"]*)"', text)
    assert Counter(marks) == Counter(
        ["served"] * len(doc["assignments"]) + [u["reason"] for u in doc["unassigned"]]
    )


def test_load_chart_keeps_the_most_loaded() -> None:
    from matchcore.problem import Location, Problem, Request, Volunteer

    n = MAX_LOAD_BARS + 5
    problem = Problem(
        tuple(Volunteer(f"v{i}", Location(51.0, 3.0 + i / 100), max_tasks=2) for i in range(n)),
        tuple(Request(f"r{i}", Location(51.0, 3.0 + i / 100), 30) for i in range(n)),
    )
    doc = {
        "status": "optimal",
        "unassigned": [],
        "assignments": [
            {"request_id": f"r{i}", "volunteers": [{"id": f"v{i}", "distance_km": 0.1}]}
            for i in range(n)
        ],
    }
    text = render_report_html(build_report(problem, doc), lang="en")
    chart = text[text.index('id="chart-load"') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") == 2 * MAX_LOAD_BARS
    assert "the 40 most loaded" in text
