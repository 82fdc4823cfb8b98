"""channel_shuffle: nn.ChannelShuffle, ShuffleNet's interleaving of channel groups."""

from __future__ import annotations

from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.reads import Reads, TorchCall
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.tensor import TensorShape, concrete_channels, require_spatial


class ChannelShuffleParams(LayerParams):
    groups: PositiveInt = Field(le=1 << 20, description="g: the channels are g groups, interleaved.")


def infer(p: ChannelShuffleParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    require_spatial(x, "channel_shuffle")  # PyTorch needs more than [N, C]
    channels = concrete_channels(x, "channel_shuffle")
    check(
        channels % p.groups == 0,
        f"channel_shuffle with groups {p.groups} needs channels divisible by {p.groups}, got {channels}",
        field="groups",
        hint="use a groups that divides the channels",
    )
    return Inferred(x)


def build(p: ChannelShuffleParams, x: TensorShape) -> ModuleCall:
    return call("ChannelShuffle", p.groups)


def read_call(c: TorchCall) -> dict[str, object]:
    """``F.channel_shuffle(x, groups)``, and torchvision's ShuffleNetV2 ``channel_shuffle(x, groups)``."""
    c.only("groups")
    return {"groups": c.arg(1, "groups", None)}


register(
    Primitive(
        "channel_shuffle",
        ChannelShuffleParams,
        infer,
        build,
        "Interleave g groups of channels (nn.ChannelShuffle), as ShuffleNet does between grouped convs.",
        classes=("ChannelShuffle",),
        from_torch=Reads(
            module=lambda m: {"groups": m.groups},
            calls=dict.fromkeys(
                (
                    "torch.nn.functional.channel_shuffle",
                    "torch.channel_shuffle",
                    "torchvision.models.shufflenetv2.channel_shuffle",
                ),
                read_call,
            ),
        ),
        label=lambda p, x: f"channel_shuffle {p.groups}",
        formula="[N, C, *L] → [N, C, *L] (1 to 3 spatial dims; groups divides C).",
        integers="keep",
    )
)
