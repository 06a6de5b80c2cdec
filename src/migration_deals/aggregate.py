"""People moved, money and cost per person, added up the way a careful analyst would.

The rules, each with an example, are in docs/aggregation.md. In short, for one group:

1. Only preferred rows count (no `alternative_to`), and never a stock, a rate or a recurring amount.
2. A row inside another (`within`) is counted through its parent when both are in the group;
   a row inside an alternative belongs to that alternative and is not counted.
3. Money reported at several stages (`stage_of`) is counted once per status: the latest report.
4. Preferred rows of one series with the same measure and period state one fact: their intervals
   are intersected.
5. In a series, a running total replaces the events that fall within it; events after it are added.
   Rows that leave population, nationalities, voluntariness, category or form open belong to every
   series of their agreement on that attribute, so such series are merged rather than added.
6. Series and agreements are added up; a programme's own figures and its members' figures are two
   views of one total: the range runs from the larger low to the sum of the highs.

Every figure is read as an interval (see `figures.interval`), so results are ranges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .figures import ancestors, interval
from .groups import BY, group_keys, members_of

if TYPE_CHECKING:
    from .loading import Dataset

COUNTABLE = ("event", "cumulative")
PEOPLE_SERIES = ("agreement_id", "movement", "population", "nationalities", "voluntary")
MONEY_SERIES = ("agreement_id", "payer", "payee", "category", "form", "currency")
OPEN = {
    "population": ("mixed", "unknown"),
    "nationalities": ("",),
    "voluntary": ("mixed", "unknown"),
    "category": ("total",),
    "form": ("unknown",),
}
"""Values that leave a series attribute open: such a row may count the same people or money as a row
that states the attribute, so the agreement's rows are one series on that attribute."""


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.high + other.high)


def _text(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].astype("string").fillna("").to_numpy(dtype=object)


