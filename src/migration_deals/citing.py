"""Which sources stand behind an agreement and everything recorded under it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .loading import Dataset


def sources_of(ds: Dataset, agreement_id: str) -> pd.DataFrame:
    """Every citation of the agreement's row and of the transfers, costs and events filed under it, with
    the source's address, title, publisher and class."""
    if agreement_id not in set(ds.agreements["agreement_id"]):
        raise KeyError(f"no agreement {agreement_id!r}")
    rows: dict[str, set[str]] = {"agreements": {agreement_id}}
    for name in ds.package.schema("citations").field("resource").enum or ():
        if name in ds.frames and name != "agreements":
            frame = ds.frames[name]
            key = ds.package.schema(name).primary_key[0]
            rows[name] = set(frame.loc[frame["agreement_id"] == agreement_id, key])
    c = ds.citations
    mask = pd.Series(False, index=c.index)
    for name, ids in rows.items():
        mask |= (c["resource"] == name) & c["row_id"].isin(ids)
    cited = c[mask]
    s = ds.sources[["source_id", "url", "title", "publisher", "class", "published"]]
    out = cited.merge(s, on="source_id", how="left")
    order = {"agreements": 0, "events": 1, "transfers": 2, "costs": 3}
    out = out.assign(_o=out["resource"].astype(str).map(order)).sort_values(["_o", "row_id", "field", "role"])
    return out.drop(columns="_o").reset_index(drop=True)
