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
        "agreements_citing_weak_sources": int(sum(r["weak_sources"] > 0 for r in rows)),
    }
    return {"version": ds.version, "as_of": ds.as_of, "agreements": rows, "totals": totals}


def to_text(cov: dict[str, Any]) -> str:
    head = (
        f"{'agreement':<36} {'status':<17} {'parties':<9} {'transfers':>9} {'costs':>5} {'sources':>7} "
        f"{'weak':>4}  missing"
    )
    lines = [f"coverage of migration-deals {cov['version']} (data as of {cov['as_of']})", head]
    for r in cov["agreements"]:
        lines.append(
            f"{r['agreement_id']:<36} {r['status']:<17} {r['parties']:<9} {r['transfers']:>9} {r['costs']:>5} "
            f"{r['sources']:>7} {r['weak_sources']:>4}  {', '.join(r['missing']) or '-'}"
        )
    lines.append("totals: " + ", ".join(f"{k} {v}" for k, v in cov["totals"].items()))
    return "\n".join(lines)


def to_json(cov: dict[str, Any]) -> str:
    return json.dumps(cov, indent=2, ensure_ascii=False)
