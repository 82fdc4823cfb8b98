"""Reusing what a compile inferred: a block call made again with the same arguments on
the same (concrete) input shapes gives the same layers, under another path.

A ResNet stage calls one block with one set of arguments on one input shape
for every block after its first; inferring it again gives the same shapes,
weights and MACs, layer for layer. The compile keeps each call's layers once
(:class:`Inferred`, in ``Compilation.inferred``) and copies them under the new
call's path (:func:`moved`), which costs a dict copy per layer instead of a
shape rule, a params model and a frozen dataclass's ``__init__``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from archspec.compiler.graph import LayerInfo
from archspec.frontend.model import Model


@dataclass(frozen=True)
class Inferred:
    """A block call's layer as first inferred at ``path``; how many layers of the layer
    budget its inference spent, and the block bodies it expanded or reused, by key (a
    copy spends as many layers, and pays for the bodies its compile has not expanded)."""

    info: LayerInfo
    path: str
    layers: int
    bodies: tuple[Any, ...]


MAX_ENTRIES = 4096
"""Block bodies and inferred calls a :class:`Reuse` keeps; past it, it starts afresh."""


@dataclass
class Reuse:
    """What compiles of one family's members share (archspec sweep): the block bodies
    expanded, by (block, arguments), with the layers their expansion spent, and the
    block calls inferred on concrete shapes. Each compile still spends its budgets as
    if it had made them itself (Compilation.body, Compilation.replay), so a member gets
    the verdict it gets alone. One compile makes its own; a sweep hands one to every
    member's, bounded by :data:`MAX_ENTRIES`, and it belongs to one block table (the
    family's): another table empties it."""

    blocks: Any = None
    bodies: dict[Any, tuple[Any, int]] = field(default_factory=dict)
    inferred: dict[Any, Inferred] = field(default_factory=dict)
    # A call's arguments as its body's names and as text, by the id of the arguments
    # object (kept in the entry, so that the id stays its own): the copies of a repeat
    # share one object.
    _arguments: dict[int, tuple[Model, dict[str, Any], str]] = field(default_factory=dict)

    def serve(self, blocks: Any) -> Reuse:
        """Ready for a compile of a spec with the block table ``blocks``."""
        held = len(self.bodies) + len(self.inferred) + len(self._arguments)
        if blocks is not self.blocks or held > MAX_ENTRIES:
            self.bodies.clear()
            self.inferred.clear()
            self._arguments.clear()
            self.blocks = blocks
        return self

    def arguments(self, args: Model) -> tuple[dict[str, Any], str]:
        """A block call's arguments (but ``name``) as a dict and as sorted JSON, the key of
        its body (with the input's channels); don't change the dict."""
        known = self._arguments.get(id(args))
        if known is None or known[0] is not args:
            dumped = args.model_dump(exclude={"name"})
            text = json.dumps(dumped, sort_keys=True, default=str)
            known = self._arguments[id(args)] = (args, dumped, text)
        return known[1], known[2]


def evolve(info: LayerInfo, **changes: Any) -> LayerInfo:
    """``dataclasses.replace`` for a LayerInfo, without its ``__init__`` (which checks
    nothing: the fields are set as given)."""
    made = object.__new__(LayerInfo)
    fields = made.__dict__
    fields.update(info.__dict__)
    fields.update(changes)
    return made


def moved(info: LayerInfo, old: str, new: str) -> LayerInfo:
    """``info`` and its subtree with the path prefix ``old`` replaced by ``new``."""
    made = object.__new__(LayerInfo)
    fields = made.__dict__
    fields.update(info.__dict__)
    fields["path"] = new + info.path[len(old) :]
    if info.children:
        fields["children"] = tuple([moved(child, old, new) for child in info.children])
    return made
