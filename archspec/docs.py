"""The primitive reference (docs/reference.md), generated from the registry.

Run ``python -m archspec.docs > docs/reference.md``; a test fails when the
committed file drifts from what this prints.
"""

from __future__ import annotations

import json
import re
from typing import Any

from archspec.frontend.library import prelude
from archspec.primitives.plugins import BUILTIN, kinds, load_plugins, origin
from archspec.primitives.registry import Primitive, primitives


def _type_of(schema: dict[str, Any]) -> str:
    """A short, human reading of one JSON Schema property."""
    if "anyOf" in schema:
        return " or ".join(_type_of(option) for option in schema["anyOf"])
    if "enum" in schema:
        return " or ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type")
    if kind == "integer":
        bounds = [f"≥ {schema['minimum']}"] if "minimum" in schema else []
        bounds += [f"≤ {schema['maximum']}"] if "maximum" in schema else []
        return " ".join(["int", *bounds])
    if kind == "number":
        low = f"≥ {schema['minimum']}" if "minimum" in schema else ""
        low = f"> {schema['exclusiveMinimum']}" if "exclusiveMinimum" in schema else low
        high = f"≤ {schema['maximum']}" if "maximum" in schema else ""
        return " ".join(part for part in ["float", low, high] if part)
    if kind == "array":
        count = schema.get("minItems"), schema.get("maxItems")
        items = _type_of(schema.get("items", {}))
        if count[0] == count[1] and count[0] is not None:
            return f"list of {count[0]} × {items}"
        return f"list of {count[0] or 0}–{count[1] or '∞'} × {items}"
    if kind == "string":
        return "identifier" if "pattern" in schema else "string"
    if kind == "boolean":
        return "bool"
    if kind == "null":
        return "null"
    return "any"


def _default(info: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    return f"`{json.dumps(info.get('default'))}`"


def _params_table(schema: dict[str, Any], extra: list[tuple[str, str, str, str]]) -> list[str]:
    required = set(schema.get("required", []))
    rows = [
        (f"`{field}`", _type_of(info), _default(info, field in required), info.get("description", ""))
        for field, info in schema.get("properties", {}).items()
        if field != "name" or field in required
    ] + extra
    if not rows:
        return []
    lines = ["| parameter | type | default | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d.replace('|', chr(92) + '|')} |" for a, b, c, d in rows]
    return [*lines, ""]


def _code_shapes(formula: str) -> str:
    """A primitive's formula with each shape (``[N, C, *L]``) as code, so that ``*`` stays a star."""
    return re.sub(r"\[[^\]]*\]", lambda m: f"`{m.group(0)}`", formula)


def primitive_section(name: str, primitive: Primitive, source: str | None = None) -> list[str]:
    """A primitive's section of the reference: summary, shape rule, parameters
    (``source``: the package it comes from, for ``archspec primitives``)."""
    schema = primitive.params.model_json_schema()
    layer_rows = [
        (
            f"`{field.name}`",
            "list of branches (lists of layers)" if field.branches else "list of layers",
            "required" if field.required else "`[]`",
            field.description,
        )
        for field in primitive.layer_fields
    ]
    lines = [f"### `{name}`", "", primitive.summary, ""]
    if source is not None:
        lines += [f"From: `{source}`", ""]
    if primitive.formula:
        lines += [f"Shape: {_code_shapes(primitive.formula)}", ""]
    table = _params_table(schema, layer_rows)
    return lines + (table or [f"No parameters: write `- {name}`.", ""])


def primitives_listing(fmt: str, plugins: bool = True) -> str:
    """``archspec primitives``: every primitive with the package it comes from, then the
    broken plugins, as a text table or as reference-style Markdown."""
    table = kinds(plugins)
    broken = load_plugins().broken if plugins else []
    if fmt == "markdown":
        lines = ["# Primitives", ""]
        for name, primitive in sorted(table.items()):
            lines += primitive_section(name, primitive, origin(name))
        if broken:
            lines += ["## Broken plugins", ""]
            lines += [f"- `{b.name}` ({b.distribution}, `{b.target}`): {b.reason}" for b in broken]
            lines.append("")
        return "\n".join(lines)
    rows = [(name, origin(name), primitive.summary) for name, primitive in sorted(table.items())]
    width = max(len(row[0]) for row in rows)
    source_width = max(len(row[1]) for row in rows)
    text = [f"{name:<{width}}  {source:<{source_width}}  {summary}" for name, source, summary in rows]
    if broken:
        text += ["", f"broken plugins ({len(broken)}):"]
        text += [f"  {b.name} ({b.distribution}, {b.target}): {b.reason}" for b in broken]
    return "\n".join(text) + "\n"


def reference_markdown() -> str:
    lines = [
        "# Primitive reference",
        "",
        "Generated from the registry and the prelude by `python -m archspec.docs`; do not edit by hand.",
        "Every layer also takes `name` (an identifier): its module attribute and path. Any value",
        "may be an expression (`=4 * width`) over the parameters of the block it is in.",
        "",
        "Shapes are written with the batch `N` first; `*L` stands for the spatial dims (none to three)",
        "and `*D` for any dims. MACs are the multiply-accumulates per sample; only `conv` and `linear`",
        "count any (FLOPs = 2 × MACs).",
        "",
        "## Primitives",
        "",
    ]
    for name, primitive in sorted(primitives().items()):
        if origin(name) == BUILTIN:  # the reference is archspec's own: no plugin of this machine
            lines += primitive_section(name, primitive)
    lines += [
        "## Built-in blocks",
        "",
        "Defined in `archspec/frontend/prelude.yaml` with the same `blocks:` mechanism that specs use.",
        "",
    ]
    for name, block in sorted(prelude(primitives()).items()):
        lines += [f"### `{name}`", "", block.summary, ""]
        lines += _params_table(block.params.model_json_schema(), [])
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown(), end="")
