"""Dims: ints and sympy expressions through the same helpers."""

from __future__ import annotations

import sympy

from archspec.shapes.dims import (
    N,
    dims_equal,
    floordiv,
    format_dim,
    make_symbol,
    product,
    scaled_product,
    substitute,
)


def test_floordiv_on_ints_is_floor_division() -> None:
    assert floordiv(7, 2) == 3 and floordiv(-1, 2) == -1


def test_nested_floors_fold_into_one() -> None:
    h = make_symbol("H")
    twice = floordiv(floordiv(h - 1, 2) + 1 - 2, 3)
    assert str(twice).count("floor") == 1
    for size in range(1, 60):
        assert substitute(twice, {"H": size}) == (((size - 1) // 2) + 1 - 2) // 3


def test_symbolic_result_that_is_a_number_becomes_an_int() -> None:
    h = make_symbol("H")
    result = floordiv(h - h + 4, 2)
    assert result == 2 and isinstance(result, int)


def test_format_reads_like_the_window_formula() -> None:
    h = make_symbol("H")
    assert format_dim(floordiv(h - 1, 2) + 1) == "floor((H - 1)/2) + 1"
    assert format_dim(7) == "7" and format_dim(N) == "N"


def test_dims_equal_and_product() -> None:
    h = make_symbol("H")
    assert dims_equal(floordiv(2 * h, 2), h)
    assert not dims_equal(h, h + 1)
    assert product([2, 3, h]) == 6 * h


def test_batch_symbol_converts_to_sympy() -> None:
    assert sympy.sympify(N) == sympy.Symbol("N", integer=True, positive=True)
    assert N == sympy.Symbol("N") and repr(N) == "N"  # noqa: SIM300 - N.__eq__ is under test


def test_scaled_product_is_the_factor_times_the_product_kept_in_a_memo() -> None:
    """factor * product(dims), the product first (a product of sums stays unexpanded); with
    a memo, the same factor and dims give the object computed first."""
    h, w = make_symbol("H"), make_symbol("W")
    dims = (floordiv(h + 1, 2) + 1, w)
    memo: dict = {}
    first = scaled_product(9, dims, memo)
    assert first == 9 * product(dims) and str(first) == str(9 * product(dims))
    assert scaled_product(9, dims, memo) is first
    assert scaled_product(3, dims, memo) == 3 * product(dims)
    assert scaled_product(9, (4, 5), memo) == 180 and len(memo) == 2  # ints are not kept
