"""A static explorer site generated from the data package: `build_site(ds, directory)`.

Pages: ``index.html`` (every agreement in a table, a timeline and the receiving states),
``agreements/<id>.html`` (milestones, events, transfers, money, cost per person, sources) and
``states/<code>.html`` (every deal a state sent or received), plus one style sheet and one small
script in ``static/``. The pages are complete without JavaScript; the script only adds sorting and
filtering to the home page's table. Nothing is loaded from another site.

Every value from the data is untrusted: it is HTML-escaped (``html.escape``) wherever it goes, file
names are derived from ids only when the id is a plain slug (otherwise from its hash), only ``http``
and ``https`` addresses become links, and no value is ever written into a script.

>>> import migration_deals as md, tempfile
>>> from migration_deals.site import build_site, site_size
>>> paths = build_site(md.load(), tempfile.mkdtemp())
>>> any(p.name == "index.html" for p in paths) and site_size(paths) > 0
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import pandas as pd

if TYPE_CHECKING:
    from ..loading import Dataset

__all__ = ["build_site", "site_size"]

STATIC_FILES = ("site.css", "site.js")
CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,120}")
DASH = "\u2014"


# ---------------------------------------------------------------------------------------------------------------
# escaping and formatting


def missing(value: Any) -> bool:
    """True for None, NA, NaN and NaT (and never for containers)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, set, dict, frozenset)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def esc(value: Any) -> str:
    """Text for HTML content or a quoted attribute value; missing values become empty text."""
    return "" if missing(value) else html.escape(str(value), quote=True)


def text_or_dash(value: Any) -> str:
    return DASH if missing(value) or str(value) == "" else esc(value)


def label(value: Any) -> str:
    """A code such as ``offshore_processing`` as words, escaped."""
    return DASH if missing(value) else esc(str(value).replace("_", " "))


def slug(identifier: Any) -> str:
    """A safe file name stem for an id: the id itself if it is a plain slug, else a hash of it."""
    text = "" if missing(identifier) else str(identifier)
    if _SLUG.fullmatch(text):
        return text
    return "id-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def safe_url(url: Any) -> str | None:
    """The address if it is an absolute http(s) address without spaces or control characters, else None."""
    if missing(url):
        return None
    text = str(url)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def external_link(url: Any, text: Any) -> str:
    target = safe_url(url)
    shown = esc(text) if not missing(text) and str(text) else esc(url)
    if target is None:
        return shown or DASH
    return f'<a href="{esc(target)}" rel="noreferrer">{shown}</a>'


def _num(value: Any, decimals: int = 0) -> str:
    if missing(value):
        return ""
    number = float(value)
    if decimals == 0 and number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.{decimals}f}"


def value_range(low: Any, high: Any, decimals: int = 0) -> str:
    """An honest range as plain text: ``4``, ``30 to 40``, ``1,300 or more``, ``up to 9``; a dash if unknown."""
    if missing(low) and missing(high):
        return DASH
    if missing(high):
        return f"{_num(low, decimals)} or more"
    if missing(low):
        return f"up to {_num(high, decimals)}"
    if float(low) == float(high):
        return _num(low, decimals)
    return f"{_num(low, decimals)} to {_num(high, decimals)}"


def sort_key(value: Any) -> str:
    """A number for a ``data-sort`` attribute; empty if missing."""
    if missing(value):
        return ""
    number = float(value)
    return "" if math.isnan(number) else repr(number)


def _date(value: Any) -> dt.date | None:
    if missing(value):
        return None
    return pd.Timestamp(value).date()


def _middle(earliest: Any, latest: Any) -> dt.date | None:
    a, b = _date(earliest), _date(latest)
    if a is None or b is None:
        return a or b
    return a + (b - a) / 2


def _years(d: dt.date) -> float:
    start = dt.date(d.year, 1, 1)
    return d.year + (d - start).days / 365.25


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float) -> list[float]:
    """Four or five round steps from zero to `top` (or just 0 and `top` if none divides it)."""
    count = next((n for n in (4, 5, 2) if float(top / n).is_integer()), 1)
    return [top * i / count for i in range(count + 1)]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _short_number(value: float) -> str:
    for unit, size in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def site_size(paths: Iterable[Path]) -> int:
    """Total size in bytes of the files `build_site` wrote."""
    return sum(Path(p).stat().st_size for p in paths)


