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

import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archspec.compiler.expand import ParamsMemo
from archspec.compiler.graph import LayerInfo
from archspec.compiler.memberexpand import Expansions
from archspec.frontend.model import Model
from archspec.primitives.sequential import BlockGroup
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.tails import Tail


@dataclass(frozen=True)
class Inferred:
    """A block call's layer as first inferred at ``path``; how many layers of the layer
    budget its inference spent, and the block bodies it expanded or reused, by key (a
    copy spends as many layers, and pays for the bodies its compile has not expanded)."""

    info: LayerInfo
    path: str
    layers: int
    bodies: tuple[Any, ...]
    # A layer of a member's own list: its node (the key holds its identity, see layer_key),
    # held so that the identity stays its own.
    node: Any = None


MAX_ENTRIES = 4096
"""Block bodies, inferred calls and arguments a :class:`Reuse` keeps (the totals go with
the calls; the params memo has a bound of its own, the same): past it, it drops the older
half of its inferred calls (those least recently used) and arguments; past a quarter of it
in block bodies alone (which the inferred calls name), it starts afresh."""


@dataclass
class Reuse:
    """What compiles of one family's members share (archspec sweep): the block bodies
    expanded, by (block, arguments), with the layers their expansion spent, and the
    block calls inferred on concrete shapes. Each compile still spends its budgets as
    if it had made them itself (Compilation.body, Compilation.replay), so a member gets
    the verdict it gets alone. One compile makes its own; a sweep hands one to every
    member's, bounded by :data:`MAX_ENTRIES`, and it belongs to one block table (the
    family's): another table empties it.

    A ``shallow`` one (a sweep's summary compiles, compiler/summary.py) gives a call made
    again the first call's layers as they are, under their old paths (:func:`reused`), and
    keeps the totals of each call's layers in ``totals``; its graphs are for sums only. It
    also keeps, the same way, the layers of a member's own list (``layers``) and the tails
    of lists (``tails``, compiler/tails.py). Every Reuse keeps a family's members' top-level
    layers expanded (``expansions``, compiler/memberexpand.py)."""

    shallow: bool = False
    blocks: Any = None
    bodies: dict[Any, tuple[Any, int]] = field(default_factory=dict)
    inferred: dict[Any, Inferred] = field(default_factory=dict)
    # The layers of a family member's own list (a shallow Reuse's), by layer_key: the stem
    # and the head of every member, a first stage of a depth and width met before.
    layers: dict[Any, Inferred] = field(default_factory=dict)
    # The tails of lists of layers (a shallow Reuse's: compiler/tails.py).
    tails: dict[Any, Tail] = field(default_factory=dict)
    # A call's arguments as its body's names and as text, by the id of the arguments
    # object (kept in the entry, so that the id stays its own): the copies of a repeat
    # share one object.
    _arguments: dict[int, tuple[Model, dict[str, Any], str]] = field(default_factory=dict)
    # The totals of a block call's layers (compiler/summary.py), by the identity of the tuple
    # of them (kept in the entry), which the calls made again share.
    totals: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    # Validated params by node and values (compiler/expand.py: bind), so that a layer bound
    # to the values it had in an earlier member has the same params object.
    params: ParamsMemo = field(default_factory=dict)
    # The top-level layers of a family's members, expanded (compiler/memberexpand.py).
    expansions: Expansions = field(default_factory=Expansions)

    # The params of the groups block calls make, by block (one per block of the table).
    _groups: dict[str, BlockGroup] = field(default_factory=dict)

    _full: Reuse | None = field(default=None, repr=False)

    def full(self) -> Reuse:
        """The plain Reuse that goes with a shallow one: for the full compiles of a sweep
        (a member its summary cannot answer for), whose graphs must be whole."""
        if not self.shallow:
            return self
        if self._full is None:
            self._full = Reuse()
        return self._full

    def serve(self, blocks: Any) -> Reuse:
        """Ready for a compile of a spec with the block table ``blocks``."""
        kept: tuple[dict[Any, Any] | Expansions, ...] = (
            self.bodies,
            self.inferred,
            self.tails,
            self.layers,
            self._arguments,
            self.totals,
            self.params,
            self.expansions,
            self._groups,
        )
        if blocks is not self.blocks or len(self.bodies) > MAX_ENTRIES // 4:
            for entries in kept:
                entries.clear()
            self.blocks = blocks
        else:
            if len(self.bodies) + len(self.inferred) + len(self._arguments) > MAX_ENTRIES:
                # the older half of what no other entry names: a sweep keeps the calls its
                # members keep making (a hit moves a call to the end: Reuse.hit)
                for dropped in _drop_older_half(self.inferred):
                    self.totals.pop(id(dropped.info.children), None)  # what keeps its layers alive
                _drop_older_half(self._arguments)
            if len(self.expansions) > MAX_ENTRIES:
                self.expansions.drop_older_half()
            if len(self.layers) > MAX_ENTRIES:
                for dropped in _drop_older_half(self.layers):
                    self.totals.pop(id(dropped.info.children), None)
            if len(self.tails) > MAX_ENTRIES:
                for dropped in _drop_older_half(self.tails):
                    for info in dropped.infos:
                        self.totals.pop(id(info.children), None)
            for entries in (self.totals, self.params):
                if len(entries) > MAX_ENTRIES:
                    _drop_older_half(entries)
        return self

    def group_params(self, block: str) -> BlockGroup:
        """The params of the group a call of ``block`` makes (frozen: one object serves
        every call of the block table's block)."""
        made = self._groups.get(block)
        if made is None:
            made = self._groups[block] = BlockGroup(block=block)
        return made

    def hit(self, key: Any) -> Inferred:
        """The inferred call of ``key``, now the most recently used."""
        known = self.inferred[key] = self.inferred.pop(key)
        return known

    def arguments(self, args: Model) -> tuple[dict[str, Any], str]:
        """A block call's arguments (but ``name``) as a dict and as sorted JSON, the key of
        its body (with the input's channels); don't change the dict."""
        known = self._arguments.get(id(args))
        if known is None or known[0] is not args:
            dumped = args.model_dump(exclude={"name"})
            text = json.dumps(dumped, sort_keys=True, default=str)
            known = self._arguments[id(args)] = (args, dumped, text)
        return known[1], known[2]


