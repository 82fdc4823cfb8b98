"""Python text for emitted source: values, module calls, expressions, conditions."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from archspec.emit.pretty import INDENT, LINE_LENGTH, Call, Node, Pair, Raw, literal
from archspec.frontend.expr import is_expression, parse
from archspec.primitives.registry import ModuleCall

MERGES = {"add": "Add", "concat": "Concat"}


def docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring, on one line (no quote can close it).

    Whitespace of any kind (newlines, tabs, U+2028) becomes one space; any
    other character that is not printable (NUL, ESC, a bidi override) is
    written as ``U+202E``, so that the source shows what the text held.
    """
    words = text.replace("\\", "/").replace('"', "'").split()
    return "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in " ".join(words))


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


def python_expr(text: str) -> str:
    """An archspec expression as Python (already whitelisted by the parser)."""
    tree = parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ("true", "false"):
            node.id = "True" if node.id == "true" else "False"
    return ast.unparse(tree.body)


def if_line(test: str, indent: int) -> str:
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


def coded(value: Any) -> Any:
    if is_expression(value):
        return Code(python_expr(value))
    if isinstance(value, list):
        return [coded(v) for v in value]
    return value


def annotation_text(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not hasattr(annotation, "__args__") else None
    if text in ("int", "float", "bool", "str"):
        return text
    return str(annotation).replace("typing.", "").replace("NoneType", "None")
