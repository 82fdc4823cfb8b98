"""Symbolic dims against sympy, the oracle: the same operations give the same printed
text, the same sympy expression and the same values."""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.printing.str import StrPrinter

from archspec.shapes.dimfacts import count_ops
from archspec.shapes.dims import floordiv, format_dim, make_symbol, substitute, total
from archspec.shapes.layout import divides
from archspec.shapes.symbolic import Add, Floor, Mul

SYMBOLS = ("H", "W")


class DimPrinter(StrPrinter):
    """The printer archspec used before its own (archspec/shapes/dims.py, sympy era)."""

    def _print_floor(self, expr: Any) -> str:
        numerator, denominator = expr.args[0].as_numer_denom()
        if denominator == 1:
            return f"floor({self._print(numerator)})"
        top = self._print(numerator)
        top = top if numerator.is_Atom else f"({top})"
        return f"floor({top}/{self._print(denominator)})"


def sympy_floordiv(a: Any, b: int) -> Any:
    """archspec's floordiv as it was written on sympy."""
    if isinstance(a, int):
        return a // b
    offset, rest = sympy.sympify(a).as_coeff_Add()
    if isinstance(rest, sympy.floor) and offset.is_Integer:
        a = rest.args[0] + offset
    result = sympy.floor(a / b)
    return int(result) if result.is_Integer else result


def sympy_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, integer=True, positive=True)


# One step: (operation, operand index, int argument)
step = st.tuples(
    st.sampled_from(["add", "sub", "rsub", "scale", "times", "floordiv", "exact", "neg", "addint", "total"]),
    st.integers(0, 30),
    st.integers(-6, 9),
)


def apply(values: list[Any], operation: str, index: int, number: int, *, mine: bool) -> Any:
    x = values[-1]
    y = values[index % len(values)]
    if operation == "add":
        return x + y
    if operation == "sub":
        return x - y
    if operation == "rsub":
        return number - x
    if operation == "scale":
        return x * number if number else x * 2
    if operation == "times":
        return x * y
    if operation in ("floordiv", "exact"):  # a floor of a size; an exact quotient (reshape's -1)
        b = abs(number) + 1
        return floordiv(x, b) if mine else sympy_floordiv(x, b)
    if operation == "neg":
        return -x
    if operation == "addint":
        return x + number
    items = [x, y, number]
    return total(items) if mine else sympy.Add(*items)


def is_size(value: Any) -> bool:
    """A sum of numbers times symbols and floors of sizes: no product of two sizes."""
    if isinstance(value, Add):
        return all(is_size(term) for term in value.terms)
    if isinstance(value, Mul):
        return False
    if isinstance(value, Floor):
        return is_size(value.num)
    return True


def check(mine: Any, theirs: Any, sizes: dict[str, int]) -> None:
    if isinstance(theirs, int) or (isinstance(theirs, sympy.Basic) and theirs.is_Integer):
        assert isinstance(mine, int) and mine == int(theirs), (mine, theirs)
        return
    assert format_dim(mine) == DimPrinter().doprint(theirs), (mine, theirs)
    assert sympy.sympify(mine) == theirs, (sympy.srepr(sympy.sympify(mine)), sympy.srepr(theirs))
    assert count_ops(mine) == sympy.count_ops(theirs), (mine, theirs)
    assert str(mine) == str(theirs) and repr(mine) == repr(theirs)
    bound = {sympy_symbol(n): v for n, v in sizes.items()}
    value = theirs.subs(bound)
    if value.is_Integer:
        assert substitute(mine, sizes) == int(value)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(step, min_size=1, max_size=10),
    st.sampled_from(SYMBOLS),
    st.integers(1, 40),
    st.integers(1, 40),
)
def test_operations_agree_with_sympy(steps: list[tuple[str, int, int]], first: str, h: int, w: int) -> None:
    mine: list[Any] = [make_symbol(first), make_symbol("W"), 3]
    theirs: list[Any] = [sympy_symbol(first), sympy_symbol("W"), 3]
    sizes = {"H": h, "W": w}
    for operation, index, number in steps:
        if operation == "times" and len(str(theirs[-1])) > 200:
            continue  # products of products grow fast: keep examples small
        # The rules take floors of sizes (no products of sizes in them), and divide a
        # product of sizes only where the quotient is exact (layout.exact_quotient).
        if operation == "floordiv" and not is_size(mine[-1]):
            continue
        if operation == "exact" and not divides(abs(number) + 1, mine[-1]):
            continue
        mine.append(apply(mine, operation, index, number, mine=True))
        theirs.append(apply(theirs, operation, index, number, mine=False))
        check(mine[-1], theirs[-1], sizes)


def test_window_stack_prints_as_before() -> None:
    h = make_symbol("H")
    size = h
    for _ in range(5):
        size = floordiv(size + 2 - 3, 2) + 1
    expected = sympy_symbol("H")
    for _ in range(5):
        expected = sympy_floordiv(expected + 2 - 3, 2) + 1
    assert format_dim(size) == DimPrinter().doprint(expected) == "floor((H - 1)/32) + 1"


def test_a_dim_pickles_into_another_process_without_its_hash() -> None:
    """The hash of a str differs between processes: a pickled dim carries its parts only,
    and equals, hashes like and prints like the same dim made there."""
    code = (
        "import pickle, sys\n"
        "from archspec.shapes.dims import floordiv, format_dim, make_symbol\n"
        "H, W = make_symbol('H'), make_symbol('W')\n"
        "here = 3 * (floordiv(H - 1, 2) + 1) * (floordiv(W, 4) + 2)\n"
        "there = pickle.loads(sys.stdin.buffer.read())\n"
        "print(there == here, hash(there) == hash(here), format_dim(there) == format_dim(here))"
    )
    h, w = make_symbol("H"), make_symbol("W")
    dim = 3 * (floordiv(h - 1, 2) + 1) * (floordiv(w, 4) + 2)
    hash(dim), format_dim(dim)  # cached here: none of it may travel
    done = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(dim), capture_output=True, check=True
    )
    assert done.stdout.split() == [b"True", b"True", b"True"]
