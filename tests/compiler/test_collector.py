"""Fewer garbage collections while a compile runs (archspec/compiler/collector.py): the
collector's thresholds are raised for the duration, and always given back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

import archspec
from archspec.compiler import collector
from archspec.compiler.collector import YOUNG_OBJECTS, fewer_collections
from archspec.diagnostics import SpecError

SPEC = """\
archspec: 1
name: small
input: [3, H, W]
layers:
  - conv: {out_channels: 8, kernel_size: 3}
  - relu
"""


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_raised_inside_and_given_back_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_OBJECTS, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_blocks_give_back_once_the_outer_ends() -> None:
    with fewer_collections():
        with fewer_collections():
            pass
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
    assert gc.get_threshold() == (700, 10, 10)


def test_given_back_when_the_block_raises() -> None:
    with pytest.raises(ValueError), fewer_collections():
        raise ValueError("a failed compile")
    assert gc.get_threshold() == (700, 10, 10)
    assert collector._running == 0


def test_a_collector_turned_off_or_set_higher_is_left_alone() -> None:
    for threshold in (0, 50_000):
        gc.set_threshold(threshold, 10, 10)
        with fewer_collections():
            assert gc.get_threshold() == (threshold, 10, 10)
        assert gc.get_threshold() == (threshold, 10, 10)


def test_a_threshold_set_during_the_block_is_kept() -> None:
    with fewer_collections():
        gc.set_threshold(1_000, 5, 5)
    assert gc.get_threshold() == (1_000, 5, 5)


def test_overlapping_blocks_in_threads_give_back_once_the_last_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with fewer_collections():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold()[0])  # the first has ended: still raised for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [YOUNG_OBJECTS]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_compile_gives_the_thresholds_back_whatever_its_outcome() -> None:
    graph = archspec.compile(archspec.loads(SPEC))
    assert str(graph.output_shape) == "(N, 8, H - 2, W - 2)"
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(SpecError):
        archspec.compile(archspec.loads(SPEC), input=[3, 2, 2])  # smaller than the kernel
    assert gc.get_threshold() == (700, 10, 10)
    assert collector._running == 0
