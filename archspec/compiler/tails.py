"""Reusing the tail of a list of layers: in a sweep, the layers after a list's first,
inferred again on the same shape, give the same layers.

A ResNet stage of a family's member is a fresh first block (it reads the previous
stage's width, which varies from member to member) and then its other blocks, on
the first block's output: the same calls on the same shape as in every member with
that stage's width. Inside the fresh block, its first branch is a conv that reads
the new channels and then a batchnorm, a ReLU, a conv and a batchnorm on the conv's
output, as in every block of that width. A :class:`Tail` keeps the layers of such
a list after its first, inferred on a concrete shape; a list met again whose tail
is the same layers (or the first of them: a stage of fewer blocks) on the same
shape takes them again, spending the budgets as their inference did
(Compilation.replay).

Only a plain tail is kept: each of its layers reads the one before it (no ``from``,
no learned tensor), so its inference depends on nothing but its layers (each its
node as written and its params: bound to the same values, a node has the same params
object, compiler/expand.py), their places in the list (which name the unnamed ones),
the name and shape it starts from and the names of the list's inputs and first
layer. Only a summary compile (a shallow Reuse) takes tails: their layers keep the
paths of the list that inferred them first, as a shallow Reuse's calls do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from archspec.compiler.expand import BoundLayer, Budget
from archspec.compiler.flow import Scope
from archspec.compiler.graph import LayerInfo
from archspec.primitives.registry import primitives
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.compilation import Compilation


@dataclass(frozen=True)
class Tail:
    """The layers of a list after its first, as first inferred: each with the identity of
    its layer (:func:`identity`), the layers of the layer budget spent up to it and the
    block bodies used up to it; the nodes, held so that their identities stay their own."""

    infos: tuple[LayerInfo, ...]
    layers: tuple[Any, ...]
    spent: tuple[int, ...]
    used: tuple[tuple[Any, ...], ...]
    nodes: tuple[BoundLayer, ...]


class Replayed(NamedTuple):
    """The first layers of a tail: what replaying them spends (as Compilation.replay reads it)."""

    layers: int
    bodies: tuple[Any, ...]


def identity(node: BoundLayer) -> Any:
    """What a layer of a tail is: its node as written and its params where it has no layers
    of its own (two expansions of a body make the same), else its bound node."""
    if node.groups:
        return id(node)
    return (id(node.written), id(node.params))


class TailRun:
    """The tail of one list as inference meets it: the part of it kept before, replayed,
    and what the layers inferred after it spend, to keep the whole tail."""

    __slots__ = ("base", "bodies", "key", "known_bodies", "nodes", "spent", "start", "tails")

    def __init__(
        self, tails: dict[Any, Tail], key: tuple[Any, ...], nodes: tuple[BoundLayer, ...], start: int
    ) -> None:
        self.tails, self.key, self.nodes, self.start = tails, key, nodes, start
        self.spent: list[int] = []
        self.bodies: list[tuple[Any, ...]] = []
        self.known_bodies: tuple[Any, ...] = ()
        self.base = 0

    @classmethod
    def meet(
        cls,
        tails: dict[Any, Tail],
        nodes: tuple[BoundLayer, ...],
        inputs: dict[str, TensorShape],
        scope: Scope,
        first: str,
        start: int,
    ) -> TailRun | None:
        """The tail of ``nodes`` after its first layer (named ``first``), met in ``scope`` with
        ``start`` layers of the budget spent; None where the tensor it starts from is not
        concrete (or has no batch)."""
        last = scope.last
        shape = scope.tensors.get(last)
        if shape is None or not shape.batched:
            return None
        for dim in shape.dims:
            if type(dim) is not int:
                return None
        return cls(tails, (identity(nodes[1]), tuple(inputs), first, last, shape), nodes, start)

    def replay(
        self, compilation: Compilation, budget: Budget, scope: Scope, infos: list[LayerInfo], seen: set[str]
    ) -> int:
        """Replay the first layers of the tail that were kept (those the kept tail shares
        with this one), unless that crosses a budget; how many."""
        self.base = len(compilation.used)
        known = self.tails.get(self.key)
        if known is None:
            return 0
        wanted = len(self.nodes) - 1
        if known.nodes is self.nodes:  # the same list (a block's body, a kept expansion)
            count = wanted
        else:
            count = 0
            for kept, node in zip(known.layers, self.nodes[1:], strict=False):  # the part they share
                if kept != identity(node):
                    break
                count += 1
            if not count:
                return 0
        if not compilation.replay(Replayed(known.spent[count - 1], known.used[count - 1]), budget):
            return 0  # inferred instead, to meet the budget's error where it arises
        replay_tail(known.infos[:count] if count < len(known.infos) else known.infos, scope, infos, seen)
        if count < wanted:  # the rest is inferred: what the tail spends goes on from here
            self.spent, self.bodies = list(known.spent[:count]), list(known.used[:count])
            self.known_bodies, self.base = known.used[count - 1], len(compilation.used)
        return count

    def step(self, compilation: Compilation, budget: Budget) -> None:
        """Note what the tail has spent after one more of its layers, inferred."""
        self.spent.append(budget.used - self.start)
        self.bodies.append(tuple(dict.fromkeys((*self.known_bodies, *compilation.used[self.base :]))))

    def keep(self, infos: list[LayerInfo]) -> None:
        """Keep the tail inferred (``infos[1:]``) if it is plain and no part of the tail
        kept under its key (a longer run of the same blocks serves a shorter one)."""
        nodes = self.nodes
        if len(infos) != len(nodes) or not is_plain(nodes[1:]):
            return
        layers = tuple(map(identity, nodes[1:]))
        known = self.tails.get(self.key)
        if known is not None and known.layers[: len(layers)] == layers:
            return
        spent, bodies = tuple(self.spent), tuple(self.bodies)
        self.tails[self.key] = Tail(tuple(infos[1:]), layers, spent, bodies, nodes)


def is_plain(nodes: tuple[BoundLayer, ...]) -> bool:
    """Whether each layer of ``nodes`` reads the one before it: no ``from``, no learned tensor."""
    table = primitives()
    for node in nodes:
        if node.written.sources is not None:
            return False
        if not node.is_block:
            primitive = table.get(node.kind_name)
            if primitive is None or primitive.learned is not None:
                return False
    return True


def replay_tail(infos: tuple[LayerInfo, ...], scope: Scope, into: list[LayerInfo], seen: set[str]) -> None:
    """``infos`` into ``scope``, ``into`` and ``seen``, as inferring each layer on its
    predecessor's output puts it there (Context._flow_step, then Scope.add, inline)."""
    reads, tensors, spans = scope.reads, scope.tensors, scope.spans
    for info in infos:
        name = info.name
        seen.add(name)
        reads.add(scope.last.partition(".")[0])
        named = info.named_outputs
        if named is not None:
            scope.add(name, info.output, info.span, named)
            continue
        tensors[name] = info.output
        spans[name] = info.span
        if info.output.batched:
            scope.last = name
    into.extend(infos)
