"""Printing symbolic dims exactly as sympy's StrPrinter (with archspec's floor) prints them.

archspec printed its dims with a sympy printer (``floor((H - 1)/2) + 1`` for
``floor(H/2 - 1/2) + 1``); specs, docs and golden files hold that text. The
expressions of :mod:`archspec.shapes.symbolic` are in sympy's canonical form, so
the same text follows from sympy's rules, ported here for that subset: terms of
a sum in sympy's order (``Expr.as_ordered_terms``: descending exponents over the
generators sorted by ``sort_key``), factors of a product by ``sort_key``,
parentheses by precedence. tests/shapes/test_symbolic.py holds it to sympy's
output on random expressions.

Each node keeps its text and sort key once computed: a report formats each
distinct dim once, however many layers share it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archspec.shapes.symbolic import Add, Floor, Mul, Symbol

_NUMBER_CLASS = (1, 0, "Number")
_CLASS = {Symbol: (2, 0, "Symbol"), Add: (3, 1, "Add"), Mul: (3, 0, "Mul"), Floor: (4, 10000, "floor")}
_POW_CLASS = (3, 2, "Pow")


def _fast(value: Any) -> Any:
    """A rational as a key compares it: an int, or a float where that is exact (a
    denominator that is a power of 2), else the Fraction (compared exactly, if slowly)."""
    if type(value) is int:
        return value
    denominator = value.denominator
    if (
        denominator & (denominator - 1) == 0
        and denominator.bit_length() < 1000
        and abs(value.numerator) < 1 << 53
    ):
        return value.numerator / denominator
    return value


def _number_key(value: Any) -> tuple[Any, ...]:
    return (_NUMBER_CLASS, (0, ()), (), _fast(value))


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
    if kind is Mul and node.coeff != 1:
        key = _scaled_key(node.rest, node.coeff)
    else:
        expr, exponent = node, 1
        if kind is Mul and len(node.factors) == 1:
            ((expr, exponent),) = node.factors.items()
        inner = type(expr)
        if inner is Symbol:
            args: tuple[Any, ...] = (expr.name,)
        elif inner is Add:
            args = tuple(_scaled_key(t, c) for t, c in ordered_terms(expr))
        elif inner is Mul:
            args = tuple(sort_key(f) for f in _ordered_powers(expr))
        else:
            args = (_argument_key(expr),)
        key = (_CLASS[inner], (len(args), args), _number_key(exponent), 1)
    node._sort_key = key
    return key


def _argument_key(node: Floor) -> tuple[Any, ...]:
    """The sort key of a floor's argument (``num/den`` distributed), without building it:
    dividing by ``den`` changes the coefficients, not the order of the terms."""
    num, den = node.num, node.den
    if type(num) is not Add:
        coefficient, term = (num.coeff, num.rest) if type(num) is Mul else (1, num)
        return _scaled_key(term, Fraction(coefficient, den))
    args = tuple(_scaled_key(t, Fraction(c, den)) for t, c in ordered_terms(num))
    return (_CLASS[Add], (len(args), args), _ONE_KEY, 1)


def _scaled_key(term: Any, coefficient: Any) -> tuple[Any, ...]:
    """The sort key of ``coefficient * term`` (a term of a sum, or a number)."""
    if type(term) is int:
        return _number_key(term * coefficient)
    key = sort_key(term)
    return key if coefficient == 1 else (*key[:3], _fast(coefficient))


def _pow(base: Any, exponent: int) -> Any:
    return base if exponent == 1 else Mul(1, {base: exponent})


def _ordered_powers(node: Mul) -> list[Any]:
    """The factors of a product but its coefficient, by sort key (``as_ordered_factors``)."""
    return sorted((_pow(b, e) for b, e in node.factors.items()), key=sort_key)


def ordered_terms(node: Add) -> list[tuple[Any, Any]]:
    """``Expr.as_ordered_terms()`` as (term, coefficient) pairs, the constant as ``(1, const)``:
    by descending exponents over the generators sorted by sort key, with sympy's exception
    for ``1 - x`` (a positive number and a negated term)."""
    terms = list(node.terms.items())
    if node.const > 0 and len(terms) == 1:
        ((term, coefficient),) = terms
        if coefficient < 0 and type(term) is Mul and len(term.factors) == 1:
            return [(1, node.const), (term, coefficient)]
        if coefficient < 0 and type(term) is not Mul:
            return [(1, node.const), (term, coefficient)]
    powers = [term.factors if type(term) is Mul else {term: 1} for term, _ in terms]
    generators = sorted({b for p in powers for b in p}, key=sort_key)
    place = {g: i for i, g in enumerate(generators)}
    width = len(generators)

    def monomial(p: dict[Any, int]) -> tuple[tuple[int, int], ...]:
        """The exponents, negated, as (generator, -exponent) pairs by generator, then an end
        mark: ordered as the dense vectors are (a missing generator is a 0, and a vector
        that stops early has 0s after, which sort after a negated exponent)."""
        return (*sorted((place[base], -exponent) for base, exponent in p.items()), (width, 0))

    order = sorted(range(len(terms)), key=lambda i: monomial(powers[i]))
    result = [terms[i] for i in order]
    if node.const != 0:
        result.append((1, node.const))
    return result


# --- the printer --------------------------------------------------------------------------


def format_symbolic(node: Any) -> str:
    """The text of a number or a symbolic dim, with archspec's floors (kept on the node)."""
    kind = type(node)
    if kind is int:
        return str(node)
    if kind is Fraction:
        return f"{node.numerator}/{node.denominator}"
    text = node._printed
    if text is None:
        text = node._printed = _print(node, False)
    return text


