"""The JSON Schema (draft 2020-12) of a spec file, generated from the models.

Editors use it through the ``# yaml-language-server: $schema=…`` line at the
top of each spec; ``archspec schema -o archspec.schema.json`` writes it, and a
test keeps the committed copy in sync. Every primitive and built-in block is
one option of ``layer``; a user's block is any other one-key mapping; any
parameter value may be an expression (``=4 * width``).
"""

from __future__ import annotations

from typing import Any

from archspec.frontend.blocks import BlockDecl
from archspec.frontend.library import prelude
from archspec.frontend.model import Model
from archspec.frontend.spec import SpecHeader
from archspec.frontend.types import TENSOR_NAME_PATTERN
from archspec.primitives.registry import LayerField, primitives

DRAFT = "https://json-schema.org/draft/2020-12/schema"
EXPRESSION = {
    "type": "string",
    "pattern": "^=",
    "description": "An expression over the block's parameters and in_channels, e.g. =4 * width.",
}


def _model_schema(model: type[Model], defs: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(schema.pop("$defs", {}))
    for name, info in schema.get("properties", {}).items():
        if name != "name":
            schema["properties"][name] = {
                "anyOf": [
                    _items_may_be_expressions({k: v for k, v in info.items() if k != "description"}),
                    {"$ref": "#/$defs/expression"},
                ],
                **{k: v for k, v in info.items() if k in ("description", "default")},
            }
    return schema


def _items_may_be_expressions(schema: dict[str, Any]) -> dict[str, Any]:
    """A list's items may be expressions too (``shape: [=in_channels, 1, 1]``), as the
    compiler evaluates each item; in every option of an ``anyOf``."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [_items_may_be_expressions(option) for option in schema["anyOf"]]}
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": {"anyOf": [schema["items"], {"$ref": "#/$defs/expression"}]}}
    return schema


FROM = {
    "description": "The tensors the layer reads, by name (default: the previous layer's output): "
    "a layer's name, an input's, or call.output; a merge reads several.",
    "anyOf": [
        {"$ref": "#/$defs/tensor"},
        {"type": "array", "items": {"$ref": "#/$defs/tensor"}, "minItems": 1},
    ],
}
FROM_FIELD = {"$ref": "#/$defs/from", "description": "The tensors the layer reads, by name."}
TENSOR = {"type": "string", "pattern": TENSOR_NAME_PATTERN, "description": "A tensor's name."}


def _layer_field(field: LayerField) -> dict[str, Any]:
    if field.branches:
        return {
            "type": "array",
            "items": {"$ref": "#/$defs/branch"},
            "minItems": field.min_items,
            "description": field.description,
        }
    return {"$ref": "#/$defs/layers", "description": field.description}


def _kinds(defs: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, summary, params schema) of every primitive and built-in block."""
    kinds = []
    for name, primitive in primitives().items():
        schema = _model_schema(primitive.params, defs)
        for field in primitive.layer_fields:
            schema.setdefault("properties", {})[field.name] = _layer_field(field)
            if field.required and primitive.join is None:  # a join may read tensors instead
                schema.setdefault("required", []).append(field.name)
        if primitive.control is None:
            schema.setdefault("properties", {})["from"] = FROM_FIELD
        kinds.append((name, primitive.summary, schema))
    for name, block in prelude(primitives()).items():
        schema = _model_schema(block.params, defs)
        schema.setdefault("properties", {})["from"] = FROM_FIELD
        kinds.append((name, block.summary, schema))
    return sorted(kinds)


def spec_json_schema() -> dict[str, Any]:
    """A JSON Schema that accepts what the spec schema accepts, for editors and CI."""
    defs: dict[str, Any] = {"expression": EXPRESSION, "from": FROM, "tensor": TENSOR}
    options: list[dict[str, Any]] = []
    bare: list[str] = []
    builtins = []
    for name, summary, params in _kinds(defs):
        builtins.append(name)
        defs[f"{name}_params"] = params
        reference: dict[str, Any] = {"$ref": f"#/$defs/{name}_params"}
        if not params.get("required"):
            bare.append(name)
            reference = {"anyOf": [reference, {"type": "null"}]}
        options.append(
            {
                "type": "object",
                "description": summary,
                "properties": {name: reference},
                "required": [name],
                "additionalProperties": False,
            }
        )
    options.insert(0, {"enum": bare, "description": "A primitive or block that needs no parameters."})
    options.append(
        {
            "type": "object",
            "description": "A call of a block defined under 'blocks:' or imported.",
            "minProperties": 1,
            "maxProperties": 1,
            "propertyNames": {"not": {"enum": builtins}},
        }
    )
    defs["layer"] = {
        "description": "A primitive or block name, or a one-key mapping {name: params}.",
        "anyOf": options,
    }
    defs["layers"] = {"type": "array", "items": {"$ref": "#/$defs/layer"}}
    defs["branch"] = {"$ref": "#/$defs/layers", "description": "A branch: a list of layers ([]: identity)."}
    block = BlockDecl.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(block.pop("$defs", {}))
    block["properties"]["layers"] = {
        "$ref": "#/$defs/layers",
        "minItems": 1,
        "description": "The block's layers.",
    }
    defs["block"] = block
    schema = SpecHeader.model_json_schema(ref_template="#/$defs/{model}")
    properties = schema["properties"]
    properties["layers"] = {"$ref": "#/$defs/layers", "description": properties["layers"]["description"]}
    properties["blocks"] = {
        "type": "object",
        "additionalProperties": {"$ref": "#/$defs/block"},
        "description": properties["blocks"]["description"],
    }
    return {
        "$schema": DRAFT,
        **schema,
        "title": "archspec spec",
        "$defs": {**schema.get("$defs", {}), **defs},
    }
