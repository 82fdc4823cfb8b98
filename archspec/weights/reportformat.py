"""The transfer report and the architecture diff as text, JSON or Markdown.

Every name shown comes from a file (a spec's paths, a checkpoint's keys) and may be
hostile: text escapes control and bidi characters, Markdown escapes its own syntax too
(archspec.report's cell rule), JSON is JSON.
"""

from __future__ import annotations

import json
from typing import Any

from archspec.render import as_dict, escape_controls
from archspec.report import _cell as markdown_cell
from archspec.report import count, scaled
from archspec.shapes.dims import format_dim, is_concrete
from archspec.weights.diff import CHANGES, ArchitectureDiff, LayerChange
from archspec.weights.transfer import LayerOutcome, TensorOutcome, TransferReport

FORMATS = ("text", "json", "markdown")


def _shape(shape: tuple[int, ...] | None) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]" if shape is not None else "-"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "-"


def _value(value: Any) -> Any:
    """A total as JSON: an int, or a formula as text."""
    return value if value is None or is_concrete(value) else format_dim(value)


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
                f"{name} {_shape(tensor.shape)} here, {_shape(tensor.source_shape)} in the checkpoint"
            )
        elif layer.status == "partial":
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
        return json.dumps(_transfer_json(report), indent=2, ensure_ascii=False) + "\n"
    if format == "markdown":
        return _transfer_markdown(report)
    if format != "text":
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    return _transfer_text(report)


# --- diff --------------------------------------------------------------------------------


TOTAL_NAMES = {
    "params": "parameters",
    "macs": "MACs",
    "activation_bytes": "activations",
    "values": "state_dict values",
}


def _total(name: str, value: Any) -> str:
    if value is None:
        return "-"
    return scaled(value, "B") if name == "activation_bytes" else count(value)


def _delta(name: str, before: Any, after: Any) -> str:
    if before is None or after is None:
        return ""
    change = after - before
    if change == 0:  # an int, or formulas that cancel
        return " (±0)" if name != "activation_bytes" else " (±0 B)"
    if not is_concrete(change):
        return f" ({format_dim(change)})"
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    return f" ({sign}{_total(name, abs(change))})"


def total_lines(result: ArchitectureDiff) -> list[str]:
    return [
        f"{TOTAL_NAMES[name]}: {_total(name, before)} -> {_total(name, after)}{_delta(name, before, after)}"
        for name, (before, after) in result.totals.items()
        if before is not None or after is not None
    ]


def _param(params: dict[str, Any], key: str) -> str:
    return json.dumps(params[key]) if key in params else "(none)"


def _change_text(change: LayerChange) -> str:
    """``fc (linear): params out_features 1000 -> 10; output [1000] -> [10]``"""
    before, after = change.before, change.after
    view = after or before
    assert view is not None
    head = change.path + (f" ({view.kind})" if view.kind else "")
    if change.change == "renamed" and before is not None:
        return f"{before.path} -> {head}"
    if change.change != "changed" or before is None or after is None:
        if view.kind is None:
            return head + ": " + ", ".join(f"{name} {_shape(shape)}" for name, shape in view.tensors)
        return head + f": output {view.output}, {count(view.num_params or 0)} parameters"
    parts = []
    for field in change.fields:
        if field == "kind":
            parts.append(f"kind {before.kind} -> {after.kind}")
        elif field == "params" and "kind" not in change.fields:  # another kind: other params
            old, new = before.params or {}, after.params or {}
            keys = [key for key in {**old, **new} if old.get(key) != new.get(key)]
            parts.append(
                "params " + ", ".join(f"{key} {_param(old, key)} -> {_param(new, key)}" for key in keys)
            )
        elif field == "parameters":
            parts.append(f"parameters {count(before.own_params or 0)} -> {count(after.own_params or 0)}")
        elif field == "output":
            parts.append(f"output {before.output} -> {after.output}")
        else:
            old_t, new_t = dict(before.tensors), dict(after.tensors)
            names = [name for name in {**old_t, **new_t} if old_t.get(name) != new_t.get(name)]
            parts.append(
                ", ".join(f"{name} {_shape(old_t.get(name))} -> {_shape(new_t.get(name))}" for name in names)
            )
    return head + ": " + "; ".join(parts)


def _diff_lines(result: ArchitectureDiff) -> list[str]:
    """The body both text and Markdown show: sections of changes, then the totals."""
    lines = []
    if not result.by_tensors and result.input[0] != result.input[1]:
        lines.append(f"input: {result.input[0]} -> {result.input[1]}")
    for kind, mark in (("added", "+"), ("removed", "-"), ("renamed", ">"), ("changed", "~")):
        found = result.changed(kind)
        if found:
            lines.append(f"{kind} ({len(found)}):")
            lines += [f"  {mark} {_change_text(change)}" for change in found]
    if result.first_output_difference is not None:
        lines.append(f"first layer whose output shape differs: {result.first_output_difference}")
    elif not result.by_tensors:
        lines.append("first layer whose output shape differs: none")
    return lines


def _verdict(result: ArchitectureDiff) -> str:
    if result.equal:
        return "the same architecture"
    counts = ", ".join(f"{len(result.changed(kind))} {kind}" for kind in CHANGES)
    return f"different: {counts}"


def _diff_text(result: ArchitectureDiff) -> str:
    lines = [f"diff: {result.before} -> {result.after}" + (" (by tensors)" if result.by_tensors else "")]
    lines += _diff_lines(result)
    lines += total_lines(result)
    lines.append(_verdict(result))
    return "\n".join(escape_controls(line) for line in lines) + "\n"


def _view_json(view: Any) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "kind": view.kind,
        "params": view.params,
        "output": view.output,
        "own_params": view.own_params,
        "num_params": view.num_params,
        "tensors": {name: list(shape) for name, shape in view.tensors} if view.kind is None else None,
    }


def _diff_json(result: ArchitectureDiff) -> dict[str, Any]:
    return {
        "before": result.before,
        "after": result.after,
        "equal": result.equal,
        "by_tensors": result.by_tensors,
        "input": list(result.input),
        "first_output_difference": result.first_output_difference,
        "totals": {
            name: {"before": _value(before), "after": _value(after)}
            for name, (before, after) in result.totals.items()
        },
        "changes": [
            {
                "path": change.path,
                "change": change.change,
                "fields": list(change.fields),
                "before": _view_json(change.before),
                "after": _view_json(change.after),
            }
            for change in result.changes
        ],
    }


def _diff_markdown(result: ArchitectureDiff) -> str:
    lines = [
        f"### Architecture diff: {markdown_cell(result.before)} → {markdown_cell(result.after)}",
        "",
        f"**{markdown_cell(_verdict(result))}**",
        "",
    ]
    for line in _diff_lines(result):
        indent = "  " if line.startswith("  ") else ""
        lines.append(f"{indent}- {markdown_cell(line.strip())}")
    lines += ["", "| total | before | after |", "| --- | ---: | ---: |"]
    for name, (before, after) in result.totals.items():
        if before is not None or after is not None:
            cells = (TOTAL_NAMES[name], _total(name, before), _total(name, after))
            lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def format_diff(result: ArchitectureDiff, format: str = "text") -> str:
    if format == "json":
        return json.dumps(_diff_json(result), indent=2, ensure_ascii=False) + "\n"
    if format == "markdown":
        return _diff_markdown(result)
    if format != "text":
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    return _diff_text(result)
