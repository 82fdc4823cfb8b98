"""The one table of primitives: name -> params model, shape rule, builder.

Each file in this package registers its primitives at import; the schema,
the compiler, the emitters and the CLI all dispatch through this table.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.schema.types import LayerParams
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


@dataclass(frozen=True)
class Inferred:
    """What a shape rule returns: the output shape and the layer's own weights.

    ``batch_statistics`` marks a layer that, in training, normalizes with
    statistics over the batch and spatial positions (batchnorm): PyTorch then
    needs more than one value per channel.
    """

    shape: TensorShape
    num_params: int = 0
    batch_statistics: bool = False


ShapeRule = Callable[[Any, TensorShape, "Context"], Inferred]
Builder = Callable[["LayerInfo", "dict[str, nn.Module]"], "nn.Module"]


@dataclass(frozen=True)
class Primitive:
    """One layer kind.

    ``infer(params, input, ctx)`` computes the output shape (composites infer
    their parts through ``ctx.child``); ``build(layer, children)`` makes the
    ``nn.Module`` from the shaped layer and its already-built children, and is
    the only place that imports torch. ``composite`` marks a primitive made of
    parts (its rule calls ``ctx.child``, its builder takes the built parts);
    ``nested`` marks one whose ``layers`` field holds a list of layers
    (``sequential``).
    """

    name: str
    params: type[LayerParams]
    infer: ShapeRule
    build: Builder
    summary: str
    composite: bool = False
    nested: bool = False


_TABLE: dict[str, Primitive] = {}
_loaded = False


def register(primitive: Primitive) -> Primitive:
    if primitive.name in _TABLE:
        raise ValueError(f"primitive {primitive.name!r} is registered twice")
    _TABLE[primitive.name] = primitive
    return primitive


def primitives() -> dict[str, Primitive]:
    """Every registered primitive, importing this package's modules once."""
    global _loaded
    if not _loaded:
        package = importlib.import_module("archspec.primitives")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name != "registry":
                importlib.import_module(f"archspec.primitives.{module.name}")
        _loaded = True
    return _TABLE


def lookup(name: str) -> Primitive | None:
    return primitives().get(name)
