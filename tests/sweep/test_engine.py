"""The backends: the same rows in member order, serially, on a process pool, on dask."""

from __future__ import annotations

import pytest

from archspec.sweep.engine import Job, ordered
from archspec.sweep.run import Sweep, chunk_size

from .family import write

GRID = "depth: [1, 2, 3]\nwidth: {start: 8, stop: 24, step: 4}\ngroups: [1, 4]\n"  # width 10 breaks groups 4


def test_rows_come_in_member_order_whatever_finishes_first() -> None:
    class Done:
        def __init__(self, value: list) -> None:
            self.value = value

    chunks = iter([[(0, {})], [(1, {})], [(2, {})]])
    got = list(ordered(chunks, lambda c: Done([{"member": c[0][0]}]), lambda f: f.value, window=2))
    assert [rows[0]["member"] for _, rows in got] == [0, 1, 2]


def test_a_process_pool_gives_the_serial_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec, grid = write(tmp_path, GRID)
    sweep = Sweep.of(spec, grid)
    serial = list(sweep.rows(chunk=4))
    pooled = list(sweep.rows(jobs=2, chunk=3))
    assert pooled == serial and [r["member"] for r in serial] == list(range(30))
    assert any(r["error"] for r in serial) and any(r["params"] for r in serial)


def test_a_job_travels_without_its_loaded_family(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pickle

    spec, grid = write(tmp_path, GRID)
    sweep = Sweep.of(spec, grid)
    job = Job(spec, _spec=sweep.spec)
    copy = pickle.loads(pickle.dumps(job))
    assert copy._spec is None and copy.rows([(0, {"depth": 1})]) == job.rows([(0, {"depth": 1})])


def test_progress_counts_every_member_filtered_or_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec, grid = write(tmp_path, GRID)
    seen: list[int] = []
    rows = list(Sweep.of(spec, grid).rows(where="params < 0", chunk=7, progress=seen.append))
    assert seen == [7, 14, 21, 28, 30]
    assert rows and all(r["error"] for r in rows)  # only the broken members, which are always kept


def test_chunks_spread_over_workers() -> None:
    assert chunk_size(30, 1) == 4 and chunk_size(10**6, 4) == 256 and chunk_size(1, 8) == 1


def test_the_dask_backend_gives_the_serial_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip(
        "dask.distributed", reason="the cluster extra (pip install 'archspec[cluster]') is not installed"
    )
    spec, grid = write(tmp_path, GRID)
    sweep = Sweep.of(spec, grid)
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        rows = list(sweep.rows(backend="dask", client=client, chunk=4))
    assert rows == list(sweep.rows(chunk=30))


def test_a_chunk_collects_cycles_less_often_and_restores_the_thresholds(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A chunk runs under the compiler's one raise of the collector's threshold
    (archspec/compiler/collector.py), seen from inside a member's row."""
    import gc

    import archspec.sweep.engine as engine
    from archspec.compiler.collector import YOUNG_OBJECTS

    seen = []
    row = engine.member_row

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        assert gc.isenabled()  # cycles are still collected
        return row(*args, **kwargs)

    monkeypatch.setattr(engine, "member_row", watched)
    before = gc.get_threshold()
    spec, grid = write(tmp_path, GRID)
    engine.Job(spec, _spec=Sweep.of(spec, grid).spec).rows([(0, {"depth": 1}), (1, {"depth": 2})])
    assert seen == [max(before[0], YOUNG_OBJECTS)] * 2
    assert gc.get_threshold() == before