# ---------------------------------------------------------------------------------------------------------------
# the data, prepared once


@dataclass
class _Site:
    ds: Dataset
    agreements: pd.DataFrame
    names: dict[str, str]
    kinds: dict[str, str]
    moved: pd.DataFrame
    paid: pd.DataFrame
    per_person: pd.DataFrame
    timeline: pd.DataFrame
    as_of: dt.date

    @classmethod
    def of(cls, ds: Dataset) -> _Site:
        parties = ds.parties
        names = {str(k): str(v) for k, v in zip(parties["party_id"], parties["name"], strict=True) if not missing(k)}
        kinds = {str(k): str(v) for k, v in zip(parties["party_id"], parties["kind"], strict=True) if not missing(k)}
        as_of = _date(ds.as_of) if ds.as_of else None
        return cls(
            ds=ds,
            agreements=ds.agreements.reset_index(drop=True),
            names=names,
            kinds=kinds,
            moved=ds.people_moved(by="agreement"),
            paid=ds.money(by="agreement", status="paid"),
            per_person=ds.cost_per_person(by="agreement"),
            timeline=ds.timeline(),
            as_of=as_of or dt.date.today(),
        )

    def party(self, code: Any, root: str) -> str:
        """A link to a state's page, showing its name; a dash if missing."""
        if missing(code):
            return DASH
        code = str(code)
        name = self.names.get(code, code)
        return f'<a href="{root}states/{quote(slug(code))}.html">{esc(name)}</a>'

    def party_name(self, code: Any) -> str:
        return "" if missing(code) else self.names.get(str(code), str(code))

    def agreement_link(self, agreement_id: Any, root: str, text: Any = None) -> str:
        if missing(agreement_id):
            return DASH
        shown = text if not missing(text) else agreement_id
        return f'<a href="{root}agreements/{quote(slug(agreement_id))}.html">{esc(shown)}</a>'

    def lookup(self, frame: pd.DataFrame, agreement_id: Any) -> pd.Series | None:
        if missing(agreement_id) or agreement_id not in frame.index:
            return None
        row = frame.loc[agreement_id]
        return row.iloc[0] if isinstance(row, pd.DataFrame) else row

    def people_text(self, agreement_id: Any) -> tuple[str, str]:
        row = self.lookup(self.moved, agreement_id)
        if row is None:
            return DASH, ""
        return esc(value_range(row["people_low"], row["people_high"])), sort_key(row["people_low"])

    def money_text(self, agreement_id: Any) -> tuple[str, str]:
        row = self.lookup(self.paid, agreement_id)
        if row is None:
            return DASH, ""
        text = value_range(row["amount_low"], row["amount_high"])
        return f"{esc(row['currency'])} {esc(text)}", sort_key(row["amount_low"])


def _is(column: pd.Series, value: Any) -> pd.Series:
    """A boolean mask: the column equals the value (missing values never match)."""
    return column.astype("string").eq(str(value)).fillna(False).astype(bool)


def _year(row: pd.Series) -> int | None:
    d = _date(row.get("signed_earliest"))
    return d.year if d is not None else None


# ---------------------------------------------------------------------------------------------------------------
# pages


def _page(site: _Site, title: str, body: str, depth: int, script: bool = False) -> str:
    root = "../" * depth
    js = f'\n<script src="{root}static/site.js" defer></script>' if script else ""
    version, as_of = esc(site.ds.version), esc(site.ds.as_of)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">
