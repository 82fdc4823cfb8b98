"""Pools: maxpool, avgpool (the window formula), adaptive_avgpool/adaptive_maxpool, global pools."""

from __future__ import annotations

from collections.abc import Callable

from archspec.codes import E305
from archspec.diagnostics import RuleError
from archspec.frontend.model import Field
from archspec.frontend.types import KernelSize, LayerParams, Padding, PositiveInt
from archspec.primitives.integers import Integers
from archspec.primitives.reads import Reads, Then, TorchCall, Unreadable, compact
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
from archspec.shapes.tensor import (
    TensorShape,
    axis_names,
    expand_tuple,
    require_spatial,
    size_label,
    torch_size,
)
from archspec.shapes.window import Window, require_kernel_fits, window_outputs


class WindowPoolParams(LayerParams):
    kernel_size: KernelSize = Field(
        description="Window size: an int, or a list (one entry per spatial axis, or one for all)."
    )
    stride: KernelSize | None = Field(None, description="Step between windows (default: kernel_size).")
    padding: Padding = Field(0, description="Implicit padding on both sides; at most kernel_size // 2.")
    ceil_mode: bool = Field(
        False, description="Round the output size up; a window may not start in the right padding."
    )


class AvgPoolParams(WindowPoolParams):
    count_include_pad: bool = Field(
        True, description="Count the zero padding in each window's average (false: only input elements)."
    )
    divisor_override: PositiveInt | None = Field(
        None,
        description="Divide each window's sum by this instead of its size; AvgPool2d and AvgPool3d "
        "only, as in PyTorch (which also takes a negative one, negating the averages; not here).",
    )


class MaxPoolParams(WindowPoolParams):
    dilation: KernelSize = Field(1, description="Spacing between window elements.")


def pool_windows(p: WindowPoolParams, spatial: int) -> tuple[Window, ...]:
    k, q, d = p.kernel_size, p.padding, getattr(p, "dilation", 1)
    s = k if p.stride is None else p.stride
    if type(k) is int and type(s) is int and type(q) is int and type(d) is int and q <= k // 2:
        return (Window(k, s, q, q, d, p.ceil_mode),) * spatial  # one int each: every axis alike
    kernel = expand_tuple(p.kernel_size, spatial, "kernel_size")
    stride = kernel if p.stride is None else expand_tuple(p.stride, spatial, "stride")
    padding = expand_tuple(p.padding, spatial, "padding")
    dilation = expand_tuple(getattr(p, "dilation", 1), spatial, "dilation")
    for k, q in zip(kernel, padding, strict=True):
        # ATen's pool{1,2,3}d shape checks: pad <= kernel_size / 2 (on the kernel, not the
        # dilated span, which is the stricter of PyTorch's two checks). The message is
        # formatted only on a refusal: every pool call passes here, once per axis.
        if q > k // 2:
            raise RuleError(
                f"padding {q} is more than half of kernel_size {k} (PyTorch refuses it)",
                field="padding",
                hint=f"use padding <= {k // 2}",
            )
    return tuple(
        Window(k, s, q, q, d, p.ceil_mode)
        for k, s, q, d in zip(kernel, stride, padding, dilation, strict=True)
    )


def _window_rule(op: str, kernel_fits_in_3d: bool = False):
    def infer(p: WindowPoolParams, x: TensorShape, ctx: RuleContext) -> Inferred:
        spatial = require_spatial(x, op)
        divisor = getattr(p, "divisor_override", None)
        if divisor is not None and spatial == 1:  # not check(): its message would print x every time
            raise RuleError(
                f"divisor_override is for 2 or 3 spatial dims (AvgPool2d/3d), the input {x} has 1: "
                "PyTorch's AvgPool1d has no divisor_override",
                field="divisor_override",
                code=E305,
                hint="remove divisor_override, or pool a 2-D map",
            )
        windows = pool_windows(p, spatial)
        axes = axis_names(x)
        if kernel_fits_in_3d and spatial == 3:
            for size, w, axis in zip(x.spatial, windows, axes, strict=True):
                require_kernel_fits(size, w.kernel, op=op, axis=axis)
        out = window_outputs(x.spatial, windows, op=op, axes=axes, memo=ctx.memo)
        return Inferred(TensorShape((x.channels, *out)))

    return infer


def refuses_only_empty_avg(p: AvgPoolParams, x: TensorShape) -> bool:
    """avgpool's ``refuses_only_empty``: on 3 spatial dims ATen also refuses an input smaller
    than the kernel where the window formula leaves an output (``require_kernel_fits``)."""
    return len(x.spatial) != 3


