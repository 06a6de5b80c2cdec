"""Codes: parties, currencies, languages and nationalities exist in ISO (or the documented extras)."""

from __future__ import annotations

from collections.abc import Callable

from ..columns import per_unique
from ..isocodes import iso
from ..report import Finding
from .context import Context, _has


def codes(ctx: Context) -> list[Finding]:
    """Party, currency, language and nationality codes exist in ISO (or the documented extras)."""
    out: list[Finding] = []
    iso3 = set(iso("iso3166-1", "3166-1", "alpha_3"))
    if _has(ctx, "parties"):
        t = ctx.tables["parties"]
        extra = set(t.schema.field("party_id").extra.get("nonIsoCodes", {}))
        ids = t.text["party_id"]
        bad = ~ids.isin(iso3 | extra) & (ids != "")
        out += ctx.findings(
            "parties",
            bad,
            "party_id",
            "party-code",
            "is not an ISO 3166-1 alpha-3 code nor one of the documented extra codes (nonIsoCodes)",
        )
    if _has(ctx, "costs"):
        cur = ctx.tables["costs"].text["currency"]
        known = set(iso("iso4217", "4217", "alpha_3"))
        known |= set(ctx.tables["costs"].schema.field("currency").extra.get("nonIsoCodes", {}))
        out += ctx.findings(
            "costs",
            ~cur.isin(known) & (cur != ""),
            "currency",
            "currency-code",
            "is not an ISO 4217 currency code nor one of the documented withdrawn codes (nonIsoCodes)",
        )
    if _has(ctx, "sources"):
        lang = ctx.tables["sources"].text["language"]
        known = set(iso("iso639-3", "639-3", "alpha_2"))
        out += ctx.findings(
            "sources",
            ~lang.isin(known) & (lang != ""),
            "language",
            "language-code",
            "is not an ISO 639-1 language code",
        )
    if _has(ctx, "transfers", "parties"):
        extra = set(ctx.tables["parties"].schema.field("party_id").extra.get("nonIsoCodes", {}))
        nat = ctx.tables["transfers"].text["nationalities"]
        ok = per_unique(nat, lambda s: s == "" or all(c in iso3 or c in extra for c in s.split(";")), bool)
        out += ctx.findings(
            "transfers",
            ~ok,
            "nationalities",
            "nationality-code",
            "every code must be an ISO 3166-1 alpha-3 country code (or a documented extra)",
        )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    codes: ("party-code", "currency-code", "language-code", "nationality-code"),
}
"""The rules of this family and the finding names each can report."""