def _days(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A datetime column as float days (NaN where missing), for comparing intervals."""
    values = frame[name].to_numpy(dtype="datetime64[s]")
    out = values.astype("int64").astype(float) / 86400.0
    out[np.isnat(values)] = np.nan
    return out


def figure_table(
    frame: pd.DataFrame, key: str, value: str, series: Iterable[str], selected: np.ndarray
) -> pd.DataFrame:
    """The rows that can be counted, one per figure, with their bounds, dates and links.

    `selected` marks the rows that pass the caller's filter (movement or status).
    """
    ids = _text(frame, key)
    low, high = interval(frame[value].to_numpy(dtype=float, na_value=np.nan), _text(frame, "qualifier"))
    within = dict(zip(ids, _text(frame, "within"), strict=True))
    up = ancestors(within)
    alternative = _text(frame, "alternative_to") != ""
    alt_ids = set(ids[alternative])
    measure = _text(frame, "measure")
    under_alternative = np.array([any(a in alt_ids for a in up[i]) for i in ids], dtype=bool)
    candidate = selected & ~alternative & np.isin(measure, COUNTABLE) & ~under_alternative
    table = pd.DataFrame(
        {
            "id": ids,
            "agreement_id": _text(frame, "agreement_id"),
            "series": pd.Series(map(tuple, zip(*(_text(frame, s) for s in series), strict=True))).to_numpy(),
            "measure": measure,
            "low": low,
            "high": high,
            "start_text": _text(frame, "period_start"),
            "end_text": _text(frame, "period_end"),
            "start_lo": _days(frame, "period_start_earliest"),
            "end_lo": _days(frame, "period_end_earliest"),
            "end_hi": _days(frame, "period_end_latest"),
            "chain": _text(frame, "stage_of") if "stage_of" in frame else ids,
            "candidate": candidate,
        }
    )
    table["chain"] = np.where(table["chain"] == "", ids, table["chain"])
    table["ancestors"] = [up[i] for i in ids]
    table.attrs["series"] = tuple(series)
    return table


def _one_series(rows: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """The series each row is added in (`merged`): rows split by population, nationality, voluntariness,
    category or form are added as separate series only when every counted row states the attribute
    (see OPEN). Figures for one fact are still matched on the series as stated."""
    if rows.empty or not names:
        return rows.assign(merged=rows["series"]) if "series" in rows else rows
    keys = pd.DataFrame(rows["series"].tolist(), columns=list(names), index=rows.index)
    fixed = [keys[n] for n in names if n not in OPEN]
    for name in names:
        if name in OPEN:
            is_open = keys[name].isin(OPEN[name])
            collapse = is_open.groupby([rows["group"].astype(str), *fixed], dropna=False).transform("any")
            keys.loc[collapse.to_numpy(dtype=bool), name] = "*"
    return rows.assign(merged=list(map(tuple, keys.itertuples(index=False, name=None))))


def _counted(table: pd.DataFrame, group_of: dict[str, Any]) -> pd.DataFrame:
    """Candidate rows that no candidate ancestor in the same group already counts."""
    rows = table[table["candidate"]].copy()
    rows["group"] = [group_of.get(a) for a in rows["agreement_id"]]
    where = dict(zip(rows["id"], rows["group"], strict=True))
    keep = [
        not any(where.get(a, _MISSING) == g for a in anc)
        for anc, g in zip(rows["ancestors"], rows["group"], strict=True)
    ]
    return rows[np.array(keep, dtype=bool)]


_MISSING = object()


def _one_per(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Collapse rows that state one fact into one: the latest report, bounds intersected."""
    if rows.empty:
        return rows
    rows = rows.sort_values(["end_hi", "end_lo", "id"], ascending=[False, False, True])
    grouped = rows.groupby(columns, sort=False, dropna=False)
    first = grouped.head(1).set_index(columns)
    low, high = grouped["low"].max(), grouped["high"].min()
    ok = low <= high  # incompatible reports (the rules flag them) keep the latest's bounds
    first.loc[ok[ok].index, "low"] = low[ok]
    first.loc[ok[ok].index, "high"] = high[ok]
    ids = grouped["id"].agg(tuple)
    first["ids"] = ids
    return first.reset_index()


def series_range(rows: pd.DataFrame) -> Range:
    """One series: the latest running total, plus the events after it (bounds taken honestly)."""
    ev = rows[rows["measure"] == "event"]
    cum = rows[rows["measure"] == "cumulative"]
    ev_low, ev_high = ev["low"].to_numpy(), ev["high"].to_numpy()
    ev_start = ev["start_lo"].fillna(ev["end_lo"]).to_numpy()
    lows = [float(ev_low.sum())]
    for c_low, c_hi in zip(cum["low"], cum["end_hi"], strict=True):
        lows.append(float(c_low + ev_low[ev_start > c_hi].sum()))
    if len(cum):
        anchor = cum.sort_values(["end_hi", "end_lo", "high"], ascending=[False, False, True]).iloc[0]
        inside = ev["end_hi"].to_numpy() <= anchor["end_lo"]
        high = float(anchor["high"] + ev_high[~inside].sum())
    else:
        high = float(ev_high.sum())
    return Range(max(lows), high)


def _group_range(
    rows: pd.DataFrame, agreements: set[str], members: dict[str, list[str]], programme_of: dict[str, str]
) -> Range | None:
    per_agreement: dict[str, Range] = {}
    for (agreement, _), part in rows.groupby(["agreement_id", "merged"], sort=False):
        one = series_range(part)
        per_agreement[agreement] = per_agreement[agreement] + one if agreement in per_agreement else one

    def node(a: str, seen: frozenset[str]) -> Range | None:
        own = per_agreement.get(a)
        parts = [node(m, seen | {m}) for m in members.get(a, []) if m in agreements and m not in seen]
        kids = [p for p in parts if p is not None]
        if not kids:
            return own
        kid_sum = kids[0]
        for k in kids[1:]:
            kid_sum = kid_sum + k
        if own is None:
            return kid_sum
        return Range(max(own.low, kid_sum.low), own.high + kid_sum.high)

    total: Range | None = None
    for a in sorted(agreements):
        if programme_of.get(a) in agreements:
            continue
        r = node(a, frozenset({a}))
        if r is not None:
            total = r if total is None else total + r
    return total


def _index_name(by: str) -> list[str]:
    return {"agreement": ["agreement_id"], "programme": ["programme"], "pair": ["sending_party", "receiving_party"]}[by]


def add_up(
    ds: Dataset,
    table: pd.DataFrame,
    by: str,
    same_fact: list[str],
    stages: bool,
) -> pd.DataFrame:
    """Ranges per group: low, high, as_of, rows (the ids of the rows used)."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(repr(b) for b in BY)}, not {by!r}")
    a = ds.agreements
    group_of = group_keys(a, by)
    members = members_of(a)
    programme_of = {m: p for p, ms in members.items() for m in ms}
    rows = _one_series(_counted(table, group_of), table.attrs.get("series", ()))
    if stages:
        rows = _one_per(rows, ["group", "chain"])
    rows = _one_per(rows, ["group", *same_fact])
    agreements_in: dict[Any, set[str]] = {}
    for agreement, g in group_of.items():
        agreements_in.setdefault(g, set()).add(agreement)
    out = []
    for g, part in rows.groupby("group", sort=True, dropna=False):
        r = _group_range(part, agreements_in.get(g, set()), members, programme_of)
        if r is None:
            continue
        latest = part.sort_values(["end_hi", "end_lo"], ascending=False).iloc[0]
        used = tuple(sorted(i for ids in part["ids"] for i in ids))
        out.append({"group": g, "low": r.low, "high": r.high, "as_of": latest["end_text"], "rows": used})
    frame = pd.DataFrame(out, columns=["group", "low", "high", "as_of", "rows"]).astype({"low": float, "high": float})
    names = _index_name(by)
    if by == "pair":
        index = (
            pd.MultiIndex.from_tuples(list(frame["group"]), names=names)
            if len(frame)
            else pd.MultiIndex.from_tuples([], names=names)
        )
    else:
        index = pd.Index(frame["group"], name=names[0], dtype="string")
    frame.index = index
    return frame.drop(columns="group")


def whole(values: pd.Series, how: Callable[[np.ndarray], np.ndarray]) -> pd.Series:
    """Float bounds as nullable integers: inf (no upper bound) becomes NA."""
    v = values.to_numpy(dtype=float)
    finite = np.isfinite(v)
    # round first: 5800 * 1.1 is 6380.000000000001 in floating point, and means 6380
    out = pd.array(np.where(finite, how(np.round(np.where(finite, v, 0.0), 6)), 0).astype("int64"), dtype="Int64")
    out[~finite] = pd.NA
    return pd.Series(out, index=values.index)


def _rows_with(frame: pd.DataFrame, column: str, value: str) -> np.ndarray:
    """Rows whose `column` is `value`, which must be one of the schema's allowed values."""
    known = list(frame[column].cat.categories)
    if value not in known:
        raise ValueError(f"{column} must be one of {', '.join(known)}, not {value!r}")
    return (frame[column] == value).to_numpy(dtype=bool)


def people_moved(ds: Dataset, by: str = "agreement", movement: str = "transferred") -> pd.DataFrame:
    """People moved per group: `people_low`, `people_high` (NA: no upper bound), `as_of`, `rows`."""
    t = ds.transfers
    selected = _rows_with(t, "movement", movement)
    table = figure_table(t, "transfer_id", "people", PEOPLE_SERIES, selected)
    out = add_up(ds, table, by, ["series", "measure", "start_text", "end_text"], stages=False)
    return pd.DataFrame(
        {
            "people_low": whole(out["low"], np.floor),
            "people_high": whole(out["high"], np.ceil),
            "as_of": out["as_of"].astype("string"),
            "rows": out["rows"],
        },
        index=out.index,
    )


def money(ds: Dataset, by: str = "agreement", status: str = "paid", currency: str | None = None) -> pd.DataFrame:
    """Money per group: `amount_low`, `amount_high` (NA: no upper bound, or a part not convertible),
    `currency`, `as_of`, `rows`; with `currency`, also `rates` (row, rate and ECB day used) and
    `unconverted` (rows the ECB rates cannot convert, left out of the low and making the high NA)."""
    c = ds.costs
    selected = _rows_with(c, "status", status)
    table = figure_table(c, "cost_id", "amount", MONEY_SERIES, selected)
    table["currency"] = _text(c, "currency")
    rate_note = np.full(len(table), "", dtype=object)
    if currency is not None:
        from .currency import rates

        factor, days = rates(table["currency"].to_numpy(), c["period_end_latest"].to_numpy(), currency)
        table["low"] = table["low"] * factor
        table["high"] = table["high"] * factor
        rate_note = np.array(
            [
                f"{i}: {cur}->{currency} {f:.6g} on {d.isoformat()}" if d else ""
                for i, cur, f, d in zip(table["id"], table["currency"], factor, days, strict=True)
            ],
            dtype=object,
        )
        table["convertible"] = ~np.isnan(factor)
    else:
        table["convertible"] = True
    table["rate_note"] = rate_note
    convertible = table["convertible"].to_numpy(dtype=bool)
    unconverted_rows = table[~convertible]
    table_ok = table[convertible]
    # two one-off amounts of one series and period may be two payments; only running totals state one fact
    table_ok = table_ok.assign(fact=np.where(table_ok["measure"] == "cumulative", "", table_ok["id"]))
    out = add_up(ds, table_ok, by, ["series", "measure", "start_text", "end_text", "fact"], stages=True)
    counted = _counted(table, group_keys(ds.agreements, by))
    if currency is None:
        cur_of = dict(zip(table["id"], table["currency"], strict=True))
        cur = [";".join(sorted({cur_of[i] for i in ids})) for ids in out["rows"]]
        mixed = np.array([";" in x for x in cur], dtype=bool)
        out.loc[mixed, ["low", "high"]] = np.nan
        result = pd.DataFrame({"currency": pd.array(cur, dtype="string")}, index=out.index)
    else:
        result = pd.DataFrame({"currency": pd.array([currency] * len(out), dtype="string")}, index=out.index)
    result.insert(0, "amount_high", pd.array(out["high"].where(np.isfinite(out["high"])), dtype="Float64"))
    result.insert(0, "amount_low", pd.array(out["low"], dtype="Float64"))
    result["as_of"] = out["as_of"].astype("string")
    result["rows"] = out["rows"]
    if currency is not None:
        note_of = dict(zip(table["id"], table["rate_note"], strict=True))
        result["rates"] = [tuple(note_of[i] for i in ids) for ids in out["rows"]]
        missing = counted[counted["id"].isin(unconverted_rows["id"])]
        lost: dict[Any, tuple[str, ...]] = {}
        for g, ids in missing.groupby("group", sort=False)["id"]:
            lost[g] = tuple(sorted(ids))
        keys = list(result.index)
        result["unconverted"] = [lost.get(k, ()) for k in keys]
        extra = [g for g in lost if g not in set(keys)]
        if extra:
            more = pd.DataFrame(
                {
                    "amount_low": pd.array([0.0] * len(extra), dtype="Float64"),
                    "amount_high": pd.array([None] * len(extra), dtype="Float64"),
                    "currency": pd.array([currency] * len(extra), dtype="string"),
                    "as_of": pd.array([None] * len(extra), dtype="string"),
                    "rows": [()] * len(extra),
                    "rates": [()] * len(extra),
                    "unconverted": [lost[g] for g in extra],
                },
                index=_index(extra, by),
            )
            result = pd.concat([result, more]).sort_index()
        has_lost = np.array([bool(u) for u in result["unconverted"]], dtype=bool)
        result.loc[has_lost, "amount_high"] = pd.NA
    return result


def _index(keys: list[Any], by: str) -> pd.Index:
    names = _index_name(by)
    if by == "pair":
        return pd.MultiIndex.from_tuples(keys, names=names)
    return pd.Index(keys, name=names[0], dtype="string")


def cost_per_person(
    ds: Dataset,
    by: str = "agreement",
    status: str = "paid",
    currency: str | None = None,
    movement: str = "transferred",
) -> pd.DataFrame:
    """Money over people moved, as a range: `low` = least money over most people, `high` = most money
    over fewest people. NA where nobody was moved (or no bound exists), never infinity."""
    m = money(ds, by=by, status=status, currency=currency)
    p = people_moved(ds, by=by, movement=movement)
    joined = m.join(p[["people_low", "people_high"]], how="left")
    amount_low = joined["amount_low"].astype("Float64")
    amount_high = joined["amount_high"].astype("Float64")
    people_low = joined["people_low"].astype("Float64")
    people_high = joined["people_high"].astype("Float64")
    low = (amount_low / people_high).where((people_high > 0).fillna(False))
    high = (amount_high / people_low).where((people_low > 0).fillna(False))
    out = pd.DataFrame(
        {
            "low": low.astype("Float64"),
            "high": high.astype("Float64"),
            "currency": joined["currency"],
            "amount_low": amount_low,
            "amount_high": amount_high,
            "people_low": joined["people_low"].astype("Int64"),
            "people_high": joined["people_high"].astype("Int64"),
        },
        index=joined.index,
    )
    return out
