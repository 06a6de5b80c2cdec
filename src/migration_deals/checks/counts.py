"""Counts of people: running totals, capacities and figures for one fact that must agree."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from ..figures import interval
from ..report import Finding
from .context import (
    LOWER_BOUND,
    SERIES,
    UPPER_BOUND,
    Context,
    _conflicts,
    _format_total,
    _has,
    _nested_in_same,
    _preferred,
    lookup,
)


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
    codes = pd.DataFrame({c: t.text[c].cat.codes.to_numpy()[rows] for c in SERIES})  # equal codes, equal text
    group = codes.groupby(list(SERIES), sort=False).ngroup().to_numpy()
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
        index=a.text["agreement_id"].to_numpy(dtype=object),
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
    limit = lookup(cap, aid).astype(float)
    aid_codes = aid.cat.codes.to_numpy()
    cum = sel & (t.text["measure"] == "cumulative").to_numpy()
    over = cum & (lower > limit)
    ev = sel & (t.text["measure"] == "event").to_numpy()
    sums = pd.Series(np.where(ev, lower, 0.0)).groupby(aid_codes).transform("sum").to_numpy()
    last_event = ev & ~pd.Series(np.where(ev, aid_codes, -1)).duplicated(keep="last").to_numpy()
    over_ev = last_event & (sums > limit)
    return out + ctx.findings(
        "transfers",
        over | over_ev,
        "people",
        "over-capacity",
        lambda r: f"transfers under this agreement exceed its capacity_people of {limit[r]:.0f}",
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
        keys = pd.DataFrame({c: t.text[c].cat.codes for c in cols})  # equal codes, equal text
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


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    cumulative_series: ("cumulative-decrease", "events-exceed-cumulative"),
    capacity: ("capacity-basis", "over-capacity"),
    figure_conflicts: ("figure-conflict",),
}
"""The rules of this family and the finding names each can report."""
