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

from .files import Limits, Refused, excerpt, read_inside
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
    limits: Limits = field(default_factory=Limits)
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

    def read(self, name: str) -> bytes:
        """A resource file's bytes, read safely (see `files.read_inside`); raises `files.Refused`."""
        return read_inside(self.path_of(name), self.base, self.limits.file_bytes)

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


def open_package(path: str | Path | None = None, limits: Limits | None = None) -> Package:
    """Read and check a descriptor; raise `UnusablePackage` with one clear finding if it is unusable."""
    limits = limits or Limits()
    if path is None:
        p = bundled_path()
    else:
        text = str(path)
        if "://" in text:
            raise _fail(excerpt(text) or "", "remote-path", "only local data packages can be read; download it first")
        if "\x00" in text:
            raise _fail(excerpt(text) or "", "unsafe-path", "the path holds a NUL byte")
        p = Path(path)
        try:
            if p.is_dir():
                p = p / DESCRIPTOR
        except OSError:
            pass
    try:
        data = read_inside(p, p.parent, limits.descriptor_bytes)
    except Refused as e:
        message = (
            "no data package here: expected a datapackage.json or a folder holding one"
            if e.rule == "missing-file"
            else f"the descriptor is not read: {e}"
        )
        raise _fail(p, e.rule, message) from None
    try:
        descriptor = json.loads(data.decode("utf-8"))
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
    except RecursionError:
        raise _fail(p, "descriptor-error", f"the descriptor nests deeper than {limits.json_depth} levels") from None
    if _depth(descriptor) > limits.json_depth:
        raise _fail(p, "descriptor-error", f"the descriptor nests deeper than {limits.json_depth} levels")
    schemas = _check_descriptor(descriptor, p)
    return Package(descriptor, p.parent, p, limits, {f"schema:{name}": s for name, s in schemas.items()})


def _depth(value: Any) -> int:
    """Deepest nesting of lists and objects, found level by level without recursion."""
    depth, level = 0, [value] if isinstance(value, dict | list) else []
    while level:
        depth += 1
        below: list[Any] = []
        for item in level:
            below += [v for v in (item.values() if isinstance(item, dict) else item) if isinstance(v, dict | list)]
        level = below
    return depth


def open_or_report(path: str | Path | None, report: Report, limits: Limits | None = None) -> Package | None:
    """`open_package`, but an unusable package becomes the report's one finding (and None)."""
    try:
        return open_package(path, limits)
    except UnusablePackage as e:
        report.extend([e.finding])
        report.usable = False
        return None


def _check_descriptor(d: Any, p: Path) -> dict[str, Schema]:
    """Raise `UnusablePackage` for a descriptor this library cannot read; return each resource's schema."""
    if not isinstance(d, dict) or not isinstance(d.get("resources"), list) or not d["resources"]:
        raise _fail(p, "descriptor-error", "the descriptor must be a JSON object with a non-empty 'resources' list")
    seen: set[str] = set()
    schemas: dict[str, Schema] = {}
    for i, r in enumerate(d["resources"]):
        where = f"resources[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("name"), str) or not r["name"]:
            raise _fail(p, "descriptor-error", f"{where} must be an object with a 'name'")
        name = excerpt(r["name"], 60)
        if r["name"] in seen:
            raise _fail(p, "descriptor-error", f"resource name {name!r} appears twice")
        seen.add(r["name"])
        rp = r.get("path")
        if not isinstance(rp, str) or not rp:
            raise _fail(p, "descriptor-error", f"{where} ({name}) must have a 'path' string")
        if "://" in rp or rp.startswith(("/", "\\")) or ".." in Path(rp).parts or ":" in rp or "\x00" in rp:
            raise _fail(
                p,
                "unsafe-path",
                f"resource {name!r} path {excerpt(rp, 80)!r} must be a relative path inside the package",
            )
        encoding = r.get("encoding", "utf-8")
        if not isinstance(encoding, str) or encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise _fail(
                p,
                "descriptor-error",
                f"resource {name!r} declares encoding {excerpt(str(encoding), 40)!r}; every file is read as UTF-8, "
                "so declare utf-8 (or nothing)",
            )
        if r.get("format", "csv") != "csv":
            raise _fail(p, "descriptor-error", f"resource {name!r} must be a CSV file (format csv)")
        _check_dialect(r, p)
        schema = r.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
            raise _fail(p, "descriptor-error", f"resource {name!r} must carry an inline 'schema' with a 'fields' list")
        _check_fields(schema, name, p)
        try:
            schemas[r["name"]] = Schema.from_descriptor(r["name"], schema)
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise _fail(
                p, "descriptor-error", f"resource {name!r} has a malformed schema ({excerpt(str(e), 80)})"
            ) from None
    for r in d["resources"]:
        _check_keys(r, {x["name"]: x["schema"] for x in d["resources"]}, p)
    return schemas


TYPES = ("string", "integer", "number", "boolean", "date")
CONSTRAINTS = {
    "required": (bool,),
    "unique": (bool,),
    "enum": (list,),
    "pattern": (str,),
    "minimum": (int, float),
    "maximum": (int, float),
    "exclusiveMinimum": (int, float),
}
"""The constraints this library checks, and the JSON types their values may have."""


