"""Python text for emitted source: values, module calls, expressions, conditions."""

from __future__ import annotations

import ast
import copy
import textwrap
from dataclasses import dataclass
from typing import Any

from archspec.emit.pretty import INDENT, LINE_LENGTH, Call, Node, Pair, Raw, literal
from archspec.frontend.expr import is_expression, parse, python_ast
from archspec.primitives.registry import ModuleCall, own_classes


def docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring, on one line (no quote can close it).

    Whitespace of any kind (newlines, tabs, U+2028) becomes one space; any
    other character that is not printable (NUL, ESC, a bidi override) is
    written as ``U+202E``, so that the source shows what the text held.
    """
    words = text.replace("\\", "/").replace('"', "'").split()
    return "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in " ".join(words))


def docstring_lines(text: str, indent: int, first: str = "", rest: tuple[str, ...] = ()) -> list[str]:
    """A docstring at ``indent`` levels, wrapped to the line length (ruff's E501 at 88):
    ``text`` as one paragraph, then the lines of ``rest`` (each wrapped too)."""
    pad = INDENT * indent
    width = LINE_LENGTH - len(pad)
    words = docstring_text(text)
    if not rest and len(words) + 6 <= width:
        return [f'{pad}"""{words}"""']
    paragraphs = [textwrap.wrap(words, width - 3)] + [
        textwrap.wrap(docstring_text(line), width) or [""] for line in rest
    ]
    lines = [f'{pad}"""{paragraphs[0][0]}', *(pad + line for line in paragraphs[0][1:])]
    for paragraph in paragraphs[1:]:
        lines += [pad + line if line else "" for line in paragraph]
    return [*lines, f'{pad}"""']


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Net"


@dataclass(frozen=True)
class Code:
    """A Python expression in emitted source (a parameter, ``4 * width``).

    ``source`` is the archspec expression it was written from (``=4 * width``),
    which the proof evaluates; None for the names the emitter itself binds
    (``channels``).
    """

    text: str
    source: str | None = None


CHANNELS = Code("channels")
"""The channel count a block's constructor carries from layer to layer."""


def has_unknown(made: ModuleCall) -> bool:
    """Whether a module template needs a size the constructor cannot know (a spatial size)."""

    def unknown(value: object) -> bool:
        if isinstance(value, Code):
            return value.text == "?"
        if isinstance(value, list | tuple):
            return any(unknown(v) for v in value)
        return False

    return any(unknown(v) for v in (*made.args, *(v for _, v in made.kwargs)))


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
    prefix = "" if made.cls in own_classes() else "nn."
    args = [*children, *(Raw(value_text(a)) for a in made.args)]
    args += [Pair(key, Raw(value_text(v))) for key, v in made.kwargs]
    return Call(prefix + made.cls, tuple(args))


def python_expr(text: str) -> str:
    """An archspec expression as Python (already whitelisted by the parser)."""
    tree = copy.deepcopy(parse(text))  # the parsed tree is shared: rename in a copy
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
    tree = python_ast(test, mode="eval").body  # type: ignore[attr-defined]
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
    """A value as written, with each expression as :class:`Code`."""
    if is_expression(value):
        return Code(python_expr(value), value)
    if isinstance(value, list):
        return [coded(v) for v in value]
    return value


def annotation_text(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not hasattr(annotation, "__args__") else None
    if text in ("int", "float", "bool", "str"):
        return text
    return str(annotation).replace("typing.", "").replace("NoneType", "None")
