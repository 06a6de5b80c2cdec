"""A large package is read and checked a few pieces at a time: the findings and frames are those of one thread."""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import datasets, write_package
from test_properties import MUTATIONS

import migration_deals as md
from migration_deals import checks, columns, threads, validation
from migration_deals.package import open_package
from migration_deals.report import Report


def _as_one_thread(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(validation, "PARALLEL_BYTES", 1 << 62)
    patch.setattr(checks, "PARALLEL_ROWS", 1 << 62)
    patch.setattr(columns, "BLOCK", 1 << 30)


def _as_many_threads(patch: pytest.MonkeyPatch) -> None:
    """Every threshold at its lowest, as if the generated package were a large one on a multi-core machine."""
    patch.setattr(validation, "PARALLEL_BYTES", 0)
    patch.setattr(checks, "PARALLEL_ROWS", 0)
    patch.setattr(columns, "BLOCK", 1024)  # several blocks per file, each column encoded on a thread
    patch.setattr(threads, "workers", lambda: 3)


def test_map_in_order_keeps_the_order_of_the_items_and_raises_their_errors():
    def slow_first(i: int) -> int:
        time.sleep(0.02 if i == 0 else 0)
        return i * 10

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threads, "workers", lambda: 3)
        assert threads.map_in_order(slow_first, range(6), parallel=True) == [0, 10, 20, 30, 40, 50]
        with pytest.raises(ZeroDivisionError):
            threads.map_in_order(lambda i: 1 // (i - 4), range(6), parallel=True)
    assert threads.map_in_order(slow_first, [], parallel=True) == []


def test_alongside_runs_the_side_work_on_another_thread_and_raises_its_errors():
    import threading

    here = threading.get_ident()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threads, "workers", lambda: 2)
        main, side = threads.alongside(threading.get_ident, threading.get_ident, parallel=True)
        assert main == here and side != here
        with pytest.raises(ZeroDivisionError):
            threads.alongside(lambda: 1, lambda: 1 // 0, parallel=True)
        assert threads.alongside(threading.get_ident, threading.get_ident, parallel=False) == (here, here)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threads, "workers", lambda: 1)  # one core: nothing to fill the gaps with
        assert threads.alongside(threading.get_ident, threading.get_ident, parallel=True) == (here, here)


def test_workers_count_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 64)
    assert threads.workers() == 1  # a container allowed one core of a large machine: no threads
    monkeypatch.delattr(threads.os, "sched_getaffinity")
    assert threads.workers() == threads.MAX_WORKERS  # no affinity here: the machine's cores, at most four


def _on_one_thread_and_on_several(tables: dict, run):
    """`run` of the package written from `tables`, on one thread and with every threshold at its lowest."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_package(Path(tmp), tables)
        results = []
        for threading in (_as_one_thread, _as_many_threads):
            with pytest.MonkeyPatch.context() as patch:
                threading(patch)
                results.append(run(path))
    return results


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__[2:])
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets())
def test_a_fault_is_reported_alike_on_one_thread_and_on_several(mutation, tables):
    tables = copy.deepcopy(tables)
    mutation(tables)
    one, many = _on_one_thread_and_on_several(tables, md.validate)
    assert one.findings  # the mutation is a fault, so there is something to compare
    assert many.findings == one.findings  # the same findings, in the same order
    assert many.usable == one.usable


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets())
def test_a_valid_package_loads_alike_on_one_thread_and_on_several(tables):
    one, many = _on_one_thread_and_on_several(tables, md.load)
    assert list(many) == list(one)
    for name in one:
        pd.testing.assert_frame_equal(many[name], one[name], check_exact=True)


@pytest.mark.parametrize(("size", "parallel"), [(1 << 20, False), (64 << 20, True), (256 << 20, False)])
def test_resources_are_read_at_once_only_in_the_middle_band_of_sizes(monkeypatch, size, parallel):
    """A small package is read on the calling thread; a very large one one file at a time, to bound memory."""
    seen: list[bool] = []

    def record(func, items, parallel):
        seen.append(parallel)
        return [(None, []) for _ in items]

    class Bytes:  # only the sizes of the files are looked at before they are read
        def __len__(self) -> int:
            return size // 2

    monkeypatch.setattr(validation, "map_in_order", record)
    pkg = open_package(md.bundled_path())
    validation.check_tables(pkg, {"transfers": Bytes(), "citations": Bytes()}, Report())  # type: ignore[dict-item]
    assert seen == [parallel]
