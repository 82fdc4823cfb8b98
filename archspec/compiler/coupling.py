"""Joins that couple two input symbols: finding sizes where they hold.

Two inputs with symbols of their own (``image: [3, H, W]``, ``small: [3, h, w]``)
joined after a pool give ``floor(H/2) = h``: no size of ``H`` is valid or not on
its own. The valid-size search needs one point where the whole network is
valid, to hold the other symbols at while it studies one; :func:`satisfy` finds
one where each such join is *separable* (each side a size in one symbol): the
first symbol (in the inputs' order) is kept, the other solved for, exactly,
since a size is nondecreasing in its symbol. Other couplings (``2*H*W = …``
after ``flatten``) are left to the probes.
"""

from __future__ import annotations

from collections.abc import Callable

from archspec.compiler.constraints import Constraint
from archspec.compiler.quasiaffine import NotQuasiAffine, QuasiAffine, quasi_affine
from archspec.shapes.dims import symbols_of

SEARCH_BITS = 41
WALK = 4096  # sizes tried, among those that solve one equation, for one the symbol may take


def satisfy(
    sizes: dict[str, int], coupled: list[Constraint], order: list[str], allowed: Callable[[str, int], bool]
) -> dict[str, int] | None:
    """``sizes`` with the later symbol of each separable coupling solved for, among the
    sizes ``allowed`` for it; None where one has no solution."""
    sizes = dict(sizes)
    for constraint in coupled:
        sides = [(symbols_of(side), side) for side in (constraint.left, constraint.right)]
        if any(len(found) != 1 for found, _ in sides) or sides[0][0] == sides[1][0]:
            continue
        (anchor, fixed), (solved, free) = sorted(
            ((next(iter(found)), side) for found, side in sides), key=lambda pair: order.index(pair[0])
        )
        try:
            target = quasi_affine(fixed, anchor, {})(sizes[anchor])
            function = quasi_affine(free, solved, {})
        except NotQuasiAffine:
            continue
        if function(sizes[solved]) == target:
            continue
        size = _solve(function, target, lambda n, symbol=solved: allowed(symbol, n))
        if size is None:
            return None
        sizes[solved] = size
    return sizes


def _solve(function: QuasiAffine, target: int, allowed: Callable[[int], bool]) -> int | None:
    """The smallest allowed ``n >= 1`` with ``function(n) == target`` (``function`` nondecreasing)."""
    if function.rate < 0:
        return None
    low, high = 1, 1 << SEARCH_BITS
    if function(high) < target:
        return None
    while low < high:  # the first n with function(n) >= target
        middle = (low + high) // 2
        if function(middle) >= target:
            high = middle
        else:
            low = middle + 1
    for n in range(low, low + WALK):
        if function(n) != target:
            return None
        if allowed(n):
            return n
    return None
