"""Exports read back value for value: Parquet, SQLite (+ Datasette metadata), DuckDB, xlsx and JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import migration_deals as md
from migration_deals.export import FORMATS, export
from migration_deals.loading import Dataset

HELPERS = ("people_moved", "money_paid", "cost_per_person")


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return md.load()


def _joined(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: ";".join(v) if isinstance(v, tuple) else v)
    return frame


@pytest.fixture(scope="module")
def expected(ds: Dataset) -> dict[str, pd.DataFrame]:
    out = dict(ds.frames)
    out["people_moved"] = _joined(ds.people_moved(by="agreement"))
    out["money_paid"] = _joined(ds.money(by="agreement", status="paid"))
    out["cost_per_person"] = _joined(ds.cost_per_person(by="agreement"))
    return out


def _is_date(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series.dtype)


def _norm(value: Any, date: bool) -> Any:
    """A value in a form every reader agrees on; None for missing."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if date:
        return pd.Timestamp(value)  # a datetime, a date or ISO text
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return value


def _compare(
    expected: dict[str, pd.DataFrame],
    actual: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
    digits16: bool = False,
) -> None:
    """Every table, column and value; `digits16`: floats carry 16 significant digits (openpyxl writes %.16g)."""
    assert sorted(actual) == sorted(expected)
    for name, frame in expected.items():
        columns, rows = actual[name]
        assert columns == list(frame.columns), name
        assert len(rows) == len(frame), name
        for i, col in enumerate(columns):
            date = _is_date(frame[col])
            want = [_norm(v, date) for v in frame[col].astype(object)]
            got = [_norm(row[i], date) for row in rows]
            if digits16 and pd.api.types.is_float_dtype(frame[col].dtype):
                want = [w if w is None else float(f"{w:.16g}") for w in want]
            assert got == want, f"{name}.{col}"


def test_unknown_format(ds: Dataset, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="parquet"):
        export(ds, "csv2", tmp_path)


