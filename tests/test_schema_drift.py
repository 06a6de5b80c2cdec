"""Code that names schema values (statuses, measures, fields) names ones the schemas declare."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from migration_deals.package import open_package

SRC = Path(__file__).resolve().parents[1] / "src" / "migration_deals"


def schema_words() -> set[str]:
    pkg = open_package()
    words = set(pkg.resource_names)
    for name in pkg.resource_names:
        for f in pkg.schema(name).fields:
            words.add(f.name)
            words.update(f.enum or ())
            if f.edtf:
                words.update({f"{f.name}_earliest", f"{f.name}_latest"})
    return words


def test_rule_literals_exist_in_the_schemas():
    """A renamed enum value or field must break this test, not silently switch a rule off."""
    known = schema_words()
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sorted((SRC / "checks").glob("*.py"))]
    literals = {
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[a-z]+(_[a-z]+)*", node.value)
    }
    # pandas keywords, Table Schema types and names internal to the rules
    internal = {
        "sum",
        "max",
        "row",
        "lo",
        "hi",
        "lower",
        "upper",
        "decrease",
        "exceed",
        "error",
        "warning",
        "left",
        "right",
        "last",
        "first",
        "date",
        "string",
        "chain",
        "min",
        "aid",
        "after",
        "stable",
        "series",
    }
    assert literals - internal - known == set()


def test_uncertain_dates_share_one_pattern():
    """Every EDTF field declares the same pattern, so the date parser has one format to follow."""
    pkg = open_package()
    patterns = {f.pattern for name in pkg.resource_names for f in pkg.schema(name).fields if f.edtf}
    assert len(patterns) == 1


def test_coverage_constants_exist_in_the_schemas():
    from migration_deals import coverage

    pkg = open_package()
    status = set(pkg.schema("agreements").field("status").enum or ())
    assert set(coverage.EXPECTED) <= status
    assert set(coverage.MILESTONES) | {m for ms in coverage.EXPECTED.values() for m in ms} <= set(
        pkg.schema("agreements").names
    )
    assert set(coverage.WEAK_KINDS) <= set(pkg.schema("sources").field("kind").enum or ())


def test_open_series_values_exist_in_the_schemas():
    """The values that leave a series attribute open are allowed values of those fields (or empty)."""
    from migration_deals.aggregate import MONEY_SERIES, OPEN, PEOPLE_SERIES

    pkg = open_package()
    for resource, series in (("transfers", PEOPLE_SERIES), ("costs", MONEY_SERIES)):
        for name in set(series) & set(OPEN):
            allowed = set(pkg.schema(resource).field(name).enum or ())
            assert {v for v in OPEN[name] if v} <= allowed, (resource, name)


def test_iso_codes_read_from_the_databases_match_pycountry():
    """The codes check reads pycountry's JSON files directly; they must give pycountry's own codes."""
    import pycountry

    from migration_deals.isocodes import iso

    assert iso("iso3166-1", "3166-1", "alpha_3") == {c.alpha_3 for c in pycountry.countries}
    assert iso("iso4217", "4217", "alpha_3") == {c.alpha_3 for c in pycountry.currencies}
    assert iso("iso639-3", "639-3", "alpha_2") == {lg.alpha_2 for lg in pycountry.languages if hasattr(lg, "alpha_2")}
