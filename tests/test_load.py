"""The loader: dtypes from the schema, nothing coerced or lost, typed rows, one version."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import migration_deals as md
from migration_deals.build import build
from migration_deals.models import model_for
from migration_deals.package import open_package


@pytest.fixture(scope="module")
def ds():
    return md.load()


def test_version_is_one_number(ds):
    descriptor = json.loads(md.bundled_path().read_text(encoding="utf-8"))
    assert ds.version == md.__version__ == descriptor["version"]


def test_dtypes_follow_the_schema(ds):
    for name, schema in ds.schemas.items():
        frame = ds[name]
        for f in schema.fields:
            dtype = frame[f.name].dtype
            if f.enum is not None:
                assert isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == list(f.enum)
            else:
                expected = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "string"}
                if f.type == "date":
                    assert pd.api.types.is_datetime64_dtype(dtype)
                else:
                    assert str(dtype) == expected[f.type], (name, f.name, dtype)
            if f.edtf:
                assert pd.api.types.is_datetime64_dtype(frame[f"{f.name}_earliest"].dtype)
                lo, hi = frame[f"{f.name}_earliest"], frame[f"{f.name}_latest"]
                assert (lo.isna() == frame[f.name].isna()).all()
                assert (lo <= hi)[lo.notna()].all()


def test_primary_keys_intact(ds):
    for name, schema in ds.schemas.items():
        key = ds[name][list(schema.primary_key)]
        assert not key.duplicated().any() and key.notna().all().all()
        raw = pd.read_csv(open_package().path_of(name), dtype=str, keep_default_na=False)
        assert list(ds[name][schema.primary_key[0]]) == list(raw[schema.primary_key[0]])


def test_partial_dates_become_intervals(ds):
    row = ds.transfers.set_index("transfer_id").loc["usa-rwa-2025-ameen-april"]
    assert row.period_end == "2025-04"
    assert row.period_end_earliest == pd.Timestamp("2025-04-01")
    assert row.period_end_latest == pd.Timestamp("2025-04-30")


def stamp(pkg) -> None:
    """Stamp hashes as a release does, so that load() takes the released-file path."""
    from migration_deals.integrity import digest

    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    for r in d["resources"]:
        data = (pkg / r["path"]).read_bytes()
        r["hash"], r["bytes"] = digest(data), len(data)
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")


@pytest.mark.parametrize("released", [False, True])
def test_text_that_looks_missing_stays_text(tmp_path, monkeypatch, released):
    from test_bad_input import unstamped_copy

    from migration_deals import loading

    pkg = unstamped_copy(tmp_path / "pkg")
    text = (pkg / "parties.csv").read_text(encoding="utf-8")
    (pkg / "parties.csv").write_text(
        text.replace(",Rwanda,", ",NA,").replace(",Libya,", ",null,").replace(",Kosovo,", ",None,"), encoding="utf-8"
    )
    if released:  # taken for the installed release, so read straight into typed columns
        stamp(pkg)
        monkeypatch.setattr(loading, "bundled_path", lambda: pkg / "datapackage.json")
    parties = md.load(pkg).parties.set_index("party_id")["name"]
    assert (parties["RWA"], parties["LBY"], parties["XKX"]) == ("NA", "null", "None")


def test_empty_cells_are_missing(ds):
    assert ds.agreements["ended"].isna().any()
    assert ds.agreements["ended"].dropna().ne("").all()


def test_records_are_models(ds):
    rows = ds.records("costs")
    assert len(rows) == len(ds.costs)
    assert type(rows[0]).__name__ == "Cost"
    assert {type(r).__name__ for r in ds.records("parties")} == {"Party"}
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        rows[0].amount = 1  # frozen


def test_models_follow_the_schema():
    pkg = open_package()
    for name in pkg.resource_names:
        schema = pkg.schema(name)
        model = model_for(schema)
        assert list(model.model_fields) == schema.names
        assert {n for n, f in model.model_fields.items() if f.is_required()} == {
            f.name for f in schema.fields if f.required
        }


def test_model_rejects_bad_enum():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        md.Party(party_id="GBR", name="United Kingdom", kind="empire")


def test_derived_files_are_fresh():
    """datapackage.json carries schemas/ exactly, and docs/codebook.md is regenerated from them."""
    assert build(check=True) == []


def test_import_is_light():
    import subprocess
    import sys

    code = (
        "import sys, migration_deals; "
        "print(sorted(m for m in ('pandas', 'frictionless', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_released_and_checked_paths_agree(tmp_path, ds):
    """The fast path for released files gives exactly what the checked path gives."""
    from test_bad_input import unstamped_copy

    checked = md.load(unstamped_copy(tmp_path / "copy"))
    for name in ds:
        pd.testing.assert_frame_equal(ds[name], checked[name])
