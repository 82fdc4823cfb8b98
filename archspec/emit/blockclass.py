"""Blocks as Python: a class per block, whose constructor takes its parameters.

A block's constructor builds its layers as the block's YAML says, with the
expressions written as Python (``4 * width``), ``repeat`` as a ``for`` loop,
``if`` as an ``if``, and the channel count carried in ``channels`` from
layer to layer, as d2l's ``vgg_block`` carries ``in_channels``. Each class
sets ``self.out_channels``, so a block that calls another knows its output.

A block whose body is one layer (an ``inception`` is one ``concat``) is that
layer's class (``class Inception(Concat)``); a longer body is an
``nn.Sequential``. Where ``if`` or ``repeat`` make the count depend on the
arguments, the block is a function instead, which returns either.

A block whose layers read named tensors is an ``nn.Module`` with its layers
as attributes and one forward for every call (``archspec.emit.flowprogram``,
printed by ``archspec.emit.flowbody``), as torchvision's ``Bottleneck``.

A block is written this way only where ``archspec.emit.proof`` proves the
generic constructor makes, at every call in the network, the very modules
``archspec.build`` makes. Otherwise (a layer whose module needs the spatial
sizes, a channel change no parameter states, a callee that is itself written
out) each distinct call gets its own class, written from the compiled graph:
``class Up1(nn.Sequential)`` with no parameters. Never a wrong file.
"""

from __future__ import annotations

import builtins
import re

from archspec.codes import E209
from archspec.compiler.graph import Graph, LayerInfo
from archspec.diagnostics import Diagnostic, SpecError
from archspec.emit.blockbody import BlockWriter
from archspec.emit.flowbody import FlowWriter
from archspec.emit.flowprogram import (
    build_flow_program,
    flow_forward,
    reads_named_tensors,
    settle_in_place,
)
from archspec.emit.flowsource import attribute_lines, forward_lines, learned_fill
from archspec.emit.inplace import child_flags, list_flags
from archspec.emit.pretty import Call, Node, Pair, Raw, Seq, literal, render
from archspec.emit.program import NotGeneric, Program, build_program
from archspec.emit.proof import Choices, prove
from archspec.emit.pycode import call_node, camel, docstring_lines, value_text
from archspec.frontend.blocks import Block
from archspec.primitives.registry import lookup, own_classes
from archspec.shapes.dims import format_shape, is_concrete


def generated_names() -> frozenset[str]:
    """Names the generated code uses; a block (or parameter) must not take them."""
    return frozenset({*own_classes(), "OrderedDict", "torch", "nn", "_add", "_branch", "self"})


LOCALS = frozenset({"channels", "layers", "module", "name", "in_channels"})
LOCAL_PATTERN = re.compile(r"^(branch|branches|channels|group|block)(\d+)?(_\d+)?$")
HELPER_CALL = re.compile(r"\b_(add|branch)\(")
HELPERS = '''def _add(layers: OrderedDict, module: nn.Module, name: str | None = None) -> None:
    """Append a layer, named as archspec names it: its name, else its index."""
    layers[name or str(len(layers))] = module


def _branch(index: str, layers: OrderedDict) -> tuple[str, nn.Module]:
    """A branch of add/concat: nothing is the identity, one layer is itself."""
    if not layers:
        return index, nn.Identity()
    if len(layers) == 1:
        name, module = next(iter(layers.items()))
        return (index if name.isdigit() else name), module
    return index, nn.Sequential(layers)
'''


