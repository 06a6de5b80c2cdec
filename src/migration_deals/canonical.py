"""Canonical CSV form, so that pull-request diffs show only real changes.

UTF-8 without BOM, LF line ends, the header in schema order, rows sorted by
primary key, minimal quoting. Nothing else changes: every value is written
back exactly as it was read, as text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .files import Refused
from .package import open_or_report
from .report import Finding, Report


def canonical_text(text: str, names: list[str], key: list[str]) -> str:
    """The canonical form of one CSV file's text; raises ValueError when it cannot be formatted safely."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ValueError("the file is empty")
    header, body = rows[0], [r for r in rows[1:]]
    if sorted(header) != sorted(names) or len(set(header)) != len(header):
        raise ValueError("the header's columns differ from the schema's; fix them first")
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError(f"row {i} has {len(row)} cells but the header has {len(header)}")
    order = [header.index(n) for n in names]
    body = [[row[i] for i in order] for row in body]
    if key:
        at = [names.index(k) for k in key]
        body.sort(key=lambda row: [row[i] for i in at])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(names)
    writer.writerows(body)
    return out.getvalue()


def format_package(path: str | Path | None = None, check: bool = False) -> tuple[list[Path], Report]:
    """Rewrite every resource in canonical form (or, with `check`, only list those that are not)."""
    report = Report()
    pkg = open_or_report(path, report)
    if pkg is None:
        return [], report
    changed: list[Path] = []
    for name in pkg.resource_names:
        file = pkg.path_of(name)
        schema = pkg.schema(name)
        try:
            data = pkg.read(name)
            text = data.decode("utf-8-sig")
            new = canonical_text(text, schema.names, list(schema.primary_key))
        except (Refused, OSError, UnicodeDecodeError, ValueError, csv.Error) as e:
            report.extend([Finding(pkg.display(name), None, None, "fmt-refused", f"not formatted: {e}", resource=name)])
            continue
        if new.encode("utf-8") != data:
            changed.append(file)
            if not check:
                file.write_bytes(new.encode("utf-8"))
    return changed, report
