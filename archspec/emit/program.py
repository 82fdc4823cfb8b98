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

from dataclasses import replace
from typing import Any

from archspec.emit.inplace import may_run_in_place, overwritable
from archspec.emit.pycode import CHANNELS, Code, coded, has_unknown
from archspec.emit.statements import (
    CallBlock,
    For,
    Group,
    If,
    Join,
    Leaf,
    Merge,
    NotGeneric,
    Program,
    Statement,
)
from archspec.frontend.blocks import Block
from archspec.frontend.layers import LayerNode
from archspec.frontend.spec import Spec
from archspec.primitives.registry import Choice, Loop, ModuleCall, Primitive, lookup
from archspec.shapes.tensor import TensorShape

__all__ = [  # the statements are imported from here too
    "CallBlock",
    "For",
    "Group",
    "If",
    "Join",
    "Leaf",
    "Merge",
    "NotGeneric",
    "Program",
    "Statement",
    "build_program",
    "count_range",
]


def build_program(block: Block, spec: Spec, rank: int) -> Program:
    """The program of ``block`` on inputs with ``rank`` spatial dims; NotGeneric
    where a layer's module cannot be written from its parameters alone."""
    body = _statements(block.layers, spec, rank)
    body = _with_in_place(body, _in_place_leaves(body), rank)
    if _numbers(body) and "number" in block.params.model_fields:
        raise NotGeneric("its parameter 'number' would be hidden by the loop that numbers a repeat's copies")
    low, high = count_range(body)
    single = low == high == 1 and isinstance(body[0], Leaf | Merge | Group)
    kind = "single" if single else "sequence" if low >= 2 else "function"
    return Program(block, kind, body, rank)


def _numbers(statements: tuple[Statement, ...]) -> bool:
    """Whether a repeat among ``statements`` names its copies (a ``for number`` loop)."""
    for statement in statements:
        if isinstance(statement, For):
            if statement.prefix is not None or _numbers((*(statement.first or ()), *statement.body)):
                return True
        elif isinstance(statement, If):
            if _numbers((*statement.then, *statement.otherwise)):
                return True
        elif isinstance(statement, Merge):
            if any(_numbers(branch) for branch in statement.branches):
                return True
        elif isinstance(statement, Group) and _numbers(statement.body):
            return True
    return False


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
        prefix = node.raw.get(control.prefix) if control.prefix else None
        if prefix is not None and not isinstance(coded(prefix), str):
            raise NotGeneric("a repeat names its copies with an expression")
        default = primitive.params.model_fields[control.start].default if control.start else 1
        start = coded(node.raw.get(control.start, default)) if control.start else 1
        if prefix is not None and (not isinstance(start, int) or isinstance(start, bool)):
            raise NotGeneric("a repeat numbers its copies from an expression")
        return For(
            coded(node.raw[control.count]),
            _statements(first, spec, rank) if first else None,
            _statements(groups.get(control.body, ()), spec, rank),
            prefix,
            start,
        )
    if isinstance(control, Choice):
        return If(
            coded(node.raw[control.test]),
            _statements(groups.get(control.then, ()), spec, rank),
            _statements(groups.get(control.otherwise, ()), spec, rank),
        )
    sources = node.sources or ()
    if primitive.join is not None and (primitive.build is None or len(sources) > 1):
        return Join(node.name, node, primitive, len(sources))  # as inference makes it functional
    if primitive.merges_branches:
        field = next(f for f in primitive.layer_fields if f.branches)
        branches = tuple(_statements(branch, spec, rank) for branch in groups.get(field.name, ()))
        return Merge(node.name, node, primitive, _template(node, primitive, rank).cls, branches)
    if primitive.composite:
        field = next(f for f in primitive.layer_fields if not f.branches)
        return Group(node.name, node, _statements(groups.get(field.name, ()), spec, rank))
    return Leaf(node.name, node, primitive, _template(node, primitive, rank), _candidates(node, primitive))


