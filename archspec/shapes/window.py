"""The one window formula, shared by conv and every pool.

For one spatial axis (the letters of PyTorch's docs for ``Conv2d``/``MaxPool2d``):

- ``L`` input size, ``k`` kernel size, ``s`` stride, ``d`` dilation,
- ``p_lo``/``p_hi`` padding before/after (equal unless ``padding: same`` with an
  even effective kernel, where PyTorch pads the extra element at the end),
- ``e = d * (k - 1) + 1`` the effective kernel size.

floor mode (PyTorch's default):  ``out = floor((L + p_lo + p_hi - e) / s) + 1``.

ceil mode (pools only): ``ceil((L + 2p - e) / s) + 1``, but PyTorch drops the
last window when it would start in the right padding, i.e. when
``(out - 1) * s >= L + p`` (``pooling_output_shape`` in ATen's Pool.h). The
windows that remain are the starts ``t * s`` with ``t * s <= L + 2p - e + s - 1``
and ``t * s <= L + p - 1``, so ``out = floor((L + m) / s) + 1`` with ``m`` the
smaller of ``2p - e + s - 1`` and ``p - 1``. That choice depends only on the
parameters, never on ``L``: the same expression holds for a symbolic ``L``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from archspec.codes import E301
from archspec.diagnostics import RuleError
from archspec.shapes.dims import Dim, floordiv, format_dim, is_concrete


class Window(NamedTuple):
    """One axis's window. A named tuple, not a frozen dataclass: conv and every pool
    make one per spatial axis per call, and a tuple is built in a fraction of the time
    (a sweep infers thousands of convs)."""

    kernel: int
    stride: int
    pad_lo: int
    pad_hi: int
    dilation: int = 1
    ceil_mode: bool = False

    @property
    def effective(self) -> int:
        return self.dilation * (self.kernel - 1) + 1

    def output(self, size: Dim) -> Dim:
        """The output size along one axis for input size ``size``."""
        return floordiv(size + self._margin(), self.stride) + 1

    def minimum_input(self) -> int:
        """The smallest input size with at least one output position.

        ``output(L) >= 1`` exactly when ``floor((L + m) / s) >= 0``, i.e.
        ``L >= -m`` for the margin ``m`` of :meth:`output`.
        """
        return max(1, -self._margin())

    def _margin(self) -> int:
        if self.ceil_mode:
            return min(self.pad_lo + self.pad_hi - self.effective + self.stride - 1, self.pad_lo - 1)
        return self.pad_lo + self.pad_hi - self.effective


def window_output(size: Dim, window: Window, *, op: str, axis: str) -> Dim:
    """Apply the window formula, refusing a concrete size with no window.

    For a symbolic size the result stays an expression; the compiler finds the
    smallest valid value of each symbol afterwards.
    """
    # the all-int fast path: Window.output's floordiv, inline (every conv and pool asks)
    out = (size + window._margin()) // window.stride + 1 if type(size) is int else window.output(size)
    if is_concrete(out) and out < 1:
        padding = (
            f"padding {window.pad_lo}"
            if window.pad_lo == window.pad_hi
            else f"padding {window.pad_lo}+{window.pad_hi}"
        )
        dilation = f", dilation {window.dilation}" if window.dilation != 1 else ""
        raise RuleError(
            f"{op} output {axis} would be {out}: input {axis} {format_dim(size)} with {padding} "
            f"is smaller than the window (kernel_size {window.kernel}{dilation}, "
            f"spans {window.effective})",
            code=E301,
            field="kernel_size",
            hint=f"use an input {axis} of at least {window.minimum_input()} here, "
            "a smaller kernel, or more padding",
        )
    return out


def window_outputs(
    sizes: tuple[Dim, ...],
    windows: tuple[Window, ...],
    *,
    op: str,
    axes: tuple[str, ...],
    memo: dict[Any, Any] | None = None,
) -> tuple[Dim, ...]:
    """:func:`window_output` along each axis (one window per size, axis names alike).

    ``memo`` (a compile's, RuleContext.memo): each symbolic output is kept there by its
    input dim and window, and found again by the next layer with both (a stack of
    stride-1 convs keeps one size): the same object, as the formula would give it again."""
    if memo is not None:
        for size in sizes:
            if type(size) is not int:
                return _remembered(sizes, windows, op, axes, memo)
    return tuple(
        window_output(size, window, op=op, axis=axis)
        for size, window, axis in zip(sizes, windows, axes, strict=True)
    )


def _remembered(
    sizes: tuple[Dim, ...], windows: tuple[Window, ...], op: str, axes: tuple[str, ...], memo: dict[Any, Any]
) -> tuple[Dim, ...]:
    outputs = []
    for size, window, axis in zip(sizes, windows, axes, strict=True):
        if type(size) is int:
            outputs.append(window_output(size, window, op=op, axis=axis))
            continue
        key = (window_output, id(size), window)  # the function: no other rule's key is equal
        known = memo.get(key)
        if known is None or known[0] is not size:
            known = memo[key] = (size, window_output(size, window, op=op, axis=axis))  # holds size
        outputs.append(known[1])
    return tuple(outputs)


def require_kernel_fits(size: Dim, kernel: int, *, op: str, axis: str) -> None:
    """The input itself (padding aside) must be at least the kernel.

    ATen's ``avg_pool3d`` checks this on top of the window formula ("input
    image smaller than kernel size"), so a padded or ceil-mode window that the
    formula allows is still refused there. A symbolic size is left to the
    minimum-size search, which probes concrete sizes.
    """
    if is_concrete(size) and size < kernel:
        raise RuleError(
            f"{op} on 3 spatial dims needs an input {axis} of at least kernel_size {kernel}, "
            f"got {format_dim(size)} (PyTorch refuses a smaller one even with padding)",
            code=E301,
            field="kernel_size",
            hint=f"use an input {axis} of at least {kernel} here, or a smaller kernel",
        )
