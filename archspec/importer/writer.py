"""The imported spec as YAML text, written the way the specs of this repository are: one
layer a line in flow style, groups and block bodies in block style. The same import
writes the same bytes: every order comes from the model (its forward, its attributes)."""

from __future__ import annotations

import json
import re
from typing import Any

from archspec.importer.tree import BlockDef, Layer

INDENT = "  "
# A plain YAML word that YAML 1.1 reads as something else than text (archspec refuses them
# unquoted, E104), or text that needs quotes in a flow mapping.
_SPECIAL_WORDS = re.compile(r"^(y|n|yes|no|on|off|true|false|null|~)$", re.IGNORECASE)
_PLAIN = re.compile(r"^[=A-Za-z_][A-Za-z0-9_ ./=!<>*+()-]*$")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # YAML 1.1 floats need a dot: 1.0e-05
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, list | tuple):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    text = str(value)
    if _SPECIAL_WORDS.match(text) or not _PLAIN.match(text) or text.endswith(" "):
        return json.dumps(text)
    return text


def _shown_params(layer: Layer) -> list[tuple[str, Any]]:
    shown: list[tuple[str, Any]] = []
    if layer.name is not None:
        shown.append(("name", layer.name))
    if layer.reads is not None:
        shown.append(("from", layer.reads[0] if len(layer.reads) == 1 else layer.reads))
    missing = object()
    for key, value in layer.params.items():
        default = layer.defaults.get(key, missing)
        if default is missing or default != value or type(default) is not type(value):
            shown.append((key, value))
    return shown


def layer_lines(layer: Layer, depth: int) -> list[str]:
    pad = INDENT * depth
    shown = _shown_params(layer)
    if layer.layers is None:
        if not shown:
            return [f"{pad}- {layer.kind}"]
        body = ", ".join(f"{key}: {scalar(value)}" for key, value in shown)
        return [f"{pad}- {layer.kind}: {{{body}}}"]
    lines = [f"{pad}- {layer.kind}:"]
    lines += [f"{pad}{INDENT * 2}{key}: {scalar(value)}" for key, value in shown]
    lines.append(f"{pad}{INDENT * 2}layers:")
    for inner in layer.layers:
        lines += layer_lines(inner, depth + 3)
    return lines


def spec_text(
    name: str, description: str, dims: tuple[int, ...], blocks: list[BlockDef], layers: list[Layer], note: str
) -> str:
    lines = [f"# {line}" if line else "#" for line in note.splitlines()]
    lines += ["archspec: 1", f"name: {scalar(name)}", f"description: {scalar(description)}"]
    lines.append(f"input: {scalar(list(dims))}")
    if blocks:
        lines.append("blocks:")
        for block in blocks:
            lines.append(f"{INDENT}{block.name}:")
            lines.append(f"{INDENT * 2}description: {scalar('Imported from ' + block.source + '.')}")
            if block.inputs:
                lines.append(f"{INDENT * 2}inputs: {scalar(block.inputs)}")
            if block.params:
                params = ", ".join(f"{key}: {kind}" for key, kind in block.params.items())
                lines.append(f"{INDENT * 2}params: {{{params}}}")
            lines.append(f"{INDENT * 2}layers:")
            for layer in block.layers:
                lines += layer_lines(layer, 3)
    lines.append("layers:")
    for layer in layers:
        lines += layer_lines(layer, 1)
    return "\n".join(lines) + "\n"