<meta name="referrer" content="no-referrer">
<title>{esc(title)} | migration-deals</title>
<link rel="stylesheet" href="{root}static/site.css">{js}
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="site">
<a class="brand" href="{root}index.html">migration-deals</a>
<nav aria-label="Site">
<ul>
<li><a href="{root}index.html#agreements">Agreements</a></li>
<li><a href="{root}index.html#timeline">Timeline</a></li>
<li><a href="{root}index.html#states">States</a></li>
</ul>
</nav>
</header>
<main id="main" tabindex="-1">
{body}
</main>
<footer class="site">
<p>Data package version {version}, data as of {as_of}. Data licence: CC BY 4.0. Every figure cites a published
source; ranges give the lowest and highest figure the sources support.</p>
</footer>
</body>
</html>
"""


_COLUMNS = [
    ("Agreement", ""),
    ("Sending state", ""),
    ("Receiving state", ""),
    ("Kind", ""),
    ("Status", ""),
    ("Signed", "num"),
    ("People moved", "num"),
    ("Money paid", "num"),
]


def _deals_table(site: _Site, rows: pd.DataFrame, root: str, caption: str, table_id: str | None = None) -> str:
    head = "".join(
        f'<th scope="col"{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{name}</th>' for name, cls in _COLUMNS
    )
    body = []
    for _, row in rows.iterrows():
        aid = row["agreement_id"]
        year = _year(row)
        people, people_key = site.people_text(aid)
        money, money_key = site.money_text(aid)
        attrs = {
            "sending": row["sending_party"],
            "receiving": row["receiving_party"],
            "kind": row["kind"],
            "status": row["status"],
            "year": year,
        }
        data = "".join(f' data-{k}="{esc(v)}"' for k, v in attrs.items())
        body.append(
            f"<tr{data}>"
            f'<th scope="row" data-sort="{esc(row["name"])}">{site.agreement_link(aid, root, row["name"])}'
            f'<br><span class="muted">{esc(aid)}</span></th>'
            f'<td data-sort="{esc(site.party_name(row["sending_party"]))}">'
            f"{site.party(row['sending_party'], root)}</td>"
            f'<td data-sort="{esc(site.party_name(row["receiving_party"]))}">'
            f"{site.party(row['receiving_party'], root)}</td>"
            f"<td>{label(row['kind'])}</td>"
            f"<td>{label(row['status'])}</td>"
            f'<td class="num" data-sort="{"" if year is None else year}">{DASH if year is None else year}</td>'
            f'<td class="num" data-sort="{people_key}">{people}</td>'
            f'<td class="num" data-sort="{money_key}">{money}</td>'
            "</tr>"
        )
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll" role="region" aria-label="{esc(caption)}" tabindex="0">\n'
        f"<table{ident}>\n<caption>{esc(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</div>"
    )


def _options(pairs: Iterable[tuple[Any, str]]) -> str:
    return "".join(f'<option value="{esc(v)}">{esc(t)}</option>' for v, t in pairs)


def _filters(site: _Site) -> str:
    a = site.agreements
    codes = {str(c) for c in pd.concat([a["sending_party"], a["receiving_party"]]).dropna()}
    states = sorted(((c, f"{site.names.get(c, c)} ({c})") for c in codes), key=lambda p: p[1].lower())
    kinds = sorted({str(k) for k in a["kind"].dropna()})
    statuses = sorted({str(s) for s in a["status"].dropna()})
    years = sorted({y for y in (_year(r) for _, r in a.iterrows()) if y is not None})
    year_opts = _options((y, str(y)) for y in years)
    return f"""<form id="filters" class="filters" hidden aria-label="Filter agreements">
