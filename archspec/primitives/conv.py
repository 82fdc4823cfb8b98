"""conv: Conv1d/2d/3d, picked by the rank of the input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from archspec.diagnostics import RuleError, check
from archspec.frontend.model import Field
from archspec.frontend.types import KernelSize, LayerParams, Padding, PositiveInt, inferred_size
from archspec.primitives.reads import Reads, compact
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
from archspec.shapes.dims import product, scaled_product
from archspec.shapes.tensor import (
    TensorShape,
    axis_names,
    check_given,
    concrete_channels,
    expand_tuple,
    require_spatial,
    size_label,
    torch_size,
)
from archspec.shapes.window import Window, window_outputs


class ConvParams(LayerParams):
    out_channels: PositiveInt = Field(description="Output channels.")
    kernel_size: KernelSize = Field(
        description="Window size: an int, or a list (one entry per spatial axis, or one for all)."
    )
    stride: KernelSize = Field(1, description="Step between windows.")
    padding: Padding | Literal["same", "valid"] = Field(
        0,
        description="Zeros added on both sides: an int, one per axis, 'valid' (0) or 'same' "
        "(output size = input size; stride 1 only, as in PyTorch).",
    )
    dilation: KernelSize = Field(1, description="Spacing between kernel elements.")
    groups: PositiveInt = Field(1, description="Blocked connections; divides both channel counts.")
    bias: bool = Field(True, description="Add a learnable bias.")
    in_channels: PositiveInt | None = inferred_size("Input channels")


def conv_windows(p: ConvParams, spatial: int) -> tuple[Window, ...]:
    """One window per spatial axis; ``same`` pads like PyTorch (extra at the end)."""
    k, s, q, d = p.kernel_size, p.stride, p.padding, p.dilation
    if type(k) is int and type(s) is int and type(q) is int and type(d) is int:
        return (Window(k, s, q, q, d),) * spatial  # the common case: one int each, every axis alike
    kernel = expand_tuple(p.kernel_size, spatial, "kernel_size")
    stride = expand_tuple(p.stride, spatial, "stride")
    dilation = expand_tuple(p.dilation, spatial, "dilation")
    padding = p.padding
    if padding == "same":
        check(
            all(s == 1 for s in stride),
            f"padding 'same' needs stride 1, got stride {p.stride} (PyTorch refuses it)",
            field="padding",
            hint="use an explicit padding with this stride",
        )
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple(
            Window(k, s, t // 2, t - t // 2, d)
            for k, s, t, d in zip(kernel, stride, totals, dilation, strict=True)
        )
    pads = expand_tuple(0 if padding == "valid" else padding, spatial, "padding")
    return tuple(Window(k, s, q, q, d) for k, s, q, d in zip(kernel, stride, pads, dilation, strict=True))


def _check_groups(groups: int, channels: int, role: str) -> None:
    # the message is built only on a refusal: every conv call passes through here
    if channels % groups != 0:
        raise RuleError(f"groups {groups} does not divide the {channels} {role} channels", field="groups")


def infer(p: ConvParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "conv")
    in_channels = concrete_channels(x, "conv")
    check_given(p.in_channels, in_channels, "in_channels", "channels")
    _check_groups(p.groups, in_channels, "input")
    _check_groups(p.groups, p.out_channels, "output")
    windows = conv_windows(p, spatial)
    out = window_outputs(x.spatial, windows, op="conv", axes=axis_names(x), memo=ctx.memo)
    kernel_volume = product([w.kernel for w in windows])
    weights = p.out_channels * (in_channels // p.groups) * kernel_volume
    # One multiply-accumulate per weight, at each output position (bias not counted); the
    # int factors come first so that a symbolic product of sizes stays unexpanded (sympy's
    # canonical form, which archspec/shapes/symbolic.py keeps and the printed formulas show).
    macs = scaled_product(weights, out, ctx.memo)
    return Inferred(
        TensorShape((p.out_channels, *out)), weights + (p.out_channels if p.bias else 0), macs=macs
    )


def build(p: ConvParams, x: TensorShape) -> ModuleCall:
    n = len(x.spatial)
    padding = p.padding if isinstance(p.padding, str) else torch_size(p.padding, n)
    return call(
        f"Conv{n}d",
        p.in_channels or x.channels,
        p.out_channels,
        kernel_size=torch_size(p.kernel_size, n),
        stride=unless(torch_size(p.stride, n), 1, axes=n),
        padding=unless(padding, 0, axes=n),
        dilation=unless(torch_size(p.dilation, n), 1, axes=n),
        groups=unless(p.groups, 1),
        bias=unless(p.bias, True),
    )


def tensors(p: ConvParams, x: TensorShape) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    channels = p.in_channels or x.channels
    kernel = expand_tuple(p.kernel_size, len(x.spatial), "kernel_size")
    weight = ("weight", (p.out_channels, channels // p.groups, *kernel))
    return (weight, ("bias", (p.out_channels,))) if p.bias else (weight,)


def read_conv(m: Any) -> dict[str, Any]:
    """The params of a torch ``Conv1d/2d/3d`` (padding_mode and the rest are checked by the
    importer against the module built again)."""
    return {
        "out_channels": m.out_channels,
        "kernel_size": compact(m.kernel_size),
        "stride": compact(m.stride),
        "padding": m.padding if isinstance(m.padding, str) else compact(m.padding),
        "dilation": compact(m.dilation),
        "groups": m.groups,
        "bias": m.bias is not None,
    }


def conv_label(op: str) -> Callable[[Any, TensorShape], str]:
    """``conv 3×3, 64, stride 2, groups 32``: what a diagram shows of a conv (or of a
    transposed one: the params of both have these fields)."""

    def label(p: Any, x: TensorShape) -> str:
        parts = [f"{op} {size_label(p.kernel_size, x)}", str(p.out_channels)]
        if p.stride not in (1, [1]):
            parts.append(f"stride {size_label(p.stride, x, repeat=False)}")
        if p.groups != 1:
            parts.append(f"groups {p.groups}")
        return ", ".join(parts)

    return label


register(
    Primitive(
        "conv",
        ConvParams,
        infer,
        build,
        "Convolution over 1, 2 or 3 spatial dims (Conv1d/2d/3d by the input's rank).",
        classes=("Conv1d", "Conv2d", "Conv3d"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # a size only where the window leaves no output
        label=conv_label("conv"),
        tensors=tensors,
        from_torch=Reads(module=read_conv),
        formula="[N, C, *L] → [N, out_channels, *out], per spatial axis "
        "out = floor((L + p_lo + p_hi - d·(k - 1) - 1) / s) + 1 (k kernel_size, s stride, d dilation; "
        "'same' pads d·(k - 1) in all, the odd one at the end). "
        "MACs = out_channels × prod(out) × C / groups × prod(k).",
    )
)
