"""Links between rows: parties of a deal, parent agreements, programmes and rows nested inside others."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from ..figures import in_cycle, interval
from ..report import Finding
from .context import (
    Context,
    _agreement_ancestors,
    _codes,
    _format_total,
    _has,
    _mask,
    _parent_rows,
    _same,
    _texts,
    member,
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
        n = len(text)
        parent, has = _parent_rows(ctx, res, key, "within")
        linked = np.flatnonzero(has)  # only these rows and their parents are looked at: most rows name none
        if not len(linked):
            continue
        up = parent[linked]
        itself = _mask(n, linked[up == linked])  # keys are unique (layer 1): the first row is the row
        out += ctx.findings(res, itself, "within", "within-self", "a row cannot lie inside itself")
        cyc = in_cycle(dict(zip(_texts(text[key], linked), _texts(text["within"], linked), strict=True)))
        out += ctx.findings(
            res,
            (member(text[key], cyc) if cyc else np.zeros(n, dtype=bool)) & ~itself,
            "within",
            "within-cycle",
            "within links go round in a circle; a parent cannot lie inside its child",
        )
        rows = linked[up >= 0]  # the rows whose parent is known, and their parents
        p = parent[rows]
        pairs = zip(_texts(text["agreement_id"], p), _texts(text["agreement_id"], rows), strict=True)
        ok_agreement = np.array([q in above.get(a, {a}) for q, a in pairs], dtype=bool)
        out += ctx.findings(
            res,
            _mask(n, rows[~ok_agreement]),
            "within",
            "within-agreement",
            "the parent must be a row of the same agreement or of an agreement it belongs to "
            "(its programme or parent_agreement_id)",
        )
        m_codes, m_values = _codes(text["measure"])
        if res == "transfers":
            stock = member(m_values, ["stock"])[m_codes]
            same_kind = stock[rows] == stock[p]
            kind_msg = "a stock lies only inside a stock, and a movement only inside a movement"
        else:
            nests = member(m_values, ["event", "cumulative"])[m_codes]
            same_kind = nests[rows] & nests[p]
            kind_msg = "only one-off amounts and running totals nest; rates and recurring amounts do not"
        out += ctx.findings(res, _mask(n, rows[~same_kind]), "within", "within-measure", kind_msg)
        if res == "transfers":  # money is dated when stated: a package is announced before its parts are approved
            s_lo, s_hi, _ = (b.to_numpy() for b in ctx.bounds(res, "period_start"))
            e_lo, e_hi, _ = (b.to_numpy() for b in ctx.bounds(res, "period_end"))
            late = e_lo[rows] > e_hi[p]
            early = member(m_values, ["event"])[m_codes[p]] & (s_hi[rows] < s_lo[p])
            out += ctx.findings(
                res,
                _mask(n, rows[same_kind & (late | early)]),
                "period_end",
                "within-period",
                "the period lies outside the period of the row it is inside",
            )
        figures = t.typed[value].to_numpy(dtype=float, na_value=np.nan)
        qualifier = text["qualifier"]
        low, _ = interval(figures[rows], qualifier.iloc[rows])
        comparable = same_kind.copy()
        if res == "costs":
            for c in ("currency", "status"):
                col = _codes(text[c])[0]  # equal codes of one column: equal text
                comparable &= col[rows] == col[p]
        parents, at = np.unique(p[comparable], return_inverse=True)
        sums = np.zeros(n)
        sums[parents] = np.bincount(at, weights=np.nan_to_num(low[comparable]), minlength=len(parents))
        _, high = interval(figures[parents], qualifier.iloc[parents])
        out += ctx.findings(
            res,
            _mask(n, parents[sums[parents] > high]),
            value,
            "within-exceeds",
            partial(_format_total, "the rows inside this one add up to at least {:.0f}, more than it can be", sums),
        )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    party_pairs: ("same-party", "payee-missing"),
    parent_agreement: ("self-parent",),
    programmes: ("receiving-party", "programme-member", "programme-empty"),
    nesting: ("within-self", "within-cycle", "within-agreement", "within-measure", "within-period", "within-exceeds"),
}
"""The rules of this family and the finding names each can report."""
