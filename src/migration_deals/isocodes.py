"""ISO code lists (countries, currencies, languages) from pycountry's databases, read once and fast."""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path


@cache
def iso(database: str, table: str, code: str) -> frozenset[str]:
    """One column of one of pycountry's ISO databases, read straight from its JSON file: importing
    pycountry and building its objects costs more than the whole of the rest of this check."""
    spec = find_spec("pycountry")
    folder = Path(next(iter(spec.submodule_search_locations or ()), "")) / "databases" if spec else None
    path = folder / f"{database}.json" if folder else None
    if path is not None and path.is_file():
        entries = json.loads(path.read_text(encoding="utf-8"))[table]
        return frozenset(e[code] for e in entries if code in e)
    import pycountry  # an unusual install layout: the public API gives the same codes

    db = {"iso3166-1": pycountry.countries, "iso4217": pycountry.currencies, "iso639-3": pycountry.languages}[database]
    return frozenset(getattr(e, code) for e in db if hasattr(e, code))
