"""Validate a data package: read each file once, check layer 1 (Table Schema) then layer 2 (consistency)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from . import integrity
from .columns import read_bytes, read_raw
from .files import Limits
from .package import Package, open_or_report
from .report import Finding, Report
from .tableschema import CheckedTable, check_foreign_keys, check_table
from .threads import map_in_order


def read_all(pkg: Package, report: Report) -> dict[str, bytes]:
    """Every resource file's bytes, read once; files that cannot be read are reported and left out."""
    out: dict[str, bytes] = {}
    for name in pkg.resource_names:
        data, found = read_bytes(pkg, name)
        report.extend(found)
        if data is not None:
            out[name] = data
    return out


def check_integrity(pkg: Package, files: dict[str, bytes], report: Report, copies: bool = True) -> None:
    """Files that differ from the hash or size stamped in the descriptor (unstamped files pass); with
    `copies`, the typed Arrow copies too."""
    for name, data in files.items():
        if "hash" in pkg.resource(name) or "bytes" in pkg.resource(name):
            report.extend(integrity.check(pkg, name, data, copies))


PARALLEL_BYTES = 8 << 20
"""Bytes of CSV from which the resources are read and checked a few at a time, on threads of their own."""

ONE_AT_A_TIME_BYTES = 128 << 20
"""Bytes of CSV from which the resources are read one at a time again (a large file is still parsed and
encoded on threads): files read at once hold their text at once, and at this size that would take the peak
memory of a package of a million rows past 1 GB, for no gain in time."""


def check_tables(pkg: Package, files: dict[str, bytes], report: Report) -> dict[str, CheckedTable]:
    """Layer 1 for every resource; tables that could not be read at all are left out.

    Consumes `files`: each file's bytes are let go once its table is read, so a large package is never
    held twice in memory. A large package's resources are checked a few at a time, largest first (see
    `threads`), and a very large one's one at a time again; the findings come in resource order all the same."""
    names = list(files)

    def one(name: str) -> tuple[CheckedTable | None, list[Finding]]:
        data = files.pop(name)
        display = pkg.display(name)
        raw, found = read_raw(data, display, name, pkg.limits)
        del data
        if raw is None:
            return None, found
        table, more = check_table(raw, pkg.schema(name), display)
        return table, found + more

    largest_first = sorted(names, key=lambda n: -len(files[n]))
    parallel = PARALLEL_BYTES <= sum(map(len, files.values())) < ONE_AT_A_TIME_BYTES
    results = dict(zip(largest_first, map_in_order(one, largest_first, parallel), strict=True))
    tables: dict[str, CheckedTable] = {}
    for name in names:
        table, found = results[name]
        report.extend(found)
        if table is not None:
            tables[name] = table
    report.extend(check_foreign_keys(tables))
    return tables


def _as_of(pkg: Package, report: Report) -> date:
    """The date no fact may be later than: the descriptor's asOf, or today (with a finding) when it is unusable."""
    text = pkg.as_of
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        pass
    message = (
        "asOf must be a date written YYYY-MM-DD"
        if text
        else "the descriptor needs asOf, the date the data is current to; today is used meanwhile"
    )
    finding = Finding(str(pkg.descriptor_path), None, "asOf", "descriptor-error", message, text)
    report.extend([finding if text else replace(finding, severity="warning")])
    return date.today()


def validate(path: str | Path | None = None, limits: Limits | None = None) -> Report:
    """Check a data package (the bundled one by default) and return every finding.

    Never raises for bad input: an unusable package gives a report with
    ``usable`` False and one finding that says why.
    """
    from . import rules

    report = Report()
    pkg = open_or_report(path, report, limits)
    if pkg is None:
        return report
    as_of = _as_of(pkg, report)
    files = read_all(pkg, report)
    check_integrity(pkg, files, report)
    layer1 = Report()
    tables = check_tables(pkg, files, layer1)
    report.extend(layer1.findings)
    if not tables:
        report.usable = False
        return report
    if not layer1.errors and len(tables) == len(pkg.resource_names):
        # consistency rules need every table, well typed (released or not)
        report.extend(rules.check(tables, as_of))
    return report
