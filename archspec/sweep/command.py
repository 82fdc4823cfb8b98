"""The ``archspec sweep`` subcommand: its options, and writing the rows (CSV or JSON lines).

cli.py registers it (:func:`add_command`) and dispatches to :func:`run_command`
with ``--input`` parsed and ``--lib``, ``--no-plugins``, ``--config`` and ``--limit``
applied onto ``args`` (``args.libraries``, ``args.plugins``, ``args.limits``), as for
every command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterable
from typing import Any, TextIO

FORMATS = ("csv", "jsonl")
BACKENDS = ("local", "dask")


class SweepUsageError(Exception):
    """A usage error of the sweep's own options (exit 2)."""


def add_command(commands: Any, add_options: Any, count: Any) -> None:
    """``add_options(parser)`` adds the options every compiling command takes (--lib,
    --no-plugins, --config, --limit)."""
    sweep_cmd = commands.add_parser(
        "sweep", help="compile every member of a family (a spec with params) and write one row each"
    )
    sweep_cmd.add_argument("spec", metavar="SPEC", help="the family: a spec file with top-level params")
    sweep_cmd.add_argument(
        "--grid", metavar="GRID", required=True, help="the grid file: each parameter's values (YAML)"
    )
    sweep_cmd.add_argument(
        "--sample", type=count, metavar="N", help="draw N members from the grid's distributions"
    )
    sweep_cmd.add_argument("--seed", type=count, default=0, metavar="S", help="the seed of --sample (0)")
    sweep_cmd.add_argument("--format", choices=FORMATS, default="csv", help="CSV (default) or JSON lines")
    sweep_cmd.add_argument("-o", "--output", metavar="FILE", help="write the rows to FILE (atomically)")
    sweep_cmd.add_argument(
        "--where",
        metavar="EXPR",
        help='keep the members that satisfy EXPR, e.g. "macs < 4e8 and params < 6e6"',
    )
    sweep_cmd.add_argument(
        "-j", "--jobs", type=count, default=1, metavar="N", help="local worker processes (1)"
    )
    sweep_cmd.add_argument("--backend", choices=BACKENDS, default="local", help="local (default) or dask")
    sweep_cmd.add_argument(
        "--scheduler", metavar="ADDRESS", help="the dask scheduler to use (default: a local cluster)"
    )
    sweep_cmd.add_argument(
        "--input", metavar="DIMS", action="append", help="compile members at these input dims, as for compile"
    )
    add_options(sweep_cmd)


def run_command(args: argparse.Namespace, dims: Any, stdout: TextIO, stderr: TextIO) -> int:
    """Exit 0 when the sweep ran (a broken member is a row, not a failure), 1 for a bad
    family, grid or filter (SpecError, raised for cli.py to report), 2 for a usage error."""
    # Imported here: archspec validate and the other commands start without the sweep.
    from archspec.sweep.progress import Progress
    from archspec.sweep.run import Sweep, chunk_size

    if args.scheduler is not None and args.backend != "dask":
        raise SweepUsageError("--scheduler is for --backend dask")
    jobs = max(1, args.jobs)
    # args.limits, .libraries and .plugins: the options with the [tool.archspec] table (cli.py)
    sweep = Sweep.of(
        args.spec, args.grid, libraries=args.libraries, dims=dims, limits=args.limits, plugins=args.plugins
    )
    members, total = sweep.members(args.sample, args.seed)
    progress = Progress(total, stderr) if _is_terminal(stderr) else None
    client, cluster = _client(args, jobs) if args.backend == "dask" else (None, None)
    try:
        rows = sweep.rows(
            members,
            where=args.where,
            jobs=jobs,
            backend=args.backend,
            client=client,
            chunk=chunk_size(total, jobs),
            progress=progress,
        )
        lines = _lines(rows, sweep.columns, args.format)
        if args.output is None:
            for text in lines:
                stdout.write(text)
        else:
            _write_atomically(args.output, lines, {args.spec, args.grid})
    finally:
        if progress is not None:
            progress.close()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return 0


def _lines(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], fmt: str) -> Iterable[str]:
    from archspec.sweep.rows import csv_header, csv_row, jsonl_row

    if fmt == "csv":
        yield csv_header(columns)
        for row in rows:
            yield csv_row(row)
    else:
        for row in rows:
            yield jsonl_row(row)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _client(args: argparse.Namespace, jobs: int) -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SweepUsageError(
            "--backend dask needs dask.distributed: pip install 'archspec[cluster]'"
        ) from None
    if args.scheduler is not None:
        return Client(args.scheduler), None
    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)
    return Client(cluster), cluster


def _write_atomically(path: str, lines: Iterable[str], inputs: set[str]) -> None:
    """The whole file or nothing: rows go to a temporary file beside ``path``, which
    replaces it at the end (a sweep stopped half way leaves the old file)."""
    import tempfile

    from archspec.output import OutputError, check_target, shown

    try:
        mode = check_target(path, inputs)
    except OutputError as error:
        raise SweepUsageError(str(error)) from None
    folder = os.path.dirname(path) or "."
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)[:32]}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise SweepUsageError(f"cannot write {shown(path)}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for text in lines:
                out.write(text)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
