"""Layer 2 of validation: consistency rules that a Table Schema cannot say.

Each rule is a small function over whole columns; `RULES` lists them in the
order they are documented in the codebook. Partial dates are compared as
intervals: a rule fires only when the order is wrong for every day the
dates can mean.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .columns import per_unique
from .dates import bounds
from .figures import in_cycle, interval, overlaps
from .patterns import compile_pattern
from .report import Finding, Severity
from .tableschema import CheckedTable

MILESTONES = ("announced", "signed", "in_force", "ended")
TERMINAL = ("terminated", "struck_down", "abandoned")
FORECAST = ("committed", "estimated", "conditional")
PER_PERSON = ("person", "person_day", "person_month", "person_year", "family")
PER_TIME = ("day", "month", "year")
SERIES = ("agreement_id", "movement", "population", "nationalities", "voluntary")
LOWER_BOUND = ("exact", "at_least")
UPPER_BOUND = ("exact", "at_most")
_BAD_TEXT = re.compile(r"^\s|\s$|[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|^[=+\-@]")


@dataclass
class Context:
    tables: dict[str, CheckedTable]
    as_of: date
    _bounds: dict[tuple[str, str], tuple[pd.Series, pd.Series, pd.Series]] = field(default_factory=dict)

    def bounds(self, resource: str, name: str) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Earliest day, latest day and not-a-real-date mask of a date column (cached)."""
        key = (resource, name)
        if key not in self._bounds:
            text = self.tables[resource].text[name]
            self._bounds[key] = bounds(text.where(text != "", None))
        return self._bounds[key]

    def findings(
        self,
        resource: str,
        mask: np.ndarray | pd.Series,
        field_: str | None,
        rule: str,
        message: Callable[[int], str] | str,
        severity: Severity = "error",
        value_field: str | None = None,
    ) -> list[Finding]:
        t = self.tables[resource]
        mask = np.asarray(mask, dtype=bool)
        out = []
        vf = value_field or field_
        for r in map(int, np.flatnonzero(mask)):
            value = t.text[vf].iat[r] if vf else None
            msg = message(r) if callable(message) else message
            out.append(Finding(t.display, t.line(r), field_, rule, msg, value, resource, severity))
        return out


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Cell-by-cell equality of two text columns (categoricals with different categories included)."""
    return a.to_numpy(dtype=object) == b.to_numpy(dtype=object)


def _matches(rx: Any, value: str) -> bool:
    return bool(value) and rx.fullmatch(value) is not None


def _has(ctx: Context, *names: str) -> bool:
    return all(n in ctx.tables for n in names)


def codes(ctx: Context) -> list[Finding]:
    """Party, currency, language and nationality codes exist in ISO (or the documented extras)."""
    import pycountry

    out: list[Finding] = []
    iso3 = {c.alpha_3 for c in pycountry.countries}
    if _has(ctx, "parties"):
        t = ctx.tables["parties"]
        extra = set(t.schema.field("party_id").extra.get("nonIsoCodes", {}))
        ids = t.text["party_id"]
        bad = ~ids.isin(iso3 | extra) & (ids != "")
        out += ctx.findings(
            "parties",
            bad,
            "party_id",
            "party-code",
            "is not an ISO 3166-1 alpha-3 code nor one of the documented extra codes (nonIsoCodes)",
        )
    if _has(ctx, "costs"):
        cur = ctx.tables["costs"].text["currency"]
        known = {c.alpha_3 for c in pycountry.currencies}
        known |= set(ctx.tables["costs"].schema.field("currency").extra.get("nonIsoCodes", {}))
        out += ctx.findings(
            "costs",
            ~cur.isin(known) & (cur != ""),
            "currency",
            "currency-code",
            "is not an ISO 4217 currency code nor one of the documented withdrawn codes (nonIsoCodes)",
        )
    if _has(ctx, "sources"):
        lang = ctx.tables["sources"].text["language"]
        known = {lg.alpha_2 for lg in pycountry.languages if hasattr(lg, "alpha_2")}
        out += ctx.findings(
            "sources",
            ~lang.isin(known) & (lang != ""),
            "language",
            "language-code",
            "is not an ISO 639-1 language code",
        )
    if _has(ctx, "transfers", "parties"):
        extra = set(ctx.tables["parties"].schema.field("party_id").extra.get("nonIsoCodes", {}))
        nat = ctx.tables["transfers"].text["nationalities"]
        ok = per_unique(nat, lambda s: s == "" or all(c in iso3 or c in extra for c in s.split(";")), bool)
        out += ctx.findings(
            "transfers",
            ~ok,
            "nationalities",
            "nationality-code",
            "every code must be an ISO 3166-1 alpha-3 country code (or a documented extra)",
        )
    return out


def real_dates(ctx: Context) -> list[Finding]:
    """Dates that match the pattern must also exist in the calendar (no 2023-02-30)."""
    out: list[Finding] = []
    for res, t in ctx.tables.items():
        for f in t.schema.fields:
            if f.edtf:
                text = t.text[f.name]
                rx = compile_pattern(f.pattern or "")
                shaped = per_unique(text, partial(_matches, rx), bool)
                _, _, bad = ctx.bounds(res, f.name)
                out += ctx.findings(
                    res,
                    shaped & bad,
                    f.name,
                    "date-invalid",
                    "is not a real calendar date (check the day of the month)",
                )
    return out


EARLIEST = date(1900, 1, 1)
"""No date in this dataset lies before this day (the Table Schema sets no bound; the codebook says so)."""


def date_limits(ctx: Context) -> list[Finding]:
    """No date lies after the package's asOf date (a committed, estimated or conditional cost's period may),
    nor before 1900: the deals this dataset records are modern, so an older year is a typo."""
    out: list[Finding] = []
    late, early = pd.Timestamp(ctx.as_of), pd.Timestamp(EARLIEST)
    for res, t in ctx.tables.items():
        forecast = np.zeros(len(t.text), dtype=bool)
        if res == "costs":  # money promised or estimated for a period that has not ended yet
            forecast = t.text["status"].isin(FORECAST).to_numpy()
        for f in t.schema.fields:
            if f.edtf:
                lo, hi, _ = ctx.bounds(res, f.name)
            elif f.type == "date":
                lo = hi = t.typed[f.name]
            else:
                continue
            exempt = forecast if f.name.startswith("period_") else False
            out += ctx.findings(
                res,
                (lo > late).fillna(False).to_numpy() & ~exempt,
                f.name,
                "future-date",
                f"lies after the data package's asOf date {ctx.as_of.isoformat()}",
            )
            out += ctx.findings(
                res,
                (hi < early).fillna(False).to_numpy(),
                f.name,
                "date-range",
                f"lies before {EARLIEST.year}, earlier than any date this dataset holds; check the year",
            )
    return out


def empty_tables(ctx: Context) -> list[Finding]:
    """Every table has at least one row: a file cut down to its header would lose the data silently."""
    return [
        Finding(t.display, 1, None, "empty-table", "the table has a header but no rows", None, res)
        for res, t in ctx.tables.items()
        if len(t.text) == 0
    ]


def _before(ctx: Context, res: str, a: str, b: str) -> np.ndarray:
    """Rows where date b certainly lies before date a."""
    a_lo, _, _ = ctx.bounds(res, a)
    _, b_hi, _ = ctx.bounds(res, b)
    return (b_hi < a_lo).fillna(False).to_numpy()


def milestone_order(ctx: Context) -> list[Finding]:
    """signed <= in_force <= ended, partial dates compared as intervals (announced after signing: a warning)."""
    if not _has(ctx, "agreements"):
        return []
    out: list[Finding] = []
    for i, later in enumerate(MILESTONES[1:], start=1):
        for earlier in MILESTONES[:i]:
            if earlier == "announced":
                # Deals are sometimes signed in secret and announced later: worth a look, not an error.
                out += ctx.findings(
                    "agreements",
                    _before(ctx, "agreements", earlier, later),
                    "announced",
                    "date-order",
                    f"announced lies after {later}; check it (secretly signed deals are announced later)",
                    severity="warning",
                )
                continue
            out += ctx.findings(
                "agreements",
                _before(ctx, "agreements", earlier, later),
                later,
                "date-order",
                f"{later} lies before {earlier}; milestones run signed, in_force, ended",
            )
    return out


def status_dates(ctx: Context) -> list[Finding]:
    """An end date goes with a terminal status (terminated, struck_down, abandoned) and back."""
    if not _has(ctx, "agreements"):
        return []
    t = ctx.tables["agreements"]
    ended = (t.text["ended"] != "").to_numpy()
    terminal = t.text["status"].isin(TERMINAL).to_numpy()
    return ctx.findings(
        "agreements",
        ended & ~terminal & (t.text["status"] != "").to_numpy(),
        "status",
        "status-dates",
        "the agreement has an ended date, so its status must be terminated, struck_down or abandoned",
    ) + ctx.findings(
        "agreements",
        terminal & ~ended,
        "ended",
        "status-dates",
        "the status says the agreement ended; give the ended date (a year is enough)",
        value_field="ended",
    )


def party_pairs(ctx: Context) -> list[Finding]:
    """An agreement has two different parties; money moves between two parties; payments to a partner name it."""
    out: list[Finding] = []
    if _has(ctx, "agreements"):
        t = ctx.tables["agreements"].text
        out += ctx.findings(
            "agreements",
            _same(t["sending_party"], t["receiving_party"]) & (t["sending_party"] != "").to_numpy(),
            "receiving_party",
            "same-party",
            "the receiving party must differ from the sending party",
        )
    if _has(ctx, "costs"):
        t = ctx.tables["costs"].text
        out += ctx.findings(
            "costs",
            _same(t["payer"], t["payee"]) & (t["payer"] != "").to_numpy(),
            "payee",
            "same-party",
            "the payee must differ from the payer (leave payee empty for the payer's own spending)",
        )
        to_partner = t["category"].isin(["direct_payment", "development_fund"]) & (t["payee"] == "")
        out += ctx.findings(
            "costs",
            to_partner,
            "payee",
            "payee-missing",
            "payments to a partner (direct_payment, development_fund) need a payee",
        )
    return out


def parent_agreement(ctx: Context) -> list[Finding]:
    """An agreement is not its own parent."""
    if not _has(ctx, "agreements"):
        return []
    t = ctx.tables["agreements"].text
    return ctx.findings(
        "agreements",
        _same(t["parent_agreement_id"], t["agreement_id"]),
        "parent_agreement_id",
        "self-parent",
        "an agreement cannot amend or implement itself",
    )


def periods(ctx: Context) -> list[Finding]:
    """Periods are well ordered; observed events (transfers, paid costs) have a start; rates and recurring amounts
    state their unit."""
    out: list[Finding] = []
    for res in ("transfers", "costs"):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res].text
        out += ctx.findings(
            res,
            _before(ctx, res, "period_start", "period_end"),
            "period_end",
            "period-order",
            "period_end lies before period_start",
        )
        event = t["measure"] == "event"
        if res == "costs":  # a promised or estimated payment may have no known period yet
            event &= t["status"] == "paid"
        out += ctx.findings(
            res,
            event & (t["period_start"] == ""),
            "period_start",
            "event-period",
            "an event needs period_start (equal to period_end for a single flight or payment)",
        )
    if _has(ctx, "costs"):
        t = ctx.tables["costs"].text
        measure, unit = t["measure"], t["unit"]
        wants = np.select(
            [measure.isin(["rate"]).to_numpy(), measure.isin(["recurring"]).to_numpy()], ["rate", "recurring"], ""
        )
        per_person = unit.isin(PER_PERSON).to_numpy()
        per_time = unit.isin(PER_TIME).to_numpy()
        bad = (
            np.where(wants == "rate", ~per_person, np.where(wants == "recurring", ~per_time, (unit != "").to_numpy()))
            & (measure != "").to_numpy()
        )
        out += ctx.findings(
            "costs",
            bad,
            "unit",
            "rate-unit",
            lambda r: (
                "a rate needs a unit per person (person, person_day, person_month, person_year or family)"
                if wants[r] == "rate"
                else "a recurring amount needs a unit of time (day, month or year)"
                if wants[r] == "recurring"
                else "only rates and recurring amounts have a unit; leave it empty"
            ),
        )
    return out


def within_agreement(ctx: Context) -> list[Finding]:
    """Warn when a transfer or cost period lies outside the agreement's life."""
    if not _has(ctx, "agreements"):
        return []
    a = ctx.tables["agreements"]
    starts = [ctx.bounds("agreements", m)[0] for m in MILESTONES[:3]]
    start = pd.concat(starts, axis=1).min(axis=1)
    end = ctx.bounds("agreements", "ended")[1]
    ids = a.text["agreement_id"]
    start_by, end_by = pd.Series(start.to_numpy(), index=ids), pd.Series(end.to_numpy(), index=ids)
    start_by = start_by[~start_by.index.duplicated()]
    end_by = end_by[~end_by.index.duplicated()]
    out: list[Finding] = []
    for res in ("transfers", "costs"):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res]
        aid = t.text["agreement_id"]
        _, p_hi, _ = ctx.bounds(res, "period_end")
        p_lo = ctx.bounds(res, "period_start")[0].fillna(ctx.bounds(res, "period_end")[0])
        a_start = start_by.reindex(aid.to_numpy()).to_numpy(dtype="datetime64[s]")
        a_end = end_by.reindex(aid.to_numpy()).to_numpy(dtype="datetime64[s]")
        early = p_hi.to_numpy() < a_start
        # a cumulative total may be stated after the end; an event may not happen after it
        late = (p_lo.to_numpy() > a_end) & (t.text["measure"] != "cumulative").to_numpy()
        msg = (
            "the period lies outside the agreement's life (from its first milestone to its end); "
            "check the dates or the agreement"
        )
        if res == "costs":
            early = early & (t.text["status"] != "committed").to_numpy()
        out += ctx.findings(res, early | late, "period_end", "outside-agreement", msg, severity="warning")
    return out


