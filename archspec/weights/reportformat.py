"""The transfer report as text, JSON or Markdown (the diff's: archspec/weights/diffformat.py).

Every name shown comes from a file (a spec's paths, a checkpoint's keys) and may be
hostile: text escapes control and bidi characters, Markdown escapes its own syntax too
(archspec.report's cell rule), JSON is JSON.
"""

from __future__ import annotations

import json
from typing import Any

from archspec.render import as_dict, escape_controls
from archspec.report import _cell as markdown_cell  # the report's Markdown escaping
from archspec.report import count
from archspec.weights.transfer import LayerOutcome, TensorOutcome, TransferReport

FORMATS = ("text", "json", "markdown")


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]" if shape is not None else "-"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "-"


# --- transfer --------------------------------------------------------------------------


def _source(layer: LayerOutcome) -> str:
    if layer.source is None:
        return "-"
    return layer.source if layer.path != layer.source else "(same path)"


def _details(layer: LayerOutcome) -> str:
    """What a layer's tensors did, where that is not simply 'all transferred'."""
    parts = []
    for tensor in layer.tensors:
        name = (tensor.key or tensor.source or "").rpartition(".")[2]
        if tensor.status == "mismatched":
            parts.append(
                f"{name} {shape_text(tensor.shape)} here, {shape_text(tensor.source_shape)} in the checkpoint"
            )
        elif layer.status == "partial" and tensor.status != "transferred":
            parts.append(f"{name} {tensor.status}")
    return "; ".join(parts)


def transfer_summary(report: TransferReport) -> list[str]:
    counts, parameters, values = report.counts, report.parameters, report.checkpoint_values
    lines = [
        f"tensors: {counts['transferred']} transferred, {counts['mismatched']} shape-mismatched, "
        f"{counts['new']} new in the spec, {counts['dropped']} dropped from the checkpoint"
        + (f", {counts['skipped']} skipped" if counts["skipped"] else ""),
        f"parameters of the spec transferred: {count(parameters['transferred'])} of "
        f"{count(parameters['total'])} ({_percent(parameters['transferred'], parameters['total'])})",
        f"values of the checkpoint used: {count(values['used'])} of {count(values['total'])} "
        f"({_percent(values['used'], values['total'])})",
    ]
    return lines


def _transfer_text(report: TransferReport) -> str:
    where = f"{escape_controls(report.checkpoint)} -> {escape_controls(report.spec)}"
    lines = [f"weights: {where} (match: {report.match})"]
    lines += [f"note: {escape_controls(note)}" for note in report.notes]
    rows = [("layer", "kind", "status", "from", "")]
    for layer in report.layers:
        path = layer.path if layer.path is not None else f"({layer.source})"
        source = _source(layer) if layer.path is not None else "-"
        rows.append((path, layer.kind or "-", layer.status, source, _details(layer)))
    rows = [tuple(escape_controls(cell) for cell in row) for row in rows]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    lines += ["", *transfer_summary(report)]
    lines += [diagnostic.render() for diagnostic in report.problems]
    lines.append("ok: everything asked for was transferred" if report.ok else "not ok: see the errors above")
    return "\n".join(lines) + "\n"


def _tensor_json(tensor: TensorOutcome) -> dict[str, Any]:
    return {
        "status": tensor.status,
        "key": tensor.key,
        "source": tensor.source,
        "shape": list(tensor.shape) if tensor.shape is not None else None,
        "source_shape": list(tensor.source_shape) if tensor.source_shape is not None else None,
        "parameter": tensor.parameter,
    }


def _transfer_json(report: TransferReport) -> dict[str, Any]:
    return {
        "spec": report.spec,
        "checkpoint": report.checkpoint,
        "match": report.match,
        "strict": report.strict,
        "skip": list(report.skip),
        "notes": list(report.notes),
        "ok": report.ok,
        "problems": [as_dict(diagnostic) for diagnostic in report.problems],
        "totals": {
            "tensors": report.counts,
            "parameters": report.parameters,
            "checkpoint_values": report.checkpoint_values,
        },
        "layers": [
            {
                "path": layer.path,
                "kind": layer.kind,
                "status": layer.status,
                "source": layer.source,
                "how": layer.how,
                "tensors": [_tensor_json(tensor) for tensor in layer.tensors],
            }
            for layer in report.layers
        ],
    }


def _transfer_markdown(report: TransferReport) -> str:
    verdict = "everything asked for was transferred" if report.ok else "not everything was transferred"
    lines = [
        f"### Weights: {markdown_cell(report.checkpoint)} → {markdown_cell(report.spec)}",
        "",
        f"**{verdict}** (match: {report.match})",
        "",
        *(f"- {markdown_cell(line)}" for line in [*transfer_summary(report), *report.notes]),
        *(f"- **error[{d.code}]**: {markdown_cell(d.message)}" for d in report.problems),
        "",
        "| layer | kind | status | from | details |",
        "| --- | --- | --- | --- | --- |",
    ]
    for layer in report.layers:
        path = layer.path if layer.path is not None else f"({layer.source})"
        source = _source(layer) if layer.path is not None else "-"
        cells = (path, layer.kind or "-", layer.status, source, _details(layer))
        lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def format_transfer(report: TransferReport, format: str = "text") -> str:
    if format == "json":
        return (
            json.dumps(_transfer_json(report), indent=2) + "\n"
        )  # ASCII: a key's bidi characters stay escaped
    if format == "markdown":
        return _transfer_markdown(report)
    if format != "text":
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    return _transfer_text(report)
