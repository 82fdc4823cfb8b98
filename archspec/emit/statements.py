"""The statements of a block's generic program (``archspec.emit.program`` makes them
from the block's YAML), as data: a leaf layer, a block call, a merge of branches, a
merge of named tensors, a group, a ``repeat`` (``for``), an ``if``, and the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.frontend.blocks import Block
from archspec.frontend.layers import LayerNode
from archspec.primitives.registry import ModuleCall, Primitive


class NotGeneric(Exception):
    """A block cannot be written as one class for all its calls; the reason says why."""


@dataclass(frozen=True, eq=False)
class Leaf:
    """A layer with no parts: its module template and the candidates for the
    channels after it (the values of its int parameters, as code)."""

    name: str | None
    node: LayerNode
    primitive: Primitive
    template: ModuleCall
    candidates: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class CallBlock:
    name: str | None
    node: LayerNode
    block: str
    args: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, eq=False)
class Merge:
    """Branches on one input, merged by the module class ``cls`` (Add, Concat)."""

    name: str | None
    node: LayerNode
    primitive: Primitive
    cls: str
    branches: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, eq=False)
class Join:
    """A merge of named tensors (``add: {from: [bn3, downsample]}``): a function of
    them in the forward, no module; ``count``: how many it reads."""

    name: str | None
    node: LayerNode
    primitive: Primitive
    count: int


@dataclass(frozen=True, eq=False)
class Group:
    name: str | None
    node: LayerNode
    body: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class For:
    """``repeat``: ``first`` (where given) once, then ``body``; ``count`` copies in all;
    where ``prefix`` is given, each copy (one layer) is named ``prefix`` + its number,
    counted from ``start`` (torchvision's denselayer1 …)."""

    count: Any
    first: tuple[Any, ...] | None
    body: tuple[Any, ...]
    prefix: str | None = None
    start: Any = 1


@dataclass(frozen=True, eq=False)
class If:
    test: Any
    then: tuple[Any, ...]
    otherwise: tuple[Any, ...]


Statement = Leaf | CallBlock | Merge | Join | Group | For | If


@dataclass(frozen=True)
class Program:
    """A block's constructor: ``kind`` is "single" (the body is one layer: the
    class is that layer's class), "sequence" (always several layers: an
    nn.Sequential), "function" (the count depends on the arguments) or "flow"
    (its layers read named tensors: an nn.Module with a forward,
    ``archspec.emit.flowprogram``, whose ``flow`` says what each layer reads)."""

    block: Block
    kind: str
    body: tuple[Statement, ...]
    rank: int
    flow: Any = None
