"""Money: the same amount at its stages (committed, paid, ...) as one chain."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..figures import interval
from ..report import Finding
from .context import Context, _agreement_ancestors, _conflicts, _has, _parent_rows, _preferred


def stages(ctx: Context) -> list[Finding]:
    """The same money at another stage (stage_of) points at the first row of its chain, of the same agreement
    or one above it, in the same currency; reports of one chain at the same status agree."""
    if not _has(ctx, "costs"):
        return []
    t = ctx.tables["costs"]
    text = t.text
    above = _agreement_ancestors(ctx)
    parent, has = _parent_rows(ctx, "costs", "cost_id", "stage_of")
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
    low, high = interval(t.typed["amount"].to_numpy(dtype=float, na_value=np.nan), text["qualifier"])
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


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    stages: ("stage-self", "stage-chain", "stage-agreement", "stage-currency", "stage-conflict"),
}
"""The rules of this family and the finding names each can report."""
