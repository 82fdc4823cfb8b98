"""SizeSet: the exact set of valid sizes of one input symbol, in closed form.

``{H >= start : H mod period in residues} ∪ extra``, where ``extra`` is a finite
set of sizes outside the periodic part; without a periodic part (``start`` is
None) the set is finite (or empty). :func:`size_set` builds the canonical form:
the smallest period that describes the same set, the lowest start.

Printed (``str``), one clause per part, the minimum first:

- ``H ≥ 1`` (every size from 1), ``H ≥ 3, H odd``, ``H ≥ 16, H even``,
- ``H ≥ 16, H divisible by 16`` (one residue, 0),
- ``H ≥ 5, H ≡ 1, 5 (mod 8)`` (any other residues),
- ``H = 7``, ``H ∈ {14, 15}``, ``H ∈ {224, …, 255}`` (a finite set; runs of
  four or more consecutive sizes shortened),
- ``H ≥ 16, H divisible by 16 (also H ∈ {2, 3})`` (sizes outside the pattern).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SizeSet:
    """The valid sizes of ``symbol``; see the module docstring."""

    symbol: str
    start: int | None = None
    period: int = 1
    residues: tuple[int, ...] = ()
    extra: tuple[int, ...] = ()

    def __contains__(self, size: object) -> bool:
        if not isinstance(size, int):
            return False
        if size in self.extra:
            return True
        return self.start is not None and size >= self.start and size % self.period in self.residues

    @property
    def empty(self) -> bool:
        return self.start is None and not self.extra

    @property
    def finite(self) -> bool:
        return self.start is None

    @property
    def minimum(self) -> int | None:
        candidates = [*self.extra[:1], *([self.start] if self.start is not None else [])]
        return min(candidates) if candidates else None

    def members(self) -> Iterator[int]:
        """Every valid size, smallest first (endless unless the set is finite)."""
        below = [size for size in self.extra if self.start is None or size < self.start]
        yield from below
        if self.start is None:
            return
        above = sorted(size for size in self.extra if size > self.start)
        base = self.start - self.start % self.period
        while True:
            for residue in self.residues:
                size = base + residue
                while above and above[0] < size:
                    yield above.pop(0)
                if size >= self.start:
                    yield size
            base += self.period

    def __str__(self) -> str:
        name = self.symbol
        if self.start is None:
            if len(self.extra) == 1:
                return f"{name} = {self.extra[0]}"
            return f"{name} ∈ {_braces(self.extra)}" if self.extra else f"no size of {name}"
        clauses = [f"{name} ≥ {self.start}"]
        if self.period == 2:
            clauses.append(f"{name} {'even' if self.residues == (0,) else 'odd'}")
        elif self.residues == (0,) and self.period > 1:
            clauses.append(f"{name} divisible by {self.period}")
        elif self.period > 1:
            clauses.append(f"{name} ≡ {', '.join(map(str, self.residues))} (mod {self.period})")
        text = ", ".join(clauses)
        if self.extra:
            also = f"{name} = {self.extra[0]}" if len(self.extra) == 1 else f"{name} ∈ {_braces(self.extra)}"
            text += f" (also {also})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "period": self.period,
            "residues": list(self.residues),
            "extra": list(self.extra),
            "text": str(self),
        }


def size_set(
    symbol: str, start: int | None, period: int, residues: Iterable[int], extra: Iterable[int] = ()
) -> SizeSet:
    """The canonical SizeSet of ``{H >= start : H mod period in residues} ∪ extra``."""
    kept = sorted({r % period for r in residues})
    points = set(extra)
    if start is None or not kept:
        return SizeSet(symbol, extra=tuple(sorted(points)))
    period = _smallest_period(period, kept)
    kept = sorted({r % period for r in kept})
    start = _next_in_pattern(max(start, 1), period, kept)
    while True:  # take in the pattern's sizes just below the start that are valid anyway
        lower = _previous_in_pattern(start, period, kept)
        if lower is None or lower not in points:
            break
        start = lower
    covered = {p for p in points if p >= start and p % period in kept}
    return SizeSet(symbol, start, period, tuple(kept), tuple(sorted(points - covered)))


def _smallest_period(period: int, residues: list[int]) -> int:
    chosen = set(residues)
    for divisor in range(1, period + 1):
        if period % divisor:
            continue
        if all((r + divisor) % period in chosen for r in chosen):  # the set repeats every divisor
            return divisor
    return period


def _next_in_pattern(size: int, period: int, residues: list[int]) -> int:
    return min(size + (r - size) % period for r in residues)


def _previous_in_pattern(size: int, period: int, residues: list[int]) -> int | None:
    lower = max(size - 1 - (size - 1 - r) % period for r in residues)
    return lower if lower >= 1 else None


def _braces(sizes: Iterable[int]) -> str:
    ordered = sorted(sizes)
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        run = ordered[index : end + 1]
        parts.extend([str(run[0]), "…", str(run[-1])] if len(run) >= 4 else map(str, run))
        index = end + 1
    return "{" + ", ".join(parts) + "}"