def _check_fields(schema: dict[str, Any], resource: str | None, p: Path) -> None:
    """Every field has a readable name, a type this library reads, and constraints it checks, well typed."""
    from .patterns import PatternError, compile_pattern

    names: set[str] = set()
    for j, f in enumerate(schema["fields"]):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            raise _fail(p, "descriptor-error", f"resource {resource!r} field {j} must be an object with a 'name'")
        name = excerpt(f["name"], 60)
        if f["name"] in names:
            raise _fail(p, "descriptor-error", f"resource {resource!r} has two fields named {name!r}")
        names.add(f["name"])
        kind = f.get("type", "string")
        if kind not in TYPES:
            raise _fail(
                p,
                "descriptor-error",
                f"resource {resource!r} field {name!r} has type {excerpt(str(kind), 40)!r}, "
                f"which this library does not read ({', '.join(TYPES)})",
            )
        if f.get("format", "default") != "default":
            raise _fail(p, "descriptor-error", f"resource {resource!r} field {name!r}: only the default format is read")
        for key, kind_ in (
            ("edtf", bool),
            ("enumDescriptions", dict),
            ("nonIsoCodes", dict),
            ("formerDirection", dict),
        ):
            if (
                key in f
                and not isinstance(f[key], kind_)
                or isinstance(f.get(key), dict)
                and not all(isinstance(v, str) for v in f[key].values())
            ):
                raise _fail(
                    p,
                    "descriptor-error",
                    f"resource {resource!r} field {name!r}: {key} must be "
                    + ("true or false" if kind_ is bool else "an object of strings"),
                )
        constraints = f.get("constraints", {})
        if not isinstance(constraints, dict):
            raise _fail(p, "descriptor-error", f"resource {resource!r} field {name!r}: constraints must be an object")
        for key, value in constraints.items():
            allowed = CONSTRAINTS.get(key)
            if allowed is None:
                raise _fail(
                    p,
                    "descriptor-error",
                    f"resource {resource!r} field {name!r} has constraint {excerpt(str(key), 40)!r}, which this "
                    f"library does not check ({', '.join(CONSTRAINTS)})",
                )
            numeric = key in ("minimum", "maximum", "exclusiveMinimum")
            bad_type = not isinstance(value, allowed) or isinstance(value, bool) and bool not in allowed
            if numeric and not bad_type and (kind not in ("integer", "number") or not abs(value) <= 1e300):
                bad_type = True
            if key == "enum" and not bad_type and not all(isinstance(v, str) for v in value):
                bad_type = True
            if bad_type:
                want = (
                    "a finite number on an integer or number field"
                    if numeric
                    else " or ".join(t.__name__ for t in allowed)
                )
                raise _fail(
                    p,
                    "descriptor-error",
                    f"resource {resource!r} field {name!r}: constraint {key} must be {want}, "
                    f"not {excerpt(json.dumps(value), 40)}",
                )
            if key == "pattern":
                try:
                    compile_pattern(value)
                except PatternError as e:
                    raise _fail(p, "descriptor-error", f"resource {resource!r} field {name!r}: pattern {e}") from None
    missing = schema.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(v, str) for v in missing):
        raise _fail(p, "descriptor-error", f"resource {resource!r}: missingValues must be a list of strings")


def _names(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def _check_keys(r: dict[str, Any], schemas: dict[str, dict[str, Any]], p: Path) -> None:
    """Primary and foreign keys name fields and resources that exist."""
    name = excerpt(r["name"], 60)
    schema = r["schema"]
    fields_ = {f["name"] for f in schema["fields"]}
    if "primaryKey" in schema:
        pk = _names(schema["primaryKey"])
        if pk is None or not set(pk) <= fields_:
            raise _fail(
                p,
                "descriptor-error",
                f"resource {name!r}: primaryKey {excerpt(json.dumps(schema['primaryKey']), 60)} must name its fields",
            )
    keys = schema.get("foreignKeys", [])
    if not isinstance(keys, list):
        raise _fail(p, "descriptor-error", f"resource {name!r}: foreignKeys must be a list")
    for fk in keys:
        shown = excerpt(json.dumps(fk), 80)
        ref = fk.get("reference") if isinstance(fk, dict) else None
        own = _names(fk.get("fields")) if isinstance(fk, dict) else None
        target = ref.get("resource", "") if isinstance(ref, dict) else None
        theirs = _names(ref.get("fields")) if isinstance(ref, dict) else None
        if own is None or theirs is None or not isinstance(target, str) or len(own) != len(theirs):
            raise _fail(p, "descriptor-error", f"resource {name!r}: foreign key {shown} is malformed")
        if not set(own) <= fields_:
            raise _fail(p, "descriptor-error", f"resource {name!r}: foreign key {shown} names a field it lacks")
        other = schema if target == "" else schemas.get(target)
        if other is None:
            raise _fail(
                p,
                "descriptor-error",
                f"resource {name!r}: foreign key {shown} refers to a resource that does not exist",
            )
        if not set(theirs) <= {f["name"] for f in other["fields"]}:
            raise _fail(
                p, "descriptor-error", f"resource {name!r}: foreign key {shown} refers to a field that does not exist"
            )


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
