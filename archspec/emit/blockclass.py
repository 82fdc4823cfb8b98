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
from archspec.emit.choices import Choices
from archspec.emit.flowbody import FlowWriter
from archspec.emit.flowforward import Forward, shared_forward
from archspec.emit.flowprogram import (
    build_flow_program,
    reads_named_tensors,
    settle_in_place,
    with_unobserved_joins,
)
from archspec.emit.pretty import Call, Node, Pair, Raw, literal
from archspec.emit.program import NotGeneric, Program, build_program
from archspec.emit.proof import prove
from archspec.emit.pycode import camel, value_text
from archspec.emit.writtenout import WrittenOut, call_key, generated_names
from archspec.frontend.blocks import Block
from archspec.shapes.dims import is_concrete

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


class BlockEmitter(WrittenOut):
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
        self.forwards: dict[str, Forward] = {}  # a generic block whose layers read named tensors
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

    def call(self, layer: LayerInfo, comment: str | None) -> Call:
        """The expression that makes this block call's module."""
        name = layer.block
        assert name is not None and layer.args is not None
        self._need(name)
        if name not in self.generic:
            index = self.instances[name].index(call_key(layer))
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
            rank = len(calls[0].input.spatial) if calls else 2
            # a call may be a chain (an nn.Sequential) where its layers happen to form one
            if (True in flows or not calls) and reads_named_tensors(block.layers):
                program = settle_in_place(build_flow_program(block, self.spec, rank), calls)
            else:
                program = build_program(block, self.spec, rank)
            for callee in _callees(program):
                self._need(callee)
                if callee not in self.generic:
                    # a callee no call makes has no class of its own to say why: say it here
                    how = (
                        "is written out per call"
                        if self.calls.get(callee)
                        else f"no one class writes ({self.reasons[callee]})"
                    )
                    raise NotGeneric(f"it calls {callee}, which {how}")
            choices = prove(program, calls, self.generic)
            if program.kind == "flow":
                choices = with_unobserved_joins(program, choices)
                self.forwards[block.name] = shared_forward(program, calls)
            self.generic[block.name] = (program, choices)
        except NotGeneric as reason:
            self.reasons[block.name] = str(reason)
            keys: list[str] = []
            for call in calls:
                if call_key(call) not in keys:
                    keys.append(call_key(call))
            self.instances[block.name] = keys

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
