"""The members of a sweep: a grid file's values, enumerated or sampled.

A grid file is YAML (read by archspec's own safe loader) mapping each family
parameter to its values:

    d1: [1, 2, 3]                             # a list
    w1: {start: 32, stop: 256, step: 32}      # a range; stop included where it is reached
    g: 16                                     # one value
    b: {choice: [1, 2, 4]}                    # a distribution: picked uniformly
    d2: {uniform_int: [1, 8]}                 # an int, low and high included
    w2: {log_uniform: [16, 1024], multiple_of: 8}   # log-uniform, rounded to a multiple

``--grid`` takes every combination, in the file's order, the last parameter
varying fastest; lists, ranges, ``choice`` and ``uniform_int`` enumerate their
values, and a ``log_uniform`` is refused (it has no list of values).
``--sample N --seed S`` draws N members, each parameter in the file's order
from its distribution (a list or a range: uniformly among its values), with
``random.Random(S)``, so the same seed gives the same members everywhere.
Parameters the file leaves out keep their defaults.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archspec.codes import E103, E502
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.errors import did_you_mean
from archspec.frontend.family import Family
from archspec.frontend.loader import SourceMap, load_file, load_text
from archspec.limits import Limits

MAX_VALUES = 2**62
"""The most values one range may hold (they are made one at a time, never listed)."""
DISTRIBUTIONS = ("choice", "uniform_int", "log_uniform")


@dataclass(frozen=True)
class Values:
    """One parameter's values: ``items`` (a list or a range of ints, or a list of floats
    from a float range), or a continuous ``log_uniform`` (``low``, ``high``, rounded to
    ``multiple``, 0: kept a float)."""

    name: str
    items: Any = None  # a list or a range; None for log_uniform
    low: float = 0.0
    high: float = 0.0
    multiple: int = 0

    @property
    def countable(self) -> bool:
        return self.items is not None

    def draw(self, chooser: random.Random) -> Any:
        if self.items is not None:
            return self.items[chooser.randrange(len(self.items))]
        value = math.exp(chooser.uniform(math.log(self.low), math.log(self.high)))
        if not self.multiple:
            return value
        return max(self.multiple, round(value / self.multiple) * self.multiple)


@dataclass(frozen=True)
class Grid:
    """The parameters a grid file gives values, in its order."""

    values: tuple[Values, ...]
    source: SourceMap

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)

    def size(self) -> int:
        """How many members ``--grid`` makes; SpecError (E502) for a log_uniform."""
        self._countable()
        return math.prod(len(v.items) for v in self.values)

    def members(self) -> Iterator[dict[str, Any]]:
        """Every combination, the last parameter varying fastest; SpecError (E502) at
        once for a log_uniform."""
        self._countable()
        names = self.names
        return (
            dict(zip(names, combination, strict=True))
            for combination in itertools.product(*(v.items for v in self.values))
        )

    def _countable(self) -> None:
        for v in self.values:
            if not v.countable:
                span = self.source.span((v.name,), key=True)
                raise SpecError(
                    [
                        Diagnostic(
                            E502,
                            f"{v.name} is a log_uniform distribution, which has no list of values to "
                            "take every combination of",
                            span,
                            hint="sample members from it (--sample N --seed S), or give a list or a range",
                        )
                    ]
                )

    def sample(self, count: int, seed: int) -> Iterator[dict[str, Any]]:
        """``count`` members drawn with ``random.Random(seed)``."""
        chooser = random.Random(seed)
        for _ in range(count):
            yield {v.name: v.draw(chooser) for v in self.values}


def load_grid(path: str | Path, family: Family, limits: Limits | None = None) -> Grid:
    """Read a grid file for ``family``; raise SpecError (E502, located) where it is wrong."""
    with _as_grid():
        data, source = load_file(path, limits)
    return parse_grid(data, source, family)


def loads_grid(text: str, family: Family, file: str = "<grid>") -> Grid:
    with _as_grid():
        data, source = load_text(text, file)
    return parse_grid(data, source, family)


@contextlib.contextmanager
def _as_grid() -> Iterator[None]:
    """The loader's "a spec must be one YAML mapping" (E103), said of a grid file."""
    try:
        yield
    except SpecError as error:
        first = error.diagnostics[0]
        if first.code != E103 or "mapping" not in first.message:
            raise
        got = first.message.rpartition(", got ")[2]
        raise SpecError(
            [Diagnostic(E502, f"a grid file is a mapping of parameters to values, got {got}", first.span)]
        ) from None