def _preferred(t: CheckedTable) -> np.ndarray:
    return (t.text["alternative_to"] == "").to_numpy()


def _nested_in_same(t: CheckedTable, key: str, columns: tuple[str, ...]) -> np.ndarray:
    """Rows inside a preferred parent that has the same values in `columns` (the parent counts them)."""
    parent = t.text["within"].astype(object).to_numpy()
    has = parent != ""
    if not has.any():
        return has
    by_id = t.text.drop_duplicates(key).set_index(key)
    same = by_id.reindex(parent)["alternative_to"].astype(object).to_numpy() == ""
    for c in columns:
        same &= by_id.reindex(parent)[c].astype(object).to_numpy() == t.text[c].astype(object).to_numpy()
    return has & same


def _series(ctx: Context) -> list[dict[str, np.ndarray]]:
    """Preferred, dated transfer rows split into series (same agreement, direction, population and
    nationalities), each as arrays sorted by the latest day of its as-of date."""
    t = ctx.tables["transfers"]
    lo_s, hi_s, _ = ctx.bounds("transfers", "period_end")
    rows = np.flatnonzero(_preferred(t) & lo_s.notna().to_numpy() & ~_nested_in_same(t, "transfer_id", SERIES))
    if not len(rows):
        return []
    people = t.typed["people"].to_numpy(dtype=float, na_value=np.nan)[rows]
    qualifier = t.text["qualifier"].iloc[rows]
    columns = {
        "row": rows,
        "lo": lo_s.to_numpy()[rows].astype("datetime64[s]").astype(np.int64),
        "hi": hi_s.to_numpy()[rows].astype("datetime64[s]").astype(np.int64),
        "lower": np.where(qualifier.isin(LOWER_BOUND), people, np.nan),
        "upper": np.where(qualifier.isin(UPPER_BOUND), people, np.nan),
        "cumulative": (t.text["measure"].iloc[rows] == "cumulative").to_numpy(),
        "event": (t.text["measure"].iloc[rows] == "event").to_numpy(),
    }
    group = t.text.iloc[rows].groupby(list(SERIES), sort=False, observed=True).ngroup().to_numpy()
    order = np.lexsort((columns["hi"], group))
    cuts = np.flatnonzero(np.diff(group[order])) + 1
    return [{k: v[part] for k, v in columns.items()} for part in np.split(order, cuts)]


