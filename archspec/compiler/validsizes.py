"""The exact set of valid sizes of each input symbol (``Graph.valid_sizes``).

Two kinds of conditions decide whether a size ``H`` is valid:

- thresholds (a window must fit, a size must stay >= 1): every size is a
  nondecreasing function of ``H``, so these hold from some size on;
- the joins' :class:`~archspec.compiler.constraints.Constraint` s, ``f == g``
  (or a 1 on either side, for a broadcasting join).

Along a residue class ``H = r + kP`` (``P`` from
:mod:`archspec.compiler.quasiaffine`) both sides of an equation are affine in
``k``: with equal slopes it holds on the whole class or nowhere, with different
slopes at one ``k`` at most, solved exactly. A class where every constraint holds
throughout is *generic*; on the generic classes only thresholds remain, so their
valid sizes are those from one smallest size ``m`` on, found by a binary search
over the generic sizes. In any other class a valid size must solve one of the
equations (the first join it breaks would otherwise refuse it; a join that lets
a 1 broadcast there is solved by that 1), so those finitely many sizes are
probed one by one. Each probe is a concrete inference at that size, the ground
truth, without sympy; where every layer declares that its rule refuses sizes only
where an output dim would be below 1, the graph's symbolic dims evaluated at that
size, which give the same answer (archspec/compiler/dimprobe.py says why). The
result is checked by probes on both sides of it.

Symbols are studied one at a time, the others held at a size where the network
is valid (found first, from the generic classes). Where a constraint couples two
symbols (``H = W``, ``8*H*W = …``), the set of each symbol is the one at the
held sizes of the others, and the constraint is reported as text
(``Graph.size_constraints``), unsolved.

The work is bounded: a period up to ``MAX_PERIOD`` (2**16), ``MAX_WORK``
evaluations of sizes on residue classes, and concrete inferences of
``MAX_PROBE_LAYERS`` layers in all per compile (at least ``MIN_PROBES`` probes,
more than the minimum-size search of three symbols ever needs): seconds at
most. Beyond them, and for sizes that are not quasi-affine in a symbol, the
compile stops with E407 rather than guess.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from archspec.codes import E304, E306, E407
from archspec.compiler.constraints import Constraint
from archspec.compiler.coupling import satisfy
from archspec.compiler.quasiaffine import NotQuasiAffine, QuasiAffine, quasi_affine
from archspec.compiler.sizeset import SizeSet, size_set
from archspec.diagnostics import Diagnostic, Span, SpecError
from archspec.shapes.dims import format_dim

SEARCH_BITS = 40  # sizes are searched up to 2**40: past any real tensor, still instant on ints
MAX_PERIOD = 1 << 16
MAX_WORK = 1 << 20
MAX_PROBE_LAYERS = 1 << 18  # about 3 s: a concrete layer infers in about 12 µs
MIN_PROBES = 256
CHECKS = 3  # sizes probed on each side of a derived set

Runs = Callable[[dict[str, int]], bool]


@dataclass(frozen=True)
class ValidSizes:
    """Each symbol's SizeSet, and the constraints that couple symbols, as text."""

    sizes: dict[str, SizeSet]
    coupled: tuple[str, ...] = ()


@dataclass
class _Structure:
    """One symbol's constraints on the residue classes modulo ``period``.

    ``generic`` holds the classes (their smallest sizes, 1 to ``period``) where
    every constraint holds throughout; ``special`` the sizes of the other classes
    where some equation holds; ``blame`` the constraint with which no size was
    left (``alone``: it has no solution on its own), ``narrowed`` the one with
    which no generic class was left.
    """

    period: int
    generic: list[int]
    special: list[int]
    blame: Constraint | None = None
    alone: bool = False
    narrowed: Constraint | None = None

    def point(self, index: int) -> int:
        """The ``index``-th generic size, smallest first."""
        quotient, remainder = divmod(index, len(self.generic))
        return self.generic[remainder] + quotient * self.period

    def index(self, size: int) -> int | None:
        """Where ``size`` is among the generic sizes (None: not a generic size)."""
        residue = (size - 1) % self.period + 1
        at = bisect.bisect_left(self.generic, residue)
        if at == len(self.generic) or self.generic[at] != residue:
            return None
        return (size - residue) // self.period * len(self.generic) + at

    def at_least(self, size: int) -> int:
        """The smallest generic size >= ``size``."""
        residue = (size - 1) % self.period + 1
        at = bisect.bisect_left(self.generic, residue)
        if at < len(self.generic):
            return size + self.generic[at] - residue
        return size + self.generic[0] + self.period - residue


