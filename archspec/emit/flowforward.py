"""The one forward of a generic class whose layers read named tensors.

Each layer of the block's body is one line of the forward: ``conv1 = self.conv1(input)``
for a module (the same at every call: the names and the tensors each layer reads are
static, ``archspec.emit.flowprogram``), the join's code for a merge of named tensors
(``x9 = bn3 + downsample``, which must be the same text at every call that makes it).
An ``if`` of the body whose branches read alike (``downsample = self.downsample(input)``,
an ``nn.Sequential`` or an ``nn.Identity``) leaves no trace; one whose branches differ
(a residual ``x1 = input + conv`` where the shapes allow it, an ``nn.Identity`` where
they do not) becomes an ``if`` on the test the constructor keeps (``self.cond1``), as
torchvision's ``InvertedResidual`` keeps ``use_res_connect``.

The forward is checked at every call: the lines of the branches the call's arguments
take must be the very forward that call's compiled layers give (the forward that
``archspec.build``'s module runs), or NotGeneric.
"""

from __future__ import annotations

from dataclasses import dataclass

from archspec.compiler.graph import LayerInfo
from archspec.emit.flowprogram import every_statement, taken
from archspec.emit.flowsource import (
    assignment,
    forward_head,
    forward_lines,
    join_value,
    layer_value,
    module_value,
    reference,
    return_line,
    variables,
)
from archspec.emit.pretty import Node
from archspec.emit.program import If, Join, NotGeneric, Program, Statement
from archspec.emit.proof import _Run, block_env


@dataclass(frozen=True)
class Forward:
    """The forward's lines (at one indent: a method), and the attribute that keeps the
    test of each ``if`` (by ``id``) whose branches the forward tells apart."""

    lines: list[str]
    flags: dict[int, str]


def shared_forward(program: Program, calls: list[LayerInfo]) -> Forward:
    """The forward of ``program``'s class; NotGeneric where one text cannot serve every call."""
    flow = program.flow
    order = list(dict.fromkeys(flow.names.values()))
    names = variables((*flow.inputs, *order), ())
    values: dict[int, Node] = {}  # each layer's value, by the id of its node
    taken_at: list[list[Statement]] = []
    for call in calls:
        run = _Run(program, {}, None, {})
        steps = taken(program.body, run, block_env(call))
        taken_at.append(steps)
        for statement, layer in zip(steps, call.children, strict=True):
            if isinstance(statement, Join):
                value = layer_value(layer, names, None)
                if values.setdefault(id(statement.node), value) != value:
                    raise NotGeneric("a merge of named tensors has other code at another call")
    for statement in every_statement(program.body):
        key = id(statement.node)  # type: ignore[union-attr]
        if key in values:
            continue
        sources = [reference(source, names) for source in flow.sources[key]]
        if not isinstance(statement, Join):
            values[key] = module_value(flow.names[key], sources)
        elif statement.node.params is not None:  # no call makes it: its params as written
            values[key] = join_value(statement.node.kind_name, statement.node.params, sources)
        else:
            raise NotGeneric("a merge of named tensors that no call makes has expressions for params")
    if any(f"cond{n}" in flow.names.values() for n in range(1, len(_ifs(program.body)) + 1)):
        raise NotGeneric("a layer is named like the attribute that keeps an if's test")
    flags: dict[int, str] = {}

    def lines(statements: tuple[Statement, ...], indent: int) -> list[str]:
        found: list[str] = []
        pad = "    " * indent
        for statement in statements:
            if isinstance(statement, If):
                then, otherwise = lines(statement.then, indent + 1), lines(statement.otherwise, indent + 1)
                if then == otherwise:  # one text either way: no if
                    found += lines(statement.then, indent)
                    continue
                flag = flags.setdefault(id(statement), f"cond{len(flags) + 1}")  # the YAML's cond
                found += [f"{pad}if self.{flag}:", *(then or [f"{pad}    pass"])]
                found += [f"{pad}else:", *(otherwise or [f"{pad}    pass"])]
            else:
                key = id(statement.node)  # type: ignore[union-attr]
                found.append(assignment(names[flow.names[key]], values[key], indent))
        return found

    body = lines(program.body, 2)
    head = forward_head(flow.inputs, flow.outputs, names, 1)
    for call, steps in zip(calls, taken_at, strict=True):
        outputs = call.outputs or (call.children[-1].name,)  # a call whose layers form a chain
        expected = forward_lines(call.children, call.input_names, outputs, 1, comments=False)
        made = [head, *(assignment(names[flow.names[id(s.node)]], values[id(s.node)], 2) for s in steps)]  # type: ignore[union-attr]
        if "\n".join([*made, return_line(flow.outputs, names, 2)]) != "\n".join(expected):
            raise NotGeneric("its forward differs between calls")
    return Forward([head, *body, return_line(flow.outputs, names, 2)], flags)


def _ifs(statements: tuple[Statement, ...]) -> list[If]:
    found: list[If] = []
    for statement in statements:
        if isinstance(statement, If):
            found += [statement, *_ifs(statement.then), *_ifs(statement.otherwise)]
    return found
