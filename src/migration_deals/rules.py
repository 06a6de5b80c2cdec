"""The consistency rules (layer 2 of validation), kept under this name for code that imports it:
they live in `migration_deals.checks`, one module per family of rules."""

from __future__ import annotations

from .checks import RULES, Context, check

__all__ = ["RULES", "Context", "check"]
