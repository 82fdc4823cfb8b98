"""Printing symbolic dims exactly as sympy's StrPrinter (with archspec's floor) prints them.

archspec printed its dims with a sympy printer (``floor((H - 1)/2) + 1`` for
``floor(H/2 - 1/2) + 1``); specs, docs and golden files hold that text. The
expressions of :mod:`archspec.shapes.symbolic` are in sympy's canonical form, so
the same text follows from sympy's rules, ported here for that subset: terms of
a sum in sympy's order (``Expr.as_ordered_terms``: descending exponents over the
generators sorted by ``sort_key``), factors of a product by ``sort_key``,
parentheses by precedence. tests/shapes/test_dimprint.py holds it to sympy's
output on random expressions.

Each node keeps its text and sort key once computed: a report formats each
distinct dim once, however many layers share it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archspec.shapes.symbolic import Add, Floor, Mul, Symbol, multiply

_NUMBER_CLASS = (1, 0, "Number")
_CLASS = {Symbol: (2, 0, "Symbol"), Add: (3, 1, "Add"), Mul: (3, 0, "Mul"), Floor: (4, 10000, "floor")}
_POW_CLASS = (3, 2, "Pow")


def _number_key(value: Any) -> tuple[Any, ...]:
    return (_NUMBER_CLASS, (0, ()), (), value)


_ONE_KEY = _number_key(1)


def _is_pow(node: Any) -> bool:
    return type(node) is Mul and node.coeff == 1 and len(node.factors) == 1


def sort_key(node: Any) -> tuple[Any, ...]:
    """sympy's ``default_sort_key``."""
    kind = type(node)
    if kind is int or kind is Fraction:
        return _number_key(node)
    key = node._sort_key
    if key is not None:
        return key
    coeff, expr, exponent = 1, node, 1
    if kind is Mul:
        coeff, expr = node.coeff, node.rest
        if _is_pow(expr):
            ((expr, exponent),) = expr.factors.items()
    inner = type(expr)
    if inner is Symbol:
        args: tuple[Any, ...] = (expr.name,)
        cls = _CLASS[Symbol]
    elif inner is Add:
        args = tuple(sort_key(t) for t in ordered_terms(expr))
        cls = _CLASS[Add]
    elif inner is Mul:
        args = tuple(sort_key(f) for f in ordered_factors(expr))
        cls = _CLASS[Mul]
    else:
        args = (sort_key(expr.arg),)
        cls = _CLASS[Floor]
    key = (cls, (len(args), args), _number_key(exponent), coeff)
    node._sort_key = key
    return key


def _pow(base: Any, exponent: int) -> Any:
    return base if exponent == 1 else Mul(1, {base: exponent})


def ordered_factors(node: Mul) -> list[Any]:
    """``Mul.as_ordered_factors``: the coefficient (unless 1) and the powers, by sort key."""
    powers = sorted((_pow(b, e) for b, e in node.factors.items()), key=sort_key)
    return powers if node.coeff == 1 else [node.coeff, *powers]


def ordered_terms(node: Add) -> list[Any]:
    """``Expr.as_ordered_terms()``: by descending exponents over the sorted generators,
    with sympy's exception for ``1 - x`` (a positive number and a negated term)."""
    if node.const > 0 and len(node.terms) == 1:
        ((term,),) = [(_scaled_term(t, c),) for t, c in node.terms.items()]
        if type(term) is Mul and term.coeff < 0 and len(term.factors) == 1:
            return [node.const, term]
    powers = [(_powers_of(t), t) for t in node.terms]
    generators = sorted({b for p, _ in powers for b in p}, key=sort_key)
    place = {g: i for i, g in enumerate(generators)}

    def monomial(p: dict[Any, int]) -> tuple[int, ...]:
        exponents = [0] * len(generators)
        for base, exponent in p.items():
            exponents[place[base]] = -exponent
        return tuple(exponents)

    ordered = [term for _, term in sorted(((monomial(p), i) for i, (p, _) in enumerate(powers)))]
    terms = list(node.terms.items())
    result: list[Any] = [_scaled_term(*terms[i]) for i in ordered]
    if node.const != 0:
        result.append(node.const)
    return result


def _scaled_term(term: Any, coefficient: Any) -> Any:
    return multiply(coefficient, term) if coefficient != 1 else term


def _powers_of(term: Any) -> dict[Any, int]:
    return term.factors if type(term) is Mul else {term: 1}


# --- the printer --------------------------------------------------------------------------

_ADD, _MUL, _POW = 40, 50, 60


def _precedence(node: Any) -> int:
    kind = type(node)
    if kind is int or kind is Fraction:
        return _ADD if node < 0 else (1000 if kind is int else _MUL)
    if kind is Add:
        return _ADD
    if kind is Mul:
        if _is_pow(node) and next(iter(node.factors.values())) > 1:
            return _POW
        return _ADD if node.coeff < 0 else _MUL
    return 70 if kind is Floor else 1000


def _parenthesize(node: Any, level: int) -> str:
    text = format_symbolic(node)
    return f"({text})" if _precedence(node) <= level else text


def _print_number(value: Any) -> str:
    return str(value) if type(value) is int else f"{value.numerator}/{value.denominator}"


def format_symbolic(node: Any) -> str:
    """The text of a number or a symbolic dim (kept on the node)."""
    kind = type(node)
    if kind is int or kind is Fraction:
        return _print_number(node)
    text = node._printed
    if text is None:
        text = node._printed = _print(node)
    return text


def _print(node: Any) -> str:
    kind = type(node)
    if kind is Symbol:
        return node.name
    if kind is Floor:
        return _print_floor(node)
    if kind is Add:
        return _print_add(node)
    return _print_mul(node)


def _print_floor(node: Floor) -> str:
    """``floor((H - 1)/2)``: the argument as numerator over denominator (archspec's DimPrinter)."""
    numerator = node.num
    top = format_symbolic(numerator)
    top = top if type(numerator) is Symbol else f"({top})"
    return f"floor({top}/{node.den})"


def _print_add(node: Add) -> str:
    parts: list[str] = []
    for term in ordered_terms(node):
        text = format_symbolic(term)
        if text.startswith("-"):
            parts += ["-", text[1:]]
        else:
            parts += ["+", text]
    sign = parts.pop(0)
    return ("" if sign == "+" else sign) + " ".join(parts)


def _print_mul(node: Mul) -> str:
    coeff = node.coeff
    if coeff == 1 and len(node.factors) == 1:
        ((base, exponent),) = node.factors.items()
        return f"{_parenthesize(base, _POW)}**{exponent}"
    level = _ADD if coeff < 0 else _MUL
    sign = "-" if coeff < 0 else ""
    positive = -coeff if coeff < 0 else coeff
    if positive == 1 and len(node.factors) == 1:  # -x, -x**2: the term alone
        ((base, exponent),) = node.factors.items()
        return sign + _parenthesize(_pow(base, exponent), level)
    numerator: list[str] = []
    denominator = 1
    if positive != 1:
        top = positive if type(positive) is int else positive.numerator
        denominator = 1 if type(positive) is int else positive.denominator
        if top != 1:
            numerator.append(str(top))
    numerator += [
        _parenthesize(f, level) for f in sorted((_pow(b, e) for b, e in node.factors.items()), key=sort_key)
    ]
    text = sign + "*".join(numerator or ["1"])
    return text if denominator == 1 else f"{text}/{denominator}"
