"""Export a loaded data package to Parquet, SQLite (with Datasette metadata), DuckDB, Excel or JSON.

Every resource is written, with its types, keys and descriptions taken from its Table Schema, and so
are three helper tables: ``people_moved`` (``ds.people_moved(by="agreement")``), ``money_paid``
(``ds.money(by="agreement", status="paid")``) and ``cost_per_person`` (``ds.cost_per_person(by="agreement")``),
each with its index as columns and tuple columns (``rows``) as ``;``-joined text.

Each format needs an optional library (``pip install 'migration-deals[export]'``); it is imported only
when that format is written. Files are written to a private folder inside the target directory and then
moved into place, so nothing is ever written outside it (an existing symlink is replaced, not followed).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .schema import ForeignKey, Schema

if TYPE_CHECKING:
    from .loading import Dataset

FORMATS = ("parquet", "sqlite", "duckdb", "xlsx", "json")
"""The formats `export` writes."""

EXTRA = "pip install 'migration-deals[export]'"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_SHEET_LIMIT = 32767  # characters in one Excel cell


@dataclass(frozen=True)
class Column:
    """One exported column: its name, kind and what it means."""

    name: str
    kind: str
    """string, category, integer, number, boolean, date (a Table Schema date) or datetime (a date bound)."""
    description: str = ""
    title: str = ""
    enum: tuple[str, ...] | None = None
    required: bool = False


@dataclass(frozen=True)
class Table:
    """One exported table: a resource or a helper's result."""

    name: str
    description: str
    frame: pd.DataFrame
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()


_ID = "Agreement (or programme record) the figures are filed under."
_HELPERS: dict[str, tuple[str, Callable[[Dataset], pd.DataFrame], dict[str, str]]] = {
    "people_moved": (
        "People transferred under each agreement, as a range, each person counted once "
        '(ds.people_moved(by="agreement"); docs/aggregation.md).',
        lambda ds: ds.people_moved(by="agreement"),
        {
            "agreement_id": _ID,
            "people_low": "Fewest people the figures allow.",
            "people_high": "Most people the figures allow; missing where no upper bound is known.",
            "as_of": "Latest date the figures reach (EDTF).",
            "rows": "Ids of the transfers rows used, separated by ';'.",
        },
    ),
    "money_paid": (
        "Money paid under each agreement, as a range, in its own currency, each amount counted once "
        '(ds.money(by="agreement", status="paid"); docs/aggregation.md).',
        lambda ds: ds.money(by="agreement", status="paid"),
        {
            "agreement_id": _ID,
            "amount_low": "Least money the figures allow, in currency.",
            "amount_high": "Most money the figures allow, in currency; missing where no upper bound is known.",
            "currency": "ISO 4217 code of the amounts.",
            "as_of": "Latest date the figures reach (EDTF).",
            "rows": "Ids of the costs rows used, separated by ';'.",
        },
    ),
    "cost_per_person": (
        "Money paid over people transferred under each agreement, as a range "
        '(ds.cost_per_person(by="agreement"); docs/aggregation.md).',
        lambda ds: ds.cost_per_person(by="agreement"),
        {
            "agreement_id": _ID,
            "low": "Least money over most people, in currency per person; missing where nobody was moved.",
            "high": "Most money over fewest people, in currency per person; missing where no bound exists.",
            "currency": "ISO 4217 code of the amounts.",
            "amount_low": "Least money paid the figures allow.",
            "amount_high": "Most money paid the figures allow; missing where no upper bound is known.",
            "people_low": "Fewest people transferred the figures allow.",
            "people_high": "Most people transferred the figures allow; missing where no upper bound is known.",
        },
    ),
}


