"""Regenerate the files derived from `schemas/` in a source checkout.

`schemas/*.json` are the source of truth. `datapackage/datapackage.json`
carries a copy of each schema inline (so stock frictionless and installed
copies need nothing else) and each data file's sha256 hash and size, and
`docs/codebook.md` documents the schemas; `CITATION.cff` carries the
version; `datapackage/arrow/` holds each resource's typed Arrow copy (see
`released`), stamped in the descriptor too. All are rewritten here and
checked fresh in CI with ``--check``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .integrity import digest
from .released import COPY_FOLDER, STAMP, copy_path, read_csv, write_copy
from .schema import RESOURCES, Schema

ROOT = Path(__file__).resolve().parents[2]


def _dump(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def package_files(root: Path = ROOT) -> tuple[str, dict[str, bytes | None]]:
    """datapackage.json, with every resource's schema copied from schemas/, its hash and size stamped and
    its typed copy's size and hash stamped, and each resource's typed copy: one read of each file."""
    path = root / "datapackage" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    copies: dict[str, bytes | None] = {}
    for resource in descriptor["resources"]:
        name = resource["name"]
        resource["schema"] = json.loads((root / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
        data = (path.parent / resource["path"]).read_bytes()
        resource["bytes"], resource["hash"] = len(data), digest(data)
        resource.pop(STAMP, None)
        copy = copies[name] = _typed_copy(Schema.from_descriptor(name, resource["schema"]), data, path.parent)
        if copy is not None:
            resource[STAMP] = {"path": copy_path(name), "format": "arrow-ipc", "bytes": len(copy), "hash": digest(copy)}
    return _dump(descriptor), copies


def _typed_copy(schema: Schema, data: bytes, folder: Path) -> bytes | None:
    """A resource's typed Arrow copy, made from its CSV bytes as a release reads them (None where the file
    cannot be read as its schema's types: that resource then has no copy). Where the copy on disk holds the
    same table (an Arrow library of another version may lay out the bytes differently), it is kept as is."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        fresh = write_copy(read_csv(data, schema), schema, digest(data))
    except Exception:  # noqa: BLE001 (a file that does not read as its types gets no copy; validate says why)
        return None
    on_disk = folder / copy_path(schema.resource)
    kept = on_disk.read_bytes() if on_disk.is_file() else fresh
    if kept == fresh:
        return fresh
    try:
        same = (
            ipc.open_file(pa.py_buffer(kept))
            .read_all()
            .equals(ipc.open_file(pa.py_buffer(fresh)).read_all(), check_metadata=True)
        )
    except pa.ArrowException:
        same = False
    return kept if same else fresh


