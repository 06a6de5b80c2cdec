"""The Table Schemas, read once and turned into what the loader and validator need.

The schemas in a package's ``datapackage.json`` are the one source of truth:
pandas dtypes, pydantic models and the codebook are all derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

RESOURCES = ("parties", "sources", "agreements", "transfers", "costs", "events", "citations")
"""Resource names, in the order they depend on each other."""


@dataclass(frozen=True)
class Field:
    """One column of a resource, as its Table Schema declares it."""

    name: str
    type: str = "string"
    title: str = ""
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    enum_descriptions: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    pattern: str | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    edtf: bool = False
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_descriptor(cls, d: dict[str, Any]) -> Field:
        c = d.get("constraints") or {}
        known = {"name", "type", "title", "description", "constraints", "enumDescriptions", "edtf", "format"}
        return cls(
            name=d["name"],
            type=d.get("type", "string"),
            title=d.get("title", ""),
            description=d.get("description", ""),
            required=bool(c.get("required", False)),
            unique=bool(c.get("unique", False)),
            enum=tuple(str(v) for v in c["enum"]) if "enum" in c else None,
            enum_descriptions=dict(d.get("enumDescriptions") or {}),
            pattern=c.get("pattern"),
            minimum=c.get("minimum"),
            exclusive_minimum=c.get("exclusiveMinimum"),
            maximum=c.get("maximum"),
            edtf=bool(d.get("edtf", False)),
            extra={k: v for k, v in d.items() if k not in known},
        )


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    """Referenced resource; the resource itself when the descriptor says ``""``."""
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    """A resource's Table Schema."""

    resource: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    missing_values: tuple[str, ...] = ("",)
    description: str = ""

    @classmethod
    def from_descriptor(cls, resource: str, d: dict[str, Any]) -> Schema:
        pk = d.get("primaryKey") or []
        fks = []
        for fk in d.get("foreignKeys") or []:
            ref = fk["reference"]
            as_tuple = lambda v: (v,) if isinstance(v, str) else tuple(v)  # noqa: E731
            fks.append(ForeignKey(as_tuple(fk["fields"]), ref.get("resource") or resource, as_tuple(ref["fields"])))
        return cls(
            resource=resource,
            fields=tuple(Field.from_descriptor(f) for f in d["fields"]),
            primary_key=(pk,) if isinstance(pk, str) else tuple(pk),
            foreign_keys=tuple(fks),
            missing_values=tuple(d.get("missingValues", [""])),
            description=d.get("description", ""),
        )

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def dtypes(self) -> dict[str, Any]:
        """pandas dtype of every column, derived from the field's type and constraints."""

        out: dict[str, Any] = {}
        for f in self.fields:
            if f.enum is not None:
                out[f.name] = enum_dtype(tuple(f.enum))
            else:
                out[f.name] = {
                    "integer": "Int64",
                    "number": "Float64",
                    "boolean": "boolean",
                    "date": "datetime64[ns]",
                }.get(f.type, "string")
        return out


@lru_cache(maxsize=512)
def enum_dtype(values: tuple[str, ...]) -> Any:
    """The categorical dtype of an enum (made once: its categories are checked when it is built)."""
    import pandas as pd

    return pd.CategoricalDtype(list(values))


@lru_cache(maxsize=512)
def enum_index(values: tuple[str, ...]) -> Any:
    """An enum's values as a pandas Index, to look codes up in (made once)."""
    import pandas as pd

    return pd.Index(list(values))