def _kind_of_dtype(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"


def _resource_table(ds: Dataset, name: str) -> Table:
    schema: Schema = ds.package.schema(name)
    frame = ds.frames[name]
    by_name = {f.name: f for f in schema.fields}
    columns = []
    for col in frame.columns:
        f = by_name.get(col)
        if f is not None:
            kind = "category" if f.enum is not None else {"integer": "integer", "number": "number"}.get(f.type, "")
            kind = kind or {"boolean": "boolean", "date": "date"}.get(f.type, "string")
            columns.append(Column(col, kind, f.description, f.title, f.enum, f.required))
            continue
        base, _, bound = col.rpartition("_")
        if bound in ("earliest", "latest") and base in by_name and by_name[base].edtf:
            which = "Earliest" if bound == "earliest" else "Latest"
            text = f"{which} day that {base} can mean (derived from its EDTF date, for sorting and filtering)."
            columns.append(Column(col, "datetime", text, f"{by_name[base].title or base} ({bound})"))
        else:
            columns.append(Column(col, _kind_of_dtype(frame[col])))
    return Table(name, schema.description, frame, tuple(columns), schema.primary_key, schema.foreign_keys)


def _joined(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return ";".join(str(v) for v in value)
    return value


def _helper_table(ds: Dataset, name: str) -> Table:
    description, compute, texts = _HELPERS[name]
    result = compute(ds)
    keys = tuple(str(n) for n in result.index.names if n is not None)
    frame = result.reset_index() if keys else result.reset_index(drop=True)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_joined).astype("string")
    columns = tuple(Column(str(c), _kind_of_dtype(frame[c]), texts.get(str(c), "")) for c in frame.columns)
    fks = tuple(
        ForeignKey((k,), "agreements", ("agreement_id",)) for k in keys if k == "agreement_id" and "agreements" in ds
    )
    return Table(name, description, frame, columns, keys, fks)


def tables(ds: Dataset) -> list[Table]:
    """Every resource of `ds` (in descriptor order), then the three helper tables."""
    names = [n for n in ds.package.resource_names if n in ds.frames]
    names += [n for n in ds.frames if n not in names]
    out = [_resource_table(ds, n) for n in names]
    for helper in _HELPERS:
        if helper in names:
            raise ValueError(f"a resource is named {helper!r}, like a helper table: rename it to export")
        out.append(_helper_table(ds, helper))
    for t in out:
        if not _SAFE_NAME.match(t.name):
            raise ValueError(f"resource name {t.name!r} cannot be used as a file or table name")
    return out


# ---------------------------------------------------------------- values


def _is_na(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _python(value: Any, kind: str) -> Any:
    """A cell as a plain Python value (None for missing): str, int, float, bool, date or datetime."""
    if _is_na(value):
        return None
    if kind in ("string", "category"):
        return str(value)
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "datetime":
        return pd.Timestamp(value).to_pydatetime()
    return value


def _values(table: Table, column: Column) -> list[Any]:
    return [_python(v, column.kind) for v in table.frame[column.name].astype(object)]


def _iso(value: dt.date | dt.datetime, sep: str = "T") -> str:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=sep)
    return value.isoformat()


def _infinity(value: float) -> str:
    return "INF" if value > 0 else "-INF"


# ---------------------------------------------------------------- plumbing


def _require(module: str, fmt: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise ImportError(
            f"exporting to {fmt} needs the {package} package, which is not installed: {EXTRA} "
            f"(or pip install {package})"
        ) from e


def _meta(ds: Dataset) -> dict[str, str]:
    d = ds.package.descriptor
    licences = d.get("licenses") or [{}]
    return {
        "name": str(d.get("name", "")),
        "title": str(d.get("title", "")),
        "description": str(d.get("description", "")),
        "version": ds.version,
        "asOf": ds.as_of or "",
        "license": str(licences[0].get("name", "")),
        "license_url": str(licences[0].get("path", "")),
        "homepage": str(d.get("homepage", "")),
    }


def _stem(ds: Dataset) -> str:
    name = str(ds.package.descriptor.get("name", ""))
    return name if _SAFE_NAME.match(name) else "migration-deals"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------- parquet (and arrow, for duckdb)


def _arrow_table(pa: Any, table: Table, meta: dict[str, str]) -> Any:
    fields, arrays = [], []
    for c in table.columns:
        values = _values(table, c)
        if c.kind == "category":
            dictionary = list(c.enum) if c.enum is not None else sorted({v for v in values if v is not None})
            index = {v: i for i, v in enumerate(dictionary)}
            array = pa.DictionaryArray.from_arrays(
                pa.array([None if v is None else index[v] for v in values], pa.int32()),
                pa.array(dictionary, pa.string()),
            )
        else:
            kind = {
                "string": pa.string(),
                "integer": pa.int64(),
                "number": pa.float64(),
                "boolean": pa.bool_(),
                "date": pa.date32(),
                "datetime": pa.timestamp("us"),
            }[c.kind]
            array = pa.array(values, kind)
        metadata = {"description": c.description, "title": c.title or c.name, "type": c.kind}
        if c.enum is not None:
            metadata["enum"] = json.dumps(list(c.enum), ensure_ascii=False)
        fields.append(pa.field(c.name, array.type, nullable=not c.required, metadata=metadata))
        arrays.append(array)
    schema_meta = {
        "name": table.name,
        "description": table.description,
        "primary_key": json.dumps(list(table.primary_key)),
        "foreign_keys": json.dumps(
            [
                {"fields": list(k.fields), "resource": k.resource, "reference_fields": list(k.reference_fields)}
                for k in table.foreign_keys
            ]
        ),
        "package": meta["name"],
        "package_title": meta["title"],
        "version": meta["version"],
        "asOf": meta["asOf"],
        "license": meta["license"],
        "license_url": meta["license_url"],
    }
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=schema_meta))


