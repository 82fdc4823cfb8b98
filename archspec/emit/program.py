"""A block's body as a generic program: what its Python class will do, as data.

``compile -o`` writes a block as a class whose constructor takes the block's
parameters (as torchvision writes its blocks). This module turns the block's
layers, as written, into a small program of statements: a layer made from a
module template (``nn.Conv2d(channels, 4 * width, kernel_size=3)``, built by
the primitive's own builder with the expressions left as code), a call of
another block, a merge of branches, a group, a ``for`` loop (a ``repeat``),
an ``if``. The same program is printed (``archspec.emit.blockbody``) and run
against every call of the block in the compiled graph (``archspec.emit.proof``):
a block is written generically only where the run proves that the program
makes exactly the modules ``archspec.build`` makes, at every call.

What a layer does to the channels is not part of the template: the proof
learns it from the shape rules' results at every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.emit.pycode import CHANNELS, Code, coded, has_unknown
from archspec.frontend.blocks import Block
from archspec.frontend.layers import LayerNode
from archspec.frontend.spec import Spec
from archspec.primitives.registry import Choice, Loop, ModuleCall, Primitive, lookup
from archspec.shapes.tensor import TensorShape


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
class Group:
    name: str | None
    node: LayerNode
    body: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class For:
    """``repeat``: ``first`` (where given) once, then ``body``; ``count`` copies in all."""

    count: Any
    first: tuple[Any, ...] | None
    body: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class If:
    test: Any
    then: tuple[Any, ...]
    otherwise: tuple[Any, ...]


Statement = Leaf | CallBlock | Merge | Group | For | If


@dataclass(frozen=True)
class Program:
    """A block's constructor: ``kind`` is "single" (the body is one layer: the
    class is that layer's class), "sequence" (always several layers: an
    nn.Sequential) or "function" (the count depends on the arguments)."""

    block: Block
    kind: str
    body: tuple[Statement, ...]
    rank: int


def build_program(block: Block, spec: Spec, rank: int) -> Program:
    """The program of ``block`` on inputs with ``rank`` spatial dims; NotGeneric
    where a layer's module cannot be written from its parameters alone."""
    body = _statements(block.layers, spec, rank)
    low, high = count_range(body)
    single = low == high == 1 and isinstance(body[0], Leaf | Merge | Group)
    kind = "single" if single else "sequence" if low >= 2 else "function"
    return Program(block, kind, body, rank)


def _statements(nodes: tuple[LayerNode, ...], spec: Spec, rank: int) -> tuple[Statement, ...]:
    return tuple(_statement(node, spec, rank) for node in nodes)


def _statement(node: LayerNode, spec: Spec, rank: int) -> Statement:
    if node.is_block:
        args = tuple((k, coded(v)) for k, v in node.raw.items() if k != "name")
        return CallBlock(node.name, node, node.kind_name, args)
    primitive = lookup(node.kind_name)
    assert primitive is not None, node.kind_name  # the parser checked every name
    groups = {key: value for key, value in node.groups.items()}
    control = primitive.control
    if isinstance(control, Loop):
        first = groups.get(control.first) if control.first else None
        return For(
            coded(node.raw[control.count]),
            _statements(first, spec, rank) if first else None,
            _statements(groups.get(control.body, ()), spec, rank),
        )
    if isinstance(control, Choice):
        return If(
            coded(node.raw[control.test]),
            _statements(groups.get(control.then, ()), spec, rank),
            _statements(groups.get(control.otherwise, ()), spec, rank),
        )
    if primitive.merges_branches:
        field = next(f for f in primitive.layer_fields if f.branches)
        branches = tuple(_statements(branch, spec, rank) for branch in groups.get(field.name, ()))
        return Merge(node.name, node, primitive, _template(node, primitive, rank).cls, branches)
    if primitive.composite:
        field = next(f for f in primitive.layer_fields if not f.branches)
        return Group(node.name, node, _statements(groups.get(field.name, ()), spec, rank))
    return Leaf(node.name, node, primitive, _template(node, primitive, rank), _candidates(node, primitive))


def _template(node: LayerNode, primitive: Primitive, rank: int) -> ModuleCall:
    """The primitive's builder run on the parameters as code and a symbolic input."""
    values = {k: coded(v) for k, v in node.raw.items()}
    params = primitive.params.model_construct(**values)
    x = TensorShape((CHANNELS, *(Code("?"),) * rank))
    try:
        made = primitive.module_call(params, x)
    except Exception as error:
        raise NotGeneric(
            f"{node.kind_name} cannot build its module from its parameters as code ({error})"
        ) from None
    if has_unknown(made):
        raise NotGeneric(f"the module of {node.kind_name} depends on the spatial sizes of its input")
    return made


def _candidates(node: LayerNode, primitive: Primitive) -> tuple[Any, ...]:
    """The int parameters written for the layer, in the params model's order."""
    found = []
    for key in primitive.params.model_fields:
        value = node.raw.get(key)
        if key != "name" and value is not None and (isinstance(value, Code) or _is_int(coded(value))):
            found.append(coded(value))
    return tuple(found)


def _is_int(value: Any) -> bool:
    return isinstance(value, Code) or (isinstance(value, int) and not isinstance(value, bool))


def count_range(statements: tuple[Statement, ...]) -> tuple[int, int | None]:
    """The fewest and most layers ``statements`` make (None: no bound)."""
    low, high = 0, 0
    for statement in statements:
        if isinstance(statement, For):
            low += count_range(statement.first or statement.body)[0]
            high = None
        elif isinstance(statement, If):
            then, other = count_range(statement.then), count_range(statement.otherwise)
            low += min(then[0], other[0])
            bounded = high is not None and then[1] is not None and other[1] is not None
            high = high + max(then[1], other[1]) if bounded else None  # type: ignore[operator,type-var]
        else:
            low += 1
            high = None if high is None else high + 1
    return low, high