def layer_key(node: Any, shapes: list[TensorShape]) -> tuple[Any, ...] | None:
    """The key of a layer of a primitive (a BoundLayer: its layers, if it has any, are a
    top-level expansion kept by the Reuse, compiler/memberexpand.py) on ``shapes``; None
    where a shape is not concrete. A layer without layers of its own is its node as
    written and its params (bound to the same values, a node has the same params object:
    compiler/expand.py, bind); a group (the stem, a stage) is its bound node."""
    for shape in shapes:
        for dim in shape.dims:
            if type(dim) is not int:
                return None
    if node.groups:
        return (id(node), tuple(shapes))
    return (id(node.written), id(node.params), tuple(shapes))


def _drop_older_half(entries: dict[Any, Any]) -> list[Any]:
    """Drop the first half of ``entries`` in their order (of insertion, or of use); their values."""
    return [entries.pop(key) for key in list(itertools.islice(entries, len(entries) // 2))]


def evolve(info: LayerInfo, **changes: Any) -> LayerInfo:
    """``dataclasses.replace`` for a LayerInfo, without its ``__init__`` (which checks
    nothing: the fields are set as given)."""
    made = object.__new__(LayerInfo)
    fields = made.__dict__
    fields.update(info.__dict__)
    fields.update(changes)
    return made


def reused(known: Inferred, path: str, shallow: bool, **changes: Any) -> LayerInfo:
    """The layer of a call made again at ``path``: the first call's, moved there, or (a
    shallow Reuse) with only its own path changed, its subtree shared as it is."""
    if shallow:
        return evolve(known.info, path=path, **changes)
    return evolve(moved(known.info, known.path, path), **changes)


def moved(info: LayerInfo, old: str, new: str) -> LayerInfo:
    """``info`` and its subtree with the path prefix ``old`` replaced by ``new``."""
    made = object.__new__(LayerInfo)
    fields = made.__dict__
    fields.update(info.__dict__)
    fields["path"] = new + info.path[len(old) :]
    if info.children:
        fields["children"] = tuple([moved(child, old, new) for child in info.children])
    return made