def _parquet(ds: Dataset, staging: Path) -> list[str]:
    pa = _require("pyarrow", "parquet")
    pq = _require("pyarrow.parquet", "parquet")
    meta, out = _meta(ds), []
    for t in tables(ds):
        name = f"{t.name}.parquet"
        pq.write_table(_arrow_table(pa, t, meta), staging / name)
        out.append(name)
    return out


# ---------------------------------------------------------------- sqlite (+ datasette metadata)

_SQLITE_TYPES = {
    "string": "TEXT",
    "category": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
    "datetime": "TEXT",
}


def _sqlite_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "boolean":
        return int(value)
    if kind in ("date", "datetime"):
        return _iso(value, sep=" ")
    return value


def _referable(by_name: dict[str, Table], fk: ForeignKey) -> bool:
    """SQLite enforces a foreign key only onto the target's primary key (or a unique column): declare only those."""
    target = by_name.get(fk.resource)
    return target is not None and tuple(fk.reference_fields) == tuple(target.primary_key)


def _sqlite_ddl(t: Table, by_name: dict[str, Table]) -> list[str]:
    lines = []
    for c in t.columns:
        line = f"{_quote(c.name)} {_SQLITE_TYPES[c.kind]}"
        if c.required:
            line += " NOT NULL"
        if c.kind == "category" and c.enum is not None:
            line += f" CHECK ({_quote(c.name)} IN ({', '.join(_literal(v) for v in c.enum)}))"
        elif c.kind == "boolean":
            line += f" CHECK ({_quote(c.name)} IN (0, 1))"
        lines.append(line)
    if t.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in t.primary_key)})")
    for fk in t.foreign_keys:
        if _referable(by_name, fk):
            lines.append(
                f"FOREIGN KEY ({', '.join(_quote(k) for k in fk.fields)}) REFERENCES {_quote(fk.resource)} "
                f"({', '.join(_quote(k) for k in fk.reference_fields)}) DEFERRABLE INITIALLY DEFERRED"
            )
    statements = [f"CREATE TABLE {_quote(t.name)} (\n  " + ",\n  ".join(lines) + "\n)"]
    indexed = {tuple(t.primary_key)}
    for fk in t.foreign_keys:
        if tuple(fk.fields) not in indexed and _referable(by_name, fk):
            indexed.add(tuple(fk.fields))
            index = _quote(f"idx_{t.name}_{'_'.join(fk.fields)}")
            statements.append(f"CREATE INDEX {index} ON {_quote(t.name)} ({', '.join(_quote(k) for k in fk.fields)})")
    return statements


