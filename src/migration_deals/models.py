"""Typed rows: pydantic v2 models derived from the Table Schemas.

The models are built from the schemas at first use, so a field declared in a
schema is declared nowhere else.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as PydanticField

from .schema import Schema

MODEL_NAMES = {
    "parties": "Party",
    "sources": "Source",
    "agreements": "Agreement",
    "transfers": "Transfer",
    "costs": "Cost",
    "events": "Event",
    "citations": "Citation",
}
_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "date": dt.date}


class Row(BaseModel):
    """Base of every row model: immutable, and no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _annotation(field) -> Any:
    kind = Literal[field.enum] if field.enum is not None else _TYPES.get(field.type, str)  # type: ignore[valid-type]
    return kind if field.required else Optional[kind]  # noqa: UP045 (kind is a runtime value)


@cache
def model_for(schema: Schema) -> type[Row]:
    """The pydantic model of a resource's rows."""
    fields: dict[str, Any] = {}
    for f in schema.fields:
        constraints: dict[str, Any] = {"description": f.description or None, "title": f.title or None}
        if f.pattern and f.type == "string":
            constraints["pattern"] = f"^(?:{f.pattern})$"
        if f.minimum is not None:
            constraints["ge"] = f.minimum
        if f.exclusive_minimum is not None:
            constraints["gt"] = f.exclusive_minimum
        if f.maximum is not None:
            constraints["le"] = f.maximum
        default = ... if f.required else None
        fields[f.name] = (_annotation(f), PydanticField(default, **constraints))
    name = MODEL_NAMES.get(schema.resource, schema.resource.title().replace("_", ""))
    return create_model(name, __base__=Row, __doc__=schema.description, **fields)


def __getattr__(name: str) -> type[Row]:
    """`models.Agreement` and friends, built from the bundled package's schemas."""
    for resource, model_name in MODEL_NAMES.items():
        if name == model_name:
            from .package import open_package

            return model_for(open_package().schema(resource))
    raise AttributeError(name)
