"""Finding a data package on disk and reading its descriptor without trusting it.

Everything here turns a bad path or a broken ``datapackage.json`` into a
`Finding` instead of an exception, so the CLI can always say what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .report import Finding, Report
from .schema import Schema

DESCRIPTOR = "datapackage.json"

DIALECT: dict[str, Any] = {
    "header": True,
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "skipInitialSpace": False,
}
"""How every CSV file is written and read (Table Dialect names, as the descriptor declares it)."""

_DIALECT_READ: dict[str, tuple[Any, ...]] = {
    "header": (True,),
    "headerRows": ([1],),
    "delimiter": (",",),
    "lineTerminator": ("\n", "\r\n", "\r"),
    "quoteChar": ('"',),
    "doubleQuote": (True,),
    "skipInitialSpace": (False,),
    "escapeChar": (),
    "nullSequence": (),
    "commentChar": (),
    "commentRows": ([],),
}
"""Each dialect property's values this library reads as declared; () means it reads none (any value differs)."""


class UnusablePackage(Exception):
    """Nothing can be checked: the finding says why."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(finding.to_text())


def bundled_path() -> Path:
    """The data package shipped with the library (in a wheel) or in the source tree."""
    installed = Path(str(resources.files("migration_deals"))) / "datapackage" / DESCRIPTOR
    if installed.is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "datapackage" / DESCRIPTOR


@dataclass(frozen=True)
class Package:
    """A descriptor read from disk, with its resources' schemas and safe file paths."""

    descriptor: dict[str, Any]
    base: Path
    descriptor_path: Path
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def as_of(self) -> str | None:
        """Date the data is current to; the validator allows no later date."""
        value = self.descriptor.get("asOf")
        return str(value) if value else None

    @property
    def resource_names(self) -> list[str]:
        return [r["name"] for r in self.descriptor["resources"]]

    def resource(self, name: str) -> dict[str, Any]:
        for r in self.descriptor["resources"]:
            if r["name"] == name:
                return r
        raise KeyError(name)

    def schema(self, name: str) -> Schema:
        key = f"schema:{name}"
        if key not in self._memo:
            self._memo[key] = Schema.from_descriptor(name, self.resource(name)["schema"])
        return self._memo[key]

    def schemas(self) -> dict[str, Schema]:
        return {name: self.schema(name) for name in self.resource_names}

    def path_of(self, name: str) -> Path:
        return self.base / self.resource(name)["path"]

    def display(self, name: str) -> str:
        """How findings name a resource's file: the path as the descriptor gives it."""
        return str(Path(self.display_base) / self.resource(name)["path"])

    @property
    def display_base(self) -> str:
        if "display_base" not in self._memo:
            try:
                self._memo["display_base"] = str(self.base.resolve().relative_to(Path.cwd().resolve()))
            except ValueError:
                self._memo["display_base"] = str(self.base)
        return self._memo["display_base"]


def _fail(path: Path | str, rule: str, message: str, field: str | None = None) -> UnusablePackage:
    return UnusablePackage(Finding(str(path), None, field, rule, message))


def open_package(path: str | Path | None = None) -> Package:
    """Read and check a descriptor; raise `UnusablePackage` with one clear finding if it is unusable."""
    if path is None:
        p = bundled_path()
    else:
        text = str(path)
        if "://" in text:
            raise _fail(text, "remote-path", "only local data packages can be read; download it first")
        p = Path(path)
        if p.is_dir():
            p = p / DESCRIPTOR
    if not p.is_file():
        raise _fail(p, "missing-file", "no data package here: expected a datapackage.json or a folder holding one")
    try:
        descriptor = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise _fail(p, "encoding-error", f"the descriptor is not UTF-8 ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise UnusablePackage(
            Finding(
                str(p),
                e.lineno,
                None,
                "descriptor-error",
                f"the descriptor is not valid JSON: {e.msg} (column {e.colno})",
            )
        ) from None
    _check_descriptor(descriptor, p)
    return Package(descriptor, p.parent, p)


def open_or_report(path: str | Path | None, report: Report) -> Package | None:
    """`open_package`, but an unusable package becomes the report's one finding (and None)."""
    try:
        return open_package(path)
    except UnusablePackage as e:
        report.extend([e.finding])
        report.usable = False
        return None


def _check_descriptor(d: Any, p: Path) -> None:
    if not isinstance(d, dict) or not isinstance(d.get("resources"), list) or not d["resources"]:
        raise _fail(p, "descriptor-error", "the descriptor must be a JSON object with a non-empty 'resources' list")
    seen: set[str] = set()
    for i, r in enumerate(d["resources"]):
        where = f"resources[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise _fail(p, "descriptor-error", f"{where} must be an object with a 'name'")
        if r["name"] in seen:
            raise _fail(p, "descriptor-error", f"resource name {r['name']!r} appears twice")
        seen.add(r["name"])
        rp = r.get("path")
        if not isinstance(rp, str) or not rp:
            raise _fail(p, "descriptor-error", f"{where} ({r['name']}) must have a 'path' string")
        if "://" in rp or rp.startswith(("/", "\\")) or ".." in Path(rp).parts or ":" in rp:
            raise _fail(
                p, "unsafe-path", f"resource {r['name']!r} path {rp!r} must be a relative path inside the package"
            )
        _check_dialect(r, p)
        schema = r.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            raise _fail(
                p, "descriptor-error", f"resource {r['name']!r} must carry an inline 'schema' with a 'fields' list"
            )
        for j, f in enumerate(schema["fields"]):
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                raise _fail(p, "descriptor-error", f"resource {r['name']!r} field {j} must be an object with a 'name'")
            if f.get("type", "string") not in ("string", "integer", "number", "boolean", "date"):
                raise _fail(
                    p,
                    "descriptor-error",
                    f"resource {r['name']!r} field {f['name']!r} has type {f.get('type')!r}, "
                    "which this library does not read (string, integer, number, boolean, date)",
                )
        try:
            Schema.from_descriptor(r["name"], schema)
        except (KeyError, TypeError, AttributeError) as e:
            raise _fail(p, "descriptor-error", f"resource {r['name']!r} has a malformed schema ({e})") from None


def _check_dialect(r: dict[str, Any], p: Path) -> None:
    """A declared dialect must be the one the files are read with: never read a file other than as declared."""
    if "dialect" not in r:
        return
    dialect, name = r["dialect"], r["name"]

    def differs(message: str, value: Any) -> UnusablePackage:
        shown = value if isinstance(value, str) else json.dumps(value)
        return UnusablePackage(Finding(str(p), None, None, "dialect", message, shown, resource=name))

    if not isinstance(dialect, dict):
        raise differs(f"resource {name!r} must declare its dialect inline, as an object", dialect)
    for key, read in _DIALECT_READ.items():
        if key not in dialect:
            continue
        value = dialect[key]
        if any(type(value) is type(ok) and value == ok for ok in read):
            continue
        reads = f"{key} {json.dumps(read[0])}" if read else f"no {key}"
        raise differs(
            f"resource {name!r} declares dialect {key} {json.dumps(value)}, but this library reads every file "
            f"with {reads} (as {json.dumps(DIALECT)}); write the file in that dialect and declare it",
            value,
        )