def _datasette_metadata(ds: Dataset, all_tables: list[Table], database: str) -> dict[str, Any]:
    meta = _meta(ds)
    described: dict[str, Any] = {}
    for t in all_tables:
        entry: dict[str, Any] = {
            "description": t.description,
            "columns": {c.name: c.description for c in t.columns if c.description},
        }
        names = {c.name for c in t.columns}
        label = next((n for n in ("name", "title") if n in names), None)
        if label and len(t.primary_key) == 1:
            entry["label_column"] = label
        described[t.name] = entry
    return {
        "title": meta["title"],
        "description": meta["description"] + (f" Version {meta['version']}, data as of {meta['asOf']}."),
        "license": meta["license"],
        "license_url": meta["license_url"],
        "source": meta["title"] or meta["name"],
        "source_url": meta["homepage"],
        "databases": {database: {"tables": described}},
    }


def _sqlite(ds: Dataset, staging: Path) -> list[str]:
    stem = _stem(ds)
    db = f"{stem}.db"
    all_tables = tables(ds)
    by_name = {t.name: t for t in all_tables}
    con = sqlite3.connect(staging / db)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        with con:  # one transaction: deferred foreign keys are checked at commit
            for t in all_tables:
                for statement in _sqlite_ddl(t, by_name):
                    con.execute(statement)
            for t in all_tables:
                columns = [[_sqlite_value(v, c.kind) for v in _values(t, c)] for c in t.columns]
                marks = ", ".join("?" for _ in t.columns)
                names = ", ".join(_quote(c.name) for c in t.columns)
                con.executemany(f"INSERT INTO {_quote(t.name)} ({names}) VALUES ({marks})", zip(*columns, strict=True))
    finally:
        con.close()
    metadata = _datasette_metadata(ds, all_tables, stem)
    (staging / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return [db, "metadata.json"]


# ---------------------------------------------------------------- duckdb

_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "category": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}


