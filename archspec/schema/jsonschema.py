"""The JSON Schema (draft 2020-12) of a spec file, generated from the models.

Editors use it through the ``# yaml-language-server: $schema=…`` line at the
top of each spec; ``archspec schema -o archspec.schema.json`` writes it, and a
test keeps the committed copy in sync.
"""

from __future__ import annotations

from typing import Any

from archspec.primitives.registry import primitives
from archspec.schema.spec import SpecHeader

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _params_schema(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    primitive = primitives()[name]
    schema = primitive.params.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(schema.pop("$defs", {}))
    if primitive.nested:
        layers = schema["properties"]["layers"]
        schema["properties"]["layers"] = {"$ref": "#/$defs/layers", "description": layers["description"]}
    return schema


def spec_json_schema() -> dict[str, Any]:
    """A JSON Schema that accepts what the spec schema accepts, for editors and CI."""
    defs: dict[str, Any] = {}
    options: list[dict[str, Any]] = []
    bare: list[str] = []
    for name in sorted(primitives()):
        params = _params_schema(name, defs)
        defs[f"{name}_params"] = params
        reference = {"$ref": f"#/$defs/{name}_params"}
        if not params.get("required"):
            bare.append(name)
            reference = {"anyOf": [reference, {"type": "null"}]}
        options.append(
            {
                "type": "object",
                "description": primitives()[name].summary,
                "properties": {name: reference},
                "required": [name],
                "additionalProperties": False,
            }
        )
    options.insert(0, {"enum": bare, "description": "A primitive that needs no parameters."})
    defs["layer"] = {
        "description": "A primitive name, or a one-key mapping {primitive: params}.",
        "anyOf": options,
    }
    defs["layers"] = {"type": "array", "items": {"$ref": "#/$defs/layer"}, "minItems": 1}
    schema = SpecHeader.model_json_schema(ref_template="#/$defs/{model}")
    schema["properties"]["layers"] = {
        "$ref": "#/$defs/layers",
        "description": schema["properties"]["layers"]["description"],
    }
    return {
        "$schema": DRAFT,
        **schema,
        "title": "archspec spec",
        "$defs": {**schema.get("$defs", {}), **defs},
    }
