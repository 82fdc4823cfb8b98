"""The spec schema: pydantic models, with the layer models from the registry."""

from archspec.schema.spec import LayerNode, Spec, SpecHeader, load, loads, parse_spec

__all__ = ["LayerNode", "Spec", "SpecHeader", "load", "loads", "parse_spec"]
