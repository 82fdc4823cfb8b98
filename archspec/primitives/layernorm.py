"""layernorm: nn.LayerNorm over the trailing dims of each sample."""

from __future__ import annotations

from pydantic import Field

from archspec.codes import E303, E305
from archspec.diagnostics import RuleError, check
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.dims import format_dim, is_concrete, product
from archspec.shapes.tensor import TensorShape


class LayerNormParams(LayerParams):
    dims: PositiveInt | None = Field(
        None,
        le=4,
        description="How many trailing dims to normalize over (nn.LayerNorm's normalized_shape); "
        "default: every dim after the batch.",
    )
    eps: float = Field(1e-5, gt=0.0, allow_inf_nan=False, description="Added to the variance.")
    elementwise_affine: bool = Field(True, description="A learnable scale per normalized element.")
    bias: bool = Field(True, description="A learnable shift too (with elementwise_affine).")


def normalized_shape(p: LayerNormParams, x: TensorShape) -> tuple[int, ...]:
    count = x.rank if p.dims is None else p.dims
    check(
        count <= x.rank,
        f"layernorm over {count} dims, but the input {x} has {x.rank} after the batch",
        field="dims",
        code=E305,
        hint=f"use dims: {x.rank} or fewer",
    )
    dims = x.dims[x.rank - count :]
    for dim in dims:
        if not is_concrete(dim):
            raise RuleError(
                f"layernorm's weights have the shape of the dims it normalizes, but {format_dim(dim)} "
                "depends on the input size",
                code=E303,
                field="dims",
                hint="normalize fewer trailing dims (dims: 1 for the last), or fix the input size",
            )
    return tuple(dims)


def infer(p: LayerNormParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    shape = normalized_shape(p, x)
    weights = product(shape) * (int(p.elementwise_affine) + int(p.elementwise_affine and p.bias))
    return Inferred(x, weights)


def build(p: LayerNormParams, x: TensorShape) -> ModuleCall:
    return call(
        "LayerNorm",
        list(normalized_shape(p, x)),
        eps=unless(p.eps, 1e-5),
        elementwise_affine=unless(p.elementwise_affine, True),
        bias=unless(p.bias, True),
    )


register(
    Primitive(
        "layernorm",
        LayerNormParams,
        infer,
        build,
        "Layer normalization (nn.LayerNorm) over the last `dims` dims of each sample.",
        classes=("LayerNorm",),
        formula="[N, *D, *S] → [N, *D, *S], normalized over S (the last `dims` dims, ints; "
        "default all). Params: prod(S) each for weight and bias.",
    )
)
