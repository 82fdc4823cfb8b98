"""The architecture diff as text, JSON or Markdown (archspec diff).

As for the transfer report (archspec/weights/reportformat.py): text escapes control
and bidi characters, Markdown its own syntax too, JSON is JSON.
"""

from __future__ import annotations

import json
from typing import Any

from archspec.render import escape_controls
from archspec.report import count, scaled
from archspec.shapes.dims import format_dim, is_concrete
from archspec.weights.diff import CHANGES, ArchitectureDiff, LayerChange, LayerView
from archspec.weights.reportformat import FORMATS, markdown_cell, shape_text

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
            return head + ": " + ", ".join(f"{name} {shape_text(shape)}" for name, shape in view.tensors)
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
                ", ".join(
                    f"{name} {shape_text(old_t.get(name))} -> {shape_text(new_t.get(name))}" for name in names
                )
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


def _view_json(view: LayerView | None) -> dict[str, Any] | None:
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
    lines += ["", "| total | before | after | change |", "| --- | ---: | ---: | ---: |"]
    for name, (before, after) in result.totals.items():
        if before is not None or after is not None:
            change = _delta(name, before, after).strip(" ()")
            cells = (TOTAL_NAMES[name], _total(name, before), _total(name, after), change)
            lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def format_diff(result: ArchitectureDiff, format: str = "text") -> str:
    if format == "json":
        return json.dumps(_diff_json(result), indent=2) + "\n"  # ASCII: a key's bidi characters stay escaped
    if format == "markdown":
        return _diff_markdown(result)
    if format != "text":
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    return _diff_text(result)


def _value(value: Any) -> Any:
    """A total as JSON: an int, or a formula as text."""
    return value if value is None or is_concrete(value) else format_dim(value)
