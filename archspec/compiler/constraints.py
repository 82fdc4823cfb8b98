"""What a join asks of a symbolic input: two sizes that must be equal.

A join (``concat``, ``add``, ``mul``) of branches whose sizes differ as
formulas, ``H`` and ``2*floor(H/2)`` say, is right for some input sizes and
wrong for others. Inference does not refuse it: the join records a
:class:`Constraint` in the compile and goes on with one of the two sizes (its
*representative*); :mod:`archspec.compiler.validsizes` then derives the exact
set of sizes where every constraint holds, and refuses the spec only where that
set is empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archspec.diagnostics import Span
from archspec.shapes.dimfacts import count_ops
from archspec.shapes.dims import Dim, dims_equal, format_dim, is_concrete, symbols_of


@dataclass(frozen=True)
class Constraint:
    """``left == right`` at a join, as the branches give them.

    ``message`` says which branches give what; ``path`` and ``span`` locate the
    join. With ``broadcast`` (``add``, ``mul``) a size of 1 on either side
    also fits, as PyTorch's broadcasting lets it.
    """

    left: Dim
    right: Dim
    message: str
    path: str = ""
    span: Span | None = None
    broadcast: bool = False

    @property
    def equations(self) -> tuple[tuple[Dim, Dim], ...]:
        """The equations of which one must hold (one, or three where a 1 broadcasts)."""
        pair = ((self.left, self.right),)
        return (*pair, (self.left, 1), (self.right, 1)) if self.broadcast else pair

    @property
    def symbols(self) -> frozenset[str]:
        return symbols_of(self.left) | symbols_of(self.right)

    def __str__(self) -> str:
        text = f"{format_dim(self.left)} = {format_dim(self.right)}"
        return f"{text} (or one of them 1)" if self.broadcast else text


# Classes checked to decide that two sizes in one symbol are one formula; past it, sympy decides.
_IDENTITY_PERIOD = 1 << 12


def identical(a: Dim, b: Dim) -> bool:
    """Whether two sizes are equal for every value of the symbols, decided exactly: in one
    symbol on the residue classes of their period (the sizes are affine along each, so
    equal values and equal steps decide), else by sympy (``dims_equal``)."""
    symbols = symbols_of(a) | symbols_of(b)
    if len(symbols) == 1:
        from archspec.compiler.quasiaffine import NotQuasiAffine, quasi_affine

        (symbol,) = symbols
        try:
            f, g = quasi_affine(a, symbol, {}), quasi_affine(b, symbol, {})
        except NotQuasiAffine:
            f = g = None
        if f is not None and g is not None:
            period = math.lcm(f.period, g.period)
            if period <= _IDENTITY_PERIOD:
                steps_equal = f.step(period) == g.step(period)
                return steps_equal and all(f(r) == g(r) for r in range(1, period + 1))
    return dims_equal(a, b)


def representative(a: Dim, b: Dim) -> Dim:
    """The size a join goes on with: an int if either is one, else the simpler formula
    (fewer operations, as sympy's ``count_ops`` counts them; the first on a tie).

    Sound: every size the compile accepts satisfies the join's constraint, where
    the two are equal, so later shapes are right whichever is kept; the simpler
    keeps later formulas short (``H`` rather than ``2*floor(H/2)``). Where a
    broadcasting join meets a size of 1 instead (a few isolated sizes), PyTorch's
    result is the other size, which the kept formula need not give; the valid
    sizes are still exact, since they come from concrete probes there.
    """
    if is_concrete(a) or is_concrete(b):
        return a if is_concrete(a) else b
    return b if count_ops(b) < count_ops(a) else a
