"""Pictures of the data: agreements over time, people moved under one agreement, and cost per person.

``ds.plot`` is a `Plots`; each method returns a matplotlib `Figure` and never calls ``plt.show()``.
Figures drawn on a new canvas use the non-interactive Agg backend and are not registered with
pyplot, so nothing opens a window and the global backend is never changed; pass ``ax`` to draw on
axes of your own (their figure and backend are used). matplotlib is an optional extra:
``pip install 'migration-deals[plot]'``.

Every picture keeps the data's uncertainty visible: a date known to the month or year is drawn as
its interval, a figure's qualifier as its range (approximately = ±10%, at_least open upwards), and a
cost per person as the interval from ``low`` to ``high``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .figures import interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .loading import Dataset

INSTALL_HINT = "matplotlib is needed for plots: pip install 'migration-deals[plot]'"

MILESTONES = ("announced", "signed", "in_force", "ended")
EVENT_STYLES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    # group: (kinds, marker, colour, legend label)
    "ruling": (("court_ruling", "interim_measure"), "D", "#c0392b", "court ruling or interim measure"),
    "law": (("legislation_passed", "ratification"), "s", "#7d3c98", "law passed or ratified"),
    "suspension": (
        ("suspension", "termination", "transfer_cancelled"),
        "X",
        "#d35400",
        "suspended, terminated, cancelled",
    ),
    "transfer": (("first_transfer", "earliest_transfer", "latest_transfer"), "^", "#1e8449", "transfer (first, last)"),
    "other": (
        ("policy_announcement", "renewal", "resumption", "facility_opened", "facility_closed"),
        "o",
        "#7f8c8d",
        "other event",
    ),
}
ONGOING, ENDED = "#2e6da4", "#8c96a0"
STOCK_LABEL = "held on date (not added)"
GALLERY_DPI = 100
PNG_METADATA: dict[str, Any] = {"Software": None, "CreationDate": None}


def _mpl() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(INSTALL_HINT) from exc
    return matplotlib


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure and axes to draw on: the caller's, or a new Agg-backed figure (pyplot untouched)."""
    _mpl()
    if ax is not None:
        fig = ax.figure
        while getattr(fig, "figure", fig) is not fig:  # a SubFigure's root figure
            fig = fig.figure
        return fig, ax  # type: ignore[return-value]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _num(values: Any) -> np.ndarray:
    """Datetimes (a column or array, NaT allowed) as matplotlib date numbers (NaN where missing)."""
    import matplotlib.dates as mdates

    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="datetime64[s]")
    arr = pd.to_datetime(series).to_numpy(dtype="datetime64[s]")
    out = np.full(len(arr), np.nan)
    ok = ~np.isnat(arr)
    if ok.any():
        out[ok] = mdates.date2num(arr[ok])
    return out


def _day(value: Any) -> float:
    return float(_num([pd.Timestamp(value)])[0])


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _event_group(kind: str) -> str | None:
    for group, (kinds, *_rest) in EVENT_STYLES.items():
        if kind in kinds:
            return group
    return None


def _spans(ds: Dataset) -> pd.DataFrame:
    """One row per agreement with a milestone date: start and end, each as earliest and latest day."""
    a = ds.agreements
    earliest = np.column_stack([_num(a[f"{m}_earliest"]) for m in MILESTONES])
    latest = np.column_stack([_num(a[f"{m}_latest"]) for m in MILESTONES])
    dated = ~np.isnan(earliest).all(axis=1)
    with np.errstate(all="ignore"):
        start_e = np.nanmin(np.where(np.isnan(earliest), np.inf, earliest), axis=1)
        start_l = np.nanmin(np.where(np.isnan(latest), np.inf, latest), axis=1)
    as_of = _day(ds.as_of) if ds.as_of else np.nanmax(latest[dated]) if dated.any() else np.nan
    end_e, end_l = _num(a["ended_earliest"]), _num(a["ended_latest"])
    ended = ~np.isnan(end_e)
    return pd.DataFrame(
        {
            "agreement_id": a["agreement_id"].astype(str).to_numpy(),
            "dated": dated,
            "start_earliest": np.where(dated, start_e, np.nan),
            "start_latest": np.where(dated, start_l, np.nan),
            "end_earliest": np.where(ended, end_e, as_of),
            "end_latest": np.where(ended, end_l, as_of),
            "ended": ended,
        }
    )


def _check_agreement(ds: Dataset, agreement_id: str) -> None:
    if agreement_id not in set(ds.agreements["agreement_id"].astype(str)):
        raise KeyError(f"no agreement {agreement_id!r} in the data package")


