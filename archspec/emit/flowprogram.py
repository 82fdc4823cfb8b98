"""A block whose layers read named tensors, as one generic class: its program and proof.

torchvision writes one ``Bottleneck(inplanes, planes, stride, …)`` class: a
constructor that makes the layers from the arguments, and a forward that reads
the tensors by name (``out = self.bn3(…); identity = self.downsample(x); out += identity``).
``compile -o`` writes a block of archspec's the same way where it can prove,
at every call in the network, that

- the constructor (the block's body as a program, ``archspec.emit.program``:
  expressions as Python, ``if`` as ``if``) makes the very modules
  ``archspec.build`` makes, with the channels carried from each tensor to the
  layers that read it (``_Run``'s steps of ``archspec.emit.proof``, per layer);
- every layer has the same name and reads the same tensors at every call, so
  one forward serves them all (``archspec.emit.flowforward``): at each call, the
  lines of the branches it takes are that call's forward, printed from the
  compiled graph without its shape comments;
- each activation runs in place at every call or at none
  (``archspec.emit.inplace``'s one decision, read at each call).

A layer that some arguments leave out is what the block's YAML makes of it: an
``if`` whose branches make the layer of one name (``downsample``: an
``nn.Sequential`` or an ``nn.Identity``), so that the forward stays the same; where
the branches compute differently (a residual add or an ``nn.Identity``), the forward
takes the branch the constructor's test took (``archspec.emit.flowforward``). A call
whose layers happen to form a chain (build makes it an ``nn.Sequential``) is served
by the same class.
A block of several inputs takes the channels of each after the first
(``skip_channels``), which a caller in the network passes.
Anything else (a ``repeat`` among the named layers,
a learned tensor, a split) raises NotGeneric: the block is then written out per
call, from the graph, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from archspec.compiler.graph import LayerInfo
from archspec.emit.choices import FIRST, SUM
from archspec.emit.flowsource import variables
from archspec.emit.inplace import in_place_ids, list_flags
from archspec.emit.program import (
    For,
    If,
    Join,
    Leaf,
    NotGeneric,
    Program,
    Statement,
    _in_place_leaves,
    _statements,
    _template,
    _with_in_place,
)
from archspec.frontend.blocks import Block
from archspec.frontend.layers import LayerNode
from archspec.frontend.spec import Spec
from archspec.primitives.registry import lookup

if TYPE_CHECKING:
    from archspec.emit.choices import Choices
    from archspec.emit.proof import _Run


@dataclass(frozen=True)
class FlowShape:
    """The static dataflow of a block's body: each layer's name and the tensors it
    reads (by the ``id`` of its node as written, which every copy of its statement
    shares), the block's inputs and the tensors it returns."""

    names: dict[int, str]
    sources: dict[int, tuple[str, ...]]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def reads_named_tensors(nodes: tuple[LayerNode, ...]) -> bool:
    """Whether a layer of ``nodes``, or of a group or branch inside one, names what it reads."""
    for node in nodes:
        if node.sources is not None:
            return True
        for group in node.groups.values():
            parts = group if group and isinstance(group[0], tuple) else (group,)
            if any(reads_named_tensors(part) for part in parts):
                return True
    return False


def build_flow_program(block: Block, spec: Spec, rank: int) -> Program:
    """The program of a block whose layers read named tensors; NotGeneric where the
    names or the tensors a layer reads could differ between calls."""
    for node in block.layers:
        primitive = lookup(node.kind_name)
        if primitive is not None and primitive.learned is not None:
            raise NotGeneric(f"it holds a learned tensor ({node.kind_name}), which no generic class makes")
    body = _statements(block.layers, spec, rank)
    body = _with_in_place(body, _in_place_leaves(body), rank)  # inside groups and branches
    names: dict[int, str] = {}
    sources: dict[int, tuple[str, ...]] = {}

    def walk(statements: tuple[Statement, ...], index: int, last: str) -> tuple[int, str]:
        for statement in statements:
            if isinstance(statement, For):
                raise NotGeneric("a repeat among its named layers gives each call other names")
            if isinstance(statement, If):
                then = walk(statement.then, index, last)
                if walk(statement.otherwise, index, last) != then:
                    raise NotGeneric("the branches of an if make layers of other names or counts")
                index, last = then
                continue
            name = statement.name or str(index)
            names[id(statement.node)] = name
            sources[id(statement.node)] = statement.node.sources or (last,)
            index, last = index + 1, name
        return index, last

    _, last = walk(body, 0, block.inputs[0])
    shape = FlowShape(names, sources, tuple(block.inputs), tuple(block.outputs) or (last,))
    taken = set(block.params.model_fields) & set(channel_names(shape).values())
    if taken:
        raise NotGeneric(f"its parameter {sorted(taken)[0]} is named like the channels of a tensor")
    return Program(block, "flow", body, rank, shape)


