"""Expanding a family's members: each top-level layer once per the values it reads.

A member of a family (archspec sweep) is the family's layers expanded with the
member's values. A top-level layer reads few of them (a stage reads its depth and
width), so two members that agree on those get the same expanded layer: the
sweep's :class:`~archspec.compiler.reuse.Reuse` keeps each top-level layer's
expansion by the names it (and the layers in it) read and their values, and a
member that agrees takes it again (the same objects, so that the inference met
later reuses what it inferred of them: compiler/tails.py), spending the layer
budget as its expansion did. Only the top level: the layers inside a stage,
looked up one by one, cost more than their expansion (measured on the AnyNet
sweep), which the params memo already makes cheap (compiler/expand.py, bind).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from archspec.compiler.expand import BoundLayer, Budget, ParamsMemo, expand
from archspec.frontend.layers import LayerNode
from archspec.frontend.spec import Spec

_SCALARS = frozenset({int, float, str, bool, type(None)})


class Expansions:
    """Expanded layers by (a node's identity, the names it read, their values with their
    types), each with the layers of the budget its expansion spent and its node (held,
    so that the identity stays its own); and for each node, the sets of names its
    expansions read (the spec's few nodes: a node reads the same names but where a
    condition reads others)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[Any, ...], tuple[tuple[BoundLayer, ...], int, LayerNode]] = {}
        self.reads: dict[int, tuple[LayerNode, dict[tuple[str, ...], None]]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def clear(self) -> None:
        self.entries.clear()
        self.reads.clear()

    def drop_older_half(self) -> None:
        """Drop the first half of the expansions, in the order they were kept."""
        for key in list(itertools.islice(self.entries, len(self.entries) // 2)):
            del self.entries[key]


class _Recorded(dict[str, Any]):
    """A member's values, noting each name an expression asks for (with ``in`` and ``[]``)
    for every node whose expansion is under way (and for which the expansions kept
    under the names they read)."""

    def __init__(self, values: Mapping[str, Any], expansions: Expansions) -> None:
        super().__init__(values)
        self.expansions = expansions
        self.reading: list[dict[str, None]] = []

    def __contains__(self, name: object) -> bool:
        for names in self.reading:
            names[str(name)] = None
        return super().__contains__(name)

    def __getitem__(self, name: str) -> Any:
        for names in self.reading:
            names[name] = None
        return super().__getitem__(name)

    def take(self, node: LayerNode, budget: Budget) -> tuple[BoundLayer, ...] | None:
        reads = self.expansions.reads.get(id(node))
        if reads is None:
            return None
        for names in reads[1]:
            if not all(dict.__contains__(self, name) for name in names):
                continue
            values = tuple((type(value), value) for value in map(self._value, names))
            known = self.expansions.entries.get((id(node), names, values))
            if known is not None and budget.used + known[1] <= budget.limit:
                budget.used += known[1]
                for reading in self.reading:  # what the enclosing layers read through it
                    reading.update(dict.fromkeys(names))
                return known[0]
        return None

    def _value(self, name: str) -> Any:
        return dict.__getitem__(self, name)

    def begin(self) -> None:
        self.reading.append({})

    def keep(self, node: LayerNode, layers: tuple[BoundLayer, ...], spent: int) -> None:
        names = tuple(self.reading.pop())
        if not all(dict.__contains__(self, name) for name in names):
            return
        reads = self.expansions.reads.get(id(node))
        if reads is None:
            reads = self.expansions.reads[id(node)] = (node, {})
        reads[1][names] = None
        values = tuple((type(value), value) for value in map(self._value, names))
        self.expansions.entries[(id(node), names, values)] = (layers, spent, node)


def expand_member(
    spec: Spec,
    env: Mapping[str, Any],
    budget: Budget,
    memo: ParamsMemo,
    expansions: Expansions,
) -> tuple[BoundLayer, ...]:
    """The spec's top-level layers expanded with ``env`` (its values), each layer taken
    from ``expansions`` where it was expanded with the same values of the names it
    reads; raises SpecError as :func:`~archspec.compiler.expand.expand` does."""
    if not all(type(value) in _SCALARS for value in env.values()):
        return expand(spec, spec.layers, env, budget, memo=memo)
    recorded = _Recorded(env, expansions)
    return expand(spec, spec.layers, recorded, budget, memo=memo, kept=recorded)
