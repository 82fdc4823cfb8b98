"""Blocks written out per call, from the compiled graph: one class for each distinct
call of a block that no one generic class serves (``archspec.emit.blockclass``
decides), and one for each group (not a block) whose layers read named tensors.

Each such class has no parameters: its modules are the ones ``archspec.build``
makes, with concrete values, and its docstring says why no generic class serves
(``class Up1(nn.Sequential)``). A class whose layers read named tensors has them
as attributes and a ``forward`` with each tensor's shape as a comment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archspec.compiler.graph import LayerInfo
from archspec.emit.flowsource import attribute_lines, forward_lines, learned_fill
from archspec.emit.inplace import child_flags, list_flags
from archspec.emit.pretty import Call, Node, Pair, Raw, Seq, literal, render
from archspec.emit.pycode import call_node, camel, docstring_lines
from archspec.frontend.blocks import Block
from archspec.primitives.registry import lookup, own_classes
from archspec.shapes.dims import format_shape, is_concrete

if TYPE_CHECKING:
    from archspec.emit.blockclass import BlockEmitter


def generated_names() -> frozenset[str]:
    """Names the generated code uses; a block (or parameter) must not take them."""
    return frozenset({*own_classes(), "OrderedDict", "torch", "nn", "_add", "_branch", "self"})


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


class WrittenOut:
    """The per-call classes of a :class:`~archspec.emit.blockclass.BlockEmitter`
    (which this is a part of: it reads the emitter's state)."""

    def group_class(self: BlockEmitter, layer: LayerInfo) -> str:
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

    def _written_out(self: BlockEmitter, block: Block) -> str:
        """One class per distinct call, from the compiled graph (no parameters)."""
        texts = []
        seen: set[str] = set()
        for call in self.calls.get(block.name, []):
            key = call_key(call)
            if key in seen:
                continue
            seen.add(key)
            index = self.instances[block.name].index(key)
            texts.append(self._instance_class(block, call, self._instance_name(block.name, index)))
        return "\n\n\n".join(texts)

    def _instance_class(self: BlockEmitter, block: Block, call: LayerInfo, class_name: str) -> str:
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
        lines += [
            "    def __init__(self) -> None:",
            render(Call("super().__init__", made.args), 2),
        ]
        lines += _out_channels(call)
        return "\n".join(lines)

    def _dataflow_class(self: BlockEmitter, block: Block, call: LayerInfo, class_name: str) -> str:
        """A call whose layers read named tensors: its modules as attributes, and a
        forward that follows the dataflow."""
        return self._flow_class(class_name, self._summary(block, call), call)

    def _flow_class(self: BlockEmitter, class_name: str, summary: str, call: LayerInfo) -> str:
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

    def _summary(self: BlockEmitter, block: Block, call: LayerInfo) -> str:
        assert call.args is not None
        args = ", ".join(f"{k}={v!r}" for k, v in call.args.model_dump(exclude={"name"}).items())
        return (
            f"{block.name}({args}) on {call.input}, written out: "
            f"{self.reasons[block.name]}, so no one class serves every call. {block.summary}"
        )


def call_key(call: LayerInfo) -> str:
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