def settle_in_place(program: Program, calls: list[LayerInfo]) -> Program:
    """The program with each of its named layers in place as archspec.emit.inplace decides
    at every call; NotGeneric where the decision differs between calls."""
    from archspec.emit.proof import _Run, block_env

    flags: dict[int, bool] = {}
    for call in calls:
        chosen = list_flags(call.children, call.outputs)
        steps = taken(program.body, _Run(program, {}, None, {}), block_env(call))
        if len(steps) != len(chosen):
            raise NotGeneric("the layers of a call differ from the block's body")
        for statement, flag in zip(steps, chosen, strict=True):
            if flags.setdefault(id(statement), flag) != flag:
                raise NotGeneric("an activation runs in place at some calls only")

    def one(statement: Statement) -> Statement:
        if isinstance(statement, If):
            return replace(
                statement,
                then=tuple(one(s) for s in statement.then),
                otherwise=tuple(one(s) for s in statement.otherwise),
            )
        if isinstance(statement, Leaf):
            in_place = flags.get(id(statement), False)
            template = _template(statement.node, statement.primitive, program.rank, in_place=in_place)
            return replace(statement, template=template)
        return statement

    return replace(program, body=tuple(one(s) for s in program.body))


def taken(statements: tuple[Statement, ...], run: _Run, env: Mapping[str, Any]) -> list[Statement]:
    """The statements a call (``env``: its arguments) runs, in order: an ``if`` as the
    branch its test takes there."""
    found: list[Statement] = []
    for statement in statements:
        if isinstance(statement, If):
            branch = statement.then if run.value(statement.test, env, None) else statement.otherwise
            found += taken(branch, run, env)
        else:
            found.append(statement)
    return found


def run_flow(run: _Run, call: LayerInfo, env: Mapping[str, Any]) -> Any:
    """One run of a flow program at one call (see ``_Run.call``): each layer as the
    graph has it, its input channels those of the tensor it reads."""
    flow: FlowShape = run.program.flow
    # a call whose layers happen to form a chain (no residual here) is an nn.Sequential
    returned = call.outputs or ((call.children[-1].name,) if call.children else ())
    run.expect(call.block is not None and call.input_names == flow.inputs, "a call differs from its block")
    run.expect(returned == flow.outputs, "a call returns other tensors")
    run.in_place = in_place_ids(call)
    steps = taken(run.program.body, run, env)
    run.expect(len(steps) == len(call.children), "the layers of a call differ from the block's body")
    widths = dict(zip(flow.inputs, [shape.channels for shape in call.input_shapes], strict=True))
    for statement, layer in zip(steps, call.children, strict=True):
        name, sources = flow.names[id(statement.node)], flow.sources[id(statement.node)]
        run.expect(layer.name == name and layer.sources == sources, "a layer's name or reads differ")
        nested = layer.is_dataflow and layer.block is None  # a group (no block) that reads named tensors
        run.expect(not (layer.learned or layer.named_outputs or nested), "a layer has no class")
        run.expect(layer.is_join == isinstance(statement, Join), "a merge of named tensors differs")
        if any(source not in widths for source in sources):
            raise NotGeneric("a layer reads a tensor its constructor has no channels for")
        if isinstance(statement, Join):
            outs = [widths[source] for source in sources]
            out = run.learn(statement, {SUM: sum(outs), FIRST: outs[0]}, layer.output.channels)
        else:
            channels = layer.input.channels if run.choices is None else widths[sources[0]]
            run.expect(channels == layer.input.channels, "the channels into a layer differ at a call")
            out = run.layer(statement, env, channels, layer)
        widths[name] = out
    first = widths[flow.outputs[0]]  # the channels of the (first) output, which a caller reads
    run.expect(first == call.output.channels, "the output channels differ at a call")
    return first


def with_unobserved_joins(program: Program, choices: Choices) -> Choices:
    """The choices, with the channels after each merge of named tensors that no call
    makes (an ``if`` branch no call takes, a block no call makes) asked of its shape rule."""
    from archspec.emit.choices import merge_rule

    completed = dict(choices)
    for statement in every_statement(program.body):
        if isinstance(statement, Join) and id(statement) not in completed:
            try:
                completed[id(statement)] = merge_rule(statement.primitive, statement.count)
            except Exception as error:  # a rule that cannot run on default params: no guess
                raise NotGeneric(
                    f"the channels after {statement.node.kind_name} are not known ({error})"
                ) from None
    return completed


def every_statement(statements: tuple[Statement, ...]) -> list[Statement]:
    """The statements of a body, those of both branches of each ``if`` included."""
    found: list[Statement] = []
    for statement in statements:
        if isinstance(statement, If):
            found += every_statement(statement.then) + every_statement(statement.otherwise)
        else:
            found.append(statement)
    return found


def channel_names(flow: FlowShape) -> dict[str, str]:
    """The Python variable of each tensor's channels, for the constructor's text
    (``bn3_channels``; the first input's is the constructor's ``in_channels``, each
    other input's a parameter of the constructor: ``skip_channels``)."""
    names = list(dict.fromkeys(flow.names.values()))
    found = variables((*flow.inputs, *names), ())
    return {name: f"{var}_channels" for name, var in found.items()} | {flow.inputs[0]: "in_channels"}
