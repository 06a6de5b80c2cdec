"""One tidy frame of what happened to each agreement, and when: milestones, events and transfers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .coverage import MILESTONES

if TYPE_CHECKING:
    from .loading import Dataset

COLUMNS = ["agreement_id", "date", "date_earliest", "date_latest", "what", "detail", "from", "row_id"]


def timeline(ds: Dataset, agreement_id: str | None = None) -> pd.DataFrame:
    """Milestones (from agreements), events, and the first and last dated transfer of each agreement,
    sorted by agreement and date. `what` is the milestone, the event's kind, or earliest_transfer and
    latest_transfer (the first and last dated movement of people recorded in transfers);
    `from` names the resource the row comes from."""
    a = ds.agreements
    parts = []
    for m in MILESTONES:
        have = a[a[m].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "agreement_id": have["agreement_id"],
                    "date": have[m],
                    "date_earliest": have[f"{m}_earliest"],
                    "date_latest": have[f"{m}_latest"],
                    "what": m,
                    "detail": have["end_reason"] if m == "ended" else pd.NA,
                    "from": "agreements",
                    "row_id": have["agreement_id"],
                }
            )
        )
    if "events" in ds.frames:
        e = ds.events[ds.events["alternative_to"].isna()]
        detail = e["outcome"].astype("string")
        for extra in ("body", "case"):
            detail = detail.str.cat(e[extra].astype("string").map(lambda v: f"; {v}", na_action="ignore"), na_rep="")
        parts.append(
            pd.DataFrame(
                {
                    "agreement_id": e["agreement_id"],
                    "date": e["date"],
                    "date_earliest": e["date_earliest"],
                    "date_latest": e["date_latest"],
                    "what": e["kind"].astype("string"),
                    "detail": detail,
                    "from": "events",
                    "row_id": e["event_id"],
                }
            )
        )
    t = ds.transfers
    moved = t[
        t["alternative_to"].isna() & (t["movement"] == "transferred") & (t["measure"] == "event") & (t["people"] > 0)
    ]
    moved = moved.assign(start_earliest=moved["period_start_earliest"].fillna(moved["period_end_earliest"]))
    for what, column, pick in (
        ("earliest_transfer", "start_earliest", "idxmin"),
        ("latest_transfer", "period_end_latest", "idxmax"),
    ):
        rows = moved.loc[getattr(moved.groupby("agreement_id", observed=True)[column], pick)().dropna()]
        date_col = "period_start" if what == "earliest_transfer" else "period_end"
        parts.append(
            pd.DataFrame(
                {
                    "agreement_id": rows["agreement_id"],
                    "date": rows[date_col].fillna(rows["period_end"]),
                    "date_earliest": rows[f"{date_col}_earliest"].fillna(rows["period_end_earliest"]),
                    "date_latest": rows[f"{date_col}_latest"].fillna(rows["period_end_latest"]),
                    "what": what,
                    "detail": rows["people"].astype("string")
                    + (rows["people"] == 1).map({True: " person", False: " people"}),
                    "from": "transfers",
                    "row_id": rows["transfer_id"],
                }
            )
        )
    out = pd.concat([p.astype({"detail": "string"}) for p in parts if len(p)], ignore_index=True)
    out = out.astype(
        {"agreement_id": "string", "date": "string", "what": "string", "from": "string", "row_id": "string"}
    )
    if agreement_id is not None:
        out = out[out["agreement_id"] == agreement_id]
    out = out.sort_values(["agreement_id", "date_earliest", "date_latest"], kind="stable").reset_index(drop=True)
    return out[COLUMNS]