@pytest.mark.parametrize(("fmt", "module"), [("parquet", "pyarrow"), ("duckdb", "duckdb"), ("xlsx", "openpyxl")])
def test_missing_library_names_the_extra(
    ds: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'migration-deals\[export\]'"):
        export(ds, fmt, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_parquet(ds: Dataset, expected: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    written = export(ds, "parquet", tmp_path / "pq")
    assert {p.name for p in written} == {f"{n}.parquet" for n in expected}
    actual = {}
    for name, frame in expected.items():
        table = pq.read_table(tmp_path / "pq" / f"{name}.parquet")
        actual[name] = (table.column_names, list(zip(*(c.to_pylist() for c in table.columns), strict=True)))
        schema = table.schema
        assert schema.metadata[b"description"].decode(), name
        for col in frame.columns:
            arrow = schema.field(col).type
            dtype = str(frame[col].dtype)
            if dtype == "Int64":
                assert arrow == pa.int64(), (name, col)
            elif dtype == "Float64":
                assert arrow == pa.float64(), (name, col)
            elif dtype == "boolean":
                assert arrow == pa.bool_(), (name, col)
            elif dtype == "category":
                assert pa.types.is_dictionary(arrow) and arrow.value_type == pa.string(), (name, col)
            elif _is_date(frame[col]):
                assert pa.types.is_timestamp(arrow) or arrow == pa.date32(), (name, col)
            else:
                assert arrow == pa.string(), (name, col)
        if name in ds.frames:
            for f in ds.package.schema(name).fields:
                assert schema.field(f.name).metadata[b"description"].decode() == f.description
    _compare(expected, actual)


def test_parquet_types_in_duckdb_and_polars(ds: Dataset, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    export(ds, "parquet", tmp_path)
    con = duckdb.connect()
    types = {
        row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'agreements.parquet'}'").fetchall()
    }
    assert types["capacity_people"] == "BIGINT"
    assert types["legally_binding"] == "BOOLEAN"
    assert types["signed_earliest"].startswith("TIMESTAMP")
    assert types["status"] == "VARCHAR"
    costs = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'costs.parquet'}'").fetchall()}
    assert costs["amount"] == "DOUBLE"
    sources = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'sources.parquet'}'").fetchall()}
    assert sources["accessed"] == "DATE"
    n = con.execute(f"SELECT count(*) FROM '{tmp_path / 'transfers.parquet'}' WHERE people IS NULL").fetchone()[0]
    assert n == ds.transfers["people"].isna().sum()
    pl = pytest.importorskip("polars")
    frame = pl.read_parquet(tmp_path / "transfers.parquet")
    assert frame.schema["people"] == pl.Int64
    assert frame.schema["period_start_earliest"] == pl.Datetime("us")
    assert frame.schema["movement"] in (pl.Categorical, pl.String)
    assert frame.height == len(ds.transfers)


def _tables_from(con, names) -> dict[str, tuple[list[str], list[tuple]]]:
    """Column names and rows of each table, read through a DB-API connection (sqlite3 or duckdb)."""
    out = {}
    for name in names:
        cur = con.execute(f'SELECT * FROM "{name}"')
        out[name] = ([d[0] for d in cur.description], cur.fetchall())
    return out


def test_sqlite(ds: Dataset, expected: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    written = export(ds, "sqlite", tmp_path)
    db = next(p for p in written if p.suffix == ".db")
    con = sqlite3.connect(db)
    try:
        _compare(expected, _tables_from(con, expected))
        for name in ds.frames:
            schema = ds.package.schema(name)
            info = con.execute(f'PRAGMA table_info("{name}")').fetchall()
            pk = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
            assert tuple(pk) == schema.primary_key, name
            declared = {(row[2], row[3], row[4]) for row in con.execute(f'PRAGMA foreign_key_list("{name}")')}
            want = {(fk.resource, fk.fields[0], fk.reference_fields[0]) for fk in schema.foreign_keys}
            assert declared == want, name
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        fks = con.execute('PRAGMA foreign_key_list("people_moved")').fetchall()
        assert [(r[2], r[3], r[4]) for r in fks] == [("agreements", "agreement_id", "agreement_id")]
    finally:
        con.close()
    meta = json.loads((tmp_path / "metadata.json").read_text("utf-8"))
    descriptor = ds.package.descriptor
    assert meta["title"] == descriptor["title"]
    assert meta["license"] == descriptor["licenses"][0]["name"]
    assert meta["license_url"] == descriptor["licenses"][0]["path"]
    assert meta["source"] and meta["source_url"] == descriptor["homepage"]
    (database,) = meta["databases"]
    assert db.stem == database
    described = meta["databases"][database]["tables"]
    assert set(described) == set(expected)
    for name in ds.frames:
        schema = ds.package.schema(name)
        assert described[name]["description"] == schema.description
        for f in schema.fields:
            assert described[name]["columns"][f.name] == f.description


def test_duckdb(ds: Dataset, expected: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    pytest.importorskip("pyarrow")
    (db,) = export(ds, "duckdb", tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        _compare(expected, _tables_from(con, expected))
        comments = {
            (t, c): comment
            for t, c, comment in con.execute("SELECT table_name, column_name, comment FROM duckdb_columns()").fetchall()
        }
        for name in ds.frames:
            for f in ds.package.schema(name).fields:
                assert comments[(name, f.name)] == f.description
        types = dict(
            con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'transfers'").fetchall()
        )
        assert types["people"] == "BIGINT" and types["period_end_latest"] == "TIMESTAMP"
    finally:
        con.close()


def test_xlsx(ds: Dataset, expected: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    (book,) = export(ds, "xlsx", tmp_path)
    wb = openpyxl.load_workbook(book, read_only=True)
    try:
        assert wb.sheetnames == ["README", *expected]
        actual = {}
        for name in expected:
            rows = list(wb[name].iter_rows(values_only=True))
            width = len(rows[0])  # a read-only sheet leaves off a row's trailing empty cells
            actual[name] = (list(rows[0]), [tuple(r) + (None,) * (width - len(r)) for r in rows[1:]])
        _compare(expected, actual, digits16=True)
        readme = [tuple(row) + (None,) * 6 for row in wb["README"].iter_rows(values_only=True)]
        labels = {row[0]: row[1] for row in readme if row and row[0]}
        assert labels["version"] == ds.version and labels["asOf"] == ds.as_of
        assert ds.package.descriptor["licenses"][0]["name"] in labels["licence"]
        described = {(row[0], row[1]): row[4] for row in readme if row[1]}
        for name in ds.frames:
            for f in ds.package.schema(name).fields:
                assert described[(name, f.name)] == (f.description or None)
    finally:
        wb.close()


def test_xlsx_text_is_never_a_formula(ds: Dataset, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    risky = ['=HYPERLINK("http://example.org","x")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]
    parties = ds.parties.copy()
    parties["name"] = parties["name"].astype(object)
    parties.loc[parties.index[: len(risky)], "name"] = risky
    parties["name"] = parties["name"].astype("string")
    tampered = Dataset({**ds.frames, "parties": parties}, ds.package)
    (book,) = export(tampered, "xlsx", tmp_path)
    wb = openpyxl.load_workbook(book)  # not read-only: data_type tells a formula from text
    ws = wb["parties"]
    column = [c.value for c in ws[1]].index("name") + 1
    cells = [ws.cell(row=i + 2, column=column) for i in range(len(risky))]
    assert [c.value for c in cells] == risky
    assert all(c.data_type == "s" for c in cells)
    wb.close()


def test_json(ds: Dataset, expected: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    written = export(ds, "json", tmp_path)
    assert {p.name for p in written} == {f"{n}.json" for n in expected}
    actual = {}
    for name, frame in expected.items():
        text = (tmp_path / f"{name}.json").read_text("utf-8")
        assert "NaN" not in text.replace('"NaN', "")
        records = json.loads(text)
        assert isinstance(records, list)
        columns = list(records[0]) if records else list(frame.columns)
        assert all(list(r) == columns for r in records)
        actual[name] = (columns, [tuple(r.values()) for r in records])
        for col in frame.columns:
            if _is_date(frame[col]):
                values = [r[col] for r in records if r[col] is not None]
                assert all(isinstance(v, str) and dt.date.fromisoformat(v[:10]) for v in values)
    _compare(expected, actual)


def _names(fmt: str, tables: list[str]) -> list[str]:
    return {
        "parquet": [f"{n}.parquet" for n in tables],
        "sqlite": ["migration-deals.db", "metadata.json"],
        "duckdb": ["migration-deals.duckdb"],
        "xlsx": ["migration-deals.xlsx"],
        "json": [f"{n}.json" for n in tables],
    }[fmt]


@pytest.mark.parametrize("fmt", FORMATS)
def test_writes_only_inside_the_directory(
    ds: Dataset, expected: dict[str, pd.DataFrame], tmp_path: Path, fmt: str
) -> None:
    for module in {"parquet": ["pyarrow"], "duckdb": ["duckdb", "pyarrow"], "xlsx": ["openpyxl"]}.get(fmt, []):
        pytest.importorskip(module)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "a" / "b"
    target.mkdir(parents=True)
    names = _names(fmt, list(expected))
    for name in names:  # a symlink planted in the directory is replaced, never written through
        (target / name).symlink_to(outside / name)
    written = export(ds, fmt, target)
    assert [p.name for p in written] == names
    assert list(outside.iterdir()) == []
    assert all(p.parent == target and p.is_file() and not p.is_symlink() for p in written)
    assert sorted(p.name for p in target.iterdir()) == sorted(names)  # no staging folder left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "outside"]


def test_creates_the_directory(ds: Dataset, tmp_path: Path) -> None:
    written = export(ds, "json", tmp_path / "new" / "folder")
    assert all(p.parent == tmp_path / "new" / "folder" and p.is_file() for p in written)