class Plots:
    """Pictures of one `Dataset` (``ds.plot``); each method returns a matplotlib Figure."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def __repr__(self) -> str:
        return f"<Plots of {self.ds!r}: timeline(), transfers(agreement_id), cost_per_person()>"

    # ------------------------------------------------------------------ timeline
    def timeline(self, agreements: Iterable[str] | None = None, ax: Axes | None = None) -> Figure:
        """Gantt chart: one bar per agreement, from its earliest milestone to its end (or the package's
        asOf date), with the events of ``ds.timeline()`` marked on its row.

        A bar is solid where the agreement certainly ran; the ends are lighter over the interval a
        month- or year-precision date can mean. An agreement with no recorded end runs to asOf and
        ends in an arrow. Events are marked by kind (rulings, laws, suspensions, transfers, others);
        an event known only to the month or year is hollow, with a line over its interval.
        By default every agreement with a milestone date is drawn, sorted by start and labelled by
        ``agreement_id``; pass ``agreements`` to draw those (in that order).
        """
        _mpl()
        ds = self.ds
        spans = _spans(ds).set_index("agreement_id")
        if agreements is None:
            rows = spans[spans["dated"]].reset_index()
            rows = rows.sort_values(["start_earliest", "start_latest", "agreement_id"], kind="stable")
            ids = list(rows["agreement_id"])
        else:
            ids = list(agreements)
            for agreement_id in ids:
                _check_agreement(ds, agreement_id)
        drawn = spans.loc[ids]
        n = len(ids)
        fig, ax = _new_axes(ax, (11.0, 1.8 + 0.21 * max(n, 1)))
        y = np.arange(n, dtype=float)
        has = drawn["dated"].to_numpy(dtype=bool)
        yb, d = y[has], drawn[has]
        colours = np.where(d["ended"], ENDED, ONGOING)
        core_left = d["start_latest"].to_numpy()
        core_right = np.maximum(d["end_earliest"].to_numpy(), core_left)
        ax.barh(yb, core_right - core_left, left=core_left, height=0.6, color=colours, label="agreement", zorder=2)
        for side, (lo, hi) in {
            "start": (d["start_earliest"].to_numpy(), d["start_latest"].to_numpy()),
            "end": (d["end_earliest"].to_numpy(), d["end_latest"].to_numpy()),
        }.items():
            wide = hi > lo
            if wide.any():
                ax.barh(
                    yb[wide],
                    (hi - lo)[wide],
                    left=lo[wide],
                    height=0.6,
                    color=colours[wide],
                    alpha=0.35,
                    label=f"uncertain {side} date",
                    zorder=2,
                )
        open_end = ~d["ended"].to_numpy(dtype=bool)
        if open_end.any():
            ax.plot(
                d["end_latest"].to_numpy()[open_end],
                yb[open_end],
                ls="none",
                marker=">",
                ms=4,
                color=ONGOING,
                label="no end recorded (drawn to asOf)",
                zorder=3,
            )
        row_of = {agreement_id: i for i, agreement_id in enumerate(ids)}
        tl = ds.timeline()
        tl = tl[tl["agreement_id"].isin(ids)]
        milestone = tl["what"].isin(MILESTONES).to_numpy(dtype=bool)
        if milestone.any():
            ms = tl[milestone]
            ax.plot(
                (_num(ms["date_earliest"]) + _num(ms["date_latest"])) / 2,
                ms["agreement_id"].map(row_of).to_numpy(float),
                ls="none",
                marker="|",
                ms=7,
                mew=1.2,
                color="#222222",
                label="milestone (announced, signed, ...)",
                zorder=3,
            )
        tl = tl[~milestone]
        lo, hi = _num(tl["date_earliest"]), _num(tl["date_latest"])
        rows_y = tl["agreement_id"].map(row_of).to_numpy(dtype=float)
        groups = tl["what"].astype(str).map(_event_group).to_numpy(dtype=object)
        for group, (_kinds, marker, colour, label) in EVENT_STYLES.items():
            pick = groups == group
            if not pick.any():
                continue
            x, gy, wide = (lo[pick] + hi[pick]) / 2, rows_y[pick], (hi[pick] - lo[pick]) > 1
            if wide.any():
                ax.hlines(gy[wide], lo[pick][wide], hi[pick][wide], colors=colour, lw=0.8, zorder=3)
            ax.scatter(
                x,
                gy,
                marker=marker,
                s=18 if group != "other" else 10,
                zorder=4,
                label=label,
                linewidths=0.8,
                facecolors=np.where(wide, "none", colour).tolist(),
                edgecolors=colour,
            )
        ax.set_yticks(y, [f"{i}" if h else f"{i} (no dates)" for i, h in zip(ids, has, strict=True)], fontsize=7)
        ax.set_ylim(n - 0.4, -0.6)
        _date_axis(ax)
        ax.grid(axis="x", color="#dddddd", lw=0.6, zorder=0)
        ax.set_axisbelow(True)
        ax.set_title(
            f"Agreements over time ({n} drawn; data as of {ds.as_of}): bar = earliest milestone to end, "
            "lighter = uncertain date",
            fontsize=9,
        )
        ax.legend(loc="lower left", fontsize=7, frameon=True, framealpha=0.9, ncols=2)
        return fig

    # ----------------------------------------------------------------- transfers
    def transfers(self, agreement_id: str, ax: Axes | None = None) -> Figure:
        """People transferred under one agreement over time, from its preferred rows (no
        ``alternative_to``) with movement ``transferred``.

        - Running totals (``cumulative``) are points joined by steps, at the interval their date can
          mean, with their qualifier as a vertical range: ``approximately`` ±10%, ``at_least`` an
          arrow open upwards.
        - Events (movements in a period) are added up: the line is the people certainly moved by each
          date (events whose period has ended), the band reaches the people possibly moved (events
          whose period has begun). An event inside another event (``within``, directly or through a
          running total) is counted once.
        - Head-counts (``stock``) are people held on a date, never added: hollow grey squares on a
          dotted line labelled 'held on date (not added)'.

        Raises KeyError for an agreement not in the package.
        """
        _mpl()
        ds = self.ds
        _check_agreement(ds, agreement_id)
        t = ds.transfers
        rows = t[
            (t["agreement_id"].astype(str) == agreement_id)
            & t["alternative_to"].isna()
            & (t["movement"].astype(str) == "transferred")
        ]
        fig, ax = _new_axes(ax, (10.0, 5.5))
        measure = rows["measure"].astype(str)
        low, high = interval(
            rows["people"].to_numpy(dtype=float, na_value=np.nan), rows["qualifier"].astype(str).to_numpy(dtype=object)
        )
        people = rows["people"].to_numpy(dtype=float, na_value=np.nan)
        end_e, end_l = _num(rows["period_end_earliest"]), _num(rows["period_end_latest"])
        start_e = _num(rows["period_start_earliest"])
        start_e = np.where(np.isnan(start_e), end_e, start_e)
        qualifier = rows["qualifier"].astype(str).to_numpy()

        def points(pick: np.ndarray, colour: str, marker: str, label: str, line: str, face: str) -> None:
            order = np.argsort((end_e[pick] + end_l[pick]) / 2, kind="stable")
            x = ((end_e[pick] + end_l[pick]) / 2)[order]
            v, lo_, hi_ = people[pick][order], low[pick][order], high[pick][order]
            q = qualifier[pick][order]
            xerr = np.vstack([x - end_e[pick][order], end_l[pick][order] - x])
            closed = np.isfinite(hi_)
            yerr = np.vstack([v - lo_, np.where(closed, hi_ - v, 0.0)])
            ax.plot(
                x,
                v,
                ls=line,
                drawstyle="steps-post" if line == "-" else "default",
                marker=marker,
                ms=5,
                color=colour,
                mfc=face,
                label=label,
                zorder=4,
            )
            ax.errorbar(x, v, xerr=xerr, yerr=yerr, fmt="none", ecolor=colour, elinewidth=0.9, capsize=2.5, zorder=3)
            if (~closed).any():
                span = max(float(np.nanmax(hi_[closed])) if closed.any() else 0.0, float(np.nanmax(v)))
                up = np.full((~closed).sum(), 0.12 * span)
                ax.errorbar(
                    x[~closed],
                    v[~closed],
                    yerr=np.vstack([np.zeros_like(up), up]),
                    lolims=True,
                    fmt="none",
                    ecolor=colour,
                    elinewidth=0.9,
                    zorder=3,
                )
            for xi, vi, qi in zip(x, v, q, strict=True):
                if qi != "exact":
                    ax.annotate(
                        qi.replace("_", " "),
                        (xi, vi),
                        xytext=(4, -9),
                        textcoords="offset points",
                        fontsize=6.5,
                        color=colour,
                    )

        cumulative = (measure == "cumulative").to_numpy()
        if cumulative.any():
            points(cumulative, "#2e6da4", "o", "running total (as reported)", "-", "#2e6da4")

        event = (measure == "event").to_numpy()
        if event.any():
            ids = set(rows.loc[event, "transfer_id"].astype(str))
            parent = dict(zip(rows["transfer_id"].astype(str), rows["within"].astype("string").fillna(""), strict=True))

            def nested(tid: str) -> bool:
                """Whether an event of this chart contains the row, directly or through a running total."""
                seen, up = {tid}, parent.get(tid, "")
                while up and up not in seen:
                    if up in ids:
                        return True
                    seen.add(up)
                    up = parent.get(up, "")
                return False

            inside = np.array([nested(t) for t in rows["transfer_id"].astype(str)], dtype=bool)
            use = event & ~inside
            lo_days, hi_days = end_l[use], start_e[use]
            last = np.nanmax(np.concatenate([end_l, lo_days]))  # carry the sums to the last dated row
            steps = np.unique(np.concatenate([lo_days, hi_days, [last]]))
            certain = np.array([low[use][lo_days <= s].sum() for s in steps])
            possible = np.array([high[use][hi_days <= s].sum() for s in steps])
            finite = np.isfinite(possible)
            cap = np.where(finite, possible, certain)
            ax.fill_between(
                steps,
                certain,
                cap,
                step="post",
                color="#e67e22",
                alpha=0.25,
                lw=0,
                label="events added up: possibly moved by date",
                zorder=1,
            )
            ax.step(
                steps,
                certain,
                where="post",
                color="#e67e22",
                lw=1.6,
                label="events added up: certainly moved",
                zorder=2,
            )
            if (~finite).any():
                first = int(np.argmax(~finite))
                ax.errorbar(
                    [steps[first]],
                    [cap[first]],
                    yerr=[[0.0], [0.12 * max(float(cap.max()), 1.0)]],
                    lolims=True,
                    fmt="none",
                    ecolor="#e67e22",
                    zorder=3,
                )
            if inside.any():
                ax.annotate(
                    f"{int((event & inside).sum())} event row(s) inside another counted once",
                    (0.01, 0.97),
                    xycoords="axes fraction",
                    va="top",
                    fontsize=7,
                    color="#a04000",
                )

        stock = (measure == "stock").to_numpy()
        if stock.any():
            points(stock, "#555555", "s", STOCK_LABEL, ":", "white")

        if not len(rows):
            ax.text(0.5, 0.5, "no preferred 'transferred' rows recorded", transform=ax.transAxes, ha="center")
        else:
            _date_axis(ax)
            ax.set_ylim(bottom=0)
            ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(0.0, 0.93) if event.any() else None)
        ax.grid(color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        ax.set_ylabel("people transferred")
        name = ds.agreements.loc[ds.agreements["agreement_id"].astype(str) == agreement_id, "name"].iloc[0]
        ax.set_title(f"{agreement_id}: people transferred ({len(rows)} rows)\n{name}", fontsize=9)
        return fig

    # ------------------------------------------------------------ cost per person
    def cost_per_person(
        self,
        by: str = "agreement",
        status: str = "paid",
        currency: str | None = "USD",
        top: int = 20,
        ax: Axes | None = None,
    ) -> Figure:
        """Cost per person moved as ranges: one horizontal interval per group from ``low`` to ``high``
        of ``ds.cost_per_person(by, status, currency)``, on a log scale, the most expensive on top.

        A missing ``high`` (no upper bound) is drawn open to the right, a missing ``low`` open to the
        left; groups with neither bound are left out. A group whose range is one value is a dot.
        The ``top`` groups with the highest known bound are drawn.
        """
        _mpl()
        cpp = self.ds.cost_per_person(by=by, status=status, currency=currency)
        lo = cpp["low"].to_numpy(dtype=float, na_value=np.nan)
        hi = cpp["high"].to_numpy(dtype=float, na_value=np.nan)
        lo = np.where(lo > 0, lo, np.nan)  # a log axis cannot draw zero: a low of 0 is "at most high"
        known = ~(np.isnan(lo) & np.isnan(hi))
        cpp, lo, hi = cpp[known], lo[known], hi[known]
        key = np.where(np.isnan(lo), hi, lo)
        labels = [_group_label(i) for i in cpp.index]
        order = sorted(range(len(cpp)), key=lambda i: (-key[i], labels[i]))[: max(top, 0)]
        cpp, lo, hi, labels = cpp.iloc[order], lo[order], hi[order], [labels[i] for i in order]
        n = len(cpp)
        fig, ax = _new_axes(ax, (10.0, 1.9 + 0.36 * max(n, 1)))
        currencies = cpp["currency"].astype("string").fillna("?").tolist()
        if n:
            bounds = np.concatenate([lo[~np.isnan(lo)], hi[~np.isnan(hi)]])
            left, right = float(bounds.min()) / 8, float(bounds.max()) * 8
            y = np.arange(n, dtype=float)
            seg_lo = np.where(np.isnan(lo), left, lo)
            seg_hi = np.where(np.isnan(hi), right, hi)
            ax.hlines(y, seg_lo, seg_hi, colors="#2e6da4", lw=4, label="cost per person: low to high", zorder=2)
            single = lo == hi
            ax.plot(lo[single], y[single], "o", color="#2e6da4", ms=6, zorder=3, label="range is one value")
            ax.plot(lo[~np.isnan(lo)], y[~np.isnan(lo)], "|", color="#1b3f66", ms=12, mew=2, zorder=3)
            ax.plot(hi[~np.isnan(hi)], y[~np.isnan(hi)], "|", color="#1b3f66", ms=12, mew=2, zorder=3)
            if np.isnan(hi).any():
                ax.plot(
                    seg_hi[np.isnan(hi)],
                    y[np.isnan(hi)],
                    ">",
                    color="#2e6da4",
                    ms=8,
                    zorder=3,
                    label="no upper bound (open)",
                )
            if np.isnan(lo).any():
                ax.plot(
                    seg_lo[np.isnan(lo)],
                    y[np.isnan(lo)],
                    "<",
                    color="#2e6da4",
                    ms=8,
                    zorder=3,
                    label="no lower bound (open)",
                )
            for yi, a, b, cur in zip(y, lo, hi, currencies, strict=True):
                if np.isnan(b):
                    text = f"at least {cur} {_money(a)}"
                elif np.isnan(a):
                    text = f"at most {cur} {_money(b)}"
                else:
                    text = f"{cur} {_money(a)} to {_money(b)}" if a != b else f"{cur} {_money(a)}"
                ax.annotate(
                    text,
                    (right, yi),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7,
                    annotation_clip=False,
                )
            ax.set_xscale("log")
            ax.set_xlim(left, right)
            ax.set_yticks(y, labels, fontsize=8)
            ax.set_ylim(n - 0.5, -0.5)
            ax.legend(loc="lower right", fontsize=7)
        else:
            ax.text(0.5, 0.5, "no group has a cost per person", transform=ax.transAxes, ha="center")
        unit = currency or (currencies[0] if len(set(currencies)) == 1 else "each group's own currency")
        ax.set_xlabel(f"money {status} per person transferred ({unit}, log scale)")
        ax.grid(axis="x", which="major", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        ax.set_title(
            f"Cost per person by {by} ({status}): ranges, not points; {n} of {int(known.sum())} groups with a bound",
            fontsize=9,
        )
        return fig


def _group_label(key: Any) -> str:
    if isinstance(key, tuple):
        return "→".join("(several)" if pd.isna(k) else str(k) for k in key)
    return str(key)


def _money(value: float) -> str:
    if np.isnan(value):
        return "?"
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.0f}"


def busiest_agreement(ds: Dataset) -> str:
    """The agreement with the most preferred 'transferred' rows (ties: the first id), for the gallery."""
    t = ds.transfers
    rows = t[t["alternative_to"].isna() & (t["movement"].astype(str) == "transferred")]
    counts = rows["agreement_id"].astype(str).value_counts()
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def gallery(ds: Dataset) -> dict[str, bytes]:
    """The gallery's PNG files, name to bytes, rendered deterministically (default style, fixed size and
    dpi, no timestamps or software version in the metadata)."""
    mpl = _mpl()
    import matplotlib.style

    plots = Plots(ds)
    agreement = busiest_agreement(ds)
    out: dict[str, bytes] = {}
    with matplotlib.style.context("default"), mpl.rc_context({"svg.hashsalt": "migration-deals", "font.size": 9}):
        for name, draw in (
            ("timeline.png", plots.timeline),
            (f"transfers-{agreement}.png", lambda: plots.transfers(agreement)),
            ("cost-per-person.png", plots.cost_per_person),
        ):
            fig = draw()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=GALLERY_DPI, metadata=PNG_METADATA)
            out[name] = buf.getvalue()
    return out


def render_gallery(ds: Dataset, folder: str | Path) -> list[Path]:
    """Write the gallery (timeline, transfers of the busiest agreement, cost per person) into `folder`
    (docs/img in a checkout); return the paths written. Same data and matplotlib version, same bytes."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in gallery(ds).items():
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths
