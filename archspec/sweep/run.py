"""A sweep: a family, its grid file, and its members' rows on a backend (docs/cli.md)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archspec.codes import E500
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.roots import LibraryConfig
from archspec.frontend.spec import Spec
from archspec.limits import Limits
from archspec.sweep.engine import Job, Row, chunked, dask, process_pool, serial
from archspec.sweep.grid import Grid, load_grid
from archspec.sweep.rows import columns
from archspec.sweep.where import Where

__all__ = ["Sweep", "chunk_size"]


@dataclass
class Sweep:
    """A family and its grid: which members, and how to compile them."""

    spec: Spec
    spec_path: str
    grid: Grid
    libraries: LibraryConfig | None = None
    dims: Any = None
    limits: Limits | None = None
    plugins: bool = True

    @classmethod
    def of(
        cls,
        spec_path: str | Path,
        grid_path: str | Path,
        *,
        libraries: LibraryConfig | None = None,
        dims: Any = None,
        limits: Limits | None = None,
        plugins: bool = True,
    ) -> Sweep:
        """Load the family and its grid file; SpecError where either is wrong."""
        from archspec import load

        spec = load(spec_path, limits, libraries=libraries, plugins=plugins)
        if spec.family is None:
            raise SpecError(
                [
                    Diagnostic(
                        E500,
                        "the spec is no family: it has no params to sweep",
                        spec.source.span(()),
                        hint="declare them at the top level: params: {depth: {type: int, default: 2}}, "
                        "and use them in layers as =depth",
                    )
                ]
            )
        grid = load_grid(grid_path, spec.family, limits)
        return cls(spec, str(spec_path), grid, libraries, dims, limits, plugins)

    @property
    def columns(self) -> tuple[str, ...]:
        assert self.spec.family is not None
        return columns(self.spec.family)

    def members(self, sample: int | None = None, seed: int = 0) -> tuple[Iterator[dict[str, Any]], int]:
        """The members (every combination of the grid, or ``sample`` draws) and how many."""
        if sample is None:
            return self.grid.members(), self.grid.size()
        return self.grid.sample(sample, seed), sample

    def rows(
        self,
        members: Iterator[dict[str, Any]] | None = None,
        *,
        where: str | None = None,
        jobs: int = 1,
        backend: str = "local",
        client: Any = None,
        chunk: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Row]:
        """Every member's row in member order (those ``where`` keeps); ``progress(n)``
        after each chunk, with the members done. ``backend="dask"`` runs the chunks on
        ``client`` (a dask.distributed Client)."""
        if where is not None:
            Where(where, [c for c in self.columns if c != "error"])  # E503 before anything runs
        if backend == "dask" and client is None:
            raise ValueError("the dask backend needs a client (dask.distributed.Client)")
        return self._rows(members, where, jobs, backend, client, chunk, progress)

    def _rows(
        self,
        members: Iterator[dict[str, Any]] | None,
        where: str | None,
        jobs: int,
        backend: str,
        client: Any,
        chunk: int,
        progress: Callable[[int], None] | None,
    ) -> Iterator[Row]:
        job = Job(
            self.spec_path, self.libraries, self.dims, self.limits, where, self.plugins, _spec=self.spec
        )
        chunks = chunked(members if members is not None else self.grid.members(), chunk)
        if backend == "dask":
            results = dask(job, chunks, client, window=4 * max(1, jobs))
        elif jobs > 1:
            results = process_pool(job, chunks, jobs)
        else:
            results = serial(job, chunks)
        done = 0
        for count, rows in results:
            done += count
            yield from (row for row in rows if row is not None)
            if progress is not None:
                progress(done)


def chunk_size(total: int, jobs: int) -> int:
    """Chunks small enough to spread over the workers and show progress, large enough
    that sending them costs little against compiling them."""
    return max(1, min(256, math.ceil(total / (8 * max(1, jobs)))))
