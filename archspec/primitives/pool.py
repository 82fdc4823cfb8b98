"""Pools: maxpool, avgpool (the window formula), adaptive_avgpool, global_avgpool."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archspec.diagnostics import check
from archspec.frontend.types import KernelSize, LayerParams, Padding
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, call, register, unless
from archspec.shapes.tensor import TensorShape, axis_names, expand_tuple, require_spatial, torch_size
from archspec.shapes.window import Window, require_kernel_fits, window_output

if TYPE_CHECKING:
    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


class AvgPoolParams(LayerParams):
    kernel_size: KernelSize = Field(
        description="Window size: an int, or a list (one entry per spatial axis, or one for all)."
    )
    stride: KernelSize | None = Field(None, description="Step between windows (default: kernel_size).")
    padding: Padding = Field(0, description="Implicit padding on both sides; at most kernel_size // 2.")
    ceil_mode: bool = Field(
        False, description="Round the output size up; a window may not start in the right padding."
    )


class MaxPoolParams(AvgPoolParams):
    dilation: KernelSize = Field(1, description="Spacing between window elements.")


def pool_windows(p: AvgPoolParams, spatial: int) -> tuple[Window, ...]:
    kernel = expand_tuple(p.kernel_size, spatial, "kernel_size")
    stride = kernel if p.stride is None else expand_tuple(p.stride, spatial, "stride")
    padding = expand_tuple(p.padding, spatial, "padding")
    dilation = expand_tuple(getattr(p, "dilation", 1), spatial, "dilation")
    for k, q in zip(kernel, padding, strict=True):
        # ATen's pool{1,2,3}d shape checks: pad <= kernel_size / 2 (on the kernel, not the
        # dilated span, which is the stricter of PyTorch's two checks).
        check(
            q <= k // 2,
            f"padding {q} is more than half of kernel_size {k} (PyTorch refuses it)",
            field="padding",
            hint=f"use padding <= {k // 2}",
        )
    return tuple(
        Window(k, s, q, q, d, p.ceil_mode)
        for k, s, q, d in zip(kernel, stride, padding, dilation, strict=True)
    )


def _window_rule(op: str, kernel_fits_in_3d: bool = False):
    def infer(p: AvgPoolParams, x: TensorShape, ctx: Context) -> Inferred:
        spatial = require_spatial(x, op)
        windows = pool_windows(p, spatial)
        axes = axis_names(x)
        if kernel_fits_in_3d and spatial == 3:
            for size, w, axis in zip(x.spatial, windows, axes, strict=True):
                require_kernel_fits(size, w.kernel, op=op, axis=axis)
        out = tuple(
            window_output(size, w, op=op, axis=axis)
            for size, w, axis in zip(x.spatial, windows, axes, strict=True)
        )
        return Inferred(TensorShape((x.channels, *out)))

    return infer


def build_maxpool(layer: LayerInfo) -> ModuleCall:
    p: MaxPoolParams = layer.params
    n = len(layer.input.spatial)
    return call(
        f"MaxPool{n}d",
        torch_size(p.kernel_size, n),
        stride=unless(torch_size(p.stride, n), None),
        padding=unless(torch_size(p.padding, n), 0),
        dilation=unless(torch_size(p.dilation, n), 1),
        ceil_mode=unless(p.ceil_mode, False),
    )


def build_avgpool(layer: LayerInfo) -> ModuleCall:
    p: AvgPoolParams = layer.params
    n = len(layer.input.spatial)
    return call(
        f"AvgPool{n}d",
        torch_size(p.kernel_size, n),
        stride=unless(torch_size(p.stride, n), None),
        padding=unless(torch_size(p.padding, n), 0),
        ceil_mode=unless(p.ceil_mode, False),
    )


class AdaptiveAvgPoolParams(LayerParams):
    output_size: KernelSize = Field(
        description="The output size: an int, or a list (one entry per spatial axis, or one for all)."
    )


def infer_adaptive(p: AdaptiveAvgPoolParams, x: TensorShape, ctx: Context) -> Inferred:
    spatial = require_spatial(x, "adaptive_avgpool")
    out = expand_tuple(p.output_size, spatial, "output_size")
    return Inferred(TensorShape((x.channels, *out)))


def infer_global(p: LayerParams, x: TensorShape, ctx: Context) -> Inferred:
    spatial = require_spatial(x, "global pooling")
    return Inferred(TensorShape((x.channels, *(1,) * spatial)))


def build_adaptive(layer: LayerInfo) -> ModuleCall:
    n = len(layer.input.spatial)
    return call(f"AdaptiveAvgPool{n}d", torch_size(layer.params.output_size, n))


def build_global_avg(layer: LayerInfo) -> ModuleCall:
    return call(f"AdaptiveAvgPool{len(layer.input.spatial)}d", 1)


def build_global_max(layer: LayerInfo) -> ModuleCall:
    return call(f"AdaptiveMaxPool{len(layer.input.spatial)}d", 1)


register(
    Primitive(
        "maxpool",
        MaxPoolParams,
        _window_rule("maxpool"),
        build_maxpool,
        "Max pooling (MaxPool1d/2d/3d); stride defaults to kernel_size.",
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = floor((L + 2p - d·(k - 1) - 1) / s) + 1; "
        "with ceil_mode, ceil instead, less a last window that would start in the right padding.",
    )
)
register(
    Primitive(
        "avgpool",
        AvgPoolParams,
        _window_rule("avgpool", kernel_fits_in_3d=True),
        build_avgpool,
        "Average pooling (AvgPool1d/2d/3d); stride defaults to kernel_size.",
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = floor((L + 2p - k) / s) + 1; "
        "with ceil_mode, ceil instead, less a last window that would start in the right padding.",
    )
)
register(
    Primitive(
        "adaptive_avgpool",
        AdaptiveAvgPoolParams,
        infer_adaptive,
        build_adaptive,
        "Adaptive average pooling to a fixed output_size, whatever the input size.",
        formula="[N, C, *L] → [N, C, *output_size].",
    )
)
register(
    Primitive(
        "global_avgpool",
        LayerParams,
        infer_global,
        build_global_avg,
        "Average over all spatial positions: output size 1 on every spatial axis.",
        formula="[N, C, *L] → [N, C, 1, …, 1] (1 to 3 spatial dims).",
    )
)
register(
    Primitive(
        "global_maxpool",
        LayerParams,
        infer_global,
        build_global_max,
        "Maximum over all spatial positions: output size 1 on every spatial axis.",
        formula="[N, C, *L] → [N, C, 1, …, 1] (1 to 3 spatial dims).",
    )
)
