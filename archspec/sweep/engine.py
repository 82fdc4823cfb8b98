"""Run a sweep: compile every member, on this process, a local process pool or a cluster.

Members go out in chunks; each chunk is compiled by a :class:`Job` (which
loads the family once, then binds each member's values: no member is parsed),
and the chunks' rows come back in member order whatever finishes first, so the
output is the same byte for byte for every backend and every ``-j``.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archspec.compiler.collector import fewer_collections
from archspec.compiler.reuse import Reuse
from archspec.diagnostics import SpecError
from archspec.frontend.roots import LibraryConfig
from archspec.frontend.spec import Spec
from archspec.limits import Limits
from archspec.sweep.rows import member_row
from archspec.sweep.where import Where

Member = tuple[int, dict[str, Any]]
Row = dict[str, Any]


@dataclass
class Job:
    """What a worker needs to compile members: picklable, so a pool or a cluster can
    carry it; the family is loaded on first use, once per Job copy."""

    spec_path: str
    libraries: LibraryConfig | None = None
    dims: Any = None
    limits: Limits | None = None
    where: str | None = None
    plugins: bool = True  # the primitives of installed plugins (False: --no-plugins)
    _spec: Spec | None = field(default=None, repr=False, compare=False)
    # What the compiles of the members share (compiler/reuse.py): the block calls that
    # recur from member to member are inferred once per Job copy.
    # Shallow: a member's row comes from a summary compile where it can (compiler/summary.py).
    _reuse: Reuse = field(default_factory=lambda: Reuse(shallow=True), repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # workers load the family themselves, and reuse what they compile
        return {**self.__dict__, "_spec": None, "_reuse": Reuse(shallow=True)}

    def spec(self) -> Spec:
        if self._spec is None:
            from archspec import load

            self._spec = load(self.spec_path, self.limits, libraries=self.libraries, plugins=self.plugins)
        return self._spec

    def rows(self, members: list[Member]) -> list[Row | None]:
        """Each member's row, or None where ``where`` leaves it out."""
        with fewer_collections():
            return self._rows(members)

    def _rows(self, members: list[Member]) -> list[Row | None]:
        spec = self.spec()
        assert spec.family is not None
        where = (
            Where(
                self.where,
                ("member", *spec.family.names, "params", "macs", "activations", "output", "valid_sizes"),
            )
            if self.where
            else None
        )
        out: list[Row | None] = []
        for index, values in members:
            row = member_row(spec, index, values, self.dims, self.limits, self._reuse)
            if where is not None:
                try:
                    if not where.keeps(row):
                        out.append(None)
                        continue
                except SpecError as error:
                    row["error"] = error.diagnostics[0].render().replace("\n  hint: ", "; hint: ")
            out.append(row)
        return out


def run_chunk(job: Job, members: list[Member]) -> list[Row | None]:
    """A chunk's rows (a module-level function: process pools and clusters pickle it by name)."""
    return job.rows(members)


def chunked(members: Iterable[dict[str, Any]], size: int) -> Iterator[list[Member]]:
    numbered = enumerate(members)
    while chunk := list(itertools.islice(numbered, size)):
        yield chunk


Submit = Callable[[list[Member]], Any]


def ordered(
    chunks: Iterator[list[Member]], submit: Submit, result: Callable[[Any], list[Row | None]], window: int
) -> Iterator[tuple[int, list[Row | None]]]:
    """(members done, rows) per chunk, in member order: at most ``window`` chunks in
    flight, so a sweep of millions never holds them all."""
    pending: collections.deque[tuple[int, Any]] = collections.deque()
    for chunk in chunks:
        pending.append((len(chunk), submit(chunk)))
        if len(pending) >= window:
            count, future = pending.popleft()
            yield count, result(future)
    while pending:
        count, future = pending.popleft()
        yield count, result(future)


def serial(job: Job, chunks: Iterator[list[Member]]) -> Iterator[tuple[int, list[Row | None]]]:
    for chunk in chunks:
        yield len(chunk), job.rows(chunk)


def process_pool(
    job: Job, chunks: Iterator[list[Member]], workers: int
) -> Iterator[tuple[int, list[Row | None]]]:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from ordered(
            chunks, lambda c: pool.submit(run_chunk, job, c), lambda f: f.result(), 4 * workers
        )


def dask(
    job: Job, chunks: Iterator[list[Member]], client: Any, window: int
) -> Iterator[tuple[int, list[Row | None]]]:
    """On a dask.distributed ``client`` (an existing cluster's, or a LocalCluster's)."""
    yield from ordered(
        chunks, lambda c: client.submit(run_chunk, job, c, pure=False), lambda f: f.result(), window
    )