def _prior_totals(prior: dict[str, np.ndarray], later: dict[str, np.ndarray], how: str) -> np.ndarray:
    """For each later row, the max (or sum) of prior lower bounds over rows ending certainly before it begins.

    `prior` is sorted by "hi". Events that end on or before the day a total is stated count towards it.
    """
    if how == "sum":
        acc = np.concatenate([[0.0], np.cumsum(np.nan_to_num(prior["lower"], nan=0.0))])
        return acc[np.searchsorted(prior["hi"], later["lo"], side="right")]
    acc = np.concatenate([[-np.inf], np.maximum.accumulate(np.nan_to_num(prior["lower"], nan=-np.inf))])
    return acc[np.searchsorted(prior["hi"], later["lo"], side="left")]


def _format_total(template: str, totals: dict[int, float] | np.ndarray, row: int) -> str:
    return template.format(totals[row])


def cumulative_series(ctx: Context) -> list[Finding]:
    """Cumulative totals never fall; events before a total never add up to more than it."""
    if not _has(ctx, "transfers"):
        return []
    out_rows: dict[str, list[tuple[int, float]]] = {"decrease": [], "exceed": []}
    for series in _series(ctx):
        cum = {k: v[series["cumulative"]] for k, v in series.items()}
        ev = {k: v[series["event"]] for k, v in series.items()}
        checks = [("decrease", cum, "max")] if len(cum["row"]) > 1 else []
        checks += [("exceed", ev, "sum")] if len(cum["row"]) and len(ev["row"]) else []
        for name, prior, how in checks:
            before = _prior_totals(prior, cum, how)
            broken = ~np.isnan(cum["upper"]) & (before > np.nan_to_num(cum["upper"], nan=np.inf))
            out_rows[name] += [(int(r), float(b)) for r, b in zip(cum["row"][broken], before[broken], strict=True)]
    n = len(ctx.tables["transfers"].text)
    out: list[Finding] = []
    for rule, rows in (("cumulative-decrease", out_rows["decrease"]), ("events-exceed-cumulative", out_rows["exceed"])):
        mask = np.zeros(n, bool)
        info = dict(rows)
        mask[list(info)] = True
        text = (
            "a cumulative total cannot fall: an earlier total in the same series is at least {:.0f}"
            if rule == "cumulative-decrease"
            else "events in the same series before this date already add up to {:.0f}, more than this total"
        )
        out += ctx.findings("transfers", mask, "people", rule, partial(_format_total, text, info))
    return out


