"""Layer 1 agrees with stock frictionless: both find the same Table Schema faults at the same cells."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import datasets, write_package
from test_properties import (
    m_accessed,
    m_amount_zero,
    m_boolean,
    m_dangling_fk,
    m_duplicate_key,
    m_edtf_pattern,
    m_enum,
    m_minimum,
    m_pattern,
    m_required,
    m_type,
)

import migration_deals as md

# Our rule names for layer 1, and the frictionless error type each corresponds to.
FRICTIONLESS_TYPE = {
    "required": "constraint-error",
    "enum": "constraint-error",
    "pattern": "constraint-error",
    "minimum": "constraint-error",
    "exclusive-minimum": "constraint-error",
    "maximum": "constraint-error",
    "type-error": "type-error",
    "primary-key": "primary-key",
    "foreign-key": "foreign-key",
    "missing-cell": "missing-cell",
    "extra-cell": "extra-cell",
    "blank-row": "blank-row",
    "unique": "unique-error",
}

ROW_LEVEL = {"primary-key", "foreign-key", "blank-row", "extra-cell"}
"""Frictionless reports these per row, without a field name; they are compared per row."""


def ours(path: Path) -> set[tuple]:
    report = md.validate(path)
    return {
        (Path(f.path).stem, f.line, None if f.rule in ROW_LEVEL else f.field, FRICTIONLESS_TYPE[f.rule])
        for f in report.findings
        if f.rule in FRICTIONLESS_TYPE
    }


def theirs(path: Path) -> set[tuple]:
    from frictionless import Package, system

    with system.use_context(trusted=True):
        report = Package(str(path)).validate()
    out = set()
    for task in report.tasks:
        for e in task.errors:
            if e.type in FRICTIONLESS_TYPE.values():
                field = None if e.type in ROW_LEVEL else getattr(e, "field_name", None)
                out.add((task.name, getattr(e, "row_number", None), field, e.type))
    return out


def short_row_texts(tables):
    from strategies import to_csv_text

    text = to_csv_text("parties", tables["parties"])
    lines = text.split("\n")
    lines[1] = lines[1].rsplit(",", 1)[0]
    return {"parties": "\n".join(lines)}


@pytest.mark.parametrize(
    "mutation",
    [
        m_dangling_fk,
        m_duplicate_key,
        m_required,
        m_enum,
        m_pattern,
        m_edtf_pattern,
        m_type,
        m_minimum,
        m_amount_zero,
        m_boolean,
        m_accessed,
    ],
    ids=lambda m: m.__name__[2:],
)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets())
def test_same_faults_as_frictionless(mutation, tables):
    tables = copy.deepcopy(tables)
    mutation(tables)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_package(Path(tmp), tables)
        mine, stock = ours(path), theirs(path)
    assert mine == stock
    assert mine, "the mutation must produce a Table Schema fault"


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets())
def test_valid_packages_pass_frictionless_too(tables):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_package(Path(tmp), tables)
        assert theirs(path) == set() == ours(path)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets())
def test_short_row_agrees(tables):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_package(Path(tmp), tables, texts=short_row_texts(tables))
        assert (
            ours(path)
            == theirs(path)
            == {("parties", 2, "kind", "missing-cell"), ("parties", 2, "kind", "constraint-error")}
        )
