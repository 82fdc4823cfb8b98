"""layernorm: nn.LayerNorm over the trailing dims of each sample, or over the channels at
every position (``channels_first``, ConvNeXt's LayerNorm2d)."""

from __future__ import annotations

from archspec.codes import E303, E305
from archspec.diagnostics import RuleError, check
from archspec.frontend.model import Field, model_validator
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.batchnorm import affine_tensors
from archspec.primitives.reads import Reads
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
    unless,
)
from archspec.shapes.dims import format_dim, is_concrete, product
from archspec.shapes.tensor import TensorShape, concrete_channels


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
    channels_first: bool = Field(
        False,
        description="Normalize over the channels at every position of [C, *L] (ConvNeXt's "
        "LayerNorm2d), instead of over the trailing dims; then dims is not given.",
    )

    @model_validator(mode="after")
    def _dims_or_channels_first(self) -> LayerNormParams:
        # a value problem (E200, found when the spec is validated), not a shape one
        if self.channels_first and self.dims is not None:
            raise ValueError("with channels_first the channels are normalized: leave out dims")
        return self


def normalized_shape(p: LayerNormParams, x: TensorShape) -> tuple[int, ...]:
    if p.channels_first:
        check(
            p.dims is None,
            "layernorm with channels_first normalizes the channels: dims is not given",
            field="dims",
        )
        check(
            x.rank >= 2,
            f"layernorm with channels_first needs [C, *L], got {x}",
            code=E305,
            field="channels_first",
        )
        return (concrete_channels(x, "layernorm"),)
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
    shape = list(normalized_shape(p, x))
    return call(
        "ChannelsFirstLayerNorm" if p.channels_first else "LayerNorm",
        shape[0] if p.channels_first else shape,
        eps=unless(p.eps, 1e-5),
        elementwise_affine=unless(p.elementwise_affine, True),
        bias=unless(p.bias, True),
    )


def channels_first_class() -> type:
    """archspec's ChannelsFirstLayerNorm, made when a network is built (torch is imported
    here only); ``compile -o`` copies the class below into the file it writes."""
    import torch
    from torch import nn

    # compile -o copies this class into files held to 88 columns: it keeps within them
    class ChannelsFirstLayerNorm(nn.LayerNorm):
        """LayerNorm over the channels of [N, C, *L] at every position (ConvNeXt's
        LayerNorm2d)."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            last = x.movedim(1, -1)  # channels last, where nn.LayerNorm normalizes
            shape, weight, bias = self.normalized_shape, self.weight, self.bias
            out = nn.functional.layer_norm(last, shape, weight, bias, self.eps)
            return out.movedim(-1, 1)

    return ChannelsFirstLayerNorm


_RUNTIME, __getattr__ = runtime_classes(__name__, ChannelsFirstLayerNorm=channels_first_class)


register(
    Primitive(
        "layernorm",
        LayerNormParams,
        infer,
        build,
        "Layer normalization (nn.LayerNorm) over the last `dims` dims of each sample.",
        classes=("LayerNorm", "ChannelsFirstLayerNorm"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        # torch's LayerNorm (archspec's channels-first one is no class of torch.nn)
        from_torch=Reads(
            module=lambda m: {
                "dims": len(m.normalized_shape),
                "eps": m.eps,
                "elementwise_affine": m.elementwise_affine,
                "bias": m.bias is not None or not m.elementwise_affine,
            },
            # ConvNeXt's LayerNorm2d: a LayerNorm over the channels, which archspec's
            # channels-first LayerNorm is written from
            foreign={
                "torchvision.models.convnext.LayerNorm2d": lambda m: {
                    "channels_first": True,
                    "eps": m.eps,
                    "elementwise_affine": m.elementwise_affine,
                    "bias": m.bias is not None or not m.elementwise_affine,
                }
            },
        ),
        tensors=lambda p, x: affine_tensors(normalized_shape(p, x), p.elementwise_affine, p.bias),
        runtime=_RUNTIME,
        formula="[N, *D, *S] → [N, *D, *S], normalized over S (the last `dims` dims, ints; "
        "default all); with channels_first, [N, C, *L] normalized over C at each position. "
        "Params: prod(S) (or C) each for weight and bias.",
    )
)