def capacity(ctx: Context) -> list[Finding]:
    """A capacity says what it limits; transfers stay within a cap over the agreement's term."""
    if not _has(ctx, "transfers", "agreements"):
        return []
    a = ctx.tables["agreements"]
    out = ctx.findings(
        "agreements",
        (a.text["capacity_people"] == "") != (a.text["capacity_basis"] == ""),
        "capacity_basis",
        "capacity-basis",
        "capacity_people and capacity_basis go together: say whether the number is a cap over the term, "
        "at one time, per year, per month, or a plan",
    )
    total = (a.text["capacity_basis"] == "term_total").to_numpy()
    cap = pd.Series(
        np.where(total, a.typed["capacity_people"].to_numpy(dtype=float, na_value=np.nan), np.nan),
        index=a.text["agreement_id"],
    )
    cap = cap[~cap.index.duplicated()]
    t = ctx.tables["transfers"]
    people = t.typed["people"].to_numpy(dtype=float, na_value=np.nan)
    lower = np.where(t.text["qualifier"].isin(LOWER_BOUND), people, 0.0)
    sel = (
        _preferred(t)
        & (t.text["movement"] == "transferred").to_numpy()
        & ~_nested_in_same(t, "transfer_id", ("agreement_id", "movement"))
    )
    aid = t.text["agreement_id"]
    limit = cap.reindex(aid.to_numpy()).to_numpy(dtype=float)
    cum = sel & (t.text["measure"] == "cumulative").to_numpy()
    over = cum & (lower > limit)
    ev = sel & (t.text["measure"] == "event").to_numpy()
    sums = pd.Series(np.where(ev, lower, 0.0)).groupby(aid.to_numpy()).transform("sum").to_numpy()
    last_event = ev & ~pd.Series(np.where(ev, aid, None)).duplicated(keep="last").to_numpy()
    over_ev = last_event & (sums > limit)
    return out + ctx.findings(
        "transfers",
        over | over_ev,
        "people",
        "over-capacity",
        lambda r: f"transfers under this agreement exceed its capacity_people of {limit[r]:.0f}",
    )


