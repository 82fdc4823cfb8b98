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
"""

from __future__ import annotations

import builtins
import re

from archspec.compiler.graph import LayerInfo
from archspec.diagnostics import Diagnostic, SpecError
from archspec.emit.blockbody import BlockWriter
from archspec.emit.pretty import Call, Node, Pair, Raw, Seq, literal
from archspec.emit.pycode import call_node, camel, value_text
from archspec.frontend.blocks import Block
from archspec.frontend.layers import LayerNode
from archspec.frontend.spec import Spec
from archspec.primitives.registry import lookup
from archspec.shapes.dims import format_dim

# Names the generated code uses; a block (or parameter) must not take them.
GENERATED = frozenset({"Add", "Concat", "OrderedDict", "torch", "nn", "_add", "_branch", "self"})
LOCALS = frozenset({"channels", "layers", "module", "name", "in_channels"})
LOCAL_PATTERN = re.compile(r"^(branch|branches|channels|group|block)(\d+)?(_\d+)?$")
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


def _shape(layer: LayerInfo) -> str:
    return "[" + ", ".join(format_dim(d) for d in layer.output_shape) + "]"


def module_node(layer: LayerInfo, blocks: BlockEmitter, comment: str | None = None) -> Node:
    """The expression that makes ``layer``'s module, with concrete values."""
    if layer.block is not None:
        return blocks.call(layer, comment)
    primitive = lookup(layer.primitive)
    assert primitive is not None and primitive.build is not None
    made = primitive.build(layer)
    if not made.children:
        node = call_node(made)
        return Call(node.func, node.args, comment)
    parts = [(child.name, module_node(child, blocks, _shape(child))) for child in layer.children]
    if made.cls == "Sequential":
        if all(name == str(i) for i, (name, _) in enumerate(parts)):
            return Call("nn.Sequential", tuple(node for _, node in parts), comment)
        items = tuple(Seq("(", (Raw(literal(name)), node), ")") for name, node in parts)
        return Call("nn.Sequential", (Call("OrderedDict", (Seq("[", items, "]"),)),), comment)
    pairs = tuple(Pair(literal(name), node, ": ") for name, node in parts)
    return Call(made.cls, (Seq("{", pairs, "}"),), comment)


class BlockEmitter:
    """Collects the blocks a network calls and writes a class (or function) for each."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.ranks: dict[str, int] = {}
        self.order: list[str] = []
        self.merges_used: set[str] = set()
        self.uses_ordered_dict = False
        self._texts: dict[str, str] = {}

    def class_names(self) -> set[str]:
        return {camel(name) for name in self.ranks}

    def call(self, layer: LayerInfo, comment: str | None) -> Call:
        name = layer.block
        assert name is not None and layer.args is not None
        rank = len(layer.input.spatial)
        self._need(name, rank, layer.input.rank)
        block = self.spec.blocks.blocks[name]
        given = layer.args.model_dump(exclude={"name"})
        args: list[Node] = [Raw(literal(layer.input.channels))]
        for key, value in given.items():
            field = block.params.model_fields[key]
            if field.is_required() or value != field.default:
                args.append(Pair(key, Raw(value_text(value))))
        return Call(self._callable(name), tuple(args), comment)

    def _callable(self, name: str) -> str:
        return camel(name) if self._kind(self.spec.blocks.blocks[name]) != "function" else name

    def _check_names(self, block: Block) -> None:
        taken = {camel(other) for other in self.ranks if other != block.name}
        identifier = self._callable(block.name)
        if identifier in GENERATED or identifier in taken or identifier in dir(builtins):
            raise SpecError(
                [Diagnostic("E209", f"block {block.name}: its Python name {identifier} is taken", block.span)]
            )
        for key in block.params.model_fields.keys() - {"name"}:
            if key in LOCALS or key in GENERATED or key in dir(builtins) or LOCAL_PATTERN.match(key):
                raise SpecError(
                    [
                        Diagnostic(
                            "E209",
                            f"block {block.name}: a parameter named {key!r} clashes with the Python "
                            "that compile -o writes",
                            block.span,
                            hint="rename the parameter",
                        )
                    ]
                )

    def _need(self, name: str, rank: int, full_rank: int) -> None:
        if self.ranks.setdefault(name, rank) != rank:
            raise SpecError(
                [
                    Diagnostic(
                        "E209",
                        f"block {name} is called on inputs with {self.ranks[name]} and "
                        f"{rank} spatial dims; compile -o writes one class per block",
                    )
                ]
            )
        if name not in self._texts:
            self._check_names(self.spec.blocks.blocks[name])
            self._texts[name] = ""  # placeholder: blocks may call each other
            writer = BlockWriter(self, self.spec.blocks.blocks[name], rank, full_rank)
            self._texts[name] = writer.text()
            self.order.append(name)

    def _kind(self, block: Block) -> str:
        low, high = _count(block.layers)
        if (
            low == high == 1
            and not block.layers[0].is_block
            and block.layers[0].primitive not in ("repeat", "if")
        ):
            return "single"
        return "sequence" if low >= 2 else "function"

    def classes(self) -> list[str]:
        texts = [HELPERS] if self._texts else []
        return texts + [self._texts[name] for name in self.order]


def _count(nodes: tuple[LayerNode, ...]) -> tuple[int, int | None]:
    """The fewest and most layers ``nodes`` splice into (None: unbounded)."""
    low, high = 0, 0
    for node in nodes:
        if node.primitive == "repeat":
            first = node.groups.get("first") or node.groups.get("layers", ())
            count = _count(first)
            low += count[0]
            high = None
        elif node.primitive == "if":
            then, other = _count(node.groups.get("then", ())), _count(node.groups.get("else", ()))
            low += min(then[0], other[0])
            high = (
                None if high is None or then[1] is None or other[1] is None else high + max(then[1], other[1])
            )
        else:
            low += 1
            high = None if high is None else high + 1
    return low, high
