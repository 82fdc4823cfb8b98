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

import ast
import builtins
import re
from dataclasses import dataclass
from typing import Any

from archspec.blocks.definition import Block
from archspec.blocks.expr import is_expression, parse
from archspec.compiler.graph import LayerInfo
from archspec.diagnostics import Diagnostic, SpecError
from archspec.emit.pretty import INDENT, LINE_LENGTH, Call, Node, Pair, Raw, Seq, literal, render
from archspec.primitives.registry import ModuleCall, lookup
from archspec.schema.layers import LayerNode
from archspec.schema.spec import Spec
from archspec.shapes.dims import format_dim
from archspec.shapes.tensor import TensorShape

MERGES = {"add": "Add", "concat": "Concat"}
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


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Net"


@dataclass(frozen=True)
class Code:
    """A Python expression in emitted source (a parameter, ``4 * width``)."""

    text: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Code) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def value_text(value: Any) -> str:
    if isinstance(value, Code):
        return value.text
    if isinstance(value, tuple):
        inner = ", ".join(value_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return literal(value)


def call_node(made: ModuleCall, children: tuple[Node, ...] = ()) -> Call:
    prefix = "nn." if made.cls not in ("Add", "Concat", "Block") else ""
    args = [*children, *(Raw(value_text(a)) for a in made.args)]
    args += [Pair(key, Raw(value_text(v))) for key, v in made.kwargs]
    return Call(prefix + made.cls, tuple(args))


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
            writer = _Writer(self, self.spec.blocks.blocks[name], rank, full_rank)
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


def python_expr(text: str) -> str:
    """An archspec expression as Python (already whitelisted by the parser)."""
    tree = parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ("true", "false"):
            node.id = "True" if node.id == "true" else "False"
    return ast.unparse(tree.body)


def _if_line(test: str, indent: int) -> str:
    """``if test:``, split as ruff format splits a long condition."""
    pad, inner = INDENT * indent, INDENT * (indent + 1)
    if len(f"{pad}if {test}:") <= LINE_LENGTH:
        return f"{pad}if {test}:"
    if len(inner + test) <= LINE_LENGTH:
        return f"{pad}if (\n{inner}{test}\n{pad}):"
    tree = ast.parse(test, mode="eval").body
    if isinstance(tree, ast.IfExp):
        parts = [ast.unparse(tree.body), "if " + ast.unparse(tree.test), "else " + ast.unparse(tree.orelse)]
    elif isinstance(tree, ast.BoolOp):
        word = "and " if isinstance(tree.op, ast.And) else "or "
        parts = [ast.unparse(tree.values[0]), *(word + ast.unparse(v) for v in tree.values[1:])]
    else:
        parts = [test]
    body = "\n".join(inner + part for part in parts)
    return f"{pad}if (\n{body}\n{pad}):"


def _coded(value: Any) -> Any:
    if is_expression(value):
        return Code(python_expr(value))
    if isinstance(value, list):
        return [_coded(v) for v in value]
    return value


class _Writer:
    """Writes one block's constructor, statement by statement."""

    def __init__(self, emitter: BlockEmitter, block: Block, rank: int, full_rank: int) -> None:
        self.emitter, self.block, self.rank, self.full_rank = emitter, block, rank, full_rank
        self.lines: list[str] = []
        self.fresh = 0
        self.merges = 0

    def var(self, stem: str) -> str:
        self.fresh += 1
        return f"{stem}{self.fresh}"

    def emit(self, indent: int, text: str | Node) -> None:
        self.lines.append(render(text if not isinstance(text, str) else Raw(text), indent))

    def fail(self, message: str) -> SpecError:
        return SpecError([Diagnostic("E209", f"block {self.block.name}: {message}", self.block.span)])

    def text(self) -> str:
        block, kind = self.block, self.emitter._kind(self.block)
        params = block.params.model_fields
        signature = ["in_channels: int", "*"] if params.keys() - {"name"} else ["in_channels: int"]
        for key, field in params.items():
            if key == "name":
                continue
            annotation = _annotation(field.annotation)
            default = "" if field.is_required() else f" = {literal(field.default)}"
            signature.append(f"{key}: {annotation}{default}")
        doc = f'    """{block.name}: {block.summary}"""'
        head = f"class {camel(block.name)}"
        if kind == "function":
            define = Call(f"def {block.name}", tuple(Raw(p) for p in signature))
            self.lines = [render(define, 0, "", " -> nn.Module:"), doc]
            indent = 1
        else:
            base = self._base(kind)
            define = Call("def __init__", tuple(Raw(p) for p in ["self", *signature]))
            self.lines = [f"{head}({base}):", doc, "", render(define, 1, "", " -> None:")]
            indent = 2
        self.emit(indent, "channels = in_channels")
        if kind == "single":
            self._single(block.layers[0], indent)
        else:
            self.emit(indent, "layers = OrderedDict()")
            self.emitter.uses_ordered_dict = True
            self.sequence(block.layers, "layers", "channels", indent)
            if kind == "function":
                self.emit(
                    indent, 'module = _branch("0", layers)[1] if len(layers) == 1 else nn.Sequential(layers)'
                )
                self.emit(indent, "module.out_channels = channels")
                self.emit(indent, "return module")
            else:
                self.emit(indent, "super().__init__(layers)")
                self.emit(indent, "self.out_channels = channels")
        return "\n".join(line for line in self.lines)

    def _base(self, kind: str) -> str:
        if kind == "sequence":
            return "nn.Sequential"
        node = self.block.layers[0]
        if node.primitive in MERGES:
            self.emitter.merges_used.add(MERGES[node.primitive])
            return MERGES[node.primitive]
        if node.primitive == "sequential":
            return "nn.Sequential"
        return "nn." + self._leaf(node, Code("channels"))[0].cls

    def _single(self, node: LayerNode, indent: int) -> None:
        if node.primitive in MERGES:
            branches = self.merge(node, "channels", indent)
            self.emit(indent, f"super().__init__({branches})")
        elif node.primitive == "sequential":
            self.emit(indent, "layers = OrderedDict()")
            self.emitter.uses_ordered_dict = True
            self.sequence(node.children, "layers", "channels", indent)
            self.emit(indent, "super().__init__(layers)")
        else:
            made, out = self._leaf(node, Code("channels"))
            args = call_node(made).args
            self.emit(indent, Call("super().__init__", args))
            if out is not None:
                self.emit(indent, f"channels = {value_text(out)}")
        self.emit(indent, "self.out_channels = channels")

    def sequence(self, nodes: tuple[LayerNode, ...], target: str, channels: str, indent: int) -> None:
        for node in nodes:
            name = node.name
            if node.primitive == "repeat":
                count = python_expr(node.raw["n"]) if is_expression(node.raw["n"]) else str(node.raw["n"])
                first = node.groups.get("first")
                if first:
                    self.sequence(first, target, channels, indent)
                    count = f"{count} - 1"
                self.emit(indent, f"for _ in range({count}):")
                self.sequence(node.groups["layers"], target, channels, indent + 1)
            elif node.primitive == "if":
                cond = node.raw["cond"]
                test = python_expr(cond) if is_expression(cond) else repr(cond)
                self.lines.append(_if_line(test, indent))
                then = node.groups.get("then", ())
                self.sequence(then, target, channels, indent + 1) if then else self.emit(indent + 1, "pass")
                if node.groups.get("else"):
                    self.emit(indent, "else:")
                    self.sequence(node.groups["else"], target, channels, indent + 1)
            elif node.is_block:
                module = self.var("block")
                self.emitter._need(node.primitive, self.rank, self.full_rank)
                args = [Raw(channels)] + [
                    Pair(k, Raw(value_text(_coded(v)))) for k, v in node.raw.items() if k != "name"
                ]
                call = Call(self.emitter._callable(node.primitive), tuple(args))
                self.lines.append(render(call, indent, f"{module} = "))
                self._add(target, Raw(module), name, indent)
                self.emit(indent, f"{channels} = {module}.out_channels")
            elif node.primitive in MERGES:
                branches = self.merge(node, channels, indent)
                self._add(target, Call(MERGES[node.primitive], (Raw(branches),)), name, indent)
                self.emitter.merges_used.add(MERGES[node.primitive])
            elif node.primitive == "sequential":
                inner = self.var("group")
                self.emit(indent, f"{inner} = OrderedDict()")
                self.sequence(node.children, inner, channels, indent)
                self._add(target, Call("nn.Sequential", (Raw(inner),)), name, indent)
            else:
                made, out = self._leaf(node, Code(channels))
                self._add(target, call_node(made), name, indent)
                if out is not None:
                    self.emit(indent, f"{channels} = {value_text(out)}")

    def _add(self, target: str, module: Node, name: str | None, indent: int) -> None:
        args = (Raw(target), module, *((Raw(literal(name)),) if name else ()))
        self.emit(indent, Call("_add", args))

    def merge(self, node: LayerNode, channels: str, indent: int) -> str:
        self.merges += 1
        tag = "" if self.merges == 1 else f"_{self.merges}"
        branches = f"branches{tag}"
        self.emit(indent, f"{branches} = {{}}")
        outs = []
        for index, branch in enumerate(node.groups.get("branches", ())):
            layers, width = f"branch{index}{tag}", f"channels{index}{tag}"
            self.emit(indent, f"{layers}, {width} = OrderedDict(), {channels}")
            self.sequence(branch, layers, width, indent)
            self.emit(indent, f"name, module = _branch({literal(str(index))}, {layers})")
            self.emit(indent, f"{branches}[name] = module")
            outs.append(width)
        total = " + ".join(outs) if node.primitive == "concat" else outs[0]
        self.emit(indent, f"{channels} = {total}")
        self.emitter.uses_ordered_dict = True
        return branches

    def _leaf(self, node: LayerNode, channels: Code) -> tuple[ModuleCall, Any]:
        primitive = lookup(node.primitive)
        assert primitive is not None and primitive.build is not None
        if node.primitive == "flatten" or (node.primitive == "linear" and self.full_rank > 1):
            raise self.fail(
                "compile -o cannot write a block that flattens or applies linear to a "
                "map; move flatten and linear out of the block"
            )
        values = {k: _coded(v) for k, v in node.raw.items()}
        params = primitive.params.model_construct(**values)
        shape = TensorShape((channels, *(Code("?"),) * self.rank))
        info = LayerInfo("", "", node.primitive, params, shape, shape, 0)
        out = values.get("out_channels", values.get("out_features"))
        return primitive.build(info), out


def _annotation(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not hasattr(annotation, "__args__") else None
    if text in ("int", "float", "bool", "str"):
        return text
    return str(annotation).replace("typing.", "").replace("NoneType", "None")
