"""Dimensions: a dim is an ``int`` or a sympy expression in the input symbols.

Every helper here works on both, so that a shape rule written once serves
concrete and symbolic inputs. sympy is imported only when a symbolic value is
actually met: validating a spec with concrete inputs never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import sympy

Dim = Union[int, "sympy.Expr"]


def is_concrete(dim: Any) -> bool:
    return isinstance(dim, int)


def make_symbol(name: str) -> sympy.Symbol:
    """The symbol for an input size: an integer >= 1, so sympy can simplify."""
    import sympy

    return sympy.Symbol(name, integer=True, positive=True)


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
        return make_symbol("N")


N = BatchSymbol()


def floordiv(a: Dim, b: int) -> Dim:
    """``floor(a / b)`` for a positive int ``b``.

    Nested floors are folded, so that a deep stack of strided layers keeps
    one floor per axis: for an integer ``c`` and ``b > 0``,
    ``floor((floor(u) + c) / b) == floor((u + c) / b)``.
    """
    if is_concrete(a):
        return a // b
    import sympy

    offset, rest = sympy.sympify(a).as_coeff_Add()
    if isinstance(rest, sympy.floor) and offset.is_Integer:
        a = rest.args[0] + offset
    result = sympy.floor(a / b)
    return int(result) if result.is_Integer else result


def product(dims: Iterable[Dim]) -> Dim:
    result: Dim = 1
    for dim in dims:
        result = result * dim
    return result


def total(values: Iterable[Dim]) -> Dim:
    """The sum of dims: an int while every value is one, else one sympy ``Add``
    (one call, not a chain of ``+``, which would rebuild the sum at each step)."""
    items = list(values)
    if all(is_concrete(v) for v in items):
        return sum(items)
    import sympy

    return sympy.Add(*items)


def dims_equal(a: Dim, b: Dim) -> bool:
    """Whether two dims are equal for every value of the symbols."""
    if is_concrete(a) and is_concrete(b):
        return a == b
    import sympy

    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


def symbols_of(dim: Dim) -> frozenset[str]:
    if is_concrete(dim):
        return frozenset()
    return frozenset(str(s) for s in dim.free_symbols)


def substitute(dim: Dim, values: dict[str, int]) -> int:
    """The int a dim takes when each symbol has the given value."""
    if is_concrete(dim):
        return dim
    import sympy

    bound = {s: values[str(s)] for s in dim.free_symbols}
    return int(sympy.sympify(dim).subs(bound))


def format_dim(dim: Any) -> str:
    """A dim as people write it: ``floor((H - 1)/2) + 1``, not ``floor(H/2 - 1/2) + 1``."""
    if is_concrete(dim) or isinstance(dim, BatchSymbol):
        return str(dim)
    return _printer().doprint(dim)


_PRINTER = None


def _printer() -> Any:
    global _PRINTER
    if _PRINTER is None:
        from sympy.printing.str import StrPrinter

        class DimPrinter(StrPrinter):
            def _print_floor(self, expr: Any) -> str:
                numerator, denominator = expr.args[0].as_numer_denom()
                if denominator == 1:
                    return f"floor({self._print(numerator)})"
                top = self._print(numerator)
                top = top if numerator.is_Atom else f"({top})"
                return f"floor({top}/{self._print(denominator)})"

        _PRINTER = DimPrinter()
    return _PRINTER


def format_shape(dims: Iterable[Any]) -> str:
    """``[N, 64, floor(H/2), 7]``: the one way archspec prints a shape."""
    return "[" + ", ".join(format_dim(d) for d in dims) + "]"