def sympy_str(node: Any) -> str:
    """The text of ``str()`` of sympy's expression: the floors as sympy writes them
    (``floor(H/2 - 1/2)``); ``str(dim)`` and ``repr(dim)``, as they were."""
    return _text(node, True)


def _text(node: Any, plain: bool) -> str:
    return _print(node, True) if plain and type(node) not in (int, Fraction) else format_symbolic(node)


def _print(node: Any, plain: bool) -> str:
    kind = type(node)
    if kind is Symbol:
        return node.name
    if kind is Floor:
        if plain:
            return f"floor({_text(node.arg, True)})"
        top = format_symbolic(node.num)
        top = top if type(node.num) is Symbol else f"({top})"
        return f"floor({top}/{node.den})"  # archspec's DimPrinter: (H - 1)/2, not H/2 - 1/2
    if kind is Add:
        parts: list[str] = []
        for term, coefficient in ordered_terms(node):
            text = _scaled_text(term, coefficient, plain)
            parts += ["-", text[1:]] if text.startswith("-") else ["+", text]
        sign = parts.pop(0)
        return ("" if sign == "+" else sign) + " ".join(parts)
    if node.coeff != 1:
        return _scaled_text(node.rest, node.coeff, plain)
    if len(node.factors) == 1:  # a power
        ((base, exponent),) = node.factors.items()
        text = _text(base, plain)
        return f"({text})**{exponent}" if type(base) is Add else f"{text}**{exponent}"
    return "*".join(
        f"({_text(f, plain)})" if type(f) is Add else _text(f, plain) for f in _ordered_powers(node)
    )


def _scaled_text(term: Any, coefficient: Any, plain: bool) -> str:
    """``coefficient * term`` as sympy's StrPrinter writes it (``3*H/2``, ``-floor(H/2)``)."""
    if type(term) is int:
        return format_symbolic(term * coefficient)
    body = _text(term, plain)
    if coefficient == 1:
        return body
    sign = "-" if coefficient < 0 else ""
    size = -coefficient if coefficient < 0 else coefficient
    if type(size) is int:
        return f"{sign}{body}" if size == 1 else f"{sign}{size}*{body}"
    top = "" if size.numerator == 1 else f"{size.numerator}*"
    return f"{sign}{top}{body}/{size.denominator}"
