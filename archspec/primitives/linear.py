"""linear: nn.Linear on the last dim, whose size must be concrete."""

from __future__ import annotations

from typing import Any

from archspec.codes import E303
from archspec.diagnostics import RuleError
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt, inferred_size
from archspec.primitives.reads import Reads
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    on_any_input,
    register,
    unless,
)
from archspec.shapes.dims import format_dim, is_concrete, product
from archspec.shapes.tensor import TensorShape, check_given


class LinearParams(LayerParams):
    out_features: PositiveInt = Field(description="Output features.")
    bias: bool = Field(True, description="Add a learnable bias.")
    in_features: PositiveInt | None = inferred_size("Input features")


def infer(p: LinearParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    features = x.dims[-1]
    if not is_concrete(features):
        raise RuleError(
            f"linear needs a fixed number of input features, but gets {format_dim(features)}, "
            "which depends on the input size",
            code=E303,
            hint="fix the input size in 'input:', or pool globally first "
            "(global_avgpool or adaptive_avgpool before flatten)",
        )
    check_given(p.in_features, features, "in_features", "features")
    num_params = features * p.out_features + (p.out_features if p.bias else 0)
    # A product per weight, at each position of the leading dims (bias not counted).
    macs = features * p.out_features * product(x.dims[:-1])
    return Inferred(TensorShape((*x.dims[:-1], p.out_features)), num_params, macs=macs)


def build(p: LinearParams, x: TensorShape) -> ModuleCall:
    return call("Linear", p.in_features or x.dims[-1], p.out_features, bias=unless(p.bias, True))


def tensors(p: LinearParams, x: TensorShape) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    weight = ("weight", (p.out_features, p.in_features or x.dims[-1]))
    return (weight, ("bias", (p.out_features,))) if p.bias else (weight,)


register(
    Primitive(
        "linear",
        LinearParams,
        infer,
        build,
        "Fully connected layer (nn.Linear) on the last dim.",
        formula="[N, *D, F] → [N, *D, out_features]; F must be an int. MACs = F × out_features × prod(D).",
        classes=("Linear",),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # its features are an int, the other sizes kept
        label=lambda p, x: f"linear {p.out_features}",
        tensors=tensors,
        from_torch=Reads(module=lambda m: {"out_features": m.out_features, "bias": m.bias is not None}),
    )
)