<label for="f-state">State (sending or receiving)<select id="f-state"><option value="">Any</option>{_options(states)}</select></label>
<label for="f-kind">Kind<select id="f-kind"><option value="">Any</option>{_options((k, k.replace("_", " ")) for k in kinds)}</select></label>
<label for="f-status">Status<select id="f-status"><option value="">Any</option>{_options((s, s.replace("_", " ")) for s in statuses)}</select></label>
<label for="f-from">Signed from<select id="f-from"><option value="">Any year</option>{year_opts}</select></label>
<label for="f-to">Signed until<select id="f-to"><option value="">Any year</option>{year_opts}</select></label>
<button type="reset">Clear filters</button>
</form>"""  # noqa: E501


def _spans(site: _Site) -> list[tuple[pd.Series, dt.date, dt.date, bool]]:
    """Each agreement's first known date and its end (or the data's date, if it has not ended)."""
    tl = site.timeline
    spans = []
    for _, row in site.agreements.iterrows():
        mine = tl[_is(tl["agreement_id"], row["agreement_id"])]
        dates = [d for d in (_date(v) for v in mine["date_earliest"]) if d is not None]
        if not dates:
            continue
        start = min(dates)
        ended = _date(row.get("ended_latest"))
        open_end = ended is None
        end = max([*dates, site.as_of]) if ended is None else ended
        spans.append((row, start, max(end, start), open_end))
    spans.sort(key=lambda s: (s[1], str(s[0]["agreement_id"])))
    return spans


def _timeline_svg(site: _Site) -> str:
    spans = _spans(site)
    if not spans:
        return "<p>No agreement has a known date.</p>"
    first = min(s[1] for s in spans).year
    last = max(s[2] for s in spans).year + 1
    left, right, top, row_h = 250, 930, 30, 14
    width, height = 960, top + row_h * len(spans) + 10

    def x(d: dt.date) -> float:
        return left + (right - left) * (_years(d) - first) / (last - first)

    step = 1 if last - first <= 15 else (2 if last - first <= 30 else 5)
    parts = []
    for year in range(first, last + 1, step):
        xx = left + (right - left) * (year - first) / (last - first)
        parts.append(f'<line class="grid-line" x1="{xx:.1f}" y1="{top - 6}" x2="{xx:.1f}" y2="{height - 10}"/>')
        parts.append(f'<text x="{xx:.1f}" y="{top - 10}" text-anchor="middle">{year}</text>')
    for i, (row, start, end, open_end) in enumerate(spans):
        y = top + i * row_h
        aid = str(row["agreement_id"])
        name = f"{aid}: {start.isoformat()} to {'now' if open_end else end.isoformat()} ({row['status']})"
        x0, x1 = x(start), x(end)
        cls = f"s-{slug(row['status'])}" + (" open-end" if open_end else "")
        short = aid if len(aid) <= 38 else aid[:37] + "\u2026"
        parts.append(f'<text x="{left - 6}" y="{y + 10}" text-anchor="end" class="small">{esc(short)}</text>')
        parts.append(
            f'<rect class="{esc(cls)}" x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 2):.1f}" height="{row_h - 4}">'
            f"<title>{esc(name)}</title></rect>"
        )
    statuses = sorted({str(s[0]["status"]) for s in spans})
    legend = "".join(
        f'<li><span class="swatch s-{esc(slug(s))}" aria-hidden="true"></span>{label(s)}</li>' for s in statuses
    )
    desc = (
        f"One bar per agreement ({len(spans)} with a known date), from its first recorded date to its end, "
        f"or to {site.as_of.isoformat()} (paler) if it has not ended; colour shows the status. "
        "The table of agreements above gives the same agreements as text."
    )
    return f"""<figure>
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="tl-title tl-desc" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<title id="tl-title">Timeline of agreements, {first} to {last - 1}</title>
<desc id="tl-desc">{esc(desc)}</desc>
{"".join(parts)}
</svg>
<figcaption>{esc(desc)}</figcaption>
<ul class="legend" aria-label="Status colours">{legend}</ul>
</figure>"""  # noqa: E501


def _index(site: _Site) -> str:
    a = site.agreements
    n = len(a)
    received = a.groupby("receiving_party", observed=True).size()
    grid = "".join(
        f'<li><a href="states/{quote(slug(code))}.html">{esc(site.names.get(str(code), code))}'
        f'<span class="n">{esc(code)}: {count} deal{"s" if count != 1 else ""} received</span></a></li>'
        for code, count in sorted(received.items(), key=lambda kv: site.party_name(kv[0]).lower())
    )
    senders = a.groupby("sending_party", observed=True).size()
    send_list = "".join(
        f"<li>{site.party(code, '')} ({count})</li>"
        for code, count in sorted(senders.items(), key=lambda kv: site.party_name(kv[0]).lower())
    )
    body = f"""<h1>Bilateral migration deals</h1>
