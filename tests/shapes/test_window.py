"""The window formula against a brute-force count of PyTorch's window positions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archspec.diagnostics import RuleError
from archspec.shapes.dims import make_symbol, substitute
from archspec.shapes.window import Window, window_output, window_outputs


def count_windows(size: int, w: Window) -> int:
    """Enumerate window starts as ATen's pooling_output_shape_pad_lr defines them."""
    padded = size + w.pad_lo + w.pad_hi
    if not w.ceil_mode:
        return sum(1 for start in range(0, padded, w.stride) if start + w.effective <= padded)
    # ceil mode: a window may hang over the right edge, but must start inside
    # the input or the left padding.
    starts = 0
    for start in range(0, padded + w.stride, w.stride):
        covers_anything = start + w.effective - 1 <= padded - 1 + (w.stride - 1)
        if covers_anything and start < size + w.pad_lo:
            starts += 1
    return starts


GRID = list(
    itertools.product(range(1, 14), range(1, 5), range(1, 4), range(0, 3), range(1, 3), (False, True))
)


@pytest.mark.parametrize(("size", "kernel", "stride", "pad", "dilation", "ceil_mode"), GRID)
def test_window_formula_matches_enumeration(size, kernel, stride, pad, dilation, ceil_mode) -> None:
    w = Window(kernel, stride, pad, pad, dilation, ceil_mode)
    # Where no window fits, the formula goes to 0 or below (and archspec refuses it).
    assert max(w.output(size), 0) == count_windows(size, w)


@pytest.mark.parametrize(
    ("kernel", "stride", "pad", "ceil_mode"),
    list(itertools.product(range(1, 6), range(1, 4), range(0, 3), (False, True))),
)
def test_symbolic_formula_equals_concrete_for_every_size(kernel, stride, pad, ceil_mode) -> None:
    w = Window(kernel, stride, pad, pad, 1, ceil_mode)
    expression = w.output(make_symbol("L"))
    for size in range(w.minimum_input(), 30):
        assert substitute(expression, {"L": size}) == w.output(size)


def test_asymmetric_padding_of_same_with_an_even_kernel() -> None:
    # PyTorch's padding='same' puts the extra element at the end: total 3 -> 1 + 2.
    assert Window(4, 1, 1, 2).output(10) == 10


def test_a_window_that_does_not_fit_names_sizes_and_the_fix() -> None:
    with pytest.raises(RuleError) as caught:
        window_output(5, Window(7, 1, 0, 0), op="conv", axis="height")
    error = caught.value
    assert error.field == "kernel_size" and error.code == "E301"
    assert "input height 5" in error.message and "kernel_size 7" in error.message
    assert "at least 7" in error.hint


def test_minimum_input() -> None:
    assert Window(11, 4, 0, 0).minimum_input() == 11
    assert Window(3, 2, 1, 1).minimum_input() == 1
    assert Window(3, 1, 0, 0, dilation=2).minimum_input() == 5


def test_minimum_input_is_closed_form_for_huge_kernels() -> None:
    assert Window(10_000_000, 1, 0, 0).minimum_input() == 10_000_000
    assert (
        Window(10_000_000, 3, 2, 2, dilation=5, ceil_mode=True).output(
            Window(10_000_000, 3, 2, 2, dilation=5, ceil_mode=True).minimum_input()
        )
        == 1
    )


@given(
    size=st.integers(1, 300),
    kernel=st.integers(1, 12),
    stride=st.integers(1, 5),
    pad=st.integers(0, 6),
    dilation=st.integers(1, 4),
    ceil_mode=st.booleans(),
)
def test_the_int_fast_path_equals_the_general_formula(size, kernel, stride, pad, dilation, ceil_mode) -> None:
    # window_output's all-int path (inline) against Window.output (floordiv), and against
    # the symbolic path evaluated at the same size: the same size, or the same refusal.
    w = Window(kernel, stride, pad, pad + (kernel % 2), dilation, ceil_mode)
    general = w.output(size)
    symbolic = substitute(w.output(make_symbol("L")), {"L": size})
    assert symbolic == general
    if general >= 1:
        assert window_output(size, w, op="conv", axis="height") == general
    else:
        with pytest.raises(RuleError) as caught:
            window_output(size, w, op="conv", axis="height")
        assert f"would be {general}:" in caught.value.message


def test_a_memo_gives_the_first_output_again_and_keeps_no_int() -> None:
    """window_outputs with a compile's memo: the same dim through the same window is the
    object computed first (equal to the formula's); ints are computed, never kept."""
    h, w = make_symbol("H"), make_symbol("W")
    halve = Window(3, 2, 1, 1)
    memo: dict = {}
    first = window_outputs((h, w), (halve, halve), op="conv", axes=("height", "width"), memo=memo)
    again = window_outputs((h, 7), (halve, halve), op="conv", axes=("height", "width"), memo=memo)
    assert again[0] is first[0] and again[1] == 4
    assert first == window_outputs((h, w), (halve, halve), op="conv", axes=("height", "width"))
    assert len(memo) == 2  # H and W through the window; 7 is not kept
    with pytest.raises(RuleError):  # a concrete size with no window is refused, memo or not
        window_outputs((h, 1), (halve, Window(5, 1, 0, 0)), op="conv", axes=("height", "width"), memo=memo)
