"""The edge between archspec's symbolic dims and sympy, both ways.

``to_sympy`` is what ``sympy.sympify(dim)`` calls (the ``_sympy_`` protocol):
the very expression sympy itself builds by the same operations, with each
symbol an integer >= 1. ``from_sympy`` reads a sympy expression made of those
operations (and ``ceiling``, as ``-floor(-x)``) back; anything else is refused.
Only these functions import sympy.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archspec.shapes.floors import floor_of
from archspec.shapes.symbolic import Add, Floor, Symbol, add_all, multiply


def sympy_symbol(name: str) -> Any:
    import sympy

    return sympy.Symbol(name, integer=True, positive=True)


def to_sympy(value: Any) -> Any:
    import sympy

    kind = type(value)
    if kind is int:
        return sympy.Integer(value)
    if kind is Fraction:
        return sympy.Rational(value.numerator, value.denominator)
    if kind is Symbol:
        return sympy_symbol(value.name)
    if kind is Floor:
        return sympy.floor(to_sympy(value.arg), evaluate=False)
    if kind is Add:
        return sympy.Add(to_sympy(value.const), *(to_sympy(c) * to_sympy(t) for t, c in value.terms.items()))
    factors = [to_sympy(b) ** e if e != 1 else to_sympy(b) for b, e in value.factors.items()]
    if value.coeff == 1:
        return sympy.Mul(*factors)
    return sympy.Mul(to_sympy(value.coeff), *factors)


class NotRepresentable(ValueError):
    """A sympy expression outside sums, products, int powers, floors and ceilings of the symbols."""


def from_sympy(expr: Any) -> Any:
    import sympy

    expr = sympy.sympify(expr)
    if expr.is_Integer:
        return int(expr)
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    if expr.is_Symbol:
        return Symbol(expr.name)
    if isinstance(expr, sympy.Add):
        return add_all(from_sympy(a) for a in expr.args)
    if isinstance(expr, sympy.Mul):
        result: Any = 1
        for arg in expr.args:
            result = multiply(result, from_sympy(arg))
        return result
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 0:
        base = from_sympy(expr.base)
        result = 1
        for _ in range(int(expr.exp)):
            result = multiply(result, base)
        return result
    if isinstance(expr, sympy.floor):
        return floor_of(from_sympy(expr.args[0]))
    if isinstance(expr, sympy.ceiling):
        return multiply(-1, floor_of(multiply(-1, from_sympy(expr.args[0]))))
    raise NotRepresentable(f"{expr} is not a sum of products and floors of the symbols")