<p>Arrangements under which one state sends migrants, asylum seekers or deportees to another state, or pays another
state to receive, hold or process them; the people moved under them and the money paid. {n} agreements, data as of
{esc(site.ds.as_of)}.</p>
<section aria-labelledby="agreements">
<h2 id="agreements">Agreements</h2>
{_filters(site)}
<p id="count" role="status" aria-live="polite">{n} agreements</p>
{_deals_table(site, a, "", f"All {n} agreements: people moved and money paid as ranges", "deals")}
</section>
<section aria-labelledby="timeline">
<h2 id="timeline">Timeline</h2>
{_timeline_svg(site)}
</section>
<section aria-labelledby="states">
<h2 id="states">Receiving states</h2>
<ul class="grid">{grid}</ul>
<h3>Sending states</h3>
<ul class="inline">{send_list}</ul>
</section>"""
    return _page(site, "Bilateral migration deals", body, 0, script=True)


def _simple_table(caption: str, headers: list[tuple[str, str]], rows: list[list[tuple[str, str]]]) -> str:
    """A table whose cells are already escaped HTML: headers and cells are (html, css class) pairs."""
    head = "".join(f'<th scope="col"{f" class={chr(34)}{c}{chr(34)}" if c else ""}>{h}</th>' for h, c in headers)
    lines = []
    for cells in rows:
        (first, first_cls), *rest = cells
        row = f'<th scope="row"{f" class={chr(34)}{first_cls}{chr(34)}" if first_cls else ""}>{first}</th>' + "".join(
            f"<td{f' class={chr(34)}{c}{chr(34)}' if c else ''}>{v}</td>" for v, c in rest
        )
        lines.append(f"<tr>{row}</tr>")
    return (
        f'<div class="scroll" role="region" aria-label="{esc(caption)}" tabindex="0">\n'
        f"<table>\n<caption>{esc(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(lines)
        + "\n</tbody>\n</table>\n</div>"
    )


def _period(start: Any, end: Any) -> str:
    if missing(start) or str(start) == str(end):
        return text_or_dash(end)
    if missing(end):
        return f"from {esc(start)}"
    return f"{esc(start)} to {esc(end)}"


_MEASURES = {"cumulative": "running total", "event": "in the period", "stock": "held on the date"}


def _transfer_svg(site: _Site, aid: str, transfers: pd.DataFrame, dates: pd.DataFrame) -> str:
    """Running totals (lines) and movements in a period (bars) on one panel; head-counts held (stocks) apart."""
    points = []
    for _, t in transfers.iterrows():
        when = _middle(t["period_end_earliest"], t["period_end_latest"]) or _middle(
            t["period_start_earliest"], t["period_start_latest"]
        )
        if when is None or missing(t["people"]):
            continue
        points.append((when, int(t["people"]), str(t["measure"]), str(t["movement"]), t))
    if not points:
        return "<p>No dated figure of people to chart.</p>"
    marks = [
        (d, str(r.what).replace("_", " "))
        for r in dates.itertuples()
        if r.recorded_in != "transfers" and (d := _middle(r.date_earliest, r.date_latest)) is not None
    ]
    all_dates = [p[0] for p in points] + [m[0] for m in marks]
    lo, hi = min(all_dates), max(all_dates)
    if lo == hi:
        lo, hi = lo - dt.timedelta(days=180), hi + dt.timedelta(days=180)
    movements = sorted({p[3] for p in points})
    colour = {m: f"m{i % 6}" for i, m in enumerate(movements)}
    width, left, right = 720, 64, 700
    main_pts = [p for p in points if p[2] != "stock"]
    stock_pts = [p for p in points if p[2] == "stock"]
    panels = [
        (n, pts) for n, pts in (("Running totals and movements", main_pts), ("Held on the date", stock_pts)) if pts
    ]
    panel_h, gap, top = 170, 46, 24
    height = top + len(panels) * (panel_h + gap)

    def x(d: dt.date) -> float:
        return left + (right - left) * (d - lo).days / max((hi - lo).days, 1)

    parts = []
    for k, (title, pts) in enumerate(panels):
        y0 = top + k * (panel_h + gap)
        ymax = _nice_max(max(p[1] for p in pts))

        def y(v: float, y0: int = y0, ymax: float = ymax) -> float:
            return y0 + panel_h - panel_h * v / ymax

        parts.append(f'<text x="{left}" y="{y0 - 8}" font-weight="600">{esc(title)}</text>')
        for tick in _ticks(ymax):
            parts.append(f'<line class="grid-line" x1="{left}" y1="{y(tick):.1f}" x2="{right}" y2="{y(tick):.1f}"/>')
            parts.append(
                f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="small">'
                f"{_short_number(tick)}</text>"
            )
        for d, what in marks:
            parts.append(
                f'<line class="event-line" x1="{x(d):.1f}" y1="{y0}" x2="{x(d):.1f}" y2="{y0 + panel_h}">'
                f"<title>{esc(d.isoformat())}: {esc(what)}</title></line>"
            )
        for movement in movements:
            series = sorted(
                (p for p in pts if p[3] == movement and p[2] in ("cumulative", "stock")), key=lambda p: p[0]
            )
            if len(series) > 1:
                coords = " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in series)
                parts.append(f'<polyline class="series {colour[movement]}" points="{coords}"/>')
        for when, people, measure, movement, t in pts:
            tip = (
                f"{t['transfer_id']}: {people:,} {movement.replace('_', ' ')} ({_MEASURES.get(measure, measure)}, "
                f"{t['qualifier']}), {_period(t['period_start'], t['period_end'])}"
            )
            tip_html = f"<title>{html.escape(tip, quote=True)}</title>"
            cls = colour[movement]
            if measure == "event":
                bar_top = y(people)
                shift = (movements.index(movement) - (len(movements) - 1) / 2) * 6
                parts.append(
                    f'<rect class="{cls}" x="{x(when) - 3 + shift:.1f}" y="{bar_top:.1f}" width="6" '
                    f'height="{max(y0 + panel_h - bar_top, 1):.1f}">{tip_html}</rect>'
                )
            else:
                shape = "rect" if measure == "stock" else "circle"
                if shape == "circle":
                    parts.append(
                        f'<circle class="{cls}" cx="{x(when):.1f}" cy="{y(people):.1f}" r="4">{tip_html}</circle>'
                    )
                else:
                    parts.append(
                        f'<rect class="{cls}" x="{x(when) - 4:.1f}" y="{y(people) - 4:.1f}" width="8" height="8">'
                        f"{tip_html}</rect>"
                    )
        parts.append(f'<line class="axis" x1="{left}" y1="{y0 + panel_h}" x2="{right}" y2="{y0 + panel_h}"/>')
        years = range(lo.year + (lo.month > 1 or lo.day > 1), hi.year + 1)
        step = max(1, math.ceil(len(years) / 10))
        for year in list(years)[::step]:
            xx = x(dt.date(year, 1, 1))
            parts.append(f'<text x="{xx:.1f}" y="{y0 + panel_h + 14}" text-anchor="middle" class="small">{year}</text>')
    legend = "".join(
        f'<li><span class="swatch {colour[m]}" aria-hidden="true"></span>{label(m)}</li>' for m in movements
    )
    n_total = sum(1 for p in points if p[2] == "cumulative")
    n_event = sum(1 for p in points if p[2] == "event")
    desc = (
        f"{_plural(len(points), 'figure', 'figures')} of people from {lo.isoformat()} to {hi.isoformat()}: "
        f"{_plural(n_total, 'running total', 'running totals')} (dots joined by lines), "
        f"{_plural(n_event, 'movement in a period', 'movements in a period')} (bars) and "
        f"{_plural(len(stock_pts), 'head-count', 'head-counts')} of people held (squares, in their own panel). "
        "Dashed lines mark milestones and events (hover for the date). "
        "The table of transfers below gives every figure."
    )
    return f"""<figure>