class _Probes:
    """``runs``, counted against the compile's budget of probes."""

    def __init__(self, runs: Runs, span: Span | None, layers: int) -> None:
        self.runs, self.span = runs, span
        self.limit = self.left = max(MIN_PROBES, MAX_PROBE_LAYERS // (layers + 4))  # 4: a probe of no layers

    def __call__(self, sizes: dict[str, int]) -> bool:
        if self.left == 0:
            raise _refused(
                f"finding the valid input sizes needs more than {self.limit} probes (concrete inferences)",
                self.span,
            )
        self.left -= 1
        return self.runs(sizes)


def find_valid_sizes(
    symbols: list[str], constraints: list[Constraint], runs: Runs, span: Span | None, layers: int = 1
) -> ValidSizes:
    """Each symbol's exact valid sizes; ``runs(sizes)`` says whether inference of the
    ``layers`` layers succeeds there. Raises SpecError: E306 for a join no size
    satisfies, E304 where no size up to 2**40 is valid, E407 past the budgets.
    ``span`` locates the input."""
    probes = _Probes(runs, span, layers)
    tried: set[tuple[int, ...]] = set()  # sizes probed already, refused
    if not constraints:
        if probes(dict.fromkeys(symbols, 1)):
            # What the search below finds without joins, where every symbol at 1 is valid: each
            # structure is one generic class (period 1), the base is every symbol at 1 (its
            # first try), each set the generic sizes from there, and no _verify (of joins' sets).
            return ValidSizes({s: SizeSet(s, 1, 1, (0,)) for s in symbols})
        tried.add((1,) * len(symbols))
    first: dict[tuple[object, ...], Constraint] = {}  # a join met again (a repeat) adds nothing
    for constraint in constraints:
        first.setdefault((constraint.left, constraint.right, constraint.broadcast), constraint)
    unique = list(first.values())
    single = {s: [c for c in unique if c.symbols == {s}] for s in symbols}
    coupled = [c for c in unique if len(c.symbols) > 1]
    structures = {s: _structure(s, single[s], {}) for s in symbols}
    for symbol, structure in structures.items():
        if not structure.generic and not structure.special:
            raise _never(symbol, structure)
    base = _base(symbols, structures, probes, coupled, tried)
    if base is None:
        finite = next((s for s in symbols if not structures[s].generic), None)
        if finite is not None:
            raise _never(finite, structures[finite])
        names = ", ".join(symbols)
        if coupled:  # not proven impossible: the search does not solve every coupling
            raise _refused(
                f"archspec found no sizes of {names} where the network is valid; a join couples "
                f"them ({coupled[0]}), which it solves only where each side is a size in one symbol",
                span,
            )
        raise SpecError(
            [Diagnostic(E304, f"no size of {names} up to 2**{SEARCH_BITS} makes the network valid", span)]
        )
    sizes: dict[str, SizeSet] = {}
    for symbol in symbols:
        held = {s: base[s] for s in symbols if s != symbol}
        mine = [c for c in coupled if symbol in c.symbols]
        structure = _structure(symbol, single[symbol] + mine, held) if mine else structures[symbol]

        def runs_at(size: int, symbol: str = symbol) -> bool:
            return probes({**base, symbol: size})

        sizes[symbol] = _derive(symbol, structure, runs_at, base[symbol])
        if unique:
            _verify(sizes[symbol], runs_at, span)
    held_text = ", ".join(f"{s} = {base[s]}" for s in symbols)
    notes = tuple(
        f"{c} (the join at {c.path}; not solved: each set above is the one where {held_text})"
        for c in coupled
    )
    return ValidSizes(sizes, notes)


def _structure(symbol: str, constraints: list[Constraint], held: dict[str, int]) -> _Structure:
    """Each constraint on the classes of its own period (a bit per class where it holds
    throughout, and the sizes where it holds in the others), then all of them on the
    classes of the lcm of the periods (the bits repeated, and'ed)."""
    period, work = 1, 0
    solved: list[tuple[Constraint, int, int, set[int]]] = []  # constraint, its period, its bits, sizes
    for constraint in constraints:
        try:
            pairs = [
                (quasi_affine(f, symbol, held), quasi_affine(g, symbol, held))
                for f, g in constraint.equations
            ]
        except NotQuasiAffine as error:
            raise _refused(
                f"the valid sizes of {symbol} cannot be derived at this join ({constraint.message}): {error}",
                constraint.span,
                constraint.path,
            ) from None
        own = math.lcm(*(q.period for pair in pairs for q in pair))
        period, work = math.lcm(period, own), work + own * len(pairs)
        if period > MAX_PERIOD or work > MAX_WORK:
            why = (
                f"repeat with a period of {period} at this join, past what archspec works out (a period up "
                f"to {MAX_PERIOD}"
                if period > MAX_PERIOD
                else f"take more than {MAX_WORK} evaluations of sizes by this join (periods up to {period}"
            )
            raise _refused(
                f"the valid sizes of {symbol} {why}; {constraint.message})", constraint.span, constraint.path
            )
        bits, sizes = 0, set()
        for r in range(1, own + 1):
            for f, g in pairs:
                k = _solve(f, g, r, own)
                if k is True:
                    bits |= 1 << (r - 1)
                elif k is not None:
                    sizes.add(r + k * own)
        solved.append((constraint, own, bits, sizes))
    everywhere = (1 << period) - 1  # bit r - 1: every constraint so far holds on all of class r
    points: set[int] = set()
    blame, alone, narrowed = None, False, None
    for constraint, own, bits, sizes in solved:
        everywhere &= bits * (((1 << period) - 1) // ((1 << own) - 1))  # repeated period // own times
        points |= sizes
        if narrowed is None and not everywhere:
            narrowed = constraint
        if blame is None and not everywhere and not points:
            blame, alone = constraint, not bits and not sizes
    generic = [r for r in range(1, period + 1) if everywhere >> (r - 1) & 1]
    special = sorted(p for p in points if not everywhere >> ((p - 1) % period) & 1)
    return _Structure(period, generic, special, blame, alone, narrowed)


def _solve(f: QuasiAffine, g: QuasiAffine, r: int, period: int) -> int | bool | None:
    """Where ``f == g`` on the class ``H = r + k·period``: True (every k), one k >= 0, or None."""
    gap, closing = g(r) - f(r), f.step(period) - g.step(period)
    if closing == 0:
        return gap == 0 or None
    k, remainder = divmod(gap, closing)
    return k if remainder == 0 and k >= 0 else None


def _base(
    symbols: list[str],
    structures: dict[str, _Structure],
    probes: _Probes,
    coupled: list[Constraint],
    seen: set[tuple[int, ...]],
) -> dict[str, int] | None:
    """Sizes where the whole network is valid: the generic sizes from 2**b on, for the
    smallest b that works, each symbol without generic sizes at one of its special ones
    (and, where joins couple symbols, the later ones solved for: archspec/compiler/coupling.py).
    ``seen``: sizes probed already (refused), not probed again."""

    def allowed(symbol: str, size: int) -> bool:
        structure = structures[symbol]
        return structure.index(size) is not None or size in structure.special

    def combos(scale: int, specials_too: bool) -> Iterator[tuple[int, ...]]:
        choices = []
        for s in symbols:
            structure = structures[s]
            options = [structure.at_least(scale)] if structure.generic else []
            if specials_too or not structure.generic:
                options += structure.special
            choices.append(options)
        return itertools.product(*choices)

    tries = [(1 << bits, False) for bits in range(SEARCH_BITS + 1)] + [(1 << SEARCH_BITS, True)]
    for scale, specials_too in tries:
        for combo in combos(scale, specials_too):
            drawn = dict(zip(symbols, combo, strict=True))
            sizes = satisfy(drawn, coupled, symbols, allowed) if coupled else drawn
            if sizes is not None and tuple(sizes.values()) not in seen:
                seen.add(tuple(sizes.values()))
                if probes(sizes):
                    return sizes
    return None


def _derive(symbol: str, structure: _Structure, runs_at: Callable[[int], bool], known: int) -> SizeSet:
    """The set from the structure: the least valid generic size, and the valid special ones."""
    start = None
    limit = 1 << SEARCH_BITS
    if structure.generic:
        low, high = 0, structure.index(known)  # the first index that may be valid, one that is
        if high is None:  # the held size is a special one: search upwards, doubling
            index = 0
            while high is None and structure.point(index) <= limit:
                if runs_at(structure.point(index)):
                    high = index
                else:
                    low, index = index + 1, 2 * index + 1
        if high is not None:
            while low < high:
                middle = (low + high) // 2
                if runs_at(structure.point(middle)):
                    high = middle
                else:
                    low = middle + 1
            start = structure.point(high)
    valid = [size for size in structure.special if size == known or runs_at(size)]
    residues = [r % structure.period for r in structure.generic]
    return size_set(symbol, start, structure.period, residues, valid)


def _verify(sizes: SizeSet, runs_at: Callable[[int], bool], span: Span | None) -> None:
    """Probe the first members of the set and the first sizes above its minimum outside it."""
    members = list(itertools.islice(sizes.members(), CHECKS))
    low = sizes.minimum or 1
    top = (sizes.start or max(sizes.extra, default=1)) + sizes.period * CHECKS + CHECKS
    outside = [n for n in range(max(1, low - 1), top) if n not in sizes][:CHECKS]
    for size in members + outside:
        if runs_at(size) != (size in sizes):
            raise _refused(
                f"archspec derived {sizes} but inference {'accepts' if size not in sizes else 'refuses'} "
                f"{sizes.symbol} = {size} (please report this spec)",
                span,
            )


def _never(symbol: str, structure: _Structure) -> SpecError:
    """E306: no size satisfies the joins (``blame``), or only special sizes where the
    network is refused anyway (``narrowed``)."""
    constraint = structure.blame or structure.narrowed
    assert constraint is not None
    pair = f"{format_dim(constraint.left)} and {format_dim(constraint.right)}"
    if structure.blame is not None:
        together = "" if structure.alone else ", where the joins before it hold"
        verdict = f"no size of {symbol} makes {pair} equal{together}"
    else:
        sizes = size_set(symbol, None, 1, (), structure.special)
        verdict = f"only {sizes} lets {pair} meet (equal, or one of them 1), and the network is invalid there"
    return SpecError(
        [
            Diagnostic(
                E306,
                f"{constraint.message}; {verdict}",
                constraint.span,
                constraint.path,
                "a join needs the same size on every branch: give the branches the same strides, or "
                "undo a pooling by the same factor (upsample, conv_transpose with the stride as kernel)",
            )
        ]
    )


def _refused(message: str, span: Span | None, path: str = "") -> SpecError:
    hint = "give the input concrete sizes in 'input:' (or archspec compile --input)"
    return SpecError([Diagnostic(E407, message, span, path, hint)])
