"""Counts of people: running totals, capacities and figures for one fact that must agree."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from ..columns import group_keys
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


def _series(ctx: Context) -> dict[str, np.ndarray]:
    """Preferred, dated transfer rows of agreements with a running total, each with its series (same
    agreement, direction, population and nationalities) as one integer, the bounds of its as-of date in
    seconds, and its figure's bounds. A series without a running total has nothing to check, so the rows
    of an agreement without one are passed over before any key is built."""
    t = ctx.tables["transfers"]
    lo_s, hi_s, _ = ctx.bounds("transfers", "period_end")
    agreement = t.text["agreement_id"].array.codes
    totals = (t.text["measure"] == "cumulative").to_numpy()
    with_total = np.bincount(agreement[totals], minlength=len(t.text["agreement_id"].cat.categories)) > 0
    rows = np.flatnonzero(with_total[agreement]) if len(agreement) else np.zeros(0, dtype=np.intp)
    nested = _nested_in_same(ctx, "transfers", "transfer_id", SERIES)[rows]
    rows = rows[_preferred(t)[rows] & ~np.isnat(lo_s.to_numpy()[rows]) & ~nested]
    people = t.typed["people"].to_numpy(dtype=float, na_value=np.nan)[rows]
    qualifier = t.text["qualifier"].iloc[rows]
    measure = t.text["measure"].iloc[rows]
    return {
        "row": rows,
        # equal codes, equal text; numbered densely (0, 1, ...) so that (series, second) fits one integer
        "series": pd.factorize(group_keys([t.text[c].array.codes[rows] for c in SERIES]))[0].astype(np.int64),
        "lo": lo_s.to_numpy()[rows].astype("datetime64[s]").astype(np.int64),
        "hi": hi_s.to_numpy()[rows].astype("datetime64[s]").astype(np.int64),
        "lower": np.where(qualifier.isin(LOWER_BOUND), people, np.nan),
        "upper": np.where(qualifier.isin(UPPER_BOUND), people, np.nan),
        "cumulative": (measure == "cumulative").to_numpy(),
        "event": (measure == "event").to_numpy(),
    }


def _prior_totals(prior: dict[str, np.ndarray], later: dict[str, np.ndarray], how: str) -> np.ndarray:
    """For each later row, the max (or sum) of the lower bounds of rows of its own series that end certainly
    before it begins: "sum" counts events ending on or before the day a total is stated, "max" earlier totals
    ending before it. All series at once: rows sorted by (series, day), and each query found by one binary
    search on that order.
    """
    when = np.concatenate([prior["hi"], later["lo"]])
    # (series, second) as one sortable integer: the seconds as they are when that fits 64 bits, else ranked
    low = int(when.min()) if len(when) else 0
    span = int(when.max()) - low + 1 if len(when) else 1
    top = int(max(prior["series"].max(initial=0), later["series"].max(initial=0))) + 1
    if top * span < 2**62:
        seconds, width = when - low, np.int64(span)
    else:
        seconds, width = np.unique(when, return_inverse=True)[1].astype(np.int64), np.int64(len(when) + 1)
    keys = prior["series"] * width + seconds[: len(prior["hi"])]
    order = np.argsort(keys)  # ties need no order: a query takes all of them or none
    keys, series = keys[order], prior["series"][order]
    ask = later["series"] * width + seconds[len(prior["hi"]) :]
    start = np.searchsorted(series, later["series"], side="left")  # the series' first row
    if how == "sum":
        acc = np.concatenate([[0.0], np.cumsum(np.nan_to_num(prior["lower"][order], nan=0.0))])
        end = np.searchsorted(keys, ask, side="right")
        return acc[end] - acc[start]
    lower = pd.Series(np.nan_to_num(prior["lower"][order], nan=-np.inf))
    running = lower.groupby(series).cummax().to_numpy() if len(lower) else lower.to_numpy()
    end = np.searchsorted(keys, ask, side="left")  # rows before `end` end strictly before the total
    return np.where(end > start, running[np.maximum(end - 1, 0)] if len(running) else -np.inf, -np.inf)


def cumulative_series(ctx: Context) -> list[Finding]:
    """Cumulative totals never fall; events before a total never add up to more than it."""
    if not _has(ctx, "transfers"):
        return []
    rows = _series(ctx)
    cum = {k: v[rows["cumulative"]] for k, v in rows.items()}
    ev_rows = rows["event"] & np.isin(rows["series"], cum["series"])  # events of series with a running total
    ev = {k: v[ev_rows] for k, v in rows.items()}
    with_events = np.isin(cum["series"], ev["series"])
    n = len(ctx.tables["transfers"].text)
    out: list[Finding] = []
    for rule, prior, how, applies in (
        ("cumulative-decrease", cum, "max", np.ones(len(cum["row"]), dtype=bool)),
        ("events-exceed-cumulative", ev, "sum", with_events),
    ):
        before = _prior_totals(prior, cum, how)
        broken = applies & ~np.isnan(cum["upper"]) & (before > np.nan_to_num(cum["upper"], nan=np.inf))
        mask = np.zeros(n, bool)
        mask[cum["row"][broken]] = True
        info = dict(zip(cum["row"][broken].tolist(), before[broken].tolist(), strict=True))
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
    aid = t.text["agreement_id"]
    limit = lookup(cap, aid).astype(float)
    rows = np.flatnonzero(~np.isnan(limit))  # only a row of an agreement capped over its term can exceed it
    if not len(rows):
        return out
    people = t.typed["people"].to_numpy(dtype=float, na_value=np.nan)[rows]
    lower = np.where(t.text["qualifier"].iloc[rows].isin(LOWER_BOUND).to_numpy(), people, 0.0)
    nested = _nested_in_same(ctx, "transfers", "transfer_id", ("agreement_id", "movement"))[rows]
    sel = _preferred(t)[rows] & (t.text["movement"].iloc[rows] == "transferred").to_numpy() & ~nested
    aid_codes = aid.array.codes[rows]
    measure = t.text["measure"].iloc[rows]
    over = sel & (measure == "cumulative").to_numpy() & (lower > limit[rows])
    ev = sel & (measure == "event").to_numpy()
    sums = pd.Series(np.where(ev, lower, 0.0)).groupby(aid_codes).transform("sum").to_numpy()
    last_event = ev & ~pd.Series(np.where(ev, aid_codes, -1)).duplicated(keep="last").to_numpy()
    mask = np.zeros(len(t.text), dtype=bool)
    mask[rows[over | (last_event & (sums > limit[rows]))]] = True
    return out + ctx.findings(
        "transfers",
        mask,
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
        low, high = interval(t.typed[value].to_numpy(dtype=float, na_value=np.nan), t.text["qualifier"])
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
