"""sequential: a named group of layers (d2l's b1 … b5), one nested module."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import Identifier, LayerParams
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


class SequentialParams(LayerParams):
    name: Identifier = Field(description="The group's name: its module attribute and path.")
    layers: Annotated[list[Any], Field(min_length=1)] = Field(
        description="The layers of the group, in order, written as at the top level."
    )


def infer(p: SequentialParams, x: TensorShape, ctx: Context) -> Inferred:
    return Inferred(ctx.run_children(x))


def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from torch import nn

    return nn.Sequential(OrderedDict(children))


register(
    Primitive(
        "sequential",
        SequentialParams,
        infer,
        build,
        "A named group of layers, built as one nn.Sequential.",
        composite=True,
        nested=True,
    )
)
