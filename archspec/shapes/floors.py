"""Floors of symbolic dims, and what sympy's assumptions decide about integers.

``floor_div(num, den)`` is sympy's ``floor(num/den)`` for the forms of
:mod:`archspec.shapes.symbolic`: the terms that are integers for every value
of the symbols come out of the floor, the rest stay in it. Which terms are
integers is decided as sympy's assumptions decide it (``Mul._eval_is_integer``:
a rational coefficient times even sizes can be one), so that the result is
sympy's own expression.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from archspec.shapes.symbolic import (
    Add,
    Expr,
    Floor,
    Mul,
    Number,
    Symbol,
    SymbolicDim,
    add_all,
    is_number,
    make_add,
    multiply,
    scaled_term,
    split_coefficient,
)

# --- what sympy's assumptions decide: integer and even values ---------------------------


def is_integer(value: Any) -> bool:
    """Whether the value is an integer for every value of the symbols, where sympy decides it."""
    kind = type(value)
    if kind is int or kind is Symbol or kind is Floor:
        return True
    if kind is Fraction:
        return False
    if kind is Add:
        return type(value.const) is int and all(
            is_integer(scaled_term(t, c)) if type(c) is not int else _is_integer_term(t)
            for t, c in value.terms.items()
        )
    return _mul_is_integer(value)


def _is_integer_term(term: SymbolicDim) -> bool:
    return type(term) is not Mul or all(is_integer(b) for b in term.factors)


def _mul_is_integer(value: Mul) -> bool:
    """sympy's ``Mul._eval_is_integer`` for a rational coefficient times integer bases: an
    integer where the even bases carry at least the powers of 2 of the denominator."""
    if not all(is_integer(base) for base in value.factors):
        return False
    coeff = value.coeff
    if type(coeff) is int:
        return True
    denominator = coeff.denominator
    if denominator % 2:
        return False
    twos = (denominator & -denominator).bit_length() - 1
    evens = sum(exponent for base, exponent in value.factors.items() if is_even(base) is True)
    return evens >= twos


def is_even(value: Any) -> bool | None:
    """Whether an integer value is even (True), odd (False) or either (None), as sympy sees it."""
    kind = type(value)
    if kind is int:
        return value % 2 == 0
    if kind is Symbol or kind is Floor or kind is Fraction:
        return None
    if kind is Mul:
        if not _mul_is_integer(value):
            return None
        if type(value.coeff) is int and value.coeff % 2 == 0:
            return True
        parities = [is_even(base) for base in value.factors]
        if any(p is True for p in parities):
            return True
        if type(value.coeff) is int and all(p is False for p in parities):
            return False
        return None
    if not is_integer(value):
        return None
    parities = [is_even(value.const), *(is_even(scaled_term(t, c)) for t, c in value.terms.items())]
    if any(p is None for p in parities):
        return None if any(p is not True for p in parities) else True
    return sum(1 for p in parities if p is False) % 2 == 0


# --- floors ------------------------------------------------------------------------------


def _integral(value: Any) -> tuple[Any, int]:
    """``(num, den)`` with ``value == num / den``, ``num`` with int coefficients."""
    kind = type(value)
    if kind is Add:
        coefficients = [value.const, *value.terms.values()]
    elif kind is Mul:
        coefficients = [value.coeff]
    elif kind is Fraction:
        return value.numerator, value.denominator
    else:
        return value, 1
    if all(type(c) is int for c in coefficients):
        return value, 1
    den = math.lcm(*(c.denominator for c in coefficients if type(c) is Fraction))
    return multiply(den, value), den


def floor_of(arg: Any) -> Any:
    """``floor(arg)`` as sympy evaluates it (see :func:`floor_div`)."""
    if is_number(arg):
        return math.floor(arg)
    return floor_div(*_integral(arg))


def floor_div(num: Any, den: int) -> Any:
    """``floor(num / den)`` for ``num`` with int coefficients, as sympy evaluates it:
    integer terms come out of the floor (``floor((2*H + W)/2)`` is ``H + floor(W/2)``),
    a constant that is not a multiple stays in it."""
    if type(num) is int:
        return num // den
    if den == 1:
        return num
    if type(num) is Add:
        const, pairs = num.const, num.terms.items()
    else:
        const = 0
        pairs = (split_coefficient(num)[::-1],)
    whole: dict[Expr, Number] = {}
    rest: dict[Expr, int] = {}
    for term, coefficient in pairs:
        if coefficient % den == 0:
            whole[term] = coefficient // den
        elif type(term) is Mul and _mul_is_integer(Mul(Fraction(coefficient, den), term.factors)):
            whole[term] = Fraction(coefficient, den)
        else:
            rest[term] = coefficient
    if not rest:
        return make_add(const // den, whole)
    remainder = const % den
    if remainder == 0:
        whole_const, rest_const = const // den, 0
    else:
        whole_const, rest_const = 0, const
    common = math.gcd(den, rest_const, *rest.values())
    if common > 1:
        rest = {t: c // common for t, c in rest.items()}
        rest_const //= common
    inside = Floor(make_add(rest_const, rest), den // common)
    if not whole and whole_const == 0:
        return inside
    return add_all((make_add(whole_const, whole), inside))
