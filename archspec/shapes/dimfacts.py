"""What a symbolic dim tells: its symbols, its value at given sizes, what divides it
for every size, and how many operations sympy counts in it."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from archspec.shapes.floors import floor_div
from archspec.shapes.symbolic import Add, Floor, Mul, Number, Symbol, add_all, as_number, is_number, multiply


def content(value: Any) -> Number:
    """The rational gcd of the coefficients of the value as a polynomial in its symbols
    and floors (the product of its factors' contents, by Gauss's lemma): every value is a
    multiple of it, which is what sympy's ``Mod(value, r) == 0`` proves for an int ``r``."""
    kind = type(value)
    if kind is int or kind is Fraction:
        return abs(value)
    if kind is Symbol or kind is Floor:
        return 1
    if kind is Add:
        parts = [Fraction(value.const), *(Fraction(c) * content(t) for t, c in value.terms.items())]
        numerator = math.gcd(*(p.numerator for p in parts))
        return as_number(Fraction(numerator, math.lcm(*(p.denominator for p in parts))))
    result: Number = abs(value.coeff)
    for base, exponent in value.factors.items():
        result *= content(base) ** exponent
    return as_number(result)


def count_ops(value: Any) -> int:
    """sympy's ``count_ops(value)``: the additions, subtractions, negations, divisions,
    multiplications, powers and floors written in it (the simpler of two formulas is kept
    at a join)."""
    kind = type(value)
    if kind is int:
        return int(value < 0)
    if kind is Fraction:
        return int(value < 0) + 1
    if kind is Symbol:
        return 0
    if kind is Floor:
        return 1 + count_ops(value.arg)
    if kind is Add:
        parts = [multiply(c, t) for t, c in value.terms.items()]
        if value.const != 0:
            parts.append(value.const)
        negative = [_is_negative(p) for p in parts]
        ops = len(parts) - 1 + (1 if all(negative) else 0)
        return ops + sum(count_ops(multiply(-1, p) if n else p) for p, n in zip(parts, negative, strict=True))
    coeff, ops = value.coeff, 0
    if coeff < 0:
        coeff, ops = -coeff, 1
    top, bottom = (coeff, 1) if type(coeff) is int else (coeff.numerator, coeff.denominator)
    if bottom != 1:
        ops += 1
    powers = sum((1 if e > 1 else 0) + count_ops(b) for b, e in value.factors.items())
    factors = (1 if top != 1 else 0) + len(value.factors)
    return ops + max(factors - 1, 0) + powers


def _is_negative(value: Any) -> bool:
    if type(value) is Mul:
        return value.coeff < 0
    return is_number(value) and value < 0


def symbols_in(value: Any) -> frozenset[str]:
    """The names of the symbols a value depends on."""
    kind = type(value)
    if kind is Symbol:
        return frozenset((value.name,))
    if kind is Floor:
        return symbols_in(value.num)
    if kind is Add:
        return frozenset().union(*(symbols_in(t) for t in value.terms))
    if kind is Mul:
        return frozenset().union(*(symbols_in(b) for b in value.factors))
    return frozenset()


def substituted(value: Any, sizes: dict[str, Number]) -> Any:
    """The value with the symbols named in ``sizes`` replaced, re-evaluated (partly or wholly)."""
    kind = type(value)
    if kind is int or kind is Fraction:
        return value
    if kind is Symbol:
        return sizes.get(value.name, value)
    if kind is Floor:
        return floor_div(substituted(value.num, sizes), value.den)
    if kind is Add:
        return add_all((value.const, *(multiply(c, substituted(t, sizes)) for t, c in value.terms.items())))
    result: Any = value.coeff
    for base, exponent in value.factors.items():
        for _ in range(exponent):
            result = multiply(result, substituted(base, sizes))
    return result


def evaluate(value: Any, sizes: dict[str, int]) -> Number:
    """The exact value at the given sizes of the symbols (an int for a dim)."""
    kind = type(value)
    if kind is int or kind is Fraction:
        return value
    if kind is Symbol:
        return sizes[value.name]
    if kind is Floor:
        return evaluate(value.num, sizes) // value.den
    if kind is Add:
        return as_number(value.const + sum(c * evaluate(t, sizes) for t, c in value.terms.items()))
    result: Number = value.coeff
    for base, exponent in value.factors.items():
        result *= evaluate(base, sizes) ** exponent
    return as_number(result)
