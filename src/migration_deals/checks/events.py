"""Events: what happened to an agreement agrees with its dates and status."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..report import Finding
from .context import MILESTONES, TERMINAL, Context, _has, _preferred, member

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
        (a.text["status"] == "struck_down").to_numpy() & ~member(ids, has_ruling),
        "status",
        "struck-down",
        "a struck_down agreement needs the court ruling that struck it down in events",
    )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    events: ("event-date", "event-status", "struck-down"),
}
"""The rules of this family and the finding names each can report."""
