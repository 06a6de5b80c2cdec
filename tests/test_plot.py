"""Pictures: each plot draws what the data says (one bar per agreement, stocks apart, one interval per group),
renders to the same PNG bytes twice, and refuses an unknown agreement."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import migration_deals as md

matplotlib = pytest.importorskip("matplotlib")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from migration_deals import plot  # noqa: E402
from migration_deals.plot import STOCK_LABEL, Plots, busiest_agreement, render_gallery  # noqa: E402


@pytest.fixture(scope="module")
def ds() -> md.Dataset:
    return md.load()


@pytest.fixture(scope="module")
def plots(ds) -> Plots:
    return Plots(ds)


def _container(ax, label):
    found = [c for c in ax.containers if c.get_label() == label]
    assert len(found) == 1, [c.get_label() for c in ax.containers]
    return found[0]


def _line(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.get_lines()]
    return found[0]


def _dated(ds) -> set[str]:
    a = ds.agreements
    has = a[[f"{m}_earliest" for m in plot.MILESTONES]].notna().any(axis=1)
    return set(a.loc[has, "agreement_id"].astype(str))


def test_timeline_draws_one_bar_per_dated_agreement_sorted_by_start(ds, plots):
    fig = plots.timeline()
    assert isinstance(fig, Figure) and isinstance(fig.canvas, FigureCanvasAgg)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert set(labels) == _dated(ds) and len(labels) == len(_dated(ds))
    bars = _container(ax, "agreement")
    assert len(bars.patches) == len(labels)
    starts = [p.get_x() for p in bars.patches]  # the certain start: the earliest milestone's latest day
    earliest = ds.agreements.set_index("agreement_id").loc[labels, [f"{m}_earliest" for m in plot.MILESTONES]]
    earliest = earliest.min(axis=1).tolist()
    assert earliest == sorted(earliest) and starts[0] <= starts[-1]
    # figure height grows with rows
    assert fig.get_figheight() > plots.timeline(agreements=labels[:5]).get_figheight()


def test_timeline_marks_events_by_kind_and_uncertain_ends(plots):
    ax = plots.timeline().axes[0]
    kinds = {c.get_label() for c in ax.collections}
    for group in ("ruling", "law", "suspension", "transfer"):
        assert plot.EVENT_STYLES[group][3] in kinds
    # month- and year-precision milestones are drawn as lighter ends
    assert len(_container(ax, "uncertain start date").patches) > 0
    assert len(_container(ax, "uncertain end date").patches) > 0
    assert len(_line(ax, "no end recorded (drawn to asOf)").get_xdata()) > 0


def test_timeline_of_chosen_agreements_keeps_their_order(plots):
    ids = ["gbr-rwa-2023-treaty", "gbr-rwa-2022-mou"]
    ax = plots.timeline(agreements=ids).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ids
    assert len(_container(ax, "agreement").patches) == 2
    with pytest.raises(KeyError):
        plots.timeline(agreements=["gbr-rwa-2022-mou", "no-such-agreement"])


def test_transfers_puts_stocks_apart_and_never_adds_them(ds, plots):
    fig = plots.transfers("aus-png-2013-rra")
    ax = fig.axes[0]
    t = ds.transfers
    stocks = t[
        (t["agreement_id"] == "aus-png-2013-rra")
        & (t["measure"] == "stock")
        & t["alternative_to"].isna()
        & (t["movement"] == "transferred")
    ]
    line = _line(ax, STOCK_LABEL)
    assert "not added" in line.get_label()
    assert sorted(np.asarray(line.get_ydata(), dtype=float)) == sorted(stocks["people"].astype(float))
    # the event sum never includes a head-count
    certain = _line(ax, "events added up: certainly moved")
    assert max(certain.get_ydata()) == 1923


def test_transfers_draws_running_totals_with_their_qualifiers(ds, plots):
    ax = plots.transfers("gbr-fra-2025-returns-pilot").axes[0]
    t = ds.transfers
    cum = t[
        (t["agreement_id"] == "gbr-fra-2025-returns-pilot")
        & (t["measure"] == "cumulative")
        & t["alternative_to"].isna()
        & (t["movement"] == "transferred")
    ]
    line = _line(ax, "running total (as reported)")
    assert len(line.get_xdata()) == len(cum)
    assert max(line.get_ydata()) == 900
    assert STOCK_LABEL not in [ln.get_label() for ln in ax.get_lines()]
    # at least 900: an open-ended arrow, not a closed range
    assert "at least" in [a.get_text() for a in ax.texts]
    # the first return lies inside the September count and is counted once
    assert max(_line(ax, "events added up: certainly moved").get_ydata()) == 7 + 19 + 16 + 13 + 20 + 19


def test_transfers_of_a_missing_agreement_is_a_key_error(plots):
    with pytest.raises(KeyError):
        plots.transfers("no-such-agreement")


def test_transfers_on_given_axes_returns_their_figure(plots):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.transfers("usa-mex-2021-mpp", ax=ax) is fig


def test_cost_per_person_draws_one_interval_per_group(ds, plots):
    cpp = ds.cost_per_person(currency="USD")
    low = cpp["low"].astype(float)  # a low of 0 on a log axis is no bound: "at most high", or nothing known
    groups = int(((low > 0) | cpp["high"].notna()).sum())
    ax = plots.cost_per_person().axes[0]
    ranges = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_label().startswith("cost per")]
    assert len(ranges) == 1 and len(ranges[0].get_segments()) == groups
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == groups and "usa-rwa-2025-deportation" in labels
    # a missing upper bound is drawn open-ended
    assert len(_line(ax, "no upper bound (open)").get_xdata()) == int(((low > 0) & cpp["high"].isna()).sum())
    top = plots.cost_per_person(top=3).axes[0]
    assert len([t.get_text() for t in top.get_yticklabels()]) == 3


def test_cost_per_person_by_pair_in_own_currencies(plots):
    ax = plots.cost_per_person(by="pair", currency=None).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "GBR→RWA" in labels and "AUS→(several)" in labels
    assert "own currency" in ax.get_xlabel()


def test_gallery_is_byte_identical_across_runs(ds, tmp_path):
    first = render_gallery(ds, tmp_path / "a")
    second = render_gallery(ds, tmp_path / "b")
    names = [p.name for p in first]
    assert names == ["timeline.png", f"transfers-{busiest_agreement(ds)}.png", "cost-per-person.png"]
    assert names == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        data = a.read_bytes()
        assert data.startswith(b"\x89PNG") and data == b.read_bytes()
        assert b"Software" not in data and b"matplotlib" not in data.lower()


def test_plots_need_matplotlib(monkeypatch, plots):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'migration-deals\[plot\]'"):
        plots.timeline()