<svg xmlns="http://www.w3.org/2000/svg" id="transfer-chart" role="img" aria-labelledby="tc-title tc-desc" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<title id="tc-title">People moved under {esc(aid)}</title>
<desc id="tc-desc">{esc(desc)}</desc>
{"".join(parts)}
</svg>
<figcaption>{esc(desc)}</figcaption>
<ul class="legend" aria-label="Movement colours">{legend}</ul>
</figure>"""  # noqa: E501


def _agreement(site: _Site, row: pd.Series) -> str:
    ds = site.ds
    aid = str(row["agreement_id"])
    root = "../"
    facts = [
        ("Agreement id", esc(aid)),
        ("Sending state", site.party(row["sending_party"], root)),
        ("Receiving state", site.party(row["receiving_party"], root)),
        ("Kind", label(row["kind"])),
        ("Level", label(row["level"])),
        ("Instrument", label(row.get("instrument"))),
        (
            "Legally binding",
            DASH if missing(row.get("legally_binding")) else ("yes" if row["legally_binding"] else "no"),
        ),
        ("Status", label(row["status"])),
    ]
    for m in ("announced", "signed", "in_force", "ended"):
        facts.append((m.replace("_", " ").capitalize(), text_or_dash(row.get(m))))
    if not missing(row.get("end_reason")):
        facts.append(("End reason", esc(row["end_reason"])))
    for field, name in (("parent_agreement_id", "Part of"), ("programme_id", "Programme")):
        if not missing(row.get(field)):
            facts.append((name, site.agreement_link(row[field], root)))
    a = site.agreements
    members = a[_is(a["programme_id"], aid) | _is(a["parent_agreement_id"], aid)]
    if len(members):
        facts.append(("Groups", ", ".join(site.agreement_link(m, root) for m in members["agreement_id"])))
    if not missing(row.get("capacity_people")):
        facts.append(("Capacity", f"{_num(row['capacity_people'])} people ({label(row.get('capacity_basis'))})"))
    if not missing(row.get("text_url")):
        facts.append(("Text", external_link(row["text_url"], row["text_url"])))
    people, _ = site.people_text(aid)
    money, _ = site.money_text(aid)
    facts.append(("People moved", people))
    facts.append(("Money paid", money))
    cpp = site.lookup(site.per_person, aid)
    if cpp is None or (missing(cpp["low"]) and missing(cpp["high"])):
        per = "not known: it needs both money paid and people moved"
    else:
        per = f"{esc(cpp['currency'])} {esc(value_range(cpp['low'], cpp['high']))} per person moved"
    facts.append(("Cost per person", per))
    dl = "\n".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    notes = f"<p>{esc(row['notes'])}</p>" if not missing(row.get("notes")) else ""

    # ds.timeline(aid), taken from the whole timeline computed once (the same rows, much faster)
    tl = site.timeline[_is(site.timeline["agreement_id"], aid)].rename(columns={"from": "recorded_in"})
    tl_table = (
        _simple_table(
            f"Milestones and events of {aid}",
            [("Date", ""), ("What", ""), ("Detail", ""), ("Recorded in", "")],
            [
                [
                    (text_or_dash(r.date), "date"),
                    (label(r.what), ""),
                    (text_or_dash(r.detail), ""),
                    (esc(r.recorded_in), ""),
                ]
                for r in tl.itertuples()
            ],
        )
        if len(tl)
        else "<p>No dated milestone or event.</p>"
    )

    t = ds.transfers[_is(ds.transfers["agreement_id"], aid)]
    preferred = t[t["alternative_to"].isna()]
    if len(t):
        chart = _transfer_svg(site, aid, preferred, tl)
        t_table = _simple_table(
            f"Figures of people under {aid}",
            [
                ("Figure", ""),
                ("Period or date", ""),
                ("Counts", ""),
                ("Movement", ""),
                ("People", "num"),
                ("Population", ""),
                ("Notes", ""),
            ],
            [
                [
                    (
                        esc(r["transfer_id"])
                        + (
                            ""
                            if missing(r["alternative_to"])
                            else f'<br><span class="muted">alternative to {esc(r["alternative_to"])}</span>'
                        ),
                        "",
                    ),
                    (_period(r["period_start"], r["period_end"]), ""),
                    (esc(_MEASURES.get(str(r["measure"]), str(r["measure"]))), ""),
                    (label(r["movement"]), ""),
                    (f"{_num(r['people'])} ({label(r['qualifier'])})", "num"),
                    (label(r["population"]), ""),
                    (text_or_dash(r["notes"]), ""),
                ]
                for _, r in t.iterrows()
            ],
        )
        transfers = chart + "\n" + t_table
    else:
        transfers = "<p>No figure of people moved is recorded.</p>"

    c = ds.costs[_is(ds.costs["agreement_id"], aid)]
    money_rows = (
        _simple_table(
            f"Figures of money under {aid}",
            [
                ("Figure", ""),
                ("Period or date", ""),
                ("Amount", "num"),
                ("Counts", ""),
                ("Stage", ""),
                ("Form", ""),
                ("Category", ""),
                ("Inside", ""),
                ("Notes", ""),
            ],
            [
                [
                    (esc(r["cost_id"]), ""),
                    (_period(r["period_start"], r["period_end"]), ""),
                    (f"{esc(r['currency'])} {_num(r['amount'])} ({label(r['qualifier'])})", "num"),
                    (
                        esc(_MEASURES.get(str(r["measure"]), str(r["measure"])))
                        + ("" if missing(r["unit"]) else f" per {label(r['unit'])}"),
                        "",
                    ),
                    (label(r["status"]), ""),
                    (label(r["form"]), ""),
                    (label(r["category"]), ""),
                    (text_or_dash(r["within"]), ""),
                    (text_or_dash(r["notes"]), ""),
                ]
                for _, r in c.iterrows()
            ],
        )
        if len(c)
        else "<p>No figure of money is recorded.</p>"
    )

    cited = ds.sources_of(aid)
    source_rows = []
    for source_id, group in cited.groupby("source_id", sort=True):
        first = group.iloc[0]
        roles = ", ".join(sorted({str(r) for r in group["role"].dropna()}))
        source_rows.append(
            [
                (external_link(first["url"], first["title"]), ""),
                (text_or_dash(first["publisher"]), ""),
                (label(first["class"]), ""),
                (esc(roles) or DASH, ""),
                (text_or_dash(first["published"]), ""),
                (f"{len(group)}", "num"),
                (esc(source_id), ""),
            ]
        )
    sources = (
        _simple_table(
            f"Sources cited for {aid}",
            [
                ("Source", ""),
                ("Publisher", ""),
                ("Class", ""),
                ("Role", ""),
                ("Published", ""),
                ("Values cited", "num"),
                ("Source id", ""),
            ],
            source_rows,
        )
        if source_rows
        else "<p>No source is cited.</p>"
    )
    name = "" if missing(row["name"]) else str(row["name"])
    body = f"""<nav aria-label="Breadcrumb"><a href="../index.html">All agreements</a> / {esc(aid)}</nav>
<h1>{esc(name) or esc(aid)}</h1>
<dl class="facts">
{dl}
</dl>
{notes}
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Milestones and events</h2>
{tl_table}
</section>
<section aria-labelledby="h-transfers"><h2 id="h-transfers">People moved</h2>
{transfers}
</section>
<section aria-labelledby="h-money"><h2 id="h-money">Money</h2>
<p>Cost per person: {per}.</p>
{money_rows}
</section>
<section aria-labelledby="h-sources"><h2 id="h-sources">Sources</h2>
{sources}
</section>"""
    return _page(site, name or aid, body, 1)


def _state(site: _Site, code: str) -> str:
    a = site.agreements
    name = site.names.get(code, code)
    sent = a[_is(a["sending_party"], code)]
    received = a[_is(a["receiving_party"], code)]
    parts = []
    for title, rows in (("Deals sent", sent), ("Deals received", received)):
        heading = f"{title} ({len(rows)})"
        if len(rows):
            parts.append(f"<h2>{heading}</h2>\n{_deals_table(site, rows, '../', f'{title} by {name}')}")
        else:
            parts.append(f"<h2>{heading}</h2>\n<p>None recorded.</p>")
    kind = site.kinds.get(code)
    body = f"""<nav aria-label="Breadcrumb"><a href="../index.html#states">All states</a> / {esc(code)}</nav>