def build_window_pool(p: WindowPoolParams, x: TensorShape) -> ModuleCall:
    """MaxPool or AvgPool, by the params: only max pooling has a dilation, only average
    pooling counts the padding or overrides the divisor."""
    n = len(x.spatial)
    common = {
        "stride": unless(torch_size(p.stride, n), None, axes=n),
        "padding": unless(torch_size(p.padding, n), 0, axes=n),
    }
    if isinstance(p, MaxPoolParams):
        return call(
            f"MaxPool{n}d",
            torch_size(p.kernel_size, n),
            **common,
            dilation=unless(torch_size(p.dilation, n), 1, axes=n),
            ceil_mode=unless(p.ceil_mode, False),
        )
    assert isinstance(p, AvgPoolParams)
    return call(
        f"AvgPool{n}d",
        torch_size(p.kernel_size, n),
        **common,
        ceil_mode=unless(p.ceil_mode, False),
        count_include_pad=unless(p.count_include_pad, True),
        divisor_override=unless(p.divisor_override, None),
    )


def _pool_label(op: str) -> Callable[[WindowPoolParams, TensorShape], str]:
    def label(p: WindowPoolParams, x: TensorShape) -> str:
        """``maxpool 3×3, stride 2``: a stride is shown where it is given and not 1."""
        parts = [f"{op} {size_label(p.kernel_size, x)}"]
        if p.stride is not None and p.stride not in (1, [1]):
            parts.append(f"stride {size_label(p.stride, x, repeat=False)}")
        return ", ".join(parts)

    return label


class AdaptivePoolParams(LayerParams):
    output_size: KernelSize = Field(
        description="The output size: an int, or a list (one entry per spatial axis, or one for all)."
    )


def _adaptive_rule(op: str) -> Callable[[AdaptivePoolParams, TensorShape, RuleContext], Inferred]:
    def infer(p: AdaptivePoolParams, x: TensorShape, ctx: RuleContext) -> Inferred:
        spatial = require_spatial(x, op)
        out = expand_tuple(p.output_size, spatial, "output_size")
        return Inferred(TensorShape((x.channels, *out)))

    return infer


def infer_global(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "global pooling")
    return Inferred(TensorShape((x.channels, *(1,) * spatial)))


def _adaptive_builder(stem: str) -> Callable[[AdaptivePoolParams, TensorShape], ModuleCall]:
    def build(p: AdaptivePoolParams, x: TensorShape) -> ModuleCall:
        n = len(x.spatial)
        return call(f"{stem}{n}d", torch_size(p.output_size, n))

    return build


def build_global_avg(p: LayerParams, x: TensorShape) -> ModuleCall:
    return call(f"AdaptiveAvgPool{len(x.spatial)}d", 1)


def build_global_max(p: LayerParams, x: TensorShape) -> ModuleCall:
    return call(f"AdaptiveMaxPool{len(x.spatial)}d", 1)


def read_window_pool(m: object) -> dict[str, object]:
    """A torch MaxPool or AvgPool: its stride is left out where it is the kernel (torch
    stores the kernel there when none is given, as the spec's default does)."""
    kernel, stride = compact(m.kernel_size), compact(m.stride)  # type: ignore[attr-defined]
    read = {"kernel_size": kernel, "stride": None if stride == kernel else stride}
    read |= {"padding": compact(m.padding), "ceil_mode": m.ceil_mode}  # type: ignore[attr-defined]
    if hasattr(m, "dilation"):
        read["dilation"] = compact(m.dilation)
    if hasattr(m, "count_include_pad"):
        read |= {"count_include_pad": m.count_include_pad, "divisor_override": m.divisor_override}
    return read


def _read_pool_call(dilation: bool) -> Callable[[TorchCall], dict[str, object]]:
    """``F.max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)``
    and ``F.avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, ...)``."""
    names = ("kernel_size", "stride", "padding") + (
        ("dilation", "ceil_mode") if dilation else ("ceil_mode", "count_include_pad", "divisor_override")
    )

    def read(c: TorchCall) -> dict[str, object]:
        c.only(*names, "return_indices")
        if c.kwargs.get("return_indices", False) or len(c.args) > len(names) + 1:
            raise Unreadable("return_indices (a pool returns its values only)")
        read = {name: compact(c.arg(i + 1, name, None)) for i, name in enumerate(names)}
        if read["stride"] in (None, [], read["kernel_size"]):
            read["stride"] = None
        return {k: v for k, v in read.items() if v is not None or k == "stride"}

    return read