def programmes(ctx: Context) -> list[Finding]:
    """Only a programme may leave receiving_party empty; programme_id names a programme; a programme has members."""
    if not _has(ctx, "agreements"):
        return []
    t = ctx.tables["agreements"].text
    level = t["level"]
    by_id = t.drop_duplicates("agreement_id").set_index("agreement_id")
    target_level = t["programme_id"].astype(object).map(by_id["level"].astype(object))
    has = t["programme_id"] != ""
    named = set(t["programme_id"].astype(object)) - {""}
    out = ctx.findings(
        "agreements",
        (level == "agreement") & (t["receiving_party"] == ""),
        "receiving_party",
        "receiving-party",
        "an agreement needs a receiving party; only a programme (level programme) may leave it empty",
    )
    out += ctx.findings(
        "agreements",
        has & ((target_level.notna() & (target_level != "programme")) | _same(t["programme_id"], t["agreement_id"])),
        "programme_id",
        "programme-member",
        "programme_id must name another row whose level is programme",
    )
    out += ctx.findings(
        "agreements",
        (level == "programme") & ~t["agreement_id"].astype(object).isin(named),
        "level",
        "programme-empty",
        "no agreement names this programme in programme_id; add its members or make it an agreement",
        severity="warning",
    )
    return out


def _agreement_ancestors(ctx: Context) -> dict[str, set[str]]:
    """Each agreement with every agreement above it (programme_id and parent_agreement_id, followed up)."""
    if not _has(ctx, "agreements"):
        return {}
    t = ctx.tables["agreements"].text
    up: dict[str, set[str]] = {}
    for a, prog, parent in zip(t["agreement_id"], t["programme_id"], t["parent_agreement_id"], strict=True):
        up.setdefault(str(a), set()).update(x for x in (str(prog), str(parent)) if x)
    out = {}
    for a in up:
        seen, todo = {a}, list(up[a])
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo += up.get(x, ())
        out[a] = seen
    return out