def codebook_text(root: Path = ROOT) -> str:
    """docs/codebook.md: every resource, field, type, constraint and allowed value, and the rules."""
    from . import rules

    descriptor = json.loads((root / "datapackage" / "datapackage.json").read_text(encoding="utf-8"))
    lines = [
        "# Codebook",
        "",
        "Generated from `schemas/` by `migration-deals build`; do not edit by hand.",
        "",
        f"Data package `{descriptor.get('name')}`, version {descriptor.get('version')}, "
        f"data as of {descriptor.get('asOf')}.",
        "",
        "## Conventions",
        "",
        "- Empty cells are missing values. Text such as `NA` or `null` is text, never missing.",
        "- Uncertain dates use a subset of EDTF (Library of Congress Extended Date/Time Format, "
        "ISO 8601-2): `2024`, `2024-07` or `2024-07-22`, optionally followed by `~` (approximate) "
        "or `?` (uncertain). Never write more precision than the source gives. The loader adds "
        "`<field>_earliest` and `<field>_latest` datetime columns bounding what each date can mean; "
        "rules compare partial dates as intervals.",
        "- Numbers are read with their `qualifier` as ranges (exact: the value; at_least: the value and "
        "up; at_most: zero to the value; approximately: the value plus or minus 10%) and their `measure` "
        "(a movement or amount in one period, a running total as of `period_end`, a head-count of people "
        "held on a date, a recurring amount or a rate with its `unit`).",
        "- When sources disagree, every disagreeing row is kept; non-preferred rows name the preferred "
        "row in `alternative_to` and say why in `notes`. Totals and rules use preferred rows only.",
        "- A row that lies inside another names it in `within`; the same money reported again at another "
        "stage names the first report in `stage_of`; a figure that covers several agreements is filed on "
        "the programme that groups them (`level` programme). The helpers `people_moved`, `money` and "
        "`cost_per_person` count each person and each sum once: see [aggregation.md](aggregation.md).",
        "",
        "- `events` holds what happened to each agreement between its milestones (rulings, laws, "
        "suspensions, renewals, first and cancelled transfers, facilities opened and closed); "
        "`ds.timeline()` merges them with the milestones and the first and last recorded transfers.",
        "- `citations` lists every source behind a value (a field, or `*` for the whole row) with its role; "
        "each row's own `source_id` is among them as stating it, and `notes` hold prose only. "
        "`ds.sources_of(agreement_id)` lists them with each source's class.",
        "- A source's `class` is decided in this order: `wire` if the publisher is a news agency or "
        "`original_publisher` names the agency whose copy the page carries; `primary` if the body that "
        "acted, decided or collected the figure publishes it (its own site, an official record or "
        "repository); `aggregator` if the page republishes, mirrors or summarises others' work without "
        "reporting of its own (including another site's copy of a named outlet's article and official texts "
        "reproduced by third parties); otherwise `secondary`. `migration-deals coverage` counts, per "
        "agreement, the values whose only stating sources are aggregators, and the values a primary "
        "source states or corroborates.",
        "",
        "## Where this dataset is stricter than the Table Schema",
        "",
        "- Numbers are finite: `NaN`, `INF`, `-INF` and values that overflow a float are refused "
        "(`non-finite`); integers fit in 64 bits (`out-of-range`).",
        "- Dates lie between 1900 (`date-range`) and the package's `asOf` date (`future-date`).",
        "- Every table has at least one row (`empty-table`).",
        "- Files are UTF-8 CSV in the declared dialect; patterns are matched with RE2, so a pattern that "
        "needs back-references or look-arounds is refused. Reading limits and the rest of the security "
        "model are in [security.md](security.md).",
        "",
    ]
    for name in RESOURCES:
        schema = Schema.from_descriptor(
            name, json.loads((root / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
        )
        lines += [f"## {name}", "", schema.description, "", f"Primary key: `{', '.join(schema.primary_key)}`.", ""]
        for fk in schema.foreign_keys:
            lines.append(f"- `{', '.join(fk.fields)}` refers to `{fk.resource}.{', '.join(fk.reference_fields)}`")
        lines += ["", "| field | type | required | constraints | description |", "|---|---|---|---|---|"]
        for f in schema.fields:
            cons = []
            if f.enum is not None:
                cons.append("one of " + ", ".join(f"`{v}`" for v in f.enum))
            elif f.edtf:
                cons.append("EDTF date")
            elif f.pattern:
                cons.append(f"pattern `{f.pattern}`")
            if f.unique:
                cons.append("unique")
            if f.minimum is not None:
                cons.append(f">= {f.minimum:g}")
            if f.exclusive_minimum is not None:
                cons.append(f"> {f.exclusive_minimum:g}")
            kind = "date (EDTF)" if f.edtf else f.type
            lines.append(
                f"| `{f.name}` | {kind} | {'yes' if f.required else ''} | {'; '.join(cons)} | "
                f"{f.description.replace('|', '/')} |"
            )
        lines.append("")
        for f in schema.fields:
            if f.enum_descriptions:
                lines += [f"### {name}.{f.name}", ""]
                lines += [f"- `{v}`: {d}" for v, d in f.enum_descriptions.items()]
                lines.append("")
            if "formerDirection" in f.extra:
                lines += [
                    f"### {name}.{f.name}: the 0.2 `direction` it replaces",
                    "",
                    "| movement | direction (0.2) |",
                    "|---|---|",
                ]
                lines += [f"| `{v}` | `{d}` |" for v, d in f.extra["formerDirection"].items()]
                lines.append("")
            if "nonIsoCodes" in f.extra:
                lines += [f"### {name}.{f.name}: codes ISO lacks", ""]
                lines += [f"- `{v}`: {d}" for v, d in f.extra["nonIsoCodes"].items()]
                lines.append("")
    lines += [
        "## Validation rules",
        "",
        "Layer 1 is the Table Schema (it agrees with stock `frictionless validate`): "
        "`missing-label`, `extra-label`, `incorrect-label`, `duplicate-label`, `blank-label`, "
        "`blank-row`, `missing-cell`, `extra-cell`, `encoding-error`, `required`, `type-error`, `enum`, "
        "`pattern`, `minimum`, `exclusive-minimum`, `maximum`, `unique`, `primary-key`, `foreign-key`.",
        "",
        "Layer 2 runs when layer 1 finds no error:",
        "",
    ]
    for rule, names in rules.RULES.items():
        lines.append(f"- {', '.join(f'`{n}`' for n in names)}: {' '.join((rule.__doc__ or '').split())}")
    lines.append("")
    return "\n".join(lines)


def build(check: bool = False, root: Path = ROOT) -> list[Path]:
    """Write (or with `check`, only compare) the derived files; return those that were stale."""
    descriptor, copies = package_files(root)
    targets = {root / "datapackage" / "datapackage.json": descriptor}
    targets[root / "docs" / "codebook.md"] = codebook_text(root)
    citation = root / "CITATION.cff"
    if citation.exists():
        version = json.loads(targets[root / "datapackage" / "datapackage.json"])["version"]
        lines = citation.read_text(encoding="utf-8").splitlines()
        targets[citation] = "\n".join(f"version: {version}" if ln.startswith("version:") else ln for ln in lines) + "\n"
    stale = []
    for path, text in targets.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return stale + _write_copies(copies, check, root) + _pictures(check, root)


def _write_copies(copies: dict[str, bytes | None], check: bool, root: Path) -> list[Path]:
    """datapackage/arrow: the typed copies (a stale one rewritten, one with no resource behind it removed)."""
    folder = root / "datapackage"
    wanted = {folder / copy_path(name): data for name, data in copies.items() if data is not None}
    present = set((folder / COPY_FOLDER).glob("*.arrow")) if (folder / COPY_FOLDER).is_dir() else set()
    stale = sorted(p for p, data in wanted.items() if not p.is_file() or p.read_bytes() != data)
    stale += sorted(present - set(wanted))
    if not check:
        for p in stale:
            if p in wanted:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(wanted[p])
            else:
                p.unlink()
    return stale


def _pictures(check: bool, root: Path) -> list[Path]:
    """docs/img: the gallery drawn from the data (skipped, not failed, when matplotlib is not installed)."""
    try:
        from .loading import load
        from .plot import gallery
    except ImportError:
        return []
    try:
        images = gallery(load(root / "datapackage" / "datapackage.json", verify=False))
    except ImportError:
        return []
    folder = root / "docs" / "img"
    stale = [folder / n for n, data in images.items() if not (folder / n).exists() or (folder / n).read_bytes() != data]
    if stale and not check:
        folder.mkdir(parents=True, exist_ok=True)
        for n, data in images.items():
            (folder / n).write_bytes(data)
    return stale
