"""Fewer garbage collections while a compile runs.

A compile allocates a few objects per layer that the cycle collector tracks (layer
records, spans, shapes, symbolic dims), nearly all of which it keeps (the graph) or
frees by reference counting: the collections that those allocations trigger find
nothing, yet each scans the young objects, and every hundredth or so the whole heap,
the loaded spec with it. On a 10,000-layer chain they were ~15% of a symbolic
compile (two inferences: its own and the concrete probe of the valid-size search),
and the cause of its cost per layer growing with depth.

While any compile runs, the youngest generation's threshold is raised (and while an
``archspec sweep`` chunk runs, through the same context); the last to end, in any
thread, restores it.
The collector's thresholds belong to the process, so this is the one piece of
process state a compile touches, and only for its duration: a threshold the
program set meanwhile is left as it set it, and a collector it turned off stays off.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

YOUNG_OBJECTS = 20_000
"""Allocations between collections of the youngest generation while a compile runs
(Python's default is 700)."""

_lock = threading.Lock()
_running = 0  # compiles under way, in every thread
_saved: tuple[int, int, int] | None = None  # the thresholds before the first of them


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect less often for the duration of the block (nested and concurrent blocks
    share one raise; the thresholds as they were once the last ends)."""
    global _running, _saved
    with _lock:
        if _running == 0:
            before = gc.get_threshold()
            # 0: automatic collection is off, and stays so; a higher threshold is kept
            _saved = before if 0 < before[0] < YOUNG_OBJECTS else None
            if _saved is not None:
                gc.set_threshold(YOUNG_OBJECTS, *before[1:])
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _saved is not None:
                if gc.get_threshold() == (YOUNG_OBJECTS, *_saved[1:]):  # not changed meanwhile
                    gc.set_threshold(*_saved)
                _saved = None
