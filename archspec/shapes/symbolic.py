"""Symbolic dims without sympy: exact, immutable, hashable expressions in the input sizes.

A symbolic dim is built from the input symbols (integers >= 1) by sums, products
and floors of quotients by positive ints. This module keeps each expression in
the canonical form sympy would give it, operation by operation (sympy's automatic
evaluation, for this small subset), so that a dim prints exactly as sympy prints
it (:mod:`archspec.shapes.dimprint`) and ``sympy.sympify(dim)`` is sympy's own
expression (``_sympy_``), while an operation costs microseconds, not sympy's
hundreds (its assumption system decides every ``floor``).

The forms are sympy's:

- :class:`Symbol`; :class:`Floor` of a non-integer argument;
- :class:`Add`: a rational constant plus coefficient-free terms with rational
  coefficients (like terms collected: ``2*x + 3*x`` is ``5*x``);
- :class:`Mul`: a rational coefficient times bases (symbols, floors, sums) with
  positive int exponents (``x*x`` is ``x**2``). A number times a sum distributes
  (``2*(x + 1)`` is ``2*x + 2``); a product of sums stays a product.

Numbers are Python ints (or Fractions where a result is not an integer). Floors
are in :mod:`archspec.shapes.floors`, queries (symbols, values, divisors,
operation counts) in :mod:`archspec.shapes.dimfacts`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Number = int | Fraction
SymbolicDim = "Expr"


def as_number(value: Number) -> Number:
    """A Fraction with denominator 1 as an int."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def is_number(value: Any) -> bool:
    return type(value) is int or type(value) is Fraction


