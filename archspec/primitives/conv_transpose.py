"""conv_transpose: ConvTranspose1d/2d/3d, picked by the rank of the input (a decoder's upsampling)."""

from __future__ import annotations

from typing import Any

from archspec.codes import E301
from archspec.diagnostics import RuleError, check
from archspec.frontend.model import Field
from archspec.frontend.types import KernelSize, LayerParams, Padding, PositiveInt, inferred_size
from archspec.primitives.conv import conv_label
from archspec.primitives.reads import Reads, compact
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.dims import Dim, format_dim, is_concrete, product
from archspec.shapes.tensor import (
    TensorShape,
    axis_names,
    check_given,
    concrete_channels,
    expand_tuple,
    require_spatial,
    torch_size,
)


class ConvTransposeParams(LayerParams):
    out_channels: PositiveInt = Field(description="Output channels.")
    kernel_size: KernelSize = Field(
        description="Kernel size: an int, or a list (one entry per spatial axis, or one for all)."
    )
    stride: KernelSize = Field(1, description="Spacing of the input positions in the output.")
    padding: Padding = Field(
        0, description="Removed from each side of the output (the input is padded by d·(k - 1) - padding)."
    )
    output_padding: Padding = Field(
        0,
        description="Added to one side of the output, to pick among the sizes a strided conv maps to "
        "one; smaller than stride or dilation (PyTorch's condition, per axis).",
    )
    groups: PositiveInt = Field(1, description="Blocked connections; divides both channel counts.")
    bias: bool = Field(True, description="Add a learnable bias.")
    dilation: KernelSize = Field(1, description="Spacing between kernel elements.")
    in_channels: PositiveInt | None = inferred_size("Input channels")


def transpose_output(size: Dim, k: int, s: int, p: int, op: int, d: int, *, axis: str) -> Dim:
    """PyTorch's output size along one axis; a concrete one below 1 is refused (E301)."""
    out = (size - 1) * s - 2 * p + d * (k - 1) + op + 1
    if is_concrete(out) and out < 1:
        most = ((size - 1) * s + d * (k - 1) + op) // 2
        raise RuleError(
            f"conv_transpose output {axis} would be {out}: input {axis} {format_dim(size)} with stride {s}, "
            f"kernel_size {k}, dilation {d} and output_padding {op} spans {out + 2 * p} before "
            f"padding {p} is removed from each side",
            code=E301,
            field="padding",
            hint=f"use padding of at most {most} here, a larger input {axis}, or a larger kernel",
        )
    return out


def infer(p: ConvTransposeParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "conv_transpose")
    in_channels = concrete_channels(x, "conv_transpose")
    check_given(p.in_channels, in_channels, "in_channels", "channels")
    for channels, role in ((in_channels, "input"), (p.out_channels, "output")):
        check(
            channels % p.groups == 0,
            f"groups {p.groups} does not divide the {channels} {role} channels",
            field="groups",
        )
    kernel = expand_tuple(p.kernel_size, spatial, "kernel_size")
    stride = expand_tuple(p.stride, spatial, "stride")
    padding = expand_tuple(p.padding, spatial, "padding")
    output_padding = expand_tuple(p.output_padding, spatial, "output_padding")
    dilation = expand_tuple(p.dilation, spatial, "dilation")
    names = axis_names(x)
    for op, s, d, axis in zip(output_padding, stride, dilation, names, strict=True):
        # ATen's conv_transpose shape check: on each axis, output_padding < stride or < dilation.
        check(
            op < s or op < d,
            f"output_padding {op} ({axis}) must be smaller than the stride {s} or the dilation {d} "
            "(PyTorch refuses it)",
            field="output_padding",
            hint=f"use output_padding of at most {max(s, d) - 1} on this axis",
        )
    out = tuple(
        transpose_output(size, *args, axis=axis)
        for size, *args, axis in zip(
            x.spatial, kernel, stride, padding, output_padding, dilation, names, strict=True
        )
    )
    weights = in_channels * (p.out_channels // p.groups) * product(kernel)
    # One multiply-accumulate per weight at each *input* position (each input value is
    # scattered through the whole kernel), as torch.utils.flop_counter counts a transposed
    # conv: outputs cropped by padding included, bias not counted. Int factors first, as in conv.
    macs = weights * product(x.spatial)
    return Inferred(
        TensorShape((p.out_channels, *out)), weights + (p.out_channels if p.bias else 0), macs=macs
    )


def build(p: ConvTransposeParams, x: TensorShape) -> ModuleCall:
    n = len(x.spatial)
    return call(
        f"ConvTranspose{n}d",
        p.in_channels or x.channels,
        p.out_channels,
        kernel_size=torch_size(p.kernel_size, n),
        stride=unless(torch_size(p.stride, n), 1, axes=n),
        padding=unless(torch_size(p.padding, n), 0, axes=n),
        output_padding=unless(torch_size(p.output_padding, n), 0, axes=n),
        groups=unless(p.groups, 1),
        bias=unless(p.bias, True),
        dilation=unless(torch_size(p.dilation, n), 1, axes=n),
    )


def tensors(p: ConvTransposeParams, x: TensorShape) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    channels = p.in_channels or x.channels  # torch's weight is [in, out / groups, *kernel]
    kernel = expand_tuple(p.kernel_size, len(x.spatial), "kernel_size")
    weight = ("weight", (channels, p.out_channels // p.groups, *kernel))
    return (weight, ("bias", (p.out_channels,))) if p.bias else (weight,)


register(
    Primitive(
        "conv_transpose",
        ConvTransposeParams,
        infer,
        build,
        "Transposed convolution over 1, 2 or 3 spatial dims (ConvTranspose1d/2d/3d by the input's rank).",
        classes=("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        from_torch=Reads(
            module=lambda m: {
                "out_channels": m.out_channels,
                "kernel_size": compact(m.kernel_size),
                "stride": compact(m.stride),
                "padding": compact(m.padding),
                "output_padding": compact(m.output_padding),
                "groups": m.groups,
                "bias": m.bias is not None,
                "dilation": compact(m.dilation),
            }
        ),
        label=conv_label("conv_transpose"),
        tensors=tensors,
        formula="[N, C, *L] → [N, out_channels, *out], per spatial axis "
        "out = (L - 1)·s - 2p + d·(k - 1) + output_padding + 1 ≥ 1 (k kernel_size, s stride, p padding, "
        "d dilation; output_padding < s or < d). "
        "MACs = C × out_channels / groups × prod(k) × prod(L): per input position, "
        "as torch.utils.flop_counter counts it.",
    )
)
