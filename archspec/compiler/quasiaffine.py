"""Sizes as functions of one input symbol: quasi-affine, hence affine on residue classes.

Every spatial size archspec computes is built from the input symbols by sums,
products with numbers and floors (the window formula, transposed convs,
upsampling), with nested floors folded (:func:`archspec.shapes.dims.floordiv`).
In one symbol ``H`` (the others held at numbers) such a size ``e`` has a *rate*:
the argument of each floor changes by ``rate · Δ`` when ``H`` changes by ``Δ``,
up to the floors inside it. With ``P`` the lcm of the denominators of the rates
of every floor argument, moving ``H`` by ``P`` moves each floor argument by an
integer, so each floor, and ``e``, by exactly ``P · rate``:
``e(r + kP) = e(r) + k · P · rate(e)`` for every ``r`` and ``k >= 0``. Along a
residue class modulo ``P`` a size is affine in ``k``.

Values are computed with ints only (each floor of ``n / d`` as ``n // d``; no
no Fractions after the translation): the valid-size search evaluates thousands of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from archspec.shapes.dimfacts import evaluate, symbols_in
from archspec.shapes.dims import format_dim, is_concrete
from archspec.shapes.symbolic import Add, Expr, Floor, Symbol

Function = Callable[[int], int]


class NotQuasiAffine(Exception):
    """A size that is not a sum of numbers times floors of affine forms in the symbol
    (``H*H``, say, where a spec flattens an input with a repeated symbol)."""


@dataclass(frozen=True)
class QuasiAffine:
    """A size as a function of one symbol: its value, its rate, and its period ``P``."""

    function: Function
    rate: Fraction
    period: int

    def __call__(self, size: int) -> int:
        return self.function(size)

    def step(self, period: int) -> int:
        """How much the size grows when the symbol grows by ``period`` (a multiple of ``self.period``)."""
        grown = self.rate * period
        assert grown.denominator == 1, (self.rate, period)
        return int(grown)


def quasi_affine(dim: Any, symbol: str, values: dict[str, int]) -> QuasiAffine:
    """``dim`` as a function of ``symbol``, every other symbol at its value in ``values``.

    ``dim`` is an int or a symbolic dim (a sympy expression of the same operations is
    read first, at this edge)."""
    if is_concrete(dim):
        return QuasiAffine(lambda _: dim, Fraction(0), 1)
    if not isinstance(dim, Expr | Fraction):
        from archspec.shapes.tosympy import NotRepresentable, from_sympy

        try:
            dim = from_sympy(dim)
        except NotRepresentable as error:
            raise NotQuasiAffine(str(error)) from None
    periods: list[int] = []
    function, denominator, rate = _translate(dim, symbol, values, periods)
    if denominator != 1:
        whole = function
        function = lambda size: _exactly(whole(size), denominator)  # noqa: E731
    return QuasiAffine(function, rate, math.lcm(1, *periods))


def _exactly(numerator: int, divisor: int) -> int:
    quotient, remainder = divmod(numerator, divisor)
    assert remainder == 0, (numerator, divisor)
    return quotient


def _translate(
    expr: Any, symbol: str, values: dict[str, int], periods: list[int]
) -> tuple[Function, int, Fraction]:
    """``expr`` as ``n / d``: the function giving the int ``n`` at a size, the positive
    int ``d``, and the rate. Sums, products by numbers (or sizes held), floors."""
    kind = type(expr)
    if kind is int or kind is Fraction:
        number = Fraction(expr)
        top = number.numerator
        return (lambda _: top), number.denominator, Fraction(0)
    if kind is Symbol:
        if expr.name == symbol:
            return (lambda size: size), 1, Fraction(1)
        if expr.name in values:
            held = values[expr.name]
            return (lambda _: held), 1, Fraction(0)
        raise NotQuasiAffine(f"{format_dim(expr)} has no value")
    if kind is Floor:
        inner, denominator, rate = _translate(expr.num, symbol, values, periods)
        denominator *= expr.den
        rate /= expr.den
        periods.append(rate.denominator)
        if denominator == 1:
            return inner, 1, rate
        return (lambda size: inner(size) // denominator), 1, rate
    if kind is Add:
        parts = [_translate(expr.const, symbol, values, periods)]
        parts += [_scaled(_translate(t, symbol, values, periods), c) for t, c in expr.terms.items()]
        return _sum(parts)
    moving = [(b, e) for b, e in expr.factors.items() if symbol in symbols_in(b)]
    if len(moving) > 1 or (moving and moving[0][1] > 1):  # a product of sizes that change with the symbol
        raise NotQuasiAffine(f"{format_dim(expr)} is not affine in {symbol}")
    factor = Fraction(expr.coeff)
    for base, exponent in expr.factors.items():
        if not moving or base is not moving[0][0]:
            try:
                factor *= Fraction(evaluate(base, values)) ** exponent
            except KeyError as missing:
                raise NotQuasiAffine(f"{missing.args[0]} has no value") from None
    if not moving:
        return _translate(factor, symbol, values, periods)
    return _scaled(_translate(moving[0][0], symbol, values, periods), factor)


def _scaled(part: tuple[Function, int, Fraction], factor: Any) -> tuple[Function, int, Fraction]:
    function, denominator, rate = part
    factor = Fraction(factor)
    top = factor.numerator
    if top == 1:
        return function, denominator * factor.denominator, rate * factor
    return (lambda size: top * function(size)), denominator * factor.denominator, rate * factor


def _sum(parts: list[tuple[Function, int, Fraction]]) -> tuple[Function, int, Fraction]:
    denominator = math.lcm(*(d for _, d, _ in parts))
    scaled = [(f, denominator // d) for f, d, _ in parts]
    rate = sum((r for _, _, r in parts), Fraction(0))
    return (lambda size: sum(m * f(size) for f, m in scaled)), denominator, rate
