"""Expanding a family's members: each top-level layer once per the values it reads.

A member of a family (archspec sweep) is the family's layers expanded with the
member's values. A top-level layer reads few of them (a stage reads its depth
and width), so two members that agree on those get the same expanded layer:
the sweep's :class:`~archspec.compiler.reuse.Reuse` keeps each expansion by
the names the layer read and their values, and a member that agrees takes it
again (the same objects, so that the inference met later reuses what it
inferred of them: compiler/reuse.py, layer_key), spending the layer budget as
its expansion did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archspec.compiler.expand import BoundLayer, Budget, ParamsMemo, expand
from archspec.frontend.layers import LayerNode
from archspec.frontend.spec import Spec

_SCALARS = frozenset({int, float, str, bool, type(None)})

Expansions = dict[int, tuple[LayerNode, dict[tuple[str, ...], dict[tuple[Any, ...], tuple[Any, int]]]]]
"""By a top-level node's identity: the node (held, so that the identity stays its own), and
its expansions by the names it read, then by their values (with their types)."""


class _Recorded(dict[str, Any]):
    """A member's values, noting each name an expression asks for (with ``in`` and ``[]``)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.read: dict[str, None] = {}

    def __contains__(self, name: object) -> bool:
        self.read[str(name)] = None
        return super().__contains__(name)

    def __getitem__(self, name: str) -> Any:
        self.read[name] = None
        return super().__getitem__(name)


def expand_member(
    spec: Spec,
    env: Mapping[str, Any],
    budget: Budget,
    memo: ParamsMemo,
    expansions: Expansions,
) -> tuple[BoundLayer, ...]:
    """The spec's top-level layers expanded with ``env`` (its values), each taken from
    ``expansions`` where it was expanded with the same values of the names it reads;
    raises SpecError as :func:`~archspec.compiler.expand.expand` does."""
    if not all(type(value) in _SCALARS for value in env.values()):
        return expand(spec, spec.layers, env, budget, memo=memo)
    out: list[BoundLayer] = []
    for node in spec.layers:
        entry = expansions.get(id(node))
        known = None
        if entry is not None:
            for names, by_values in entry[1].items():
                if all(name in env for name in names):
                    known = by_values.get(tuple((type(env[name]), env[name]) for name in names))
                    if known is not None:
                        break
        if known is not None and budget.used + known[1] <= budget.limit:
            budget.used += known[1]
            out.extend(known[0])
            continue
        recorded = _Recorded(env)
        before = budget.used
        layers = expand(spec, (node,), recorded, budget, memo=memo)  # raises where it fails
        names = tuple(recorded.read)
        values = tuple((type(env[name]), env[name]) for name in names if name in env)
        if len(values) == len(names):  # every name it read is a value: the same values, the same layers
            if entry is None:
                entry = expansions[id(node)] = (node, {})
            entry[1].setdefault(names, {})[values] = (layers, budget.used - before)
        out.extend(layers)
    return tuple(out)


def expansions_count(expansions: Expansions) -> int:
    """How many expansions ``expansions`` keeps."""
    return sum(len(by_values) for _, entry in expansions.values() for by_values in entry.values())