def module_node(
    layer: LayerInfo, blocks: BlockEmitter, comment: str | None = None, in_place: bool = False
) -> Node:
    """The expression that makes ``layer``'s module (of a learned tensor, its
    ``nn.Parameter``), with concrete values; ``in_place``: its list lets it overwrite
    what it reads (archspec.emit.inplace)."""
    if layer.learned:
        dims = tuple(int(d) for d in layer.output.dims)
        full = Call("torch.full", (Raw(literal(dims)), Raw(literal(learned_fill(layer)))))
        return Call("nn.Parameter", (full,), comment)
    if layer.block is not None:
        return blocks.call(layer, comment)
    if layer.is_dataflow:  # a group whose layers read named tensors: a class of its own
        return Call(blocks.group_class(layer), (), comment)
    primitive = lookup(layer.primitive)
    assert primitive is not None
    made = primitive.module_call(layer.params, layer.input, in_place)
    if made.cls in own_classes():
        blocks.merges_used.add(made.cls)
    if not made.children:
        node = call_node(made)
        return Call(node.func, node.args, comment)
    parts = [
        (child.name, module_node(child, blocks, format_shape(child.output_shape), flag))
        for child, flag in zip(layer.children, child_flags(layer), strict=True)
    ]
    if made.cls == "Sequential":
        if all(name == str(i) for i, (name, _) in enumerate(parts)):
            return Call("nn.Sequential", tuple(node for _, node in parts), comment)
        items = tuple(Seq("(", (Raw(literal(name)), node), ")") for name, node in parts)
        return Call("nn.Sequential", (Call("OrderedDict", (Seq("[", items, "]"),)),), comment)
    pairs = tuple(Pair(literal(name), node, ": ") for name, node in parts)
    return Call(made.cls, (Seq("{", pairs, "}"),), comment)


