"""The HTML report in a real browser: headless Chromium, driven over the DevTools protocol.

The report must open without a console error, make no request but for its own
file, draw a map and each volunteer's week (screenshots that are not blank),
filter by day with its own script, and print one page per volunteer after an
overview page. Without Chromium these tests are skipped, except in CI
(``CI=true``), where a missing browser is a failure: ``make browser`` installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import Browser, chromium_path, distinct_colours, pdf_pages
from report_cases import with_extras

from matchcore.report import build_report, render_report_html


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: run `make browser` before the tests")
        pytest.skip("Chromium is not installed (make browser installs it)")
    b = Browser(executable)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    problem, doc = with_extras()
    report = build_report(problem, doc)
    path = tmp_path_factory.mktemp("report") / "plan.html"
    path.write_text(render_report_html(report, lang="en"), encoding="utf-8")
    return path, len(report.busy_weeks)


def _fresh(browser: Browser, path: Path) -> None:
    browser.events.clear()
    browser.open(path)


def test_opens_without_console_errors_or_any_request(
    browser: Browser, report_file: tuple[Path, int]
) -> None:
    path, _ = report_file
    _fresh(browser, path)
    assert browser.evaluate("document.title").startswith("matchcore report")
    assert browser.console_problems() == []
    assert browser.requests() == [path.resolve().as_uri()]


def test_the_detectors_see_a_blocked_request_and_a_console_error(
    browser: Browser, tmp_path: Path
) -> None:
    # Controls: the checks above can fail. Even a request that a policy like the
    # report's refuses is seen (as attempted, then blocked), and its refusal logged.
    image = '<img src="http://example.invalid/x.png">'
    guarded = tmp_path / "guarded.html"
    policy = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
    guarded.write_text(f"<!DOCTYPE html>{policy}{image}", encoding="utf-8")
    _fresh(browser, guarded)
    assert "http://example.invalid/x.png" in browser.requests()
    assert browser.blocked() == ["csp"]
    assert any("Content Security Policy" in p for p in browser.console_problems())
    open_page = tmp_path / "open.html"
    open_page.write_text(f"<!DOCTYPE html>{image}", "utf-8")
    _fresh(browser, open_page)
    assert "http://example.invalid/x.png" in browser.requests()
    assert browser.blocked() == []
    noisy = tmp_path / "noisy.html"
    noisy.write_text("<!DOCTYPE html><script>console.error('boom')</script>", "utf-8")
    _fresh(browser, noisy)
    assert any("boom" in p for p in browser.console_problems())


def test_map_and_a_volunteers_week_are_drawn(
    browser: Browser, report_file: tuple[Path, int], tmp_path: Path
) -> None:
    path, _ = report_file
    _fresh(browser, path)
    map_png = browser.screenshot("#map-svg")
    week_png = browser.screenshot("article.week")
    (tmp_path / "map.png").write_bytes(map_png)
    assert distinct_colours(map_png) >= 8  # background, homes, served, reasons, lines
    assert distinct_colours(week_png) >= 3
    # control: an empty area is one colour, so the checks above can fail
    browser.evaluate(
        "(() => { const d = document.createElement('div'); d.id = 'blank';"
        " d.style.height = '40px'; document.body.prepend(d); return 1; })()"
    )
    assert distinct_colours(browser.screenshot("#blank")) == 1


def test_the_day_filter_hides_other_days(browser: Browser, report_file: tuple[Path, int]) -> None:
    path, _ = report_file
    _fresh(browser, path)
    visible = "document.querySelectorAll('circle.req:not(.off)').length"
    total = browser.evaluate(visible)
    day = browser.evaluate("document.querySelector('#filter-day option:nth-child(2)').value")
    on_day = browser.evaluate(f"document.querySelectorAll('circle.req[data-day=\"{day}\"]').length")
    browser.evaluate(
        f"(() => {{ const s = document.getElementById('filter-day'); s.value = '{day}';"
        " s.dispatchEvent(new Event('change')); return 1; })()"
    )
    assert 0 < browser.evaluate(visible) == on_day < total
    rows = "document.querySelectorAll('#table-assignments tbody tr:not(.off)').length"
    expected = f"document.querySelectorAll('#table-assignments tr[data-day=\"{day}\"]').length"
    assert browser.evaluate(rows) == browser.evaluate(expected)
    assert browser.console_problems() == []


def test_print_gives_an_overview_then_one_page_per_volunteer(
    browser: Browser, report_file: tuple[Path, int]
) -> None:
    path, busy = report_file
    _fresh(browser, path)
    assert busy >= 2
    assert pdf_pages(browser.print_pdf()) == 1 + busy
