"""migration-deals: bilateral migration deals, the people moved under them and the money paid.

>>> import migration_deals as md
>>> ds = md.load()
>>> ds.version == md.__version__
True

pandas, frictionless and pydantic are imported only when a function needs them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .package import bundled_path

if TYPE_CHECKING:
    from .files import Limits
    from .integrity import verify
    from .loading import Dataset, load
    from .report import DataPackageError, Finding, Report
    from .validation import validate

__all__ = [
    "__version__",
    "load",
    "validate",
    "verify",
    "Dataset",
    "Report",
    "Finding",
    "DataPackageError",
    "Party",
    "Source",
    "Agreement",
    "Transfer",
    "Cost",
    "Event",
    "Citation",
    "bundled_path",
    "Limits",
]

__version__: str = json.loads(bundled_path().read_text(encoding="utf-8"))["version"]

_LAZY = {
    "load": "loading",
    "Dataset": "loading",
    "validate": "validation",
    "verify": "integrity",
    "Report": "report",
    "Finding": "report",
    "DataPackageError": "report",
    "Party": "models",
    "Source": "models",
    "Agreement": "models",
    "Transfer": "models",
    "Cost": "models",
    "Event": "models",
    "Citation": "models",
    "Limits": "files",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'migration_deals' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
