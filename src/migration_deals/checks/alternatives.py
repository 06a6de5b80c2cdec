"""Alternatives: rows kept for a disagreeing source point at the preferred row."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..report import Finding
from .context import Context, _has, _preferred, _same, first_rows


def alternatives(ctx: Context) -> list[Finding]:
    """A row kept for a disagreeing source points at a preferred row of the same agreement and says why."""
    out: list[Finding] = []
    for res, key in (("transfers", "transfer_id"), ("costs", "cost_id"), ("events", "event_id")):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res].text
        alt = t["alternative_to"]
        has = (alt != "").to_numpy()
        target = first_rows(ctx.tables[res], key, "alternative_to")  # the row it points at, -1 if none
        found = target >= 0
        q = np.where(found, target, 0)
        agreement = t["agreement_id"].array.codes
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
            has & found & (agreement[q] != agreement),
            "alternative_to",
            "alternative-agreement",
            "the preferred row must be about the same agreement",
        )
        out += ctx.findings(
            res,
            has & ~itself & found & ~_preferred(ctx.tables[res])[q],
            "alternative_to",
            "alternative-chain",
            "point at the preferred row itself, not at another alternative",
        )
        out += ctx.findings(
            res, has & (t["notes"] == ""), "notes", "alternative-reason", "say in notes why the other row is preferred"
        )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    alternatives: ("alternative-self", "alternative-agreement", "alternative-chain", "alternative-reason"),
}
"""The rules of this family and the finding names each can report."""