<h1>{esc(name)} <span class="muted">({esc(code)})</span></h1>
<p>{label(kind) if kind else "party"}: {len(sent)} deal{"s" if len(sent) != 1 else ""} as the sending side,
{len(received)} as the receiving side.</p>
{chr(10).join(parts)}"""
    return _page(site, name, body, 1)


# ---------------------------------------------------------------------------------------------------------------


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)


def build_site(ds: Dataset, directory: str | Path) -> list[Path]:
    """Write the explorer site for a loaded dataset into `directory` (created if needed).

    Returns the paths written: ``index.html``, one page per agreement under ``agreements/``, one per
    state under ``states/`` and the files under ``static/``. Files from an earlier build that no longer
    correspond to a record are left alone.
    """
    out = Path(directory)
    for sub in ("agreements", "states", "static"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    site = _Site.of(ds)
    written: list[Path] = []
    static = resources.files(__name__).joinpath("static")
    for name in STATIC_FILES:
        target = out / "static" / name
        target.write_bytes(static.joinpath(name).read_bytes())
        written.append(target)
    _write(out / "index.html", _index(site), written)
    for _, row in site.agreements.iterrows():
        if missing(row["agreement_id"]):
            continue
        _write(out / "agreements" / f"{slug(row['agreement_id'])}.html", _agreement(site, row), written)
    a = site.agreements
    codes = set(site.names) | {str(c) for c in pd.concat([a["sending_party"], a["receiving_party"]]).dropna()}
    for code in sorted(codes):
        _write(out / "states" / f"{slug(code)}.html", _state(site, code), written)
    return written
