"""batchnorm: BatchNorm1d/2d/3d by rank; num_features is the channel count."""

from __future__ import annotations

from typing import Any

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
from archspec.shapes.tensor import TensorShape, check_given, concrete_channels


class BatchNormParams(LayerParams):
    eps: float = Field(1e-5, gt=0.0, allow_inf_nan=False, description="Added to the variance.")
    momentum: float | None = Field(
        0.1,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Running-statistics update factor; null for a cumulative average.",
    )
    affine: bool = Field(True, description="Learnable scale and shift (2 weights per channel).")
    num_features: PositiveInt | None = inferred_size("Channels")


# [N, C] and [N, C, L] are BatchNorm1d, [N, C, H, W] 2d, [N, C, D, H, W] 3d.
_DIMS_BY_RANK = {1: 1, 2: 1, 3: 2, 4: 3}


def infer(p: BatchNormParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    channels = concrete_channels(x, "batchnorm", "features")
    if x.rank not in _DIMS_BY_RANK:
        raise RuleError(f"batchnorm works on [C], [C, L], [C, H, W] or [C, D, H, W], got {x}")
    check_given(p.num_features, channels, "num_features", "channels")
    return Inferred(x, 2 * channels if p.affine else 0, batch_statistics=True)


def build(p: BatchNormParams, x: TensorShape) -> ModuleCall:
    return call(
        f"BatchNorm{_DIMS_BY_RANK[x.rank]}d",
        p.num_features or x.channels,
        eps=unless(p.eps, 1e-5),
        momentum=unless(p.momentum, 0.1),
        affine=unless(p.affine, True),
    )


def affine_tensors(shape: tuple[Any, ...], weight: bool, bias: bool = True) -> tuple[tuple[str, Any], ...]:
    """A norm's learned scale and shift (``weight``, ``bias``), where it has them."""
    return (("weight", shape),) * weight + (("bias", shape),) * (weight and bias)


register(
    Primitive(
        "batchnorm",
        BatchNormParams,
        infer,
        build,
        "Batch normalization (BatchNorm1d/2d/3d by rank) over the channel dim.",
        formula="[N, C, *L] → [N, C, *L] (no spatial dims or up to 3; C an int). MACs = 0.",
        classes=("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # its output is its input's shape
        tensors=lambda p, x: affine_tensors((p.num_features or x.channels,), p.affine),
        from_torch=Reads(module=lambda m: {"eps": m.eps, "momentum": m.momentum, "affine": m.affine}),
    )
)
