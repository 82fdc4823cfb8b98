"""Pools: maxpool, avgpool (the window formula), adaptive_avgpool, global_avgpool."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from archspec.diagnostics import check
from archspec.frontend.types import KernelSize, LayerParams, Padding
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.tensor import (
    TensorShape,
    axis_names,
    expand_tuple,
    require_spatial,
    size_label,
    torch_size,
)
from archspec.shapes.window import Window, require_kernel_fits, window_output


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
    def infer(p: AvgPoolParams, x: TensorShape, ctx: RuleContext) -> Inferred:
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


def build_window_pool(p: AvgPoolParams, x: TensorShape) -> ModuleCall:
    """MaxPool or AvgPool, by the params: only max pooling has a dilation."""
    n = len(x.spatial)
    dilation = torch_size(p.dilation, n) if isinstance(p, MaxPoolParams) else 1
    return call(
        f"{'Max' if isinstance(p, MaxPoolParams) else 'Avg'}Pool{n}d",
        torch_size(p.kernel_size, n),
        stride=unless(torch_size(p.stride, n), None, axes=n),
        padding=unless(torch_size(p.padding, n), 0, axes=n),
        dilation=unless(dilation, 1, axes=n),
        ceil_mode=unless(p.ceil_mode, False),
    )


def _pool_label(op: str) -> Callable[[AvgPoolParams, TensorShape], str]:
    def label(p: AvgPoolParams, x: TensorShape) -> str:
        """``maxpool 3×3, stride 2``: a stride is shown where it is given and not 1."""
        parts = [f"{op} {size_label(p.kernel_size, x)}"]
        if p.stride is not None and p.stride not in (1, [1]):
            parts.append(f"stride {size_label(p.stride, x, repeat=False)}")
        return ", ".join(parts)

    return label


class AdaptiveAvgPoolParams(LayerParams):
    output_size: KernelSize = Field(
        description="The output size: an int, or a list (one entry per spatial axis, or one for all)."
    )


def infer_adaptive(p: AdaptiveAvgPoolParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "adaptive_avgpool")
    out = expand_tuple(p.output_size, spatial, "output_size")
    return Inferred(TensorShape((x.channels, *out)))


def infer_global(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "global pooling")
    return Inferred(TensorShape((x.channels, *(1,) * spatial)))


def build_adaptive(p: AdaptiveAvgPoolParams, x: TensorShape) -> ModuleCall:
    n = len(x.spatial)
    return call(f"AdaptiveAvgPool{n}d", torch_size(p.output_size, n))


def build_global_avg(p: LayerParams, x: TensorShape) -> ModuleCall:
    return call(f"AdaptiveAvgPool{len(x.spatial)}d", 1)


def build_global_max(p: LayerParams, x: TensorShape) -> ModuleCall:
    return call(f"AdaptiveMaxPool{len(x.spatial)}d", 1)


def _per_rank(stem: str) -> tuple[str, ...]:
    return tuple(f"{stem}{n}d" for n in (1, 2, 3))


register(
    Primitive(
        "maxpool",
        MaxPoolParams,
        _window_rule("maxpool"),
        build_window_pool,
        "Max pooling (MaxPool1d/2d/3d); stride defaults to kernel_size.",
        classes=_per_rank("MaxPool"),
        label=_pool_label("maxpool"),
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = floor((L + 2p - d·(k - 1) - 1) / s) + 1; "
        "with ceil_mode, ceil instead, less a last window that would start in the right padding.",
    )
)
register(
    Primitive(
        "avgpool",
        AvgPoolParams,
        _window_rule("avgpool", kernel_fits_in_3d=True),
        build_window_pool,
        "Average pooling (AvgPool1d/2d/3d); stride defaults to kernel_size.",
        classes=_per_rank("AvgPool"),
        label=_pool_label("avgpool"),
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
        classes=_per_rank("AdaptiveAvgPool"),
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
        classes=_per_rank("AdaptiveAvgPool"),
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
        classes=_per_rank("AdaptiveMaxPool"),
        formula="[N, C, *L] → [N, C, 1, …, 1] (1 to 3 spatial dims).",
    )
)