class BlockEmitter:
    """Decides, for each block the network calls, a generic class or one class per
    call, and writes them (callees before their callers)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.spec = graph.spec
        self.calls: dict[str, list[LayerInfo]] = {}
        for layer in graph.layers:
            if layer.block is not None:
                self.calls.setdefault(layer.block, []).append(layer)
        self.generic: dict[str, tuple[Program, Choices]] = {}
        self.reasons: dict[str, str] = {}
        self.forwards: dict[str, list[str]] = {}  # a generic block whose layers read named tensors
        self.instances: dict[str, list[str]] = {}  # a written-out block: its calls' keys, in order
        self.order: list[str] = []
        self.merges_used: set[str] = set()
        self.uses_ordered_dict = False
        self._texts: dict[str, str] = {}
        self._groups: dict[str, str] = {}  # the classes of dataflow groups, by name
        self._group_order: list[str] = []

    def class_names(self) -> set[str]:
        names = {self.callable_name(name) for name in self._texts}
        return (
            names
            | set(self._groups)
            | {self._instance_name(b, i) for b, keys in self.instances.items() for i in range(len(keys))}
        )

    def group_class(self, layer: LayerInfo) -> str:
        """The class of a group (not a block call) whose layers read named tensors:
        ``Group1``, ``Group2`` … in the order the file needs them, written with the blocks."""
        taken = {camel(b) for b in self.spec.blocks.blocks} | {self.callable_name(b) for b in self._texts}
        index = len(self._groups) + 1
        while f"Group{index}" in taken or f"Group{index}" in generated_names():
            index += 1
        name = f"Group{index}"
        self._groups[name] = ""  # reserved while its own parts are written
        summary = (
            f"The group {layer.path}, whose layers read named tensors (written from the compiled graph)."
        )
        self._groups[name] = self._flow_class(name, summary, layer)
        self._group_order.append(name)
        return name

    def call(self, layer: LayerInfo, comment: str | None) -> Call:
        """The expression that makes this block call's module."""
        name = layer.block
        assert name is not None and layer.args is not None
        self._need(name)
        if name not in self.generic:
            index = self.instances[name].index(_call_key(layer))
            return Call(self._instance_name(name, index), (), comment)
        block = self.spec.blocks.blocks[name]
        given = layer.args.model_dump(exclude={"name"})
        args: list[Node] = [Raw(literal(shape.channels)) for shape in layer.input_shapes]  # of each input
        for key, value in given.items():
            field = block.params.model_fields[key]
            if field.is_required() or value != field.default:
                args.append(Pair(key, Raw(value_text(value))))
        return Call(self.callable_name(name), tuple(args), comment)

    def callable_name(self, name: str) -> str:
        """The Python name of a generic block: its class, or its function."""
        program = self.generic[name][0] if name in self.generic else None
        return name if program is not None and program.kind == "function" else camel(name)

    def _instance_name(self, name: str, index: int) -> str:
        return f"{camel(name)}{index + 1}"

    def _need(self, name: str) -> None:
        if name in self._texts:
            return
        self._texts[name] = ""  # placeholder while its callees are written
        block = self.spec.blocks.blocks[name]
        self._decide(block)
        self._check_names(block)
        if name in self.generic:
            program, choices = self.generic[name]
            for callee in _callees(program):
                self._need(callee)
            if program.kind == "flow":
                self._texts[name] = FlowWriter(self, program, choices, self.forwards[name]).text()
            else:
                self._texts[name] = BlockWriter(self, program, choices).text()
            if HELPER_CALL.search(self._texts[name]):  # the helpers (_add, _branch) name OrderedDict
                self.uses_ordered_dict = True
        else:
            self._texts[name] = self._written_out(block)
        self.order.append(name)

    def _decide(self, block: Block) -> None:
        """Generic where proven for every call, else written out per call."""
        calls = self.calls.get(block.name, [])
        try:
            if any(not is_concrete(call.input.channels) for call in calls):
                raise NotGeneric("its input channels depend on the input size")
            if any(call.is_join for call in calls):
                raise NotGeneric("it is a merge of named tensors, which has no module of its own")
            flows = {call.is_dataflow for call in calls}
            if not calls and reads_named_tensors(block.layers):
                raise NotGeneric("no call in the network shows what its layers read")
            if len(flows) > 1:
                raise NotGeneric("its layers read named tensors at some calls only")
            rank = len(calls[0].input.spatial) if calls else 2
            if flows == {True}:
                program = settle_in_place(build_flow_program(block, self.spec, rank), calls)
            else:
                program = build_program(block, self.spec, rank)
            for callee in _callees(program):
                self._need(callee)
                if callee not in self.generic:
                    how = "is written out per call" if self.calls.get(callee) else "no call makes"
                    raise NotGeneric(f"it calls {callee}, which {how}")
            choices = prove(program, calls, self.generic)
            if program.kind == "flow":
                self.forwards[block.name] = flow_forward(program, choices, calls)
            self.generic[block.name] = (program, choices)
        except NotGeneric as reason:
            self.reasons[block.name] = str(reason)
            keys: list[str] = []
            for call in calls:
                if _call_key(call) not in keys:
                    keys.append(_call_key(call))
            self.instances[block.name] = keys

    def _written_out(self, block: Block) -> str:
        """One class per distinct call, from the compiled graph (no parameters)."""
        texts = []
        seen: set[str] = set()
        for call in self.calls.get(block.name, []):
            key = _call_key(call)
            if key in seen:
                continue
            seen.add(key)
            index = self.instances[block.name].index(key)
            texts.append(self._instance_class(block, call, self._instance_name(block.name, index)))
        return "\n\n\n".join(texts)

    def _instance_class(self, block: Block, call: LayerInfo, class_name: str) -> str:
        if call.is_dataflow:
            return self._dataflow_class(block, call, class_name)
        made = module_node(_unblocked(call), self)
        assert isinstance(made, Call)
        base = "nn.Sequential" if made.func == "nn.Sequential" else made.func
        if base in own_classes():
            self.merges_used.add(base)
        if "OrderedDict(" in render(made):
            self.uses_ordered_dict = True
        lines = [f"class {class_name}({base}):", *docstring_lines(self._summary(block, call), 1), ""]
        lines += ["    def __init__(self) -> None:", render(Call("super().__init__", made.args), 2)]
        lines += _out_channels(call)
        return "\n".join(lines)

    def _dataflow_class(self, block: Block, call: LayerInfo, class_name: str) -> str:
        """A call whose layers read named tensors: its modules as attributes, and a
        forward that follows the dataflow."""
        return self._flow_class(class_name, self._summary(block, call), call)

    def _flow_class(self, class_name: str, summary: str, call: LayerInfo) -> str:
        flags = list_flags(call.children, call.outputs)
        members = [
            (child, module_node(child, self, format_shape(child.output_shape), flag))
            for child, flag in zip(call.children, flags, strict=True)
            if child.learned or not child.is_join
        ]
        for _, node in members:
            if "OrderedDict(" in render(node):
                self.uses_ordered_dict = True
        lines = [f"class {class_name}(nn.Module):", *docstring_lines(summary, 1), ""]
        lines += ["    def __init__(self) -> None:", "        super().__init__()"]
        lines += [
            *attribute_lines(members, 2),
            *_out_channels(call),
            "",
        ]
        outputs = call.outputs
        return "\n".join(lines + forward_lines(call.children, call.input_names, outputs, 1))

    def _summary(self, block: Block, call: LayerInfo) -> str:
        assert call.args is not None
        args = ", ".join(f"{k}={v!r}" for k, v in call.args.model_dump(exclude={"name"}).items())
        return (
            f"{block.name}({args}) on {call.input}, written out: "
            f"{self.reasons[block.name]}, so no one class serves every call. {block.summary}"
        )

    def _check_names(self, block: Block) -> None:
        taken = {self.callable_name(other) for other in self._texts if other != block.name}
        own = (
            [self.callable_name(block.name)]
            if block.name in self.generic
            else [self._instance_name(block.name, i) for i in range(len(self.instances[block.name]))]
        )
        others = {n for b, keys in self.instances.items() if b != block.name for n in self._names_of(b, keys)}
        for identifier in own:
            if identifier in generated_names() or identifier in taken | others or identifier in dir(builtins):
                raise SpecError(
                    [
                        Diagnostic(
                            E209, f"block {block.name}: its Python name {identifier} is taken", block.span
                        )
                    ]
                )
        classes = {camel(other) for other in self.spec.blocks.blocks} | others
        for key in block.params.model_fields.keys() - {"name"}:
            clash = (
                key in LOCALS or key in generated_names() or key in dir(builtins) or LOCAL_PATTERN.match(key)
            )
            if clash or key in classes:
                raise SpecError(
                    [
                        Diagnostic(
                            E209,
                            f"block {block.name}: a parameter named {key!r} clashes with the Python "
                            "that compile -o writes",
                            block.span,
                            hint="rename the parameter",
                        )
                    ]
                )

    def _names_of(self, block: str, keys: list[str]) -> list[str]:
        return [self._instance_name(block, i) for i in range(len(keys))]

    def classes(self) -> list[str]:
        # a group's class may use a block's, and not the other way round: blocks first
        texts = [self._texts[name] for name in self.order if self._texts[name]]  # none: never called
        texts += [self._groups[n] for n in self._group_order]
        helpers = any(HELPER_CALL.search(text) for text in texts)  # generic blocks' helpers
        return [HELPERS, *texts] if helpers else texts


