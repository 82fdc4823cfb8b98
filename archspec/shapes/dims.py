"""Dimensions: a dim is an ``int`` or a symbolic expression in the input symbols.

Every helper here works on both, so that a shape rule written once serves
concrete and symbolic inputs. Symbolic dims are archspec's own exact
expressions (:mod:`archspec.shapes.symbolic`), in sympy's canonical form and
printed as sympy prints them; sympy itself is imported only at the edges
(``sympy.sympify(dim)``, and deciding equality or divisibility where the
exact forms do not settle it). Validating a spec with concrete inputs never
imports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from archspec.shapes.dimfacts import evaluate, symbols_in
from archspec.shapes.floors import floor_div, floor_of, is_integer
from archspec.shapes.symbolic import Add, Expr, Floor, Symbol, add_all, multiply

if TYPE_CHECKING:
    import sympy

Dim = int | Expr


def is_concrete(dim: Any) -> bool:
    return isinstance(dim, int)


def make_symbol(name: str) -> Symbol:
    """The symbol for an input size: an integer >= 1 (``sympy.sympify`` gives sympy's)."""
    return Symbol(name)


class BatchSymbol:
    """The batch dimension ``N``: the first entry of every shape.

    It is not a sympy object, so that concrete shapes never import sympy, but
    it converts to ``sympy.Symbol("N")`` through sympy's ``_sympy_`` protocol.
    """

    name = "N"

    def __repr__(self) -> str:
        return "N"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BatchSymbol) or (type(other).__name__ == "Symbol" and str(other) == "N")

    def __hash__(self) -> int:
        return hash("N")

    def _sympy_(self) -> sympy.Symbol:
        from archspec.shapes.tosympy import sympy_symbol

        return sympy_symbol("N")


N = BatchSymbol()


def floordiv(a: Dim, b: int) -> Dim:
    """``floor(a / b)`` for a positive int ``b``.

    Nested floors are folded, so that a deep stack of strided layers keeps
    one floor per axis: for an integer ``c`` and ``b > 0``,
    ``floor((floor(u) + c) / b) == floor((u + c) / b)``.
    """
    if type(a) is int:
        return a // b
    if type(a) is Floor:  # floor(floor(u)/1) is floor(u): the same canonical pair
        return a if b == 1 else floor_div(a.num, a.den * b)
    if type(a) is Add and len(a.terms) == 1 and type(a.const) is int:
        ((term, coefficient),) = a.terms.items()
        if type(term) is Floor and coefficient == 1:
            return floor_div(add_all((term.num, a.const * term.den)), term.den * b)
    if b == 1 and is_integer(a):  # floor(a) is a itself, as sympy gives it
        return a
    if type(a) is Symbol or (
        type(a) is Add
        and type(a.const) is int
        and all(type(c) is int for c in a.terms.values())
        and math.gcd(b, a.const, *a.terms.values()) == 1
    ):
        # floor_of below would write a/b with Fractions, then multiply it by the lcm of their
        # denominators, b (nothing divides out), back to a: floor_div(a, b), with no Fraction.
        return floor_div(a, b)
    return floor_of(multiply(Fraction(1, b), a))


def product(dims: Iterable[Dim]) -> Dim:
    result: Dim = 1
    for dim in dims:
        result = result * dim
    return result


def scaled_product(factor: int, dims: tuple[Dim, ...], memo: dict[Any, Any] | None = None) -> Dim:
    """``factor * product(dims)``: the product of the dims first, so that a symbolic one
    stays unexpanded (sympy's canonical form: ``64*(H + 1)*W``, not ``(64*H + 64)*W``).
    ``memo`` (a compile's, RuleContext.memo): a symbolic result is kept there by ``factor``
    and the dims' identity (symbolic dims are one object per value in a compile), and found
    again by the next layer that asks the same (a conv's MACs, layer after layer)."""
    for dim in dims:
        if type(dim) is not int:
            break
    else:  # every dim an int: the concrete path, unchanged
        return factor * product(dims)
    if memo is None:
        return factor * product(dims)
    key = (scaled_product, factor, *map(id, dims))  # the function: no other rule's key is equal
    known = memo.get(key)
    if known is None or any(a is not b for a, b in zip(known[0], dims, strict=True)):
        known = memo[key] = (dims, factor * product(dims))  # holds the dims: their ids stay theirs
    return known[1]


def total(values: Iterable[Dim]) -> Dim:
    """The sum of dims: an int while every value is one, else one symbolic sum
    (one pass, not a chain of ``+``, which would rebuild the sum at each step)."""
    items = list(values)
    if all(type(v) is int for v in items):
        return sum(items)
    return add_all(items)


def dims_equal(a: Dim, b: Dim) -> bool:
    """Whether two dims are equal for every value of the symbols: the same canonical
    form, or (rarely: two formulas that differ) equal as sympy simplifies them. A formula
    in canonical form is never a number for every value (it would have been evaluated)."""
    if a == b:
        return True
    if is_concrete(a) or is_concrete(b):
        return False
    import sympy

    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


def symbols_of(dim: Dim) -> frozenset[str]:
    if is_concrete(dim):
        return frozenset()
    return symbols_in(dim)


def substitute(dim: Dim, values: dict[str, int]) -> int:
    """The int a dim takes when each symbol has the given value."""
    if is_concrete(dim):
        return dim
    return int(evaluate(dim, values))


def format_dim(dim: Any) -> str:
    """A dim as people write it: ``floor((H - 1)/2) + 1``, not ``floor(H/2 - 1/2) + 1``."""
    if not isinstance(dim, Expr):  # an int, N, or what emit passes through the rules (Code)
        return str(dim)
    from archspec.shapes.dimprint import format_symbolic

    return format_symbolic(dim)


def format_shape(dims: Iterable[Any]) -> str:
    """``[N, 64, floor(H/2), 7]``: the one way archspec prints a shape."""
    return "[" + ", ".join(format_dim(d) for d in dims) + "]"
