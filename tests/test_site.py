"""The static explorer site: every page well formed, self-contained and escaped; sorting, filtering and charts
work in a real browser (Debian's chromium driven by Playwright).

The browser tests skip when /usr/bin/chromium or playwright is missing, and fail instead when
MIGRATION_DEALS_REQUIRE_BROWSER=1 is set (as in .ci/run).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest

import migration_deals as md
from migration_deals.site import build_site, site_size

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("MIGRATION_DEALS_SCREENSHOTS")
"""A folder to keep a copy of every screenshot in (for review or CI artifacts), if set."""
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SVG_EMPTY = {"line", "rect", "circle", "polyline", "path"}
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def ds():
    return md.load()


@pytest.fixture(scope="module")
def site(ds, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    paths = build_site(ds, out)
    return out, paths


# ---------------------------------------------------------------------------------------------------------------
# static checks


class Page(HTMLParser):
    """Everything the checks need from one page, and any tag that is opened and closed out of order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(a["id"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def all(self, tag):
        return [a for t, a in self.tags if t == tag]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def pages_of(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_site_has_every_page(ds, site):
    out, paths = site
    assert all(p.is_file() and out in p.parents for p in paths)
    assert (out / "index.html") in paths and (out / "static" / "site.css") in paths
    agreement_pages = {p.stem for p in (out / "agreements").glob("*.html")}
    assert agreement_pages == set(ds.agreements["agreement_id"])
    codes = set(ds.agreements["sending_party"].dropna()) | set(ds.agreements["receiving_party"].dropna())
    assert codes <= {p.stem for p in (out / "states").glob("*.html")}
    assert len(list((out / "static").glob("*.css"))) == 1
    assert site_size(paths) == sum(p.stat().st_size for p in paths)
    assert site_size(paths) < 5_000_000  # light: a few megabytes at most for the whole site


def test_every_page_is_well_formed_and_accessible(site):
    out, _ = site
    for path in pages_of(out):
        page = parse(path)
        where = path.relative_to(out)
        assert not page.errors, f"{where}: {page.errors[:3]}"
        assert not page.stack, f"{where}: unclosed {page.stack}"
        html_tags = page.all("html")
        assert len(html_tags) == 1 and html_tags[0].get("lang") == "en", where
        assert page.title.strip(), where
        for landmark in ("header", "nav", "main", "footer"):
            assert page.all(landmark), f"{where}: no <{landmark}>"
        assert len(page.all("main")) == 1 and len(page.all("h1")) == 1, where
        for tag, attrs in page.tags:
            handlers = [k for k in attrs if k.lower().startswith("on")]
            assert not handlers, f"{where}: <{tag}> has inline event handler {handlers}"
            assert "style" not in attrs, f"{where}: <{tag}> has an inline style"
            for key in ("href", "src", "action", "formaction", "xlink:href"):
                value = attrs.get(key) or ""
                assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (where, value)
        for th in page.all("th"):
            assert th.get("scope") in ("col", "row"), f"{where}: <th> without scope"
        n_tables = len(page.all("table"))
        assert len(page.all("caption")) == n_tables, f"{where}: a table without a caption"
        for svg in page.all("svg"):
            assert svg.get("role") == "img" and (svg.get("aria-labelledby") or svg.get("aria-label")), where
            for ref in (svg.get("aria-labelledby") or "").split():
                assert ref in page.ids, f"{where}: aria-labelledby {ref} missing"
        for label in page.all("label"):
            assert label.get("for") in page.ids, f"{where}: label for a missing control"
        scripts = page.all("script")
        assert all(s.get("src") for s in scripts), f"{where}: inline script"


def test_links_resolve_and_nothing_loads_from_elsewhere(site):
    out, _ = site
    parsed = {path: parse(path) for path in pages_of(out)}
    external_links = 0
    for path, page in parsed.items():
        where = path.relative_to(out)
        for tag, attrs in page.tags:
            for key in ("href", "src"):
                value = attrs.get(key)
                if value is None:
                    continue
                parts = urlsplit(value)
                if parts.scheme or parts.netloc:
                    assert tag == "a" and key == "href", f"{where}: <{tag} {key}={value!r}> loads from elsewhere"
                    assert parts.scheme in ("http", "https"), f"{where}: link {value!r}"
                    external_links += 1
                    continue
                target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
                assert target.is_file() and out.resolve() in target.resolve().parents, f"{where}: {value} is missing"
                if parts.fragment and target.suffix == ".html":
                    ids = parsed[target].ids if target in parsed else parse(target).ids
                    assert parts.fragment in ids, f"{where}: {value}: no id {parts.fragment}"
    assert external_links > 0  # sources link out
    css = (out / "static" / "site.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(|@import|https?:", css), "the style sheet loads nothing"
    js = (out / "static" / "site.js").read_text(encoding="utf-8")
    assert not re.search(r"https?:|fetch\(|XMLHttpRequest|innerHTML|eval\(|document\.write", js)


def test_home_page_content(ds, site):
    out, _ = site
    text = (out / "index.html").read_text(encoding="utf-8")
    page = parse(out / "index.html")
    table = text.split('<table id="deals">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-") == len(ds.agreements)
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table)
    assert heads == ["Agreement", "Sending state", "Receiving state", "Kind", "Status", "Signed", "People moved",
                     "Money paid"]  # fmt: skip
    assert "aria-live" in text and 'id="count"' in text
    for control in ("f-state", "f-kind", "f-status", "f-from", "f-to"):
        assert control in page.ids
    assert page.all("svg") and text.count("<rect ") >= len(ds.agreements) - 5  # one bar per dated agreement
    assert 'href="states/RWA.html"' in text
    assert 'href="agreements/gbr-rwa-2022-mou.html"' in text


def test_agreement_page_content(ds, site):
    out, _ = site
    text = (out / "agreements" / "gbr-rwa-2022-mou.html").read_text(encoding="utf-8")
    assert 'id="transfer-chart"' in text
    assert "interim measure" in text and "court ruling" in text  # from ds.timeline
    milestones = text.split("<caption>Milestones and events of gbr-rwa-2022-mou</caption>", 1)[1].split("</table>")[0]
    timeline = ds.timeline("gbr-rwa-2022-mou")
    assert milestones.count('<tr><th scope="row"') == len(timeline)
    for date in timeline["date"]:
        assert f'<th scope="row" class="date">{date}</th>' in milestones
    assert "gbr-rwa-cost-cooper-2024-07-22-total-700m" in text  # money rows
    for source_id in set(ds.sources_of("gbr-rwa-2022-mou")["source_id"]):
        assert source_id in text
    assert "Cost per person" in text
    nauru = (out / "agreements" / "aus-2012-regional-processing.html").read_text(encoding="utf-8")
    cpp = ds.cost_per_person(by="agreement").loc["aus-2012-regional-processing"]
    assert pd.isna(cpp.high)  # a range with no upper bound
    assert f"{cpp.currency} {cpp.low:,.0f} or more per person moved" in nauru
    gbr = (out / "states" / "GBR.html").read_text(encoding="utf-8")
    assert "gbr-rwa-2022-mou" in gbr and "Deals sent" in gbr


def test_untrusted_data_is_escaped(tmp_path):
    ds = md.load()
    a = ds.frames["agreements"]
    first = a.index[a["agreement_id"] == "gbr-rwa-2022-mou"][0]
    a.loc[first, "name"] = EVIL
    a.loc[first, "notes"] = "</script><script>alert(2)</script>"
    p = ds.frames["parties"]
    p.loc[p["party_id"] == "RWA", "name"] = 'Rwanda"><script>alert(3)</script>'
    s = ds.frames["sources"]
    cited = set(ds.sources_of("gbr-rwa-2022-mou")["source_id"])
    some = sorted(cited)[:2]
    s.loc[s["source_id"] == some[0], "url"] = "javascript:alert(4)"
    s.loc[s["source_id"] == some[1], "title"] = "<b onmouseover=alert(5)>t</b>"
    paths = build_site(ds, tmp_path)
    for path in paths:
        if path.suffix != ".html":
            continue
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text and 'alert(4)"' not in text, path
        assert "<img src=x" not in text and "<b onmouseover" not in text, path
        page = parse(path)
        assert not page.errors, (path, page.errors[:3])
        for tag, attrs in page.tags:
            assert not any(k.startswith("on") for k in attrs), (path, tag, attrs)
            assert not (attrs.get("href") or "").startswith("javascript:"), (path, attrs)
            assert tag != "script" or attrs.get("src", "").endswith("static/site.js"), (path, attrs)
    page_text = (tmp_path / "agreements" / "gbr-rwa-2022-mou.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page_text
    assert "javascript:alert(4)" not in page_text  # an unsafe address is shown as text, never as a link


def test_odd_ids_get_safe_file_names(tmp_path):
    from migration_deals.site import slug

    assert slug("gbr-rwa-2022-mou") == "gbr-rwa-2022-mou"
    for odd in ("../../etc/passwd", "a/b", "<x>", "", ".hidden", "con?"):
        name = slug(odd)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name), (odd, name)
    assert slug("../x") != slug("../y")


# ---------------------------------------------------------------------------------------------------------------
# browser checks


def _browser_missing() -> str | None:
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("playwright is not installed (pip install 'migration-deals[site]')")
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    return "; ".join(problems) or None


@pytest.fixture(scope="module")
def server(site):
    out, _ = site
    handler = functools.partial(_QuietHandler, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="module")
def browser():
    reason = _browser_missing()
    if reason:
        if os.environ.get("MIGRATION_DEALS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (MIGRATION_DEALS_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(f"browser tests need Playwright and Debian's chromium: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    local = urlsplit(server).netloc

    def guard(route):
        if urlsplit(route.request.url).netloc != local:
            pg.problems.append(f"request to {route.request.url}")
            route.abort()
        else:
            route.continue_()

    pg.route("**/*", guard)
    pg.on("console", lambda m: m.type in ("error", "warning") and pg.problems.append(f"console: {m.text}"))
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("response", lambda r: r.status >= 400 and pg.problems.append(f"{r.status} {r.url}"))
    yield pg
    context.close()
    assert not pg.problems, pg.problems


def _shot(pg, tmp_path: Path, name: str, full_page: bool = False) -> Path:
    path = tmp_path / name
    pg.screenshot(path=str(path), full_page=full_page)
    _copy_for_review(path)
    return path


def _copy_for_review(path: Path) -> None:
    """Keep a copy of each screenshot in $MIGRATION_DEALS_SCREENSHOTS when it is set."""
    if not SCREENSHOTS:
        return
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    shutil.copy(path, Path(SCREENSHOTS) / path.name)


def _visible_rows(pg) -> int:
    return pg.locator("#deals tbody tr:visible").count()


def _announced(pg) -> tuple[int, int]:
    m = re.fullmatch(r"Showing (\d+) of (\d+) agreements", pg.locator("#count").inner_text().strip())
    assert m, pg.locator("#count").inner_text()
    return int(m.group(1)), int(m.group(2))


def test_home_filters_and_announces_the_count(page, server, ds, tmp_path):
    n = len(ds.agreements)
    page.goto(f"{server}/index.html")
    page.wait_for_selector("#filters:not([hidden])")
    assert _visible_rows(page) == n
    page.select_option("#f-status", "terminated")
    shown, total = _announced(page)
    assert total == n and 0 < shown < n
    assert _visible_rows(page) == shown == int((ds.agreements["status"] == "terminated").sum())
    assert page.locator("#count").get_attribute("aria-live") == "polite"
    page.select_option("#f-status", "")
    page.select_option("#f-state", "GBR")
    page.select_option("#f-from", "2022")
    page.select_option("#f-to", "2023")
    shown, _ = _announced(page)
    assert _visible_rows(page) == shown > 0
    years = page.locator("#deals tbody tr:visible").evaluate_all("rows => rows.map(r => Number(r.dataset.year))")
    assert all(2022 <= y <= 2023 for y in years)
    a = ds.agreements
    gbr = (a["sending_party"] == "GBR").fillna(False) | (a["receiving_party"] == "GBR").fillna(False)
    signed = a["signed_earliest"].dt.year
    assert shown == int((gbr & signed.between(2022, 2023)).sum())
    _shot(page, tmp_path, "site-home-filtered.png")
    page.click("#filters button[type=reset]")
    # Playwright's own assertion polls without evaluating a string, which the site's CSP forbids
    from playwright.sync_api import expect

    expect(page.locator("#deals tbody tr:not([hidden])")).to_have_count(n)
    assert _announced(page) == (n, n)


def test_home_sorts_by_column_with_mouse_and_keyboard(page, server, ds, tmp_path):
    page.goto(f"{server}/index.html")
    header = page.locator("#deals thead th", has_text="Signed")
    button = header.locator("button")
    button.click()
    assert header.get_attribute("aria-sort") == "ascending"

    def years():
        raw = page.locator("#deals tbody tr td:nth-of-type(5)").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-sort'))"
        )
        known = [int(v) for v in raw if v]
        assert raw[: len(known)] == [str(v) for v in known], "missing years sort last"
        return known

    up = years()
    assert up == sorted(up) and len(up) > 10
    button.focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    assert years() == sorted(up, reverse=True)
    people = page.locator("#deals thead th", has_text="People moved").locator("button")
    people.focus()
    page.keyboard.press("Space")
    raw = page.locator("#deals tbody tr td:nth-of-type(6)").evaluate_all("c => c.map(x => x.getAttribute('data-sort'))")
    values = [float(v) for v in raw if v]
    assert values == sorted(values)
    _shot(page, tmp_path, "site-home-sorted.png")
    _shot(page, tmp_path, "site-home-full.png", full_page=True)
    for name, selector in (
        ("site-home-timeline.png", "#timeline + figure"),
        ("site-home-states.png", "section[aria-labelledby=states]"),
    ):
        element = page.locator(selector).first
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(tmp_path / name))
        _copy_for_review(tmp_path / name)


def test_home_is_readable_without_javascript(browser, server, ds, tmp_path):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(f"{server}/index.html")
        assert pg.locator("#deals tbody tr:visible").count() == len(ds.agreements)
        assert not pg.locator("#filters").is_visible()  # controls that need the script stay hidden
        box = pg.locator("#timeline ~ figure svg").bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
        _shot(pg, tmp_path, "site-home-nojs.png")
    finally:
        context.close()


def test_agreement_page_chart_renders(page, server, tmp_path):
    page.goto(f"{server}/agreements/gbr-rwa-2022-mou.html")
    assert "Rwanda" in page.title()
    chart = page.locator("#transfer-chart")
    box = chart.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    assert chart.locator("rect, circle").count() >= 2
    assert page.locator("h2", has_text="Sources").is_visible()
    chart.scroll_into_view_if_needed()
    _shot(page, tmp_path, "site-agreement-gbr-rwa-chart.png")
    _shot(page, tmp_path, "site-agreement-gbr-rwa-full.png", full_page=True)
    page.goto(f"{server}/agreements/ita-alb-2023-protocol.html")
    page.locator("#transfer-chart").scroll_into_view_if_needed()
    _shot(page, tmp_path, "site-agreement-ita-alb-chart.png")
    page.goto(f"{server}/states/RWA.html")
    assert page.locator("table").count() >= 1
    _shot(page, tmp_path, "site-state-rwa.png")


def test_keyboard_reaches_the_skip_link_and_tables(page, server):
    page.goto(f"{server}/index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
