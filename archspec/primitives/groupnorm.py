"""groupnorm: nn.GroupNorm, each sample's channels normalized in num_groups groups."""

from __future__ import annotations

from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt, inferred_size
from archspec.primitives.batchnorm import affine_tensors
from archspec.primitives.reads import Reads
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.tensor import TensorShape, check_given, concrete_channels


class GroupNormParams(LayerParams):
    num_groups: PositiveInt = Field(description="Groups the channels are split into; must divide them.")
    eps: float = Field(1e-5, gt=0.0, allow_inf_nan=False, description="Added to the variance.")
    affine: bool = Field(True, description="Learnable scale and shift (2 weights per channel).")
    num_channels: PositiveInt | None = inferred_size("Channels")


def infer(p: GroupNormParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    # nn.GroupNorm takes any [N, C, *S]: the channels and any number of dims after them.
    channels = concrete_channels(x, "groupnorm", "channels")
    check(
        channels % p.num_groups == 0,
        f"groupnorm with num_groups {p.num_groups} needs channels divisible by {p.num_groups}, "
        f"got {channels}",
        field="num_groups",
        hint=f"use a num_groups that divides {channels}, or give the layer before it "
        f"a multiple of {p.num_groups} channels",
    )
    check_given(p.num_channels, channels, "num_channels", "channels")
    # No running statistics, but with one channel per group, F.group_norm checks what
    # batchnorm does: more than one value per group over the batch and the positions
    # ("Expected more than 1 value per channel"), so a batch of 1 fails on a 1×1 map.
    return Inferred(x, 2 * channels if p.affine else 0, batch_statistics=channels == p.num_groups)


def build(p: GroupNormParams, x: TensorShape) -> ModuleCall:
    return call(
        "GroupNorm",
        p.num_groups,
        p.num_channels or x.channels,
        eps=unless(p.eps, 1e-5),
        affine=unless(p.affine, True),
    )


register(
    Primitive(
        "groupnorm",
        GroupNormParams,
        infer,
        build,
        "Group normalization (nn.GroupNorm): each sample's channels normalized in groups.",
        classes=("GroupNorm",),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        from_torch=Reads(module=lambda m: {"num_groups": m.num_groups, "eps": m.eps, "affine": m.affine}),
        tensors=lambda p, x: affine_tensors((p.num_channels or x.channels,), p.affine),
        label=lambda p, x: f"groupnorm /{p.num_groups}",
        formula="[N, C, *S] → [N, C, *S] (C an int divisible by num_groups; any number of dims S). "
        "Params: 2·C with affine. MACs = 0.",
    )
)
