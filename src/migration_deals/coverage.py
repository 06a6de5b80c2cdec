"""What the dataset knows about each agreement, and what it lacks: contributors use it to find gaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MILESTONES = ("announced", "signed", "in_force", "ended")
EXPECTED = {
    "under_negotiation": ("announced",),
    "abandoned": ("announced", "ended"),
    "signed": ("announced", "signed"),
    "in_force": ("announced", "signed", "in_force"),
    "suspended": ("announced", "signed", "in_force"),
}
"""Milestones an agreement of each status should have; terminated and struck-down ones need all four."""
WEAK_KINDS = ("other",)
"""Source kinds counted as weak (aggregators, copies of unknown provenance)."""


def coverage(path: str | Path | None = None) -> dict[str, Any]:
    """Per agreement: milestone dates known, status, counts of transfer and cost rows, sources; and totals."""
    import pandas as pd

    from .loading import load

    ds = load(path)
    a, t, c, s = ds.agreements, ds.transfers, ds.costs, ds.sources
    weak = set(s.loc[s["kind"].isin(WEAK_KINDS), "source_id"])
    only_aggregators = _aggregator_only(ds)
    events = ds.frames.get("events")
    with_events = set() if events is None else set(events["agreement_id"])
    rows = []
    for _, ag in a.iterrows():
        aid = ag["agreement_id"]
        tr, co = t[t["agreement_id"] == aid], c[c["agreement_id"] == aid]
        cited = {ag["source_id"], *tr["source_id"], *co["source_id"]}
        milestones = {m: None if pd.isna(ag[m]) else str(ag[m]) for m in MILESTONES}
        rows.append(
            {
                "agreement_id": aid,
                "status": str(ag["status"]),
                "level": str(ag["level"]),
                "parties": f"{ag['sending_party']}->{'*' if pd.isna(ag['receiving_party']) else ag['receiving_party']}",
                "milestones": milestones,
                # a programme's milestones are its members'
                "missing": []
                if ag.get("level") == "programme"
                else [m for m in EXPECTED.get(str(ag["status"]), MILESTONES) if milestones[m] is None],
                "transfers": len(tr),
                "transfer_alternatives": int(tr["alternative_to"].notna().sum()),
                "costs": len(co),
                "cost_alternatives": int(co["alternative_to"].notna().sum()),
                "sources": len(cited),
                "weak_sources": len(cited & weak),
                "dated": any(milestones[m] is not None for m in MILESTONES) or aid in with_events,
                "values": only_aggregators.get(aid, (0, 0, 0))[0],
                "aggregator_only": only_aggregators.get(aid, (0, 0, 0))[1],
                "primary_stated": only_aggregators.get(aid, (0, 0, 0))[2],
            }
        )
    totals = {
        "agreements": len(a),
        "transfers": len(t),
        "costs": len(c),
        "sources": len(s),
        "without_transfers": sum(r["transfers"] == 0 for r in rows),
        "without_costs": sum(r["costs"] == 0 for r in rows),
        "with_missing_milestones": sum(bool(r["missing"]) for r in rows),
        "without_dated_milestone_or_event": sum(not r["dated"] for r in rows if r["level"] != "programme"),
        "agreements_citing_weak_sources": int(sum(r["weak_sources"] > 0 for r in rows)),
        "values": sum(r["values"] for r in rows),
        "values_resting_only_on_aggregators": sum(r["aggregator_only"] for r in rows),
        "values_stated_by_a_primary_source": sum(r["primary_stated"] for r in rows),
    }
    return {"version": ds.version, "as_of": ds.as_of, "agreements": rows, "totals": totals}


def _aggregator_only(ds: Any) -> dict[str, tuple[int, int, int]]:
    """Per agreement: values cited (a row, or one field of it), how many rest only on aggregators
    (every source that states or corroborates them is of class aggregator), and how many a primary
    source states (the body that acted, or its official publication)."""
    if "citations" not in ds.frames:
        return {}
    c = ds.citations[ds.citations["role"].isin(["states", "corroborates"])]
    klass = c["source_id"].map(dict(zip(ds.sources["source_id"], ds.sources["class"].astype(str), strict=True)))
    c = c.assign(aggregator=klass == "aggregator", primary=klass == "primary")
    owner = {aid: aid for aid in ds.agreements["agreement_id"]}
    for name, key in (("transfers", "transfer_id"), ("costs", "cost_id"), ("events", "event_id")):
        if name in ds.frames:
            owner.update(zip(ds.frames[name][key], ds.frames[name]["agreement_id"], strict=True))
    c = c.assign(agreement=c["row_id"].map(owner))
    per_value = c.groupby(["agreement", "resource", "row_id", "field"], observed=True).agg(
        aggregator=("aggregator", "all"), primary=("primary", "any")
    )
    counts = per_value.groupby(level="agreement").agg(
        size=("aggregator", "size"), aggregator=("aggregator", "sum"), primary=("primary", "sum")
    )
    return {str(k): (int(v["size"]), int(v["aggregator"]), int(v["primary"])) for k, v in counts.iterrows()}


def to_text(cov: dict[str, Any]) -> str:
    head = (
        f"{'agreement':<36} {'status':<17} {'parties':<9} {'transfers':>9} {'costs':>5} {'sources':>7} "
        f"{'weak':>4} {'agg-only':>8}  missing"
    )
    lines = [f"coverage of migration-deals {cov['version']} (data as of {cov['as_of']})", head]
    for r in cov["agreements"]:
        lines.append(
            f"{r['agreement_id']:<36} {r['status']:<17} {r['parties']:<9} {r['transfers']:>9} {r['costs']:>5} "
            f"{r['sources']:>7} {r['weak_sources']:>4} {r['aggregator_only']:>8}  {', '.join(r['missing']) or '-'}"
        )
    lines.append("totals: " + ", ".join(f"{k} {v}" for k, v in cov["totals"].items()))
    return "\n".join(lines)


def to_json(cov: dict[str, Any]) -> str:
    return json.dumps(cov, indent=2, ensure_ascii=False)
