"""Dates: real calendar dates, within the dataset's limits, milestones and periods in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import numpy as np
import pandas as pd

from ..columns import blank_values, per_distinct
from ..patterns import matches
from ..report import Finding
from .context import FORECAST, MILESTONES, PER_PERSON, PER_TIME, TERMINAL, Context, _before, _has, lookup

EARLIEST = date(1900, 1, 1)
"""No date in this dataset lies before this day (the Table Schema sets no bound; the codebook says so)."""


def _real_shape(pattern: str, values: pd.Index) -> np.ndarray:
    """Which distinct values are written as the pattern says (empty cells are not dates)."""
    return np.asarray(matches(values, pattern), dtype=bool) & ~blank_values(values)


def real_dates(ctx: Context) -> list[Finding]:
    """Dates that match the pattern must also exist in the calendar (no 2023-02-30)."""
    out: list[Finding] = []
    for res, t in ctx.tables.items():
        for f in t.schema.fields:
            if f.edtf:
                text = t.text[f.name]
                shaped = per_distinct(text, partial(_real_shape, f.pattern or ""))
                _, _, bad = ctx.bounds(res, f.name)
                out += ctx.findings(
                    res,
                    shaped & bad,
                    f.name,
                    "date-invalid",
                    "is not a real calendar date (check the day of the month)",
                )
    return out


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
    ids = a.text["agreement_id"].to_numpy(dtype=object)
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
        a_start = lookup(start_by, aid).astype("datetime64[s]")
        a_end = lookup(end_by, aid).astype("datetime64[s]")
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


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    real_dates: ("date-invalid",),
    date_limits: ("future-date", "date-range"),
    milestone_order: ("date-order",),
    status_dates: ("status-dates",),
    periods: ("period-order", "event-period", "rate-unit"),
    within_agreement: ("outside-agreement",),
}
"""The rules of this family and the finding names each can report."""