def parse_grid(data: Any, source: SourceMap, family: Family) -> Grid:
    problems: list[Diagnostic] = []
    if not isinstance(data, dict):
        raise SpecError(
            [_problem(source, (), f"a grid file is a mapping of parameters, got {abridge(data)}")]
        )
    found: list[Values] = []
    for name, raw in data.items():
        if name not in family.names:
            hint = did_you_mean(name, family.names) or f"the family's parameters: {', '.join(family.names)}"
            problems.append(
                _problem(source, (name,), f"the family has no parameter {abridge(name)}", hint, True)
            )
            continue
        try:
            found.append(_values(name, raw))
        except ValueError as error:
            problems.append(_problem(source, (name,), f"{name}: {error}"))
    missing = [name for name in family.required if name not in data]
    if missing and isinstance(data, dict):
        problems.append(
            _problem(
                source,
                (),
                f"the grid gives no values for {', '.join(missing)}, which "
                f"ha{'ve' if len(missing) > 1 else 's'} no default",
                f"add {missing[0]}: [...] to the grid file",
            )
        )
    if problems:
        raise SpecError(problems)
    return Grid(tuple(found), source)


def _problem(
    source: SourceMap, path: tuple[str, ...], message: str, hint: str | None = None, key: bool = False
) -> Diagnostic:
    span: Span = source.span(path, key=key)
    return Diagnostic(E502, message, span, hint=hint)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _values(name: str, raw: Any) -> Values:
    if isinstance(raw, list):
        if not raw:
            raise ValueError("an empty list gives no member")
        return Values(name, list(raw))
    if not isinstance(raw, dict):
        return Values(name, [raw])  # one value
    keys = set(raw)
    if keys == {"start", "stop", "step"}:
        return Values(name, _range(raw["start"], raw["stop"], raw["step"]))
    kinds = keys & set(DISTRIBUTIONS)
    if len(kinds) != 1:
        raise ValueError(
            f"a mapping of values is a range {{start, stop, step}} or one of {', '.join(DISTRIBUTIONS)}, "
            f"got the keys {', '.join(sorted(map(str, keys)))}"
        )
    kind = kinds.pop()
    extra = keys - {kind, "multiple_of"} if kind == "log_uniform" else keys - {kind}
    if extra:
        raise ValueError(f"{kind} takes no {', '.join(sorted(map(str, extra)))}")
    given = raw[kind]
    if kind == "choice":
        if not isinstance(given, list) or not given:
            raise ValueError("choice takes a list of values")
        return Values(name, list(given))
    if not (isinstance(given, list) and len(given) == 2 and all(_number(v) for v in given)):
        raise ValueError(f"{kind} takes [low, high], two numbers")
    low, high = given
    if low > high:
        raise ValueError(f"{kind}: low {low} is above high {high}")
    if kind == "uniform_int":
        if not all(isinstance(v, int) for v in given):
            raise ValueError("uniform_int takes two ints")
        return Values(name, range(low, high + 1))
    multiple = raw.get("multiple_of", 0)
    if not isinstance(multiple, int) or isinstance(multiple, bool) or multiple < 0:
        raise ValueError("multiple_of takes an int >= 1")
    if low <= 0:
        raise ValueError(f"log_uniform needs low > 0, got {low}")
    return Values(name, None, float(low), float(high), multiple)


def _range(start: Any, stop: Any, step: Any) -> Any:
    if not all(_number(v) for v in (start, stop, step)):
        raise ValueError("a range's start, stop and step are numbers")
    if step <= 0:
        raise ValueError(f"a range's step must be positive, got {step}")
    if stop < start:
        raise ValueError(f"a range's stop {stop} is below its start {start}")
    if all(isinstance(v, int) for v in (start, stop, step)):
        if (stop - start) // step + 1 > MAX_VALUES:
            raise ValueError(f"a range of more than {MAX_VALUES:,} values")
        return range(start, stop + 1, step)
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > 100_000:
        raise ValueError("a range of floats of more than 100,000 values")
    return [round(start + i * step, 12) for i in range(count)]
