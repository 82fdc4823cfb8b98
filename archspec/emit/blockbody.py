"""The constructor of one block, written statement by statement (see blockclass)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archspec.compiler.graph import LayerInfo
from archspec.diagnostics import Diagnostic, SpecError
from archspec.emit.pretty import Call, Node, Pair, Raw, literal, render
from archspec.emit.pycode import (
    MERGES,
    Code,
    annotation_text,
    call_node,
    camel,
    coded,
    docstring_text,
    if_line,
    python_expr,
    value_text,
)
from archspec.frontend.blocks import Block
from archspec.frontend.expr import is_expression
from archspec.frontend.layers import LayerNode
from archspec.primitives.registry import ModuleCall, lookup
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.emit.blockclass import BlockEmitter


class BlockWriter:
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
            annotation = annotation_text(field.annotation)
            default = "" if field.is_required() else f" = {literal(field.default)}"
            signature.append(f"{key}: {annotation}{default}")
        doc = f'    """{block.name}: {docstring_text(block.summary)}"""'
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
                self.lines.append(if_line(test, indent))
                then = node.groups.get("then", ())
                self.sequence(then, target, channels, indent + 1) if then else self.emit(indent + 1, "pass")
                if node.groups.get("else"):
                    self.emit(indent, "else:")
                    self.sequence(node.groups["else"], target, channels, indent + 1)
            elif node.is_block:
                module = self.var("block")
                self.emitter._need(node.primitive, self.rank, self.full_rank)
                args = [Raw(channels)] + [
                    Pair(k, Raw(value_text(coded(v)))) for k, v in node.raw.items() if k != "name"
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
        values = {k: coded(v) for k, v in node.raw.items()}
        params = primitive.params.model_construct(**values)
        shape = TensorShape((channels, *(Code("?"),) * self.rank))
        info = LayerInfo("", "", node.primitive, params, shape, shape, 0)
        out = values.get("out_channels", values.get("out_features"))
        return primitive.build(info), out
