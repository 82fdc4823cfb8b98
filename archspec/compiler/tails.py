"""Reusing the tail of a list of layers: in a sweep, the layers after a list's first,
inferred again on the same shape, give the same layers.

A ResNet stage of a family's member is a fresh first block (it reads the previous
stage's width, which varies from member to member) and then its other blocks, on
the first block's output: the same calls on the same shape as in every member with
that stage's depth and width. Inside the fresh block, its first branch is a conv
that reads the new channels and then a batchnorm, a ReLU, a conv and a batchnorm
on the conv's output, as in every block of that width. A :class:`Tail` keeps
the layers of such a list after its first, inferred on a concrete shape; a list
met again (the same nodes: block bodies and a member's top-level layers are kept
by the sweep's Reuse) with the same shape after its first layer takes them again,
spending the budgets as their inference did (Compilation.replay).

Only a plain tail is kept: each of its layers reads the one before it (no ``from``,
no learned tensor), so the tail's inference depends on nothing but its nodes, the
name and shape it starts from and the names of the list's inputs. Only a summary
compile (a shallow Reuse) takes tails: their layers keep the paths of the list
that inferred them first, as a shallow Reuse's calls do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.compiler.expand import BoundLayer
from archspec.compiler.flow import Scope
from archspec.compiler.graph import LayerInfo
from archspec.primitives.registry import primitives
from archspec.shapes.tensor import TensorShape


@dataclass(frozen=True)
class Tail:
    """The layers of a list after its first, as first inferred; how many layers of the
    layer budget they spent and the block bodies they used (as Inferred's); the list's
    nodes, held so that their identity (in the key) stays their own."""

    infos: tuple[LayerInfo, ...]
    layers: int
    bodies: tuple[Any, ...]
    nodes: tuple[BoundLayer, ...]


def tail_key(
    nodes: tuple[BoundLayer, ...], inputs: dict[str, TensorShape], scope: Scope
) -> tuple[Any, ...] | None:
    """The key of the tail of ``nodes`` after its first layer, inferred in ``scope``; None
    where the tensor it starts from is not concrete (or has no batch)."""
    last = scope.last
    shape = scope.tensors.get(last)
    if shape is None or not shape.batched:
        return None
    for dim in shape.dims:
        if type(dim) is not int:
            return None
    return (id(nodes), tuple(inputs), last, shape)


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


def replay_tail(tail: Tail, scope: Scope, infos: list[LayerInfo], seen: set[str]) -> None:
    """The tail's layers into ``scope``, ``infos`` and ``seen``, as inferring each layer
    on its predecessor's output puts it there (Context._flow_step)."""
    for info in tail.infos:
        name = info.name
        seen.add(name)
        scope.reads.add(scope.last.partition(".")[0])
        scope.add(name, info.output, info.span, info.named_outputs)
        infos.append(info)
