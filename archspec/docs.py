"""The primitive reference (docs/reference.md), generated from the registry.

Run ``python -m archspec.docs > docs/reference.md``; a test fails when the
committed file drifts from what this prints.
"""

from __future__ import annotations

import json
from typing import Any

from archspec.primitives.registry import primitives


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


def reference_markdown() -> str:
    lines = [
        "# Primitive reference",
        "",
        "Generated from the registry by `python -m archspec.docs`; do not edit by hand.",
        "Every layer also takes `name` (an identifier): its module attribute and path.",
        "",
    ]
    for name, primitive in sorted(primitives().items()):
        schema = primitive.params.model_json_schema()
        required = set(schema.get("required", []))
        lines += [f"## `{name}`", "", primitive.summary, ""]
        fields = {k: v for k, v in schema.get("properties", {}).items() if k != "name" or k in required}
        if not fields:
            lines += [f"No parameters: write `- {name}`.", ""]
            continue
        lines += ["| parameter | type | default | meaning |", "| --- | --- | --- | --- |"]
        for field, info in fields.items():
            meaning = info.get("description", "").replace("|", "\\|")
            lines.append(
                f"| `{field}` | {_type_of(info)} | {_default(info, field in required)} | {meaning} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown(), end="")