class Expr:
    """What every symbolic dim shares: operators, hashing, conversion to sympy."""

    __slots__ = ("_hash", "_printed", "_sort_key")

    def __add__(self, other: Any) -> Any:
        if type(other) is int:  # the common case: a margin, a + 1
            return plus_int(self, other)
        if not (is_number(other) or isinstance(other, Expr)):
            return NotImplemented
        return add_all((self, other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if not (is_number(other) or isinstance(other, Expr)):
            return NotImplemented
        return add_all((self, multiply(-1, other)))

    def __rsub__(self, other: Any) -> Any:
        if not is_number(other):
            return NotImplemented
        return add_all((other, multiply(-1, self)))

    def __mul__(self, other: Any) -> Any:
        if not (is_number(other) or isinstance(other, Expr)):
            return NotImplemented
        return multiply(self, other)

    __rmul__ = __mul__

    def __neg__(self) -> Any:
        return multiply(-1, self)

    def __truediv__(self, other: Any) -> Any:
        """Division by a number (``H / 2``): a rational coefficient."""
        if not is_number(other) or other == 0:
            return NotImplemented
        return multiply(Fraction(1) / other, self)

    def __floordiv__(self, other: Any) -> Any:
        """``self // b`` as sympy reads it: ``floor(self / b)``."""
        if not is_number(other) or other <= 0:
            return NotImplemented
        from archspec.shapes.floors import floor_of

        return floor_of(multiply(Fraction(1) / other, self))

    def __hash__(self) -> int:
        value = self._hash
        if value is None:  # sums and products: hashed when first needed (many never are)
            value = self._hash = self._compute_hash()
        return value

    def __str__(self) -> str:
        """As ``str()`` of the sympy expression (``floor(H/2 - 1/2) + 1``); archspec prints
        dims with ``format_dim`` (``floor((H - 1)/2) + 1``)."""
        from archspec.shapes.dimprint import sympy_str

        return sympy_str(self)

    __repr__ = __str__

    @property
    def free_symbols(self) -> frozenset[Symbol]:
        """The symbols the value depends on (as sympy names them)."""
        from archspec.shapes.dimfacts import symbols_in

        return frozenset(Symbol(name) for name in symbols_in(self))

    def subs(self, values: Any) -> Any:
        """The value with the given symbols (or their names) replaced by numbers, as
        ``sympy.Expr.subs`` does for a mapping: exact, an int once no symbol is left."""
        from archspec.shapes.dimfacts import substituted

        return substituted(self, {str(symbol): value for symbol, value in dict(values).items()})

    def _sympy_(self) -> Any:
        from archspec.shapes.tosympy import to_sympy

        return to_sympy(self)


class Symbol(Expr):
    """An input size: an integer >= 1."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name
        self._hash = hash(("Symbol", name))
        self._printed = self._sort_key = None

    def __reduce__(self) -> tuple[Any, ...]:
        return Symbol, (self.name,)  # the hash of a str differs between processes: not kept

    __hash__ = Expr.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other or (type(other) is Symbol and other.name == self.name)


class Floor(Expr):
    """``floor(num / den)``, not an integer for every value of the symbols: ``num`` has int
    coefficients and ``den >= 2`` shares no factor with all of them, so that the pair is
    canonical (sympy's argument, ``num/den`` distributed, is :attr:`arg`)."""

    __slots__ = ("_arg", "den", "num")

    def __init__(self, num: SymbolicDim, den: int) -> None:
        self.num, self.den = num, den
        # den's bit length too: ints hash modulo 2**61 - 1, so 2**k and 2**(k + 61) collide
        self._hash = hash(("Floor", num, den, den.bit_length()))
        self._printed = self._sort_key = self._arg = None

    def __reduce__(self) -> tuple[Any, ...]:
        return Floor, (self.num, self.den)

    __hash__ = Expr.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other or (
            type(other) is Floor
            and other._hash == self._hash
            and other.den == self.den
            and other.num == self.num
        )

    @property
    def arg(self) -> SymbolicDim:
        """The argument as sympy holds it: ``num/den`` with rational coefficients."""
        if self._arg is None:
            self._arg = multiply(Fraction(1, self.den), self.num)
        return self._arg


class Add(Expr):
    """``const + sum(coefficient * term)``; each term is a Symbol, a Floor or a Mul with coefficient 1."""

    __slots__ = ("const", "terms")

    def __init__(self, const: Number, terms: dict[Expr, Number]) -> None:
        self.const, self.terms = const, terms
        self._hash = self._printed = self._sort_key = None

    def _compute_hash(self) -> int:
        return hash(("Add", self.const, frozenset(self.terms.items())))

    def __reduce__(self) -> tuple[Any, ...]:
        return Add, (self.const, self.terms)

    __hash__ = Expr.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other or (
            type(other) is Add
            and (other._hash or hash(other)) == (self._hash or hash(self))  # no call back into __hash__
            and other.const == self.const
            and other.terms == self.terms
        )


class Mul(Expr):
    """``coeff * prod(base ** exponent)``: bases are Symbols, Floors or Adds, exponents ints >= 1.

    With coefficient 1 and one base it is sympy's ``Pow`` (exponent >= 2)."""

    __slots__ = ("_rest", "coeff", "factors")

    def __init__(self, coeff: Number, factors: dict[Expr, int]) -> None:
        self.coeff, self.factors = coeff, factors
        self._hash = self._printed = self._sort_key = self._rest = None

    def _compute_hash(self) -> int:
        return hash(("Mul", self.coeff, frozenset(self.factors.items())))

    def __reduce__(self) -> tuple[Any, ...]:
        return Mul, (self.coeff, self.factors)

    __hash__ = Expr.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other or (
            type(other) is Mul
            and (other._hash or hash(other)) == (self._hash or hash(self))  # no call back into __hash__
            and other.coeff == self.coeff
            and other.factors == self.factors
        )

    @property
    def rest(self) -> SymbolicDim:
        """The product without its coefficient (sympy's ``as_coeff_Mul()[1]``)."""
        if self._rest is None:
            self._rest = self if self.coeff == 1 else _make_mul(1, self.factors)
        return self._rest


def split_coefficient(term: SymbolicDim) -> tuple[Number, SymbolicDim]:
    """``(c, s)`` with ``term == c * s`` and ``s`` without a numeric factor (``as_coeff_Mul``)."""
    if type(term) is Mul:
        return term.coeff, term.rest
    return 1, term


def scaled_term(term: SymbolicDim, coefficient: Number) -> SymbolicDim:
    """``coefficient * term`` for a coefficient-free term (an Add term)."""
    if coefficient == 1:
        return term
    if type(term) is Mul:
        return Mul(coefficient, term.factors)
    return Mul(coefficient, {term: 1})


def make_add(const: Number, terms: dict[Expr, Number]) -> Any:
    if not terms:
        return as_number(const)
    if const == 0 and len(terms) == 1:
        ((term, coefficient),) = terms.items()
        return scaled_term(term, coefficient)
    return Add(const, terms)


def add_all(items: Any) -> Any:
    """The sum of numbers and symbolic dims, in one pass (sympy's ``Add(*items)``)."""
    const: Number = 0
    terms: dict[Expr, Number] = {}
    get = terms.get
    for item in items:
        kind = type(item)
        if kind is int or kind is Fraction:
            const += item
        elif kind is Add:
            const += item.const
            for term, coefficient in item.terms.items():
                terms[term] = get(term, 0) + coefficient
        elif kind is Mul:
            rest = item.rest
            terms[rest] = get(rest, 0) + item.coeff
        else:
            terms[item] = get(item, 0) + 1
    if 0 in terms.values():
        terms = {t: c for t, c in terms.items() if c != 0}
    if type(const) is not int or any(type(c) is not int for c in terms.values()):
        const, terms = as_number(const), {t: as_number(c) for t, c in terms.items()}
    return make_add(const, terms)


def plus_int(value: SymbolicDim, number: int) -> Any:
    """``value + number`` for a symbolic dim and an int: the terms are shared, not rebuilt."""
    if number == 0:
        return value
    kind = type(value)
    if kind is Add:
        return make_add(as_number(value.const + number), value.terms)
    if kind is Mul:
        return Add(number, {value.rest: value.coeff})
    return Add(number, {value: 1})


def _distribute(total: Add, factor: Number) -> Any:
    """``factor * (a + b)`` as ``factor*a + factor*b`` (sympy distributes a number over a sum)."""
    return make_add(
        as_number(total.const * factor), {t: as_number(c * factor) for t, c in total.terms.items()}
    )


def _make_mul(coeff: Number, factors: dict[Expr, int]) -> Any:
    if coeff == 0:
        return 0
    if not factors:
        return coeff
    if len(factors) == 1:
        ((base, exponent),) = factors.items()
        if exponent == 1:
            if coeff == 1:
                return base
            if type(base) is Add:
                return _distribute(base, coeff)
    return Mul(coeff, factors)


def _parts(value: SymbolicDim) -> tuple[Number, dict[Expr, int]]:
    if type(value) is Mul:
        return value.coeff, value.factors
    return 1, {value: 1}


def multiply(a: Any, b: Any) -> Any:
    """``a * b`` for numbers and symbolic dims (sympy's ``Mul``)."""
    if is_number(b):
        a, b = b, a
    if is_number(a):
        if is_number(b):
            return as_number(a * b)
        if a == 0:
            return 0
        if a == 1:
            return b
        if type(b) is Add:
            return _distribute(b, a)
        if type(b) is Mul:
            return _make_mul(as_number(b.coeff * a), b.factors)
        return Mul(a, {b: 1})
    coeff_a, factors_a = _parts(a)
    coeff_b, factors_b = _parts(b)
    factors = dict(factors_a)
    for base, exponent in factors_b.items():
        factors[base] = factors.get(base, 0) + exponent
    return _make_mul(as_number(coeff_a * coeff_b), factors)