def _read_adaptive(global_: bool) -> Callable[[object], dict[str, object]]:
    """Output size 1 everywhere is the global pool, any other the adaptive one."""

    def read(output_size: object) -> dict[str, object]:
        sizes = tuple(output_size) if isinstance(output_size, tuple | list) else (output_size,)
        if None in sizes:
            raise Unreadable(f"output_size {output_size!r} with None (an input size kept)")
        if all(s == 1 for s in sizes) != global_:
            raise Unreadable("output size 1 is the global pool" if not global_ else "an output size not 1")
        return {} if global_ else {"output_size": compact(sizes)}

    return read


def _read_mean(c: TorchCall) -> dict[str, object] | Then:
    """``x.mean([2, 3])`` and ``torch.mean(x, (2, 3))``: the mean over every spatial dim is
    a global average pool, followed by a flatten where the dims are dropped (no keepdim)."""
    c.only("dim", "keepdim")
    dims, keepdim = c.arg(1, "dim", None), c.arg(2, "keepdim", False)
    dims = [dims] if isinstance(dims, int) else list(dims or ())
    spatial = set(range(2, c.rank))
    if c.rank < 3 or {d % c.rank for d in dims} != spatial or len(dims) != len(spatial):
        raise Unreadable(f"a mean over dims {dims} (a global pool is the mean over all of {sorted(spatial)})")
    return {} if keepdim else Then({}, (("flatten", {}),))


def _adaptive_reads(function: str, global_: bool) -> Reads:
    read = _read_adaptive(global_)

    def read_call(c: TorchCall) -> dict[str, object]:
        c.only("output_size")
        return read(c.arg(1, "output_size", None))

    calls = {f"torch.nn.functional.{function}{n}d": read_call for n in (1, 2, 3)}
    if global_ and function == "adaptive_avg_pool":
        calls |= {"torch.mean": _read_mean, "torch.Tensor.mean": _read_mean}
    return Reads(module=lambda m: read(m.output_size), calls=calls)


def _maxpool_integers(p: MaxPoolParams, x: TensorShape) -> Integers:
    # PyTorch 2.13 max-pools integers in 2-D and 3-D; max_pool1d has no integer kernel
    return "refuse" if len(x.spatial) == 1 else "keep"


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
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # a size only where the window leaves no output
        from_torch=Reads(
            module=read_window_pool,
            calls={f"torch.nn.functional.max_pool{n}d": _read_pool_call(True) for n in (1, 2, 3)},
        ),
        label=_pool_label("maxpool"),
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = floor((L + 2p - d·(k - 1) - 1) / s) + 1; "
        "with ceil_mode, ceil instead, less a last window that would start in the right padding.",
        integers=_maxpool_integers,
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
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=refuses_only_empty_avg,
        from_torch=Reads(
            module=read_window_pool,
            calls={f"torch.nn.functional.avg_pool{n}d": _read_pool_call(False) for n in (1, 2, 3)},
        ),
        label=_pool_label("avgpool"),
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = floor((L + 2p - k) / s) + 1; "
        "with ceil_mode, ceil instead, less a last window that would start in the right padding. "
        "count_include_pad and divisor_override (2-D/3-D only) change values, not shapes.",
        integers="keep",
    )
)
register(
    Primitive(
        "adaptive_avgpool",
        AdaptivePoolParams,
        _adaptive_rule("adaptive_avgpool"),
        _adaptive_builder("AdaptiveAvgPool"),
        "Adaptive average pooling to a fixed output_size, whatever the input size.",
        classes=_per_rank("AdaptiveAvgPool"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # its output sizes are its params
        from_torch=_adaptive_reads("adaptive_avg_pool", global_=False),
        formula="[N, C, *L] → [N, C, *output_size].",
    )
)
register(
    Primitive(
        "adaptive_maxpool",
        AdaptivePoolParams,
        _adaptive_rule("adaptive_maxpool"),
        _adaptive_builder("AdaptiveMaxPool"),
        "Adaptive max pooling to a fixed output_size, whatever the input size.",
        classes=_per_rank("AdaptiveMaxPool"),
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # its output sizes are its params
        from_torch=_adaptive_reads("adaptive_max_pool", global_=False),
        formula="[N, C, *L] → [N, C, *output_size] (1 to 3 spatial dims; an output larger than the "
        "input repeats elements, as in PyTorch).",
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
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # its output sizes are 1
        from_torch=_adaptive_reads("adaptive_avg_pool", global_=True),
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
        overwritable=True,  # a new tensor; its backward reads its input, not its output
        refuses_only_empty=on_any_input,  # its output sizes are 1
        from_torch=_adaptive_reads("adaptive_max_pool", global_=True),
        formula="[N, C, *L] → [N, C, 1, …, 1] (1 to 3 spatial dims).",
    )
)