def _duckdb(ds: Dataset, staging: Path) -> list[str]:
    duckdb = _require("duckdb", "duckdb")
    pa = _require("pyarrow", "duckdb")
    meta, name = _meta(ds), f"{_stem(ds)}.duckdb"
    con = duckdb.connect(str(staging / name))
    try:
        for t in tables(ds):
            lines = [f"{_quote(c.name)} {_DUCKDB_TYPES[c.kind]}" for c in t.columns]
            keyed = t.primary_key and not t.frame[list(t.primary_key)].isna().any().any()
            if keyed:
                lines.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in t.primary_key)})")
            con.execute(f"CREATE TABLE {_quote(t.name)} ({', '.join(lines)})")
            source = _arrow_table(pa, t, meta)
            con.register("_export_source", source)
            try:
                names = ", ".join(_quote(c.name) for c in t.columns)
                con.execute(f"INSERT INTO {_quote(t.name)} ({names}) SELECT {names} FROM _export_source")
            finally:
                con.unregister("_export_source")
            if t.description:
                con.execute(f"COMMENT ON TABLE {_quote(t.name)} IS {_literal(t.description)}")
            for c in t.columns:
                if c.description:
                    con.execute(f"COMMENT ON COLUMN {_quote(t.name)}.{_quote(c.name)} IS {_literal(c.description)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return [name]


# ---------------------------------------------------------------- xlsx


def _xlsx(ds: Dataset, staging: Path) -> list[str]:
    openpyxl = _require("openpyxl", "xlsx")
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = openpyxl.Workbook(write_only=True)
    meta, all_tables = _meta(ds), tables(ds)

    def text(ws: Any, value: str, font: Any = None) -> Any:
        """A string cell, never a formula, whatever the text starts with."""
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if len(value) > _SHEET_LIMIT:
            raise ValueError(f"sheet {ws.title}: a text of {len(value)} characters exceeds Excel's {_SHEET_LIMIT}")
        cell = WriteOnlyCell(ws, value="")
        cell.value = value
        cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    def cell(ws: Any, value: Any, kind: str) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return text(ws, value)
        if isinstance(value, float) and math.isinf(value):
            return text(ws, _infinity(value))
        c = WriteOnlyCell(ws, value=value)
        if kind in ("date", "datetime"):
            c.number_format = "yyyy-mm-dd" if _iso(value).count(":") == 0 else "yyyy-mm-dd hh:mm:ss"
        return c

    readme = wb.create_sheet("README")
    readme.append([text(readme, meta["title"] or meta["name"], bold)])
    for label, value in (
        ("description", meta["description"]),
        ("version", meta["version"]),
        ("asOf", meta["asOf"]),
        ("licence", f"{meta['license']} {meta['license_url']}".strip()),
        ("homepage", meta["homepage"]),
    ):
        readme.append([text(readme, label, bold), text(readme, value)])
    readme.append([])
    header = ("sheet", "column", "type", "title", "description", "allowed values")
    readme.append([text(readme, h, bold) for h in header])
    for t in all_tables:
        readme.append([text(readme, t.name, bold), None, text(readme, "table"), None, text(readme, t.description)])
        for c in t.columns:
            row = [t.name, c.name, c.kind, c.title, c.description, ", ".join(c.enum or ())]
            readme.append([text(readme, v) if v else None for v in row])
    for t in all_tables:
        ws = wb.create_sheet(t.name[:31])
        ws.freeze_panes = "A2"
        ws.append([text(ws, c.name, bold) for c in t.columns])
        columns = [_values(t, c) for c in t.columns]
        kinds = [c.kind for c in t.columns]
        for row in zip(*columns, strict=True):  # type: ignore[assignment]
            ws.append([cell(ws, v, k) for v, k in zip(row, kinds, strict=True)])
    name = f"{_stem(ds)}.xlsx"
    wb.save(staging / name)
    return [name]


# ---------------------------------------------------------------- json


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return _iso(value)
    if isinstance(value, float) and math.isinf(value):
        return _infinity(value)
    return value


def _json(ds: Dataset, staging: Path) -> list[str]:
    out = []
    for t in tables(ds):
        names = [c.name for c in t.columns]
        columns = [[_json_value(v) for v in _values(t, c)] for c in t.columns]
        records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        name = f"{t.name}.json"
        (staging / name).write_text(json.dumps(records, ensure_ascii=False, allow_nan=False) + "\n", "utf-8")
        out.append(name)
    return out


# ---------------------------------------------------------------- entry point

_WRITERS: dict[str, Callable[[Dataset, Path], list[str]]] = {
    "parquet": _parquet,
    "sqlite": _sqlite,
    "duckdb": _duckdb,
    "xlsx": _xlsx,
    "json": _json,
}


@contextmanager
def _staged(directory: Path) -> Iterator[Path]:
    """A fresh private folder inside `directory`, removed afterwards."""
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=directory))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export(ds: Dataset, fmt: str, directory: str | Path) -> list[Path]:
    """Write every resource of `ds` and the helper tables to `directory` (created if needed) as `fmt`.

    `fmt` is one of parquet (one file per table), sqlite (one database with keys declared, and a
    Datasette ``metadata.json``), duckdb (one database with column comments), xlsx (one sheet per
    table and a README sheet) or json (one file of records per table). Returns the paths written.
    Raises ImportError naming the extra to install when the format's library is missing.
    """
    kind = str(fmt).strip().lower()
    if kind not in _WRITERS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    with _staged(target) as staging:
        names = _WRITERS[kind](ds, staging)
        written = []
        for name in names:
            if not _SAFE_NAME.match(name):  # never a path: only plain names inside the directory
                raise ValueError(f"refusing to write {name!r}")
            os.replace(staging / name, target / name)  # replaces a symlink there, never follows it
            written.append(target / name)
    return written
