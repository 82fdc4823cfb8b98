"""instancenorm: InstanceNorm1d/2d/3d by rank, each sample's channels normalized over its positions.

PyTorch's one shape rule (``F.instance_norm`` in torch 2.13): where the layer
normalizes with the input's own statistics, which it does in training and, without
``track_running_stats``, in eval too, the input needs more than one spatial
position ("Expected more than 1 spatial element when training"), whatever the
batch. So:

- without track_running_stats a single position is refused in every mode: a
  shape error here (E300);
- with track_running_stats it runs in eval (on the running statistics) but
  fails in training at any batch. Accepted, as PyTorch accepts it for
  inference; the graph cannot state "never trains" (``min_train_batch`` is a
  batch size, and a larger batch does not help), a gap this file leaves.

For a symbolic input the positions must be more than one for every size of
the symbols in them, or depend on one symbol only: its smallest size is then
found by the minimum-size search. With two symbols (``[C, H, W]``) 1×2 and
2×1 run but 1×1 does not, which per-symbol minimum sizes cannot state, so the
rule refuses it (E303) unless the positions are provably more than one.
"""

from __future__ import annotations

from archspec.codes import E303
from archspec.diagnostics import RuleError, check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt, inferred_size
from archspec.primitives.batchnorm import affine_tensors
from archspec.primitives.reads import Reads
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.dims import Dim, format_dim, is_concrete, product, symbols_of
from archspec.shapes.tensor import TensorShape, check_given, concrete_channels, require_spatial


class InstanceNormParams(LayerParams):
    eps: float = Field(1e-5, gt=0.0, allow_inf_nan=False, description="Added to the variance.")
    momentum: float | None = Field(
        0.1,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Running-statistics update factor (with track_running_stats); null for a "
        "cumulative average.",
    )
    affine: bool = Field(False, description="A learnable scale (and shift) per channel; off by default.")
    track_running_stats: bool = Field(
        False,
        description="Keep running statistics, which eval mode then uses; off by default (the input's "
        "own statistics in every mode).",
    )
    bias: bool = Field(True, description="A learnable shift too (with affine).")
    num_features: PositiveInt | None = inferred_size("Channels")


def check_positions(p: InstanceNormParams, x: TensorShape) -> None:
    """More than one spatial position where the input's own statistics are always used."""
    if p.track_running_stats:
        return  # eval runs on the running statistics; training needs more than one (any batch)
    positions = product(x.spatial)
    if is_concrete(positions):
        check(
            positions > 1,
            f"instancenorm normalizes each channel over its positions, and the input {x} has one "
            "position: "
            "PyTorch refuses it in training and, without track_running_stats, in eval too",
            hint="normalize a map larger than 1 position (before global pooling, not after)",
        )
    elif len(symbols_of(positions)) > 1 and not _more_than_one(positions):
        names = ", ".join(sorted(symbols_of(positions)))
        raise RuleError(
            f"instancenorm without track_running_stats needs more than one spatial position, and the "
            f"input {x} has {format_dim(positions)}, which depends on {names} together: it can be 1 "
            "where they are all at their smallest though each alone may be (1×2 and 2×1 run, 1×1 "
            "does not), which archspec's smallest sizes, one per symbol, cannot state yet",
            code=E303,
            hint="give all but one of the spatial sizes of 'input:' as ints",
        )


def _more_than_one(positions: Dim) -> bool:
    """Whether ``positions`` is at least 2 for every value of its symbols (where sympy's
    assumptions prove it: a rare case, so sympy is asked here)."""
    import sympy

    return sympy.sympify(positions - 2).is_nonnegative is True


def infer(p: InstanceNormParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    require_spatial(x, "instancenorm")
    channels = concrete_channels(x, "instancenorm", "channels")
    check_given(p.num_features, channels, "num_features", "channels")
    check_positions(p, x)
    weights = channels * (int(p.affine) + int(p.affine and p.bias))
    return Inferred(x, weights)


def build(p: InstanceNormParams, x: TensorShape) -> ModuleCall:
    return call(
        f"InstanceNorm{len(x.spatial)}d",
        p.num_features or x.channels,
        eps=unless(p.eps, 1e-5),
        momentum=unless(p.momentum, 0.1),
        affine=unless(p.affine, False),
        track_running_stats=unless(p.track_running_stats, False),
        bias=unless(p.bias, True),
    )


register(
    Primitive(
        "instancenorm",
        InstanceNormParams,
        infer,
        build,
        "Instance normalization (InstanceNorm1d/2d/3d by rank): each sample's channels over their positions.",
        classes=("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        from_torch=Reads(
            module=lambda m: {
                "eps": m.eps,
                "momentum": m.momentum,
                "affine": m.affine,
                "track_running_stats": m.track_running_stats,
                "bias": m.bias is not None or not m.affine,
            }
        ),
        tensors=lambda p, x: affine_tensors((p.num_features or x.channels,), p.affine, p.bias),
        formula="[N, C, *L] → [N, C, *L] (1 to 3 spatial dims; C an int; more than one spatial "
        "position, but in eval with track_running_stats). Params: C each for weight and bias with "
        "affine. MACs = 0.",
    )
)