def _callees(program: Program) -> list[str]:
    """The blocks a program calls, in the order its text calls them."""
    from archspec.emit.program import CallBlock, For, Group, If, Merge

    found: list[str] = []

    def visit(statements: tuple[object, ...]) -> None:
        for statement in statements:
            if isinstance(statement, CallBlock) and statement.block not in found:
                found.append(statement.block)
            elif isinstance(statement, For):
                visit((*(statement.first or ()), *statement.body))
            elif isinstance(statement, If):
                visit((*statement.then, *statement.otherwise))
            elif isinstance(statement, Merge):
                for branch in statement.branches:
                    visit(branch)
            elif isinstance(statement, Group):
                visit(statement.body)

    visit(program.body)
    return found


def _call_key(call: LayerInfo) -> str:
    """What makes two calls of a block the same module: arguments and input shape."""
    assert call.args is not None
    return f"{sorted(call.args.model_dump(exclude={'name'}).items())!r} {call.input}"


def _unblocked(call: LayerInfo) -> LayerInfo:
    """The call's layer as the graph built it, without the block around it."""
    from dataclasses import replace

    from archspec.frontend.types import LayerParams
    from archspec.primitives.sequential import BlockGroup

    params = LayerParams() if isinstance(call.params, BlockGroup) else call.params
    return replace(call, block=None, args=None, params=params)


def _out_channels(call: LayerInfo) -> list[str]:
    """``self.out_channels = 64`` for a block that calls this one; none where the first dim
    varies with the input (tokens [L, E] of a symbolic L): no caller's class reads it then."""
    channels = call.output.channels
    return [f"        self.out_channels = {literal(channels)}"] if is_concrete(channels) else []
