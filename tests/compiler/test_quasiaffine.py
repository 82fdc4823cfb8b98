"""Sizes as functions of one symbol: exact int values, rate, and the period on which they are affine."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from archspec.compiler.quasiaffine import NotQuasiAffine, quasi_affine
from archspec.shapes.dims import floordiv, make_symbol
from archspec.shapes.window import Window

H, W = make_symbol("H"), make_symbol("W")


def test_nested_floors_have_the_lcm_of_their_rates_as_period() -> None:
    size = floordiv(3 * floordiv(H - 1, 2) + 1, 4)  # floor((3*floor((H - 1)/2) + 1)/4)
    f = quasi_affine(size, "H", {})
    assert (f.rate, f.period) == (Fraction(3, 8), 8)
    assert [f(h) for h in range(1, 60)] == [int(sympy.sympify(size).subs(H, h)) for h in range(1, 60)]
    assert all(f(h + 8) - f(h) == f.step(8) == 3 for h in range(1, 60))


def test_other_symbols_are_held_and_ceilings_are_floors_turned_around() -> None:
    assert quasi_affine(8 * H * W, "H", {"W": 3})(5) == 120
    ceiling = 2 * sympy.ceiling(H / 3) + 1
    f = quasi_affine(ceiling, "H", {})
    assert f.rate == Fraction(2, 3) and [f(h) for h in range(1, 8)] == [3, 3, 3, 5, 5, 5, 7]
    assert quasi_affine(7, "H", {})(123) == 7


@pytest.mark.parametrize("size", [H * H, sympy.Max(H, 3)])
def test_a_size_that_is_not_quasi_affine_is_refused(size: sympy.Expr) -> None:
    with pytest.raises(NotQuasiAffine):
        quasi_affine(size, "H", {})


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(0, 2), st.booleans(), st.integers(1, 3)),
        min_size=1,
        max_size=4,
    )
)
def test_window_stacks_are_affine_on_every_residue_class(
    layers: list[tuple[int, int, int, bool, int]],
) -> None:
    size: sympy.Expr | int = H
    for kernel, stride, padding, ceil_mode, scale in layers:
        size = Window(
            kernel, stride, min(padding, kernel // 2), min(padding, kernel // 2), 1, ceil_mode
        ).output(size)
        size = size * scale
    f = quasi_affine(size, "H", {})
    values = [f(h) for h in range(1, 3 * f.period + 40)]
    assert values == [sympy.sympify(size).subs(H, h) for h in range(1, 3 * f.period + 40)]
    assert all(values[i + f.period] - values[i] == f.step(f.period) for i in range(len(values) - f.period))
