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
sympy after the translation): the valid-size search evaluates thousands of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from archspec.shapes.dims import Dim, is_concrete

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


def quasi_affine(dim: Dim, symbol: str, values: dict[str, int]) -> QuasiAffine:
    """``dim`` as a function of ``symbol``, every other symbol at its value in ``values``."""
    if is_concrete(dim):
        return QuasiAffine(lambda _: dim, Fraction(0), 1)
    periods: list[int] = []
    function, rate = _ratio(dim, symbol, values, periods, exact=True)
    return QuasiAffine(function, rate, math.lcm(1, *periods))


def _ratio(
    expr: Any, symbol: str, values: dict[str, int], periods: list[int], *, exact: bool
) -> tuple[Function, Fraction]:
    """``expr`` as ``n / d``, ``n`` with int coefficients and ``d`` a positive int: its
    value ``n // d`` (a floor's, or exact where ``exact``) and its rate."""
    import sympy

    numerator, denominator = sympy.fraction(sympy.together(expr))
    if not denominator.is_Integer or denominator <= 0:
        raise NotQuasiAffine(f"{expr} is not affine in {symbol}")
    function, rate = _translate(sympy.expand(numerator), symbol, values, periods)
    divisor = int(denominator)
    if divisor == 1:
        return function, rate
    if exact:
        return (lambda size: _exactly(function(size), divisor)), rate / divisor
    return (lambda size: function(size) // divisor), rate / divisor


def _exactly(numerator: int, divisor: int) -> int:
    quotient, remainder = divmod(numerator, divisor)
    assert remainder == 0, (numerator, divisor)
    return quotient


def _translate(
    expr: Any, symbol: str, values: dict[str, int], periods: list[int]
) -> tuple[Function, Fraction]:
    """An expression with int coefficients: sums, products by a number, floors."""
    import sympy

    if expr.is_Integer:
        number = int(expr)
        return (lambda _: number), Fraction(0)
    if expr.is_Symbol:
        if expr.name == symbol:
            return (lambda size: size), Fraction(1)
        if expr.name in values:
            held = values[expr.name]
            return (lambda _: held), Fraction(0)
        raise NotQuasiAffine(f"{expr} has no value")
    if isinstance(expr, sympy.Add):
        parts = [_translate(arg, symbol, values, periods) for arg in expr.args]
        functions = [f for f, _ in parts]
        return (lambda size: sum(f(size) for f in functions)), sum((r for _, r in parts), Fraction(0))
    if isinstance(expr, sympy.Mul):
        moving = [arg for arg in expr.args if symbol in {str(s) for s in arg.free_symbols}]
        if len(moving) > 1:  # a product of two sizes that change with the symbol
            raise NotQuasiAffine(f"{expr} is not affine in {symbol}")
        factor = math.prod(
            _translate(arg, symbol, values, periods)[0](0) for arg in expr.args if arg not in moving
        )
        if not moving:
            return (lambda _: factor), Fraction(0)
        inner, rate = _translate(moving[0], symbol, values, periods)
        return (lambda size: factor * inner(size)), factor * rate
    if isinstance(expr, sympy.floor | sympy.ceiling):
        (argument,) = expr.args
        inner, rate = _ratio(
            argument if isinstance(expr, sympy.floor) else -argument, symbol, values, periods, exact=False
        )
        periods.append(rate.denominator)
        if isinstance(expr, sympy.floor):
            return inner, rate
        return (lambda size: -inner(size)), -rate  # ceil(a) = -floor(-a)
    raise NotQuasiAffine(f"{expr} is not a sum of floors of affine forms in {symbol}")
