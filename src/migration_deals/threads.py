"""Independent pieces of work run two or more at a time, for large packages only.

Arrow's and numpy's kernels let go of the interpreter while they run, so on a machine with more than one
core two columns can be encoded, or two tables or two rules checked, at once. A small package is worked
on the calling thread: starting threads would cost more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
"""Most threads one piece of work is spread over (it comes as a few dozen short tasks)."""


def workers() -> int:
    """Threads worth starting: one per core this process may run on (a container may allow fewer than the
    machine has), at most `MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on this system: every core counts
        cores = os.cpu_count() or 1
    return min(MAX_WORKERS, cores)


def map_in_order(func: Callable[[T], R], items: Iterable[T], parallel: bool) -> list[R]:
    """`func` of each item, in the items' order; on a few threads when `parallel` and the machine has more
    than one core. An exception in `func` is raised here, as it would be on the calling thread."""
    items = list(items)
    if not parallel or workers() < 2 or len(items) < 2:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(workers(), len(items))) as pool:
        return list(pool.map(func, items))


def alongside(main: Callable[[], T], side: Callable[[], R], parallel: bool) -> tuple[T, R]:
    """`main()` on the calling thread while `side()` runs on a thread of its own (when `parallel` and the
    machine has more than one core), so that the one's waits are filled by the other's work; both results.
    An exception in either is raised here."""
    if not parallel or workers() < 2:
        return main(), side()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(side)
        return main(), later.result()