def _parent_rows(t: CheckedTable, key: str, link: str) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the row number its `link` column names (-1 if none or unknown), and whether it names one."""
    ids = t.text[key].astype(object).to_numpy()
    position = {k: i for i, k in reversed(list(enumerate(ids)))}
    target = t.text[link].astype(object).to_numpy()
    rows = np.array([position.get(v, -1) if v else -1 for v in target], dtype=int)
    return rows, target != ""


def nesting(ctx: Context) -> list[Finding]:
    """A row inside another (within) is of its agreement or one above it, never itself or a cycle, of the
    same kind (stock or movement; amounts inside amounts), inside its parent's period (people only), and the children
    of one parent add up to no more than it (qualifiers as bounds)."""
    out: list[Finding] = []
    above = _agreement_ancestors(ctx)
    for res, key, value in (("transfers", "transfer_id", "people"), ("costs", "cost_id", "amount")):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res]
        text = t.text
        parent, has = _parent_rows(t, key, "within")
        known = parent >= 0
        p = np.where(known, parent, 0)
        ids = text[key].astype(object).to_numpy()
        out += ctx.findings(
            res,
            has & (text["within"].astype(object).to_numpy() == ids),
            "within",
            "within-self",
            "a row cannot lie inside itself",
        )
        cyc = in_cycle(dict(zip(ids, text["within"].astype(object), strict=True)))
        out += ctx.findings(
            res,
            np.isin(ids, list(cyc)) & (text["within"].astype(object).to_numpy() != ids),
            "within",
            "within-cycle",
            "within links go round in a circle; a parent cannot lie inside its child",
        )
        agreement = text["agreement_id"].astype(object).to_numpy()
        ok_agreement = np.array(
            [not k or agreement[q] in above.get(a, {a}) for k, q, a in zip(known, p, agreement, strict=True)],
            dtype=bool,
        )
        out += ctx.findings(
            res,
            known & ~ok_agreement,
            "within",
            "within-agreement",
            "the parent must be a row of the same agreement or of an agreement it belongs to "
            "(its programme or parent_agreement_id)",
        )
        measure = text["measure"].astype(object).to_numpy()
        if res == "transfers":
            same_kind = (measure == "stock") == (measure[p] == "stock")
            kind_msg = "a stock lies only inside a stock, and a movement only inside a movement"
        else:
            same_kind = np.isin(measure, ["event", "cumulative"]) & np.isin(measure[p], ["event", "cumulative"])
            kind_msg = "only one-off amounts and running totals nest; rates and recurring amounts do not"
        out += ctx.findings(res, known & ~same_kind, "within", "within-measure", kind_msg)
        s_lo, s_hi, _ = ctx.bounds(res, "period_start")
        e_lo, e_hi, _ = ctx.bounds(res, "period_end")
        e_lo_, e_hi_ = e_lo.to_numpy(), e_hi.to_numpy()
        s_lo_, s_hi_ = s_lo.to_numpy(), s_hi.to_numpy()
        late = e_lo_ > e_hi_[p]
        early = (measure[p] == "event") & (s_hi_ < s_lo_[p])
        if res == "costs":  # money is dated when stated: a package is announced before its parts are approved
            late = early = np.zeros(len(ids), dtype=bool)
        out += ctx.findings(
            res,
            known & same_kind & (late | early),
            "period_end",
            "within-period",
            "the period lies outside the period of the row it is inside",
        )
        low, high = interval(
            t.typed[value].to_numpy(dtype=float, na_value=np.nan), text["qualifier"].astype(object).to_numpy()
        )
        comparable = known & same_kind
        if res == "costs":
            for c in ("currency", "status"):
                col = text[c].astype(object).to_numpy()
                comparable &= col == col[p]
        sums = np.zeros(len(ids))
        np.add.at(sums, p[comparable], np.nan_to_num(low[comparable]))
        n_children = np.bincount(p[comparable], minlength=len(ids))
        over = (n_children > 0) & (sums > high)
        out += ctx.findings(
            res,
            over,
            value,
            "within-exceeds",
            partial(_format_total, "the rows inside this one add up to at least {:.0f}, more than it can be", sums),
        )
    return out


def stages(ctx: Context) -> list[Finding]:
    """The same money at another stage (stage_of) points at the first row of its chain, of the same agreement
    or one above it, in the same currency; reports of one chain at the same status agree."""
    if not _has(ctx, "costs"):
        return []
    t = ctx.tables["costs"]
    text = t.text
    above = _agreement_ancestors(ctx)
    parent, has = _parent_rows(t, "cost_id", "stage_of")
    known = parent >= 0
    p = np.where(known, parent, 0)
    ids = text["cost_id"].astype(object).to_numpy()
    link = text["stage_of"].astype(object).to_numpy()
    itself = has & (link == ids)
    out = ctx.findings("costs", itself, "stage_of", "stage-self", "a row cannot be a stage of itself")
    out += ctx.findings(
        "costs",
        known & ~itself & (link[p] != ""),
        "stage_of",
        "stage-chain",
        "point at the first row of the chain (the one with stage_of empty)",
    )
    agreement = text["agreement_id"].astype(object).to_numpy()
    related = np.array(
        [
            not k or agreement[q] in above.get(a, {a}) or a in above.get(agreement[q], set())
            for k, q, a in zip(known, p, agreement, strict=True)
        ],
        dtype=bool,
    )
    out += ctx.findings(
        "costs",
        known & ~related,
        "stage_of",
        "stage-agreement",
        "the same money belongs to the same agreement (or one above it)",
    )
    currency = text["currency"].astype(object).to_numpy()
    out += ctx.findings(
        "costs",
        known & (currency != currency[p]),
        "currency",
        "stage-currency",
        "the same money at another stage is stated in the same currency; convert nothing by hand",
    )
    low, high = interval(
        t.typed["amount"].to_numpy(dtype=float, na_value=np.nan), text["qualifier"].astype(object).to_numpy()
    )
    chain = np.where(has, link, ids)
    out += _conflicts(
        ctx,
        "costs",
        pd.DataFrame({"chain": chain, "status": text["status"].astype(object)}),
        _preferred(t),
        low,
        high,
        "amount",
        "stage-conflict",
        "another report of the same money at the same stage (line {line}) says {value}; "
        "correct one or mark it as an alternative",
    )
    return out


def _conflicts(
    ctx: Context,
    res: str,
    keys: pd.DataFrame,
    use: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    field_: str,
    rule: str,
    template: str,
) -> list[Finding]:
    """Rows whose interval misses that of the first row (in file order) with the same keys."""
    t = ctx.tables[res]
    rows = np.flatnonzero(use)
    if not len(rows):
        return []
    group = keys.iloc[rows].groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(rows).groupby(group).transform("min").to_numpy()
    bad = ~overlaps(low[rows], high[rows], low[first], high[first]) & (first != rows)
    mask = np.zeros(len(t.text), bool)
    mask[rows[bad]] = True
    ref = dict(zip(rows[bad], first[bad], strict=True))
    return ctx.findings(
        res, mask, field_, rule, lambda r: template.format(line=t.line(ref[r]), value=t.text[field_].iat[ref[r]])
    )


def figure_conflicts(ctx: Context) -> list[Finding]:
    """Two preferred figures of people in one series with the same measure and period, or two preferred
    running totals of money in one series on one date, state one fact: their intervals must meet, or one
    is marked as an alternative."""
    out: list[Finding] = []
    for res, value, series in (
        ("transfers", "people", SERIES),
        ("costs", "amount", ("agreement_id", "payer", "payee", "category", "form", "currency", "status")),
    ):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res]
        cols = [*series, "measure", "period_start", "period_end"]
        keys = pd.DataFrame({c: t.text[c].astype(object) for c in cols})
        use = _preferred(t)
        if res == "costs":
            # two one-off amounts on one day can be two payments; two running totals on one day cannot differ.
            # Later reports of the same money are checked by stage-conflict.
            use = use & (t.text["stage_of"] == "").to_numpy() & (t.text["measure"] == "cumulative").to_numpy()
        low, high = interval(
            t.typed[value].to_numpy(dtype=float, na_value=np.nan), t.text["qualifier"].astype(object).to_numpy()
        )
        out += _conflicts(
            ctx,
            res,
            keys,
            use,
            low,
            high,
            value,
            "figure-conflict",
            "another preferred figure of the same series and period (line {line}) says {value}; "
            "the two cannot both be true: mark one as an alternative or correct it",
        )
    return out


ENDS = ("termination",)
AFTER_END_NOT = ("first_transfer", "renewal", "resumption", "facility_opened")


def events(ctx: Context) -> list[Finding]:
    """Events lie inside the dates the agreement can have (nothing before its first milestone; no first
    transfer, renewal, resumption or opening after its end); a termination goes with a terminal status, a
    suspension not followed by a resumption with a suspended or terminal status, and a ruling that struck
    an agreement down with status struck_down (and back)."""
    if not _has(ctx, "events", "agreements"):
        return []
    e, a = ctx.tables["events"], ctx.tables["agreements"]
    aid = e.text["agreement_id"].astype(object).to_numpy()
    by = a.text.drop_duplicates("agreement_id").set_index("agreement_id")
    status = by["status"].astype(object).reindex(aid).to_numpy()
    starts = pd.concat([ctx.bounds("agreements", m)[0] for m in MILESTONES[:3]], axis=1).min(axis=1)
    start = pd.Series(starts.to_numpy(), index=a.text["agreement_id"].astype(object))
    end = pd.Series(ctx.bounds("agreements", "ended")[0].to_numpy(), index=a.text["agreement_id"].astype(object))
    start, end = start[~start.index.duplicated()], end[~end.index.duplicated()]
    lo, hi, _ = ctx.bounds("events", "date")
    first = start.reindex(aid).to_numpy(dtype="datetime64[s]")
    last = end.reindex(aid).to_numpy(dtype="datetime64[s]")
    kind = e.text["kind"].astype(object).to_numpy()
    preferred = _preferred(e)
    out = ctx.findings(
        "events",
        hi.to_numpy() < first,
        "date",
        "event-date",
        "the event lies before the agreement's first milestone (announced, signed or in force); check the date "
        "or the agreement",
    )
    out += ctx.findings(
        "events",
        np.isin(kind, AFTER_END_NOT) & (lo.to_numpy() > last),
        "date",
        "event-date",
        "a first transfer, renewal, resumption or opening cannot come after the agreement ended",
    )
    terminal = np.isin(status, TERMINAL)
    out += ctx.findings(
        "events",
        preferred & np.isin(kind, ENDS) & ~terminal & pd.notna(status),
        "kind",
        "event-status",
        "a termination goes with a terminated, struck_down or abandoned status",
    )
    # the latest suspension with no resumption on the same day or later leaves the agreement suspended (or ended)
    frame = pd.DataFrame({"aid": aid, "kind": kind, "lo": lo.to_numpy(), "row": np.arange(len(aid))})[preferred]
    pause = frame[frame["kind"].isin(["suspension", "resumption"])]
    # a resumption on the day of a suspension ends it (a pause of hours)
    pause = pause.assign(after=pause["kind"] == "resumption").sort_values(["lo", "after"], kind="stable")
    latest = pause.groupby("aid", sort=False).tail(1)
    open_pause = np.zeros(len(aid), dtype=bool)
    open_pause[latest.loc[latest["kind"] == "suspension", "row"].to_numpy(dtype=int)] = True
    out += ctx.findings(
        "events",
        open_pause & ~np.isin(status, ("suspended", *TERMINAL)),
        "kind",
        "event-status",
        "the agreement's latest suspension has no later resumption, so its status must be suspended (or ended)",
    )
    struck = preferred & (kind == "court_ruling") & (e.text["outcome"] == "struck_down").to_numpy()
    out += ctx.findings(
        "events",
        struck & (status != "struck_down") & pd.notna(status),
        "outcome",
        "struck-down",
        "a ruling struck this agreement down, so its status must be struck_down (or the outcome is another)",
    )
    has_ruling = set(aid[struck])
    ids = a.text["agreement_id"].astype(object).to_numpy()
    out += ctx.findings(
        "agreements",
        (a.text["status"] == "struck_down").to_numpy() & ~np.isin(ids, list(has_ruling)),
        "status",
        "struck-down",
        "a struck_down agreement needs the court ruling that struck it down in events",
    )
    return out


def citations(ctx: Context) -> list[Finding]:
    """Every citation resolves (its resource, row and field exist); every row of agreements, transfers,
    costs and events has a citation that states it, and its source_id is cited as stating it."""
    if not _has(ctx, "citations"):
        return []
    c = ctx.tables["citations"].text
    res = c["resource"].astype(object).to_numpy()
    row = c["row_id"].astype(object).to_numpy()
    fld = c["field"].astype(object).to_numpy()
    role = c["role"].astype(object).to_numpy()
    src = c["source_id"].astype(object).to_numpy()
    ok_row = np.zeros(len(c), dtype=bool)
    ok_field = np.zeros(len(c), dtype=bool)
    out: list[Finding] = []
    cited = ctx.tables["citations"].schema.field("resource").enum or ()  # the resources a citation may name
    for name in cited:
        if not _has(ctx, name):
            continue
        here = res == name
        t = ctx.tables[name]
        key = t.schema.primary_key[0]
        ok_row |= here & np.isin(row, t.text[key].astype(object).to_numpy())
        ok_field |= here & np.isin(fld, [*t.schema.names, "*"])
        ids = t.text[key].astype(object).to_numpy()
        stated = set(row[here & (role == "states")])
        out += ctx.findings(
            name,
            ~np.isin(ids, list(stated)),
            key,
            "citation-missing",
            "no citation states this row's values; add one to citations.csv (role states)",
        )
        main = set(zip(row[here & (role == "states")], src[here & (role == "states")], strict=True))
        own = t.text["source_id"].astype(object).to_numpy()
        out += ctx.findings(
            name,
            np.array([(i, s) not in main for i, s in zip(ids, own, strict=True)], dtype=bool),
            "source_id",
            "citation-missing",
            "the row's source_id must also appear in citations.csv as stating it",
        )
    out += ctx.findings("citations", ~ok_row, "row_id", "citation-row", "no row of that resource has this id")
    out += ctx.findings(
        "citations",
        ok_row & ~ok_field,
        "field",
        "citation-field",
        "that resource has no such field (use * for the row)",
    )
    return out


def alternatives(ctx: Context) -> list[Finding]:
    """A row kept for a disagreeing source points at a preferred row of the same agreement and says why."""
    out: list[Finding] = []
    for res, key in (("transfers", "transfer_id"), ("costs", "cost_id"), ("events", "event_id")):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res].text
        alt = t["alternative_to"]
        has = alt != ""
        by_id = t.drop_duplicates(key).set_index(key)
        target_agreement = alt.map(by_id["agreement_id"])
        target_alt = alt.map(by_id["alternative_to"])
        itself = has & _same(alt, t[key])
        out += ctx.findings(
            res,
            itself,
            "alternative_to",
            "alternative-self",
            "a row cannot be an alternative to itself",
        )
        out += ctx.findings(
            res,
            has & target_agreement.notna() & ~_same(target_agreement, t["agreement_id"]),
            "alternative_to",
            "alternative-agreement",
            "the preferred row must be about the same agreement",
        )
        out += ctx.findings(
            res,
            has & ~itself & target_alt.notna() & (target_alt != ""),
            "alternative_to",
            "alternative-chain",
            "point at the preferred row itself, not at another alternative",
        )
        out += ctx.findings(
            res, has & (t["notes"] == ""), "notes", "alternative-reason", "say in notes why the other row is preferred"
        )
    return out


def sources_used(ctx: Context) -> list[Finding]:
    """Every source is cited by a row: as source_id, by id in notes, or as an agreement's text_url."""
    if not _has(ctx, "sources"):
        return []
    cited: set[str] = set()
    for res, t in ctx.tables.items():  # citations.csv has a source_id column too
        if res != "sources" and "source_id" in t.text:
            cited.update(t.text["source_id"])
        if res != "sources" and "notes" in t.text:
            for note in t.text["notes"].cat.categories:  # each distinct note once
                cited.update(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", note))
    src = ctx.tables["sources"].text
    ids = src["source_id"]
    if "agreements" in ctx.tables:
        texts = set(ctx.tables["agreements"].text["text_url"])
        cited.update(ids[src["url"].isin(texts)])
    return ctx.findings(
        "sources", ~ids.isin(cited), "source_id", "unused-source", "no row cites this source; cite it or remove it"
    )


def clean_text(ctx: Context) -> list[Finding]:
    """Text has no outer spaces, control, zero-width or bidirectional-override characters, and no spreadsheet
    formula prefix."""
    out: list[Finding] = []
    for res, t in ctx.tables.items():
        for f in t.schema.fields:
            if f.type != "string":
                continue
            bad = per_unique(t.text[f.name], lambda s: bool(s) and _BAD_TEXT.search(s) is not None, bool)
            out += ctx.findings(
                res,
                bad,
                f.name,
                "text-hygiene",
                "remove spaces at either end, line breaks, control, zero-width or bidirectional characters, "
                "and a leading =, +, - or @ (spreadsheets run those as formulas)",
            )
    return out


RULES: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    codes: ("party-code", "currency-code", "language-code", "nationality-code"),
    real_dates: ("date-invalid",),
    date_limits: ("future-date", "date-range"),
    empty_tables: ("empty-table",),
    milestone_order: ("date-order",),
    status_dates: ("status-dates",),
    party_pairs: ("same-party", "payee-missing"),
    parent_agreement: ("self-parent",),
    periods: ("period-order", "event-period", "rate-unit"),
    within_agreement: ("outside-agreement",),
    cumulative_series: ("cumulative-decrease", "events-exceed-cumulative"),
    capacity: ("capacity-basis", "over-capacity"),
    programmes: ("receiving-party", "programme-member", "programme-empty"),
    nesting: ("within-self", "within-cycle", "within-agreement", "within-measure", "within-period", "within-exceeds"),
    stages: ("stage-self", "stage-chain", "stage-agreement", "stage-currency", "stage-conflict"),
    figure_conflicts: ("figure-conflict",),
    events: ("event-date", "event-status", "struck-down"),
    citations: ("citation-missing", "citation-row", "citation-field"),
    alternatives: ("alternative-self", "alternative-agreement", "alternative-chain", "alternative-reason"),
    sources_used: ("unused-source",),
    clean_text: ("text-hygiene",),
}
"""Every consistency rule, in the order the codebook lists them, with the finding names it can report."""


def check(tables: dict[str, CheckedTable], as_of: date) -> list[Finding]:
    """Run every consistency rule on tables that passed layer 1."""
    ctx = Context(tables, as_of)
    out: list[Finding] = []
    for rule in RULES:
        try:
            out += rule(ctx)
        except KeyError as e:
            out.append(
                Finding(
                    "datapackage.json",
                    None,
                    str(e.args[0]),
                    "rule-skipped",
                    f"rule {rule.__name__} needs field {e.args[0]!r}, which this package's schema lacks",
                    severity="warning",
                )
            )
        except Exception as e:  # noqa: BLE001 (a report, never a traceback, whatever the input)
            out.append(
                Finding(
                    "datapackage.json",
                    None,
                    None,
                    "rule-failed",
                    f"rule {rule.__name__} could not run on this package ({type(e).__name__}); "
                    "check the schema against the codebook",
                )
            )
    return out
