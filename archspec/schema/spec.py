"""The validated spec: a pydantic header plus a tree of layer nodes.

The top level (``archspec``, ``name``, ``description``, ``input``) is one
pydantic model; each layer is validated against its primitive's params model
from the registry, so that every error carries the layer's path and line.
All problems in a file are collected before :class:`SpecError` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.loader import KeyPath, LoadLimits, SourceMap, load_file, load_text
from archspec.primitives.registry import Primitive, lookup, primitives
from archspec.schema.errors import did_you_mean, validation_diagnostics
from archspec.schema.types import Identifier, LayerParams, PositiveInt


def _not_batch(name: str) -> str:
    if name == "N":
        raise ValueError("'N' is the batch symbol; name input sizes otherwise (H, W, L, …)")
    return name


SymbolName = Annotated[Identifier, AfterValidator(_not_batch)]
InputDims = Annotated[list[PositiveInt | SymbolName], Field(min_length=1, max_length=4)]


class SpecHeader(BaseModel):
    """The top-level keys of a spec file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    archspec: Literal[1] = Field(1, description="The spec format version.")
    name: Identifier = Field(description="The network's name, an identifier.")
    description: str | None = Field(None, description="What the network is, for people.")
    input: InputDims = Field(
        description="The dims of one sample after the batch: ints, or symbol names for sizes "
        "left open, e.g. [3, 224, 224] or [1, H, W]."
    )
    layers: Annotated[list[Any], Field(min_length=1)] = Field(
        description="The layers, in order: a primitive name or a one-key mapping {primitive: params}."
    )


@dataclass(frozen=True)
class LayerNode:
    """One validated layer: its primitive, params, nested layers and location."""

    primitive: str
    params: LayerParams
    children: tuple[LayerNode, ...]
    key_path: KeyPath
    span: Span


@dataclass(frozen=True)
class Spec:
    """A validated spec; ``source`` maps every key path back to file:line:col."""

    name: str
    description: str | None
    input: tuple[int | str, ...]
    layers: tuple[LayerNode, ...]
    source: SourceMap
    format_version: int = 1


def parse_spec(data: dict[str, Any], source: SourceMap) -> Spec:
    """Validate loaded data; raise SpecError with every problem found."""
    problems: list[Diagnostic] = []
    header_data = dict(data)
    try:
        header = SpecHeader.model_validate(header_data)
    except ValidationError as exc:
        problems += validation_diagnostics(exc, SpecHeader, data, (), source, what="the spec")
        header = None
    raw_layers = data.get("layers")
    layers: tuple[LayerNode, ...] = ()
    if isinstance(raw_layers, list):
        layers = _parse_layers(raw_layers, ("layers",), "", source, problems)
    if problems or header is None:
        raise SpecError(problems)
    return Spec(
        name=header.name,
        description=header.description,
        input=tuple(header.input),
        layers=layers,
        source=source,
        format_version=header.archspec,
    )


def _parse_layers(
    raw: list[Any], base: KeyPath, parent: str, source: SourceMap, problems: list[Diagnostic]
) -> tuple[LayerNode, ...]:
    nodes: list[LayerNode] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        node = _parse_layer(item, (*base, index), f"{parent}{index}", source, problems)
        if node is None:
            continue
        name = node.params.name
        if name is not None:
            if name in seen:
                problems.append(
                    Diagnostic(
                        "E205",
                        f"the name '{name}' is used twice here: first at line {seen[name]}",
                        source.span((*node.key_path, node.primitive, "name")),
                        f"{parent}{name}",
                        "give each layer in one group its own name",
                    )
                )
            seen.setdefault(name, node.span.line)
        nodes.append(node)
    return tuple(nodes)


def _parse_layer(
    item: Any, key_path: KeyPath, path: str, source: SourceMap, problems: list[Diagnostic]
) -> LayerNode | None:
    span = source.span(key_path)
    if isinstance(item, str):
        kind, params, params_path = item, {}, key_path
    elif isinstance(item, dict) and len(item) == 1:
        kind, params = next(iter(item.items()))
        params_path = (*key_path, kind)
        span = source.span(params_path, key=True)
        if params is None:
            params = {}
    else:
        got = f"a mapping with {len(item)} keys" if isinstance(item, dict) else type(item).__name__
        problems.append(
            Diagnostic(
                "E204",
                f"a layer is a primitive name or a one-key mapping, got {got}",
                span,
                path,
                "write '- relu' or '- conv: {out_channels: 64, kernel_size: 3}'",
            )
        )
        return None
    primitive = lookup(kind) if isinstance(kind, str) else None
    if primitive is None:
        problems.append(
            Diagnostic(
                "E203",
                f"unknown primitive {abridge(kind)}",
                span,
                path,
                did_you_mean(kind, primitives()) or "see docs/reference.md for the primitives",
            )
        )
        return None
    if not isinstance(params, dict):
        problems.append(
            Diagnostic(
                "E200",
                f"the parameters of {kind} must be a mapping, got {abridge(params)}",
                source.span(params_path),
                path,
                f"write '- {kind}: {{…}}'",
            )
        )
        return None
    return _validate_params(primitive, params, key_path, params_path, span, path, source, problems)


def _validate_params(
    primitive: Primitive,
    params: dict[str, Any],
    key_path: KeyPath,
    params_path: KeyPath,
    span: Span,
    path: str,
    source: SourceMap,
    problems: list[Diagnostic],
) -> LayerNode | None:
    layer_path = _named_path(path, params.get("name"))
    try:
        model = primitive.params.model_validate(params)
    except ValidationError as exc:
        problems += validation_diagnostics(
            exc, primitive.params, params, params_path, source, what=primitive.name, layer_path=layer_path
        )
        return None
    children: tuple[LayerNode, ...] = ()
    if primitive.nested:
        children = _parse_layers(
            params["layers"], (*params_path, "layers"), f"{layer_path}.", source, problems
        )
    return LayerNode(primitive.name, model, children, key_path, span)


def _named_path(path: str, name: Any) -> str:
    """A layer's path uses its name, where it has one, in place of its index."""
    if not isinstance(name, str):
        return path
    parent, _, _ = path.rpartition(".")
    return f"{parent}.{name}" if parent else name


def load(path: str | Path, limits: LoadLimits | None = None) -> Spec:
    """Load and validate a spec file. Raises SpecError, and only SpecError."""
    data, source = load_file(path, limits)
    return parse_spec(data, source)


def loads(text: str | bytes, file: str = "<string>", limits: LoadLimits | None = None) -> Spec:
    """Load and validate spec text, as :func:`load` does for a file."""
    data, source = load_text(text, file, limits)
    return parse_spec(data, source)
