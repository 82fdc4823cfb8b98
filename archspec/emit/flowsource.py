"""The forward of a list of layers that read named tensors, as a person writes it.

Each tensor is a local variable named after its layer (``conv1 = self.conv1(x)``),
a merge of named tensors is an expression (``add = bn2 + downsample``), and the
forward returns the list's output, or a dict of its outputs. The same dataflow
drives ``archspec.emit.layers.Dataflow``, which ``archspec.build`` makes.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from archspec.compiler.graph import LayerInfo
from archspec.emit.exprtext import unparse
from archspec.emit.pretty import INDENT, LINE_LENGTH, Call, Node, Pair, Raw, Seq, render
from archspec.frontend.expr import python_ast
from archspec.primitives.registry import lookup
from archspec.shapes.dims import format_shape

# Names the forward itself uses: a tensor never takes them as its variable.
_TAKEN = frozenset({"self", "torch", "nn", "OrderedDict"})


def is_attribute(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def variables(inputs: Sequence[str], layers: Sequence[LayerInfo]) -> dict[str, str]:
    """A distinct Python variable for each input and layer output: its name where that
    is an identifier free here, else one made from it (``x2`` for the layer ``2``)."""
    found: dict[str, str] = {}
    used: set[str] = set(_TAKEN)
    for name in [*inputs, *(layer.name for layer in layers)]:
        candidate = name if is_attribute(name) else f"x{name}" if name.isdigit() else f"{name}_"
        while candidate in used or keyword.iskeyword(candidate):
            candidate += "_"
        used.add(candidate)
        found[name] = candidate
    return found


def reference(name: str, names: dict[str, str]) -> str:
    """A tensor read in the forward: a variable, or one output of a call that returns several."""
    if name in names:
        return names[name]
    call, _, output = name.partition(".")
    return f"{names[call]}[{output}]" if output.isdigit() else f'{names[call]}["{output}"]'


def learned_fill(layer: LayerInfo) -> float:
    """The value every entry of a learned tensor (``parameter``) starts at."""
    primitive = lookup(layer.primitive)
    assert primitive is not None and primitive.learned is not None, layer.primitive
    return float(primitive.learned(layer.params))


def forward_lines(
    layers: Sequence[LayerInfo],
    inputs: Sequence[str],
    outputs: Sequence[str],
    indent: int,
    comments: bool = True,
) -> list[str]:
    """``def forward`` of a dataflow: one line per layer, with its output shape as a comment
    (``comments``; a generic block's forward serves calls of other shapes: none)."""
    names = variables(inputs, layers)
    lines = [forward_head(inputs, outputs, names, indent)]
    for layer in layers:
        if layer.learned:  # an nn.Parameter of this module: read where it is used
            names[layer.name] = f"self.{layer.name}"
            continue
        shape = (
            ", ".join(f"{k}: {format_shape(v.with_batch())}" for k, v in layer.named_outputs.items())
            if layer.named_outputs
            else format_shape(layer.output_shape)
        )
        lines.append(
            assignment(names[layer.name], layer_value(layer, names, shape if comments else None), indent + 1)
        )
    return [*lines, return_line(outputs, names, indent + 1)]


def forward_head(inputs: Sequence[str], outputs: Sequence[str], names: dict[str, str], indent: int) -> str:
    """``def forward(self, x: torch.Tensor) -> torch.Tensor:`` (a dict where it returns several)."""
    result = "dict[str, torch.Tensor]" if len(outputs) > 1 else "torch.Tensor"
    arguments = ", ".join(f"{names[i]}: torch.Tensor" for i in inputs)
    return f"{'    ' * indent}def forward(self, {arguments}) -> {result}:"


def layer_value(layer: LayerInfo, names: dict[str, str], comment: str | None) -> Node:
    """What a layer computes in the forward: its join's code, else its module called."""
    args = [reference(source, names) for source in layer.sources]
    if layer.is_join:
        return join_value(layer.primitive, layer.params, args, comment)
    return module_value(layer.name, args, comment)


def join_value(kind: str, params: Any, args: Sequence[str], comment: str | None = None) -> Node:
    """A merge of named tensors (a function of them, no module) as code: ``bn3 + downsample``."""
    primitive = lookup(kind)
    assert primitive is not None and primitive.join is not None, kind
    return code_node(primitive.join.code(params, tuple(args)), comment, leaf=_join_leaf)


def _join_leaf(node: ast.expr) -> str:
    """A leaf of a join's expression: a constant in ruff's style (``mode="bilinear"``), the
    rest as ast writes it (``skip.shape[2:]``)."""
    return unparse(node) if isinstance(node, ast.Constant) else ast.unparse(node)


def module_value(name: str, args: Sequence[str], comment: str | None = None) -> Node:
    """The module of the layer ``name`` called on ``args`` (variables)."""
    module = f"self.{name}" if is_attribute(name) else f'getattr(self, "{name}")'
    return Call(module, tuple(Raw(a) for a in args), comment)


def return_line(outputs: Sequence[str], names: dict[str, str], indent: int) -> str:
    if len(outputs) > 1:
        items = ", ".join(f'"{o}": {reference(o, names)}' for o in outputs)
        return render(Raw(f"return {{{items}}}"), indent)
    return f"{'    ' * indent}return {reference(outputs[0], names)}"


def code_node(text: str, comment: str | None = None, leaf: Callable[[ast.expr], str] = ast.unparse) -> Node:
    """A Python expression as a printer tree, so that a long one splits as ruff format
    splits it: calls and lists at their brackets; ``leaf`` writes the rest (a block's
    expressions: archspec.emit.exprtext.unparse, in ruff's style)."""

    def convert(node: ast.expr) -> Node:
        if isinstance(node, ast.Call):
            args: list[Node] = [convert(a) for a in node.args]
            args += [Pair(str(k.arg), convert(k.value)) for k in node.keywords]
            return Call(ast.unparse(node.func), tuple(args))
        if isinstance(node, ast.List | ast.Tuple):
            brackets = ("[", "]") if isinstance(node, ast.List) else ("(", ")")
            return Seq(brackets[0], tuple(convert(e) for e in node.elts), brackets[1])
        return Raw(leaf(node))

    tree = python_ast(text, mode="eval").body  # type: ignore[attr-defined]
    converted = convert(tree)
    return replace(converted, comment=comment)


def assignment(target: str, value: Node, indent: int) -> str:
    """``target = value``, split where it does not fit: a call at its brackets, any other
    expression in parentheses, as ruff format does."""
    line = render(value, indent, f"{target} = ")
    if not isinstance(value, Raw) or "\n" in line or len(line) <= LINE_LENGTH:
        return line
    pad = INDENT * indent
    comment = f"  # {value.comment}" if value.comment else ""
    return f"{pad}{target} = (\n{pad}{INDENT}{value.text}\n{pad}){comment}"


def attribute_lines(members: Sequence[tuple[LayerInfo, object]], indent: int) -> list[str]:
    """``self.<name> = <module>`` for each member, in order (an unnamed layer keeps its
    index as its name, as in archspec.build)."""
    lines = []
    for layer, node in members:
        if is_attribute(layer.name):
            lines.append(render(node, indent, f"self.{layer.name} = "))  # type: ignore[arg-type]
        else:
            lines.append(render(Call("self.add_module", (Raw(f'"{layer.name}"'), node)), indent))  # type: ignore[arg-type]
    return lines
