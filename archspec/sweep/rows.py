"""One row per member: its values and what its compile says (or its located error).

A row is a dict in column order: ``member`` (its index in the sweep), the
family's parameters, then ``params`` (the parameter count), ``macs``
(multiply-accumulates per sample), ``activations`` (bytes per sample of the
outputs the layers compute, as ``archspec compile`` reports), ``output`` (the
output shape), ``valid_sizes`` (for a symbolic input) and ``error`` (the
member's first problem, ``file:line:col: error[CODE]: …``, where it does not
compile; the figures are then empty).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from archspec.activations import own_activation_bytes
from archspec.compiler import compile_spec
from archspec.compiler.graph import Graph
from archspec.compiler.reuse import Reuse
from archspec.compiler.summary import compile_summary
from archspec.diagnostics import SpecError, json_text
from archspec.frontend.family import Family
from archspec.frontend.spec import Spec
from archspec.limits import Limits
from archspec.report import totals
from archspec.shapes.dims import format_dim, format_shape, is_concrete

FIGURES = ("params", "macs", "activations", "output", "valid_sizes", "error")


def columns(family: Family) -> tuple[str, ...]:
    return ("member", *family.names, *FIGURES)


def member_row(
    spec: Spec,
    index: int,
    values: Mapping[str, Any],
    dims: Any = None,
    limits: Limits | None = None,
    reuse: Reuse | None = None,
) -> dict[str, Any]:
    """Compile the member of ``spec`` (a family) with ``values``; never raises SpecError.
    ``reuse``: what the compiles of the family's members share (compiler/reuse.py); a
    shallow one (a sweep's) gives the figures from a summary compile where it can
    (compiler/summary.py), the same as the full compile's."""
    family = spec.family
    assert family is not None, "a sweep runs on a family: a spec with params"
    fields = family.model.model_fields
    row: dict[str, Any] = {"member": index}
    for name in family.names:
        row[name] = (
            values[name]
            if name in values
            else (None if fields[name].is_required() else fields[name].get_default())
        )
    row.update(dict.fromkeys(FIGURES))
    try:
        member = replace(spec, arguments=family.bind(values))
        summary = (
            compile_summary(member, dims, limits, reuse) if reuse is not None and reuse.shallow else None
        )
        if summary is not None:  # the figures without the graph (compiler/summary.py)
            sums = summary.totals
            row["params"], row["macs"], row["activations"] = sums.params, sums.macs, sums.activation_bytes
            row["output"] = _output({name: shape.with_batch() for name, shape in summary.returns.items()})
            return row
        graph = compile_spec(member, dims, limits, reuse.full() if reuse is not None else None)
    except SpecError as error:
        first = error.diagnostics[0].render().replace("\n  hint: ", "; hint: ")
        more = len(error.diagnostics) - 1
        row["error"] = first + (f" (and {more} more)" if more else "")
        return row
    row["params"], row["macs"], row["activations"] = _figures(graph)
    row["output"] = _output(graph.output_shapes)
    if graph.valid_sizes:
        row["valid_sizes"] = "; ".join(
            [str(sizes) for sizes in graph.valid_sizes.values()] + list(graph.size_constraints)
        )
    return row


def _output(shapes: Mapping[str, tuple[Any, ...]]) -> str:
    """The output shape, or each output's by name."""
    if len(shapes) == 1:
        return format_shape(next(iter(shapes.values())))
    return "; ".join(f"{name} {format_shape(shape)}" for name, shape in shapes.items())


def _figures(graph: Graph) -> tuple[int, int | str, int | str]:
    """Parameters, MACs and activation bytes per sample, as ``compile`` reports them: for
    a concrete input each a plain sum over the layers (what the report's per-subtree
    sums add up to), else the report's formulas."""
    layers = graph.layers
    macs = [layer.own_macs for layer in layers]
    if (
        all(isinstance(v, int) for v in macs)
        and all(isinstance(d, int) for layer in layers for d in layer.output.dims)
        and all(isinstance(layer.own_workspace, int) for layer in layers)
    ):
        activations = sum(own_activation_bytes(layer) for layer in layers)
        return sum(layer.own_params for layer in layers), sum(macs), activations
    sums = totals(graph)
    return sums["params"], _number(sums["macs"]), _number(sums["activation_bytes"])


def _number(value: Any) -> int | str:
    return value if is_concrete(value) else format_dim(value)


def csv_header(names: Sequence[str]) -> str:
    return _csv_line(list(names))


def csv_row(row: Mapping[str, Any]) -> str:
    return _csv_line([_cell(v) for v in row.values()])


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | list):
        return json.dumps(value)
    return str(value)


def jsonl_row(row: Mapping[str, Any]) -> str:
    return json_text(row) + "\n"
