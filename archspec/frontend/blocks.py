"""Block definitions: named, parameterized groups of layers, written in YAML.

    blocks:
      fire:
        description: SqueezeNet's Fire module.
        params:
          squeeze: int
          expand: {type: int, description: Channels of each expand path.}
        layers:
          - conv: {name: squeeze, out_channels: =squeeze, kernel_size: 1}
          - relu
          - concat:
              branches:
                - [conv: {out_channels: =expand, kernel_size: 1}, relu]
                - [conv: {out_channels: =expand, kernel_size: 3, padding: 1}, relu]

A block's parameters become a model (archspec/frontend/model.py), so a call (``- fire:
{squeeze: 16, expand: 64}``) is validated exactly like a primitive's params.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from archspec.codes import E207
from archspec.diagnostics import Diagnostic, Span
from archspec.frontend.errors import validation_diagnostics
from archspec.frontend.init import INIT_JSON_SCHEMA, NO_RULES, InitRules, parse_init
from archspec.frontend.layers import LayerField, LayerNode, LayerParser
from archspec.frontend.loader import KeyPath, SourceMap
from archspec.frontend.model import (
    PYDANTIC_ATTRIBUTES,
    Field,
    Model,
    ValidationError,
    ValueChecker,
    create_model,
)
from archspec.frontend.types import Identifier, LayerParams, TensorName

ParamType = Literal["int", "float", "bool", "str", "ints", "size"]
_ANNOTATIONS: dict[str, Any] = {
    "int": int,
    "float": float,
    "bool": bool,
    "str": str,
    "ints": list[int],
    "size": int | list[int],  # a kernel size, stride or padding: an int or one per axis
}
_CHECKERS = {name: ValueChecker(annotation) for name, annotation in _ANNOTATIONS.items()}
# Names the compiler binds itself, or that every layer already takes.
RESERVED = {"name": "every layer takes 'name'", "in_channels": "it is bound to the input's channels"}


class ParamDecl(Model):
    """A block parameter: its type, default (absent: required) and meaning."""

    type: ParamType = Field(
        description="int, float, bool, str, ints (a list of ints) or size (an int or a list of ints)."
    )
    default: Any = Field(None, description="The value when a call leaves it out; absent: required.")
    description: str | None = Field(None, description="What the parameter means.")


class BlockDecl(Model):
    """A block as written under ``blocks:``."""

    description: str | None = Field(None, description="What the block is, for people and the docs.")
    params: dict[Identifier, ParamType | ParamDecl] = Field(
        default_factory=dict,
        description="Parameters: name -> type (required), or {type, default, description}.",
    )
    layers: list[Any] = Field(
        min_length=1, description="The block's layers; '=…' values are expressions over the params."
    )
    inputs: Annotated[list[Identifier], Field(min_length=1)] = Field(
        default_factory=lambda: ["input"],
        description="The tensors the block takes, by name (default: one, named 'input'); a call "
        "with several reads as many (from: [a, b]), in this order.",
    )
    outputs: Annotated[list[TensorName], Field(min_length=1)] | None = Field(
        None,
        description="The tensors the block returns, by name (default: its last layer's). A call "
        "named c with several makes the tensors c.<output>.",
    )
    init: Any = Field(
        None,
        description="How the block's weights start: rules by primitive or by layer path inside the "
        "block, as a spec's init (a path rule wins over a kind rule; of one sort, the spec's wins).",
        json_schema_extra=INIT_JSON_SCHEMA,
    )


@dataclass(frozen=True, eq=False)
class Block:
    """A parsed block: its args model (like a primitive's params) and its layers.

    Immutable: :func:`declare_block` makes it with no layers, so that bodies can
    call any block of the file; :func:`define_block` returns the complete one.
    """

    name: str
    description: str | None
    params: type[Model]
    layers: tuple[LayerNode, ...]
    span: Span
    source: SourceMap = field(repr=False)
    inputs: tuple[str, ...] = ("input",)
    outputs: tuple[str, ...] = ()  # empty: the last layer's
    init: InitRules = field(default=NO_RULES, repr=False)

    is_block = True
    layer_fields: tuple[LayerField, ...] = field(default=(), init=False, repr=False)

    @property
    def summary(self) -> str:
        return self.description or f"The block {self.name}."

    def calls(self) -> set[str]:
        """The blocks this block's layers call, directly."""
        found: set[str] = set()

        def visit(nodes: tuple[Any, ...]) -> None:
            for node in nodes:
                if isinstance(node, tuple):
                    visit(node)
                    continue
                if node.is_block:
                    found.add(node.kind_name)
                for group in node.groups.values():
                    visit(group)

        visit(self.layers)
        return found


def _args_model(name: str, decls: dict[str, ParamType | ParamDecl]) -> type[Model]:
    """The block's parameters as a model, like a primitive's params.

    Building a model and its checks costs a fraction of a millisecond (its pydantic
    twin, made for a bad call or a schema, a few), so models are shared between
    loads of the same declarations (the imported block files of every spec).
    """
    key = json.dumps(
        [name, {k: v if isinstance(v, str) else v.model_dump(mode="json") for k, v in decls.items()}],
        sort_keys=True,
        default=repr,
    )
    with _MODELS_LOCK:  # compiles may run in threads; the cache is the process's
        model = _MODELS.get(key)
        if model is not None:
            _MODELS.move_to_end(key)
            return model
    model = _make_args_model(name, decls)  # outside the lock: two threads may both make it
    with _MODELS_LOCK:
        _MODELS[key] = model
        if len(_MODELS) > MODEL_CACHE_SIZE:  # a service sees endless distinct blocks: stay bounded
            _MODELS.popitem(last=False)
    return model


MODEL_CACHE_SIZE = 256
"""Distinct block declarations whose models are kept (least recently used goes first)."""
_MODELS: OrderedDict[str, type[Model]] = OrderedDict()
_MODELS_LOCK = threading.Lock()


def _make_args_model(name: str, decls: dict[str, ParamType | ParamDecl]) -> type[Model]:
    fields: dict[str, Any] = {}
    for param, decl in decls.items():
        if isinstance(decl, str):
            decl = ParamDecl(type=decl)
        annotation = _ANNOTATIONS[decl.type]
        if "default" in decl.model_fields_set:
            if decl.default is None:
                annotation = annotation | None
            fields[param] = (annotation, Field(decl.default, description=decl.description or param))
        else:
            fields[param] = (annotation, Field(description=decl.description or param))
    return create_model(f"{name}_params", __base__=LayerParams, __module__=__name__, **fields)


def declare_block(name: str, raw: Any, base: KeyPath, parser: LayerParser) -> Block | None:
    """Parse ``blocks.<name>`` except its layers (see :func:`define_block`), so
    that every block's parameters are known before any body calls it."""
    source, problems = parser.source, parser.problems
    span = source.span(base, key=True)
    try:
        decl = BlockDecl.model_validate(raw)
    except ValidationError as error:
        problems.extend(validation_diagnostics(error, BlockDecl, raw, base, source, what=f"block {name}"))
        return None
    before = len(problems)
    check_params(f"block {name}", decl.params, (*base, "params"), source, problems, E207)
    if len(set(decl.inputs)) < len(decl.inputs):
        problems.append(
            Diagnostic(E207, f"block {name}: an input name is given twice", source.span((*base, "inputs")))
        )
    if len(problems) > before:
        return None
    outputs = tuple(decl.outputs or ())
    return Block(
        name, decl.description, _args_model(name, decl.params), (), span, source, tuple(decl.inputs), outputs
    )


def check_params(
    owner: str,
    params: dict[str, ParamType | ParamDecl],
    base: KeyPath,
    source: SourceMap,
    problems: list[Diagnostic],
    code: str,
    reserved: dict[str, str] = RESERVED,
) -> None:
    """The rules of a parameter list (a block's, or a family spec's): no reserved name,
    none a pydantic model refuses, every default of its type. ``owner`` starts each
    message (``block fire``, ``the family``)."""
    for param, item in params.items():
        where = source.span((*base, param), key=True)
        if param in reserved:
            problems.append(
                Diagnostic(code, f"{owner}: a parameter cannot be called '{param}': {reserved[param]}", where)
            )
        elif param.startswith("_") or param in PYDANTIC_ATTRIBUTES:
            # The arguments are a pydantic model: it refuses a leading underscore and a
            # field that shadows one of its own attributes (model_dump, model_config, json).
            why = (
                "which takes no name starting with '_'"
                if param.startswith("_")
                else "and this is one of its attributes"
            )
            rename = param.lstrip("_") or "param"
            rename += "_" * (rename in reserved or rename in PYDANTIC_ATTRIBUTES or rename in params)
            problems.append(
                Diagnostic(
                    code,
                    f"{owner}: a parameter cannot be called '{param}': a call's arguments are a "
                    f"pydantic model, {why}",
                    where,
                    hint=f"rename it, e.g. '{rename}'",
                )
            )
        elif isinstance(item, ParamDecl) and "default" in item.model_fields_set and item.default is not None:
            try:
                _CHECKERS[item.type].validate_python(item.default)
            except ValidationError:
                problems.append(
                    Diagnostic(code, f"{owner}: the default of '{param}' is not of type {item.type}", where)
                )


def define_block(block: Block, raw: dict[str, Any], base: KeyPath, parser: LayerParser) -> Block:
    """The block with its layers, parsed now that every block it may call is declared."""
    layers = parser.layers(raw["layers"], (*base, "layers"), f"{block.name}.")

    def is_primitive(key: str) -> bool:
        kind = parser.lookup(key)
        return kind is not None and not kind.is_block

    init = parse_init(raw.get("init"), (*base, "init"), parser.source, is_primitive, parser.problems)
    return replace(block, layers=layers, init=init)
