"""Load a data package into typed pandas DataFrames, refusing anything that would lose or coerce data."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import released
from .dates import with_bounds
from .files import Limits, Refused, read_inside
from .package import Package, bundled_path, open_or_report
from .report import DataPackageError, Report
from .schema import Schema
from .threads import alongside
from .validation import _as_of, check_integrity, check_tables, read_all

if TYPE_CHECKING:
    from .plot import Plots


@dataclass
class Dataset:
    """The resources of one data package, one typed DataFrame each.

    Every schema field is a column with a dtype derived from the schema; each
    uncertain-date field ``x`` also gets ``x_earliest`` and ``x_latest``
    (datetimes bounding what the date can mean) right after it.
    """

    frames: dict[str, pd.DataFrame]
    package: Package = field(repr=False)

    @property
    def version(self) -> str:
        """Version of the data package (semantic versioning for data)."""
        return self.package.version

    @property
    def as_of(self) -> str | None:
        """Date the data is current to."""
        return self.package.as_of

    @property
    def schemas(self) -> dict[str, Schema]:
        return self.package.schemas()

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def __repr__(self) -> str:
        rows = ", ".join(f"{name}={len(frame)}" for name, frame in self.frames.items())
        return f"<Dataset {self.version} (as of {self.as_of}): {rows} rows>"

    def __iter__(self) -> Iterator[str]:
        return iter(self.frames)

    def records(self, name: str) -> list[Any]:
        """Rows of a resource as pydantic models (`Agreement`, `Transfer`, ...)."""
        from .models import model_for

        model = model_for(self.package.schema(name))
        columns = self.package.schema(name).names
        frame = self.frames[name][columns].astype(object)
        frame = frame.where(frame.notna(), None)
        return [model.model_validate(row) for row in frame.to_dict(orient="records")]

    def people_moved(self, by: str = "agreement", movement: str = "transferred") -> pd.DataFrame:
        """People moved per agreement, programme or pair of states, as a range (see docs/aggregation.md).

        One row per group with ``people_low``, ``people_high`` (NA where no upper bound is known),
        ``as_of`` (the latest date the figures reach) and ``rows`` (the transfer ids used).
        """
        from .aggregate import people_moved

        return people_moved(self, by=by, movement=movement)

    def money(self, by: str = "agreement", status: str = "paid", currency: str | None = None) -> pd.DataFrame:
        """Money per group at one stage, as a range, in its own currency or converted at ECB rates."""
        from .aggregate import money

        return money(self, by=by, status=status, currency=currency)

    def cost_per_person(
        self, by: str = "agreement", status: str = "paid", currency: str | None = None, movement: str = "transferred"
    ) -> pd.DataFrame:
        """Money over people moved per group: ``low`` and ``high``; NA where nobody was moved."""
        from .aggregate import cost_per_person

        return cost_per_person(self, by=by, status=status, currency=currency, movement=movement)

    def timeline(self, agreement_id: str | None = None) -> pd.DataFrame:
        """Milestones, events and first and last transfers of each agreement (or one), in date order."""
        from .timeline import timeline

        return timeline(self, agreement_id)

    def sources_of(self, agreement_id: str) -> pd.DataFrame:
        """Every source cited for an agreement and the rows filed under it, with its role and class."""
        from .citing import sources_of

        return sources_of(self, agreement_id)

    @property
    def plot(self) -> Plots:
        """Pictures: ``ds.plot.timeline()``, ``.transfers(agreement_id)``, ``.cost_per_person()`` (`plot` extra)."""
        from .plot import Plots

        return Plots(self)

    def export(self, fmt: str, directory: str | Path) -> list[Path]:
        """Every resource and the helpers' tables as parquet, sqlite, duckdb, xlsx or json files (`export` extra)."""
        from .export import export

        return export(self, fmt, directory)

    def save(self, path: str | Path) -> Path:
        """Write the package (descriptor and CSV files) to a folder; returns the descriptor's path.

        Values are written in canonical form, so loading then saving a canonical
        package gives byte-identical files. The typed Arrow copies are not
        written, and their stamps are left out of the descriptor.
        """
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in self.frames.items():
            schema = self.package.schema(name)
            target = out / self.package.resource(name)["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_csv(frame, schema), encoding="utf-8", newline="")
        written = dict(self.package.descriptor)
        written["resources"] = [{k: v for k, v in r.items() if k != released.STAMP} for r in written["resources"]]
        descriptor = out / "datapackage.json"
        descriptor.write_text(json.dumps(written, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return descriptor


def _format(value: Any, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "integer":
        return str(int(value))
    if kind == "number":
        v = float(value)
        if math.isinf(v):
            return "INF" if v > 0 else "-INF"
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def to_csv(frame: pd.DataFrame, schema: Schema) -> str:
    """A resource as canonical CSV text: schema column order, minimal quoting, LF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(schema.names)
    columns = [[_format(v, f.type) for v in frame[f.name].astype(object)] for f in schema.fields]
    writer.writerows(zip(*columns, strict=False))
    return buf.getvalue()


def _known_bounds(ctx: Any, resource: str) -> Callable[[str], tuple[Any, Any]]:
    """The earliest and latest days of a resource's date column, as validation derived them."""

    def known(field: str) -> tuple[Any, Any]:
        lo, hi, _ = ctx.bounds(resource, field)
        return lo, hi

    return known


def _read_release(pkg: Package, files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    """The frames of a package whose files match their stamps. The package installed with the library is
    read from its typed Arrow copies where they match too; any other is read from its CSV files (an Arrow
    file from elsewhere is never parsed)."""
    trusted = pkg.descriptor_path.resolve() == bundled_path().resolve()
    frames: dict[str, pd.DataFrame] = {}
    for name, data in files.items():
        copy = released.read_copy(pkg, name, pkg.resource(name)["hash"]) if trusted else None
        frames[name] = copy if copy is not None else released.read_csv(data, pkg.schema(name))
    return frames


def _is_this_release(pkg: Package) -> bool:
    """Whether a package is the one installed with the library: its descriptor, or one equal to it.

    A descriptor's hashes only say that its files have not changed since they were stamped, and anyone
    can stamp a file. The installed descriptor's hashes are those of the release, which was validated
    when it was built: a package with an equal descriptor whose files match it holds the release's bytes.
    """
    installed = bundled_path()
    if pkg.descriptor_path.resolve() == installed.resolve():
        return True
    try:
        text = read_inside(installed, installed.parent, pkg.limits.descriptor_bytes)
        return bool(json.loads(text.decode("utf-8")) == pkg.descriptor)
    except (Refused, ValueError):
        return False


def load(path: str | Path | None = None, verify: bool = True, limits: Limits | None = None) -> Dataset:
    """Load a data package (the bundled one by default) as typed DataFrames.

    The installed release (or a copy of it: an equal descriptor, every file matching its hash) is read
    straight into typed columns. Any other package, stamped or not, is validated first, both layers, and
    `DataPackageError` lists every error: `load` never accepts what `validate` rejects. A file that
    differs from its stamped hash is refused unless ``verify=False``. `limits` bounds what is read (see
    SECURITY.md).
    """
    from . import rules
    from .checks import many_rows

    report = Report()
    pkg = open_or_report(path, report, limits)
    if pkg is None:
        raise DataPackageError(report) from None
    files = read_all(pkg, report)
    if report.errors:
        raise DataPackageError(report)
    stamped = all("hash" in pkg.resource(name) for name in files)
    check_integrity(pkg, files, report, copies=False)  # a copy that differs is not used: the CSV file is read
    if report.errors and verify:
        raise DataPackageError(report)
    if stamped and not report.errors and _is_this_release(pkg):
        return Dataset(_read_release(pkg, files), pkg)
    report = Report()
    as_of = _as_of(pkg, report)
    tables = check_tables(pkg, files, report)
    if report.errors or len(tables) != len(pkg.resource_names):
        raise DataPackageError(report)
    ctx = rules.Context(tables, as_of)
    # each typed column is made once, in a large package while the rules run (their work leaves gaps that
    # this fills), then the frames are put together; they are thrown away if a rule finds an error
    cells = [(t, f.name) for t in tables.values() for f in t.schema.fields]
    found, _ = alongside(
        lambda: rules.check(tables, as_of, ctx),
        lambda: [table.typed[name] for table, name in cells],
        parallel=many_rows(tables),
    )
    report.extend(found)
    if report.errors:
        raise DataPackageError(report)
    frames = {name: with_bounds(t.typed, t.schema, _known_bounds(ctx, name)) for name, t in tables.items()}
    return Dataset(frames, pkg)