def _template(node: LayerNode, primitive: Primitive, rank: int, in_place: bool = False) -> ModuleCall:
    """The primitive's builder run on the parameters as code and a symbolic input."""
    values = {k: coded(v) for k, v in node.raw.items()}
    params = primitive.params.model_construct(**values)
    x = TensorShape((CHANNELS, *(Code("?"),) * rank))
    try:
        made = primitive.module_call(params, x, in_place)
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


# In place (archspec.emit.inplace): a layer of the body overwrites what it reads where every
# layer that may come right before it in its list, whatever the arguments, lets it; None
# stands for the list's input. The proof then checks the choice against every call.
Before = frozenset[Any]


def _in_place_leaves(body: tuple[Statement, ...]) -> set[int]:
    """The ``id`` of each leaf of the body that runs in place."""
    verdicts: dict[int, bool] = {}

    def walk(statements: tuple[Statement, ...], before: Before) -> Before:
        for statement in statements:
            before = step(statement, before)
        return before

    def step(statement: Statement, before: Before) -> Before:
        if isinstance(statement, For):
            start = walk(statement.first, before) if statement.first is not None else before
            entry = start
            while True:  # the body follows the layers before the loop, or its own last ones
                grown = entry | walk(statement.body, entry)
                if grown == entry:
                    return entry
                entry = grown
        if isinstance(statement, If):
            return walk(statement.then, before) | walk(statement.otherwise, before)
        if isinstance(statement, Merge):
            for branch in statement.branches:
                walk(branch, frozenset({None}))
        elif isinstance(statement, Group):
            walk(statement.body, frozenset({None}))
        elif isinstance(statement, Leaf):
            safe = _reads_in_place(statement) and all(_overwritable(p) for p in before)
            verdicts[id(statement)] = verdicts.get(id(statement), True) and safe
        return frozenset({statement})

    walk(body, frozenset({None}))
    return {key for key, safe in verdicts.items() if safe}


def _reads_in_place(leaf: Leaf) -> bool:
    """Rule 1 of archspec.emit.inplace, on the layer's params as written; a condition on
    a parameter written as an expression is not known here: not in place."""
    primitive = leaf.primitive
    if primitive.in_place is None:
        return False
    values = {k: coded(v) for k, v in leaf.node.raw.items()}
    if primitive.in_place_if is not None and any(isinstance(v, Code) for v in values.values()):
        return False
    return may_run_in_place(primitive, primitive.params.model_construct(**values))


def _overwritable(statement: Statement | None) -> bool:
    if isinstance(statement, Leaf):
        return overwritable(statement.primitive)
    if isinstance(statement, Merge):
        return overwritable(statement.primitive, len(statement.branches))
    if isinstance(statement, Join):
        return overwritable(statement.primitive, statement.count)
    return False  # the list's input, a block call, a group


def _with_in_place(statements: tuple[Statement, ...], flagged: set[int], rank: int) -> tuple[Statement, ...]:
    """The statements with the template of each flagged leaf in place."""

    def one(statement: Statement) -> Statement:
        if isinstance(statement, Leaf):
            if id(statement) not in flagged:
                return statement
            template = _template(statement.node, statement.primitive, rank, in_place=True)
            return replace(statement, template=template)
        if isinstance(statement, For):
            first = _with_in_place(statement.first, flagged, rank) if statement.first is not None else None
            return replace(statement, first=first, body=_with_in_place(statement.body, flagged, rank))
        if isinstance(statement, If):
            then = _with_in_place(statement.then, flagged, rank)
            return replace(statement, then=then, otherwise=_with_in_place(statement.otherwise, flagged, rank))
        if isinstance(statement, Merge):
            branches = tuple(_with_in_place(b, flagged, rank) for b in statement.branches)
            return replace(statement, branches=branches)
        if isinstance(statement, Group):
            return replace(statement, body=_with_in_place(statement.body, flagged, rank))
        return statement

    return tuple(one(statement) for statement in statements)
