"""The compile report: every layer's shape, parameters, MACs and activation memory.

Three forms of one set of rows: a text table (the terminal), JSON (programs)
and Markdown (a pull request or a README). Counts are per sample:

- MACs are the multiply-accumulates of conv, conv_transpose, linear and attention
  layers, as torchvision counts them for its published figures (bias, batchnorm,
  activations and pools add none); FLOPs = 2 x MACs. Attention counts its projections
  and both attention matmuls (Q·Kᵀ and weights·V), as torch.utils.flop_counter does
  where the attention runs as matmuls (on the meta device; its fused CPU kernels it
  does not count).
- activation memory is the output of every layer that makes a new tensor
  (all but groups, identities and flatten, a view), at 4 bytes per element
  (float32): what training keeps for the backward pass; for attention also its
  projections and its heads × L × S weights.

A row's params, MACs and activations count the layer and all its parts, so
the top-level rows add up to the totals. For a symbolic input, MACs and
activations are formulas in the input's symbols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.activations import BYTES_PER_ELEMENT, Known, activation_bytes
from archspec.columns import fit_widths, table_lines
from archspec.compiler.graph import Graph, LayerInfo
from archspec.diagnostics import json_text
from archspec.render import escape_controls, one_line
from archspec.shapes.dims import format_dim, format_shape, is_concrete, total

FORMATS = ("text", "json", "markdown")
LEGEND = (
    "MACs: multiply-accumulates per sample, of conv, conv_transpose, linear and attention layers "
    "(FLOPs = 2 × MACs).",
    "activations: the outputs each layer and its parts compute, per sample, "
    f"at {BYTES_PER_ELEMENT} bytes per element (float32).",
)


@dataclass(frozen=True)
class Row:
    layer: LayerInfo
    params: int
    macs: Any
    activations: Any


def rows(graph: Graph, depth: int | None = None, known: Known | None = None) -> list[Row]:
    """The layers shown (at most ``depth`` levels deep), parents first (``known``: what a
    report shares between its rows and its totals)."""
    known = Known() if known is None else known
    return [
        Row(layer, layer.num_params, layer.num_macs, activation_bytes(layer, known))
        for layer in graph.layers
        if depth is None or layer.depth <= depth
    ]


def totals(graph: Graph, known: Known | None = None) -> dict[str, Any]:
    macs = graph.num_macs
    known = Known() if known is None else known
    return {
        "params": graph.num_params,
        "macs": macs,
        "flops": 2 * macs,
        "activation_bytes": total(activation_bytes(root, known) for root in graph.roots),
    }


# --- numbers as people read them ------------------------------------------------------


def count(value: Any) -> str:
    """An int with thousands separators, or a formula."""
    return f"{value:,}" if is_concrete(value) else format_dim(value)


def scaled(value: Any, unit: str = "") -> str:
    """``1.814 G`` for an int (4 significant digits), or the formula."""
    if not is_concrete(value):
        return format_dim(value)
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.4g} {prefix}{unit}"
    return f"{value} {unit}".rstrip()


def size(value: Any) -> str:
    """Bytes as ``1.2 MB`` (powers of 1000), or the formula in bytes."""
    if not is_concrete(value):
        return f"{format_dim(value)} B"
    return scaled(value, "B") if value >= 1000 else f"{value} B"


def _json_value(value: Any) -> int | str:
    return value if is_concrete(value) else format_dim(value)


# --- the three forms --------------------------------------------------------------------


def text_report(graph: Graph, depth: int | None = None, columns: int | None = None) -> str:
    """The layer table: path (indented by nesting), kind, output shape, params, MACs, activations;
    within ``columns`` where it can (archspec/columns.py), wrapping shapes and formulas."""
    table = [
        (f"({name})" if name != "input" else "(input)", "", str(shape), "", "", "")
        for name, shape in _inputs(graph).items()
    ]
    known = Known()
    for row in rows(graph, depth, known):
        layer = row.layer
        table.append(
            (
                "  " * layer.depth + layer.path,
                kind_cell(layer),
                str(layer.output),
                count(row.params),
                count(row.macs),
                size(row.activations),
            )
        )
    header = ("layer", "primitive", "output shape", "params", "MACs", "activations")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    formulas = [False, False, False, False, not is_concrete(graph.num_macs), bool(graph.input.symbols)]
    right = [i >= 3 and not formulas[i] for i in range(len(header))]
    spec = graph.spec
    lines = [f"{spec.name}: {one_line(spec.description)}" if spec.description else spec.name, ""]
    if columns is not None:
        # The shape and the formulas wrap; the path, the kind and the counts do not.
        widths = fit_widths(widths, [False, False, True, False, formulas[4], formulas[5]], columns)
    # Numbers line up on the right; a column with a formula reads from the left.
    lines += [escape_controls(line) for line in table_lines([header, *table], widths, right)]
    lines += ["", *summary(graph, known), "", *LEGEND]
    return "\n".join(lines) + "\n"


def _inputs(graph: Graph) -> dict[str, Any]:
    return graph.inputs or {"input": graph.input}


def kind_cell(layer: LayerInfo) -> str:
    """What the spec wrote, and the tensors it reads where it names them: ``add ← a, b``."""
    sources = layer.written_sources
    return f"{layer.kind} ← {', '.join(sources)}" if sources else layer.kind


def outputs_line(graph: Graph) -> str:
    """``output: [N, 10]``, or each output by name where the network returns several."""
    if len(graph.outputs) > 1:
        return "outputs: " + ", ".join(
            f"{name} {format_shape(shape)}" for name, shape in graph.output_shapes.items()
        )
    return f"output: {format_shape(graph.output_shape)}"


def summary(graph: Graph, known: Known | None = None) -> list[str]:
    """The totals and the notes under the table."""
    sums = totals(graph, known)
    macs = sums["macs"]
    lines = [
        outputs_line(graph),
        f"parameters: {graph.num_params:,}",
        f"MACs: {count(macs)}"
        + (f" ({scaled(macs)}; FLOPs = 2 × MACs = {scaled(sums['flops'])})" if is_concrete(macs) else ""),
        f"activations: {size(sums['activation_bytes'])} per sample",
    ]
    if graph.valid_sizes:
        lines.append("valid sizes: " + "; ".join(str(sizes) for sizes in graph.valid_sizes.values()))
        lines += [f"valid sizes also need: {text}" for text in graph.size_constraints]
    single = graph.single_value_layers()
    if single:
        at = " at the smallest sizes" if graph.min_sizes else ""
        lines.append(
            f"training needs a batch of at least 2{at}: {single[0].primitive} {single[0].path} "
            "sees one value per channel per sample"
        )
    return lines


def json_report(graph: Graph, depth: int | None = None) -> dict[str, Any]:
    """Everything the table shows, as data: ints where the input is concrete, formulas as strings."""
    known = Known()
    return {
        "name": graph.spec.name,
        "description": graph.spec.description,
        "input": [_json_value(d) for d in graph.input_shape[1:]],
        "output": [_json_value(d) for d in graph.output_shape[1:]],
        "inputs": {name: [_json_value(d) for d in shape.dims] for name, shape in _inputs(graph).items()},
        "outputs": {name: [_json_value(d) for d in shape[1:]] for name, shape in graph.output_shapes.items()},
        "totals": {key: _json_value(value) for key, value in totals(graph, known).items()},
        "units": {
            "macs": "multiply-accumulates per sample, of conv, conv_transpose, linear and attention layers",
            "flops": "2 × macs",
            "activation_bytes": f"bytes per sample of the computed outputs, {BYTES_PER_ELEMENT} per element "
            "(float32)",
            "shapes": "the dims after the batch",
        },
        "min_sizes": dict(graph.min_sizes),
        "valid_sizes": {name: sizes.to_json() for name, sizes in graph.valid_sizes.items()},
        "size_constraints": list(graph.size_constraints),
        "min_train_batch": graph.min_train_batch,
        "layers": [
            {
                "path": row.layer.path,
                "kind": row.layer.kind,
                "primitive": row.layer.primitive,
                "depth": row.layer.depth,
                "from": list(row.layer.written_sources),
                "input": [_json_value(d) for d in row.layer.input.dims],
                "output": [_json_value(d) for d in row.layer.output.dims],
                "params": row.params,
                "macs": _json_value(row.macs),
                "activation_bytes": _json_value(row.activations),
            }
            for row in rows(graph, depth, known)
        ],
    }


def _cell(text: str) -> str:
    """Free text in a Markdown table cell or list: one line, no table breaks, no emphasis
    from * or _, no HTML, links or code spans; control and bidi characters escaped."""
    text = one_line(text)
    for char in "\\|*_<[`":
        text = text.replace(char, "\\" + char)
    return text


def _number(value: Any, text: str) -> str:
    """A count as a cell: formulas in backticks, so that their * stays a times sign."""
    return text if is_concrete(value) else f"`{text}`"


def markdown_report(graph: Graph, depth: int | None = None) -> str:
    """A GitHub-flavoured Markdown table, with the totals and the legend under it."""
    spec = graph.spec
    lines = [f"### {_cell(spec.name)}", ""]
    if spec.description:
        lines += [_cell(spec.description), ""]
    lines += [
        "| layer | primitive | output shape | params | MACs | activations |",
        "| --- | --- | --- | ---: | ---: | ---: |",
        *(f"| ({_cell(name)}) | | `{shape}` | | | |" for name, shape in _inputs(graph).items()),
    ]
    known = Known()
    for row in rows(graph, depth, known):
        layer = row.layer
        cells = (
            f"`{layer.path}`",
            _cell(kind_cell(layer)),
            f"`{layer.output}`",
            count(row.params),
            _number(row.macs, count(row.macs)),
            _number(row.activations, size(row.activations)),
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        *(f"- {_cell(line)}" for line in summary(graph, known)),
        "",
        *(f"_{_cell(line)}_" for line in LEGEND),
    ]
    return "\n".join(lines) + "\n"


def report(graph: Graph, format: str = "text", depth: int | None = None, columns: int | None = None) -> str:
    if format == "json":
        return json_text(json_report(graph, depth), indent=2) + "\n"
    if format == "markdown":
        return markdown_report(graph, depth)
    if format != "text":
        raise ValueError(f"unknown report format {format!r}; expected one of {FORMATS}")
    return text_report(graph, depth, columns)
