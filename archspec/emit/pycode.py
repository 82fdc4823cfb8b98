"""Python text for emitted source: values, module calls, expressions, conditions."""

from __future__ import annotations

import ast
import copy
import textwrap
from dataclasses import dataclass
from typing import Any

from archspec.emit.exprtext import unparse
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
    first = textwrap.wrap(words, width - 3)
    if len(first) == 1 and not rest:  # ruff format would join it with its closing quotes: two lines
        first = textwrap.wrap(words, width - 6)
    paragraphs = [first] + [textwrap.wrap(docstring_text(line), width) or [""] for line in rest]
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


MATH_FUNCTIONS = frozenset({"floor", "ceil", "log"})
"""The expression functions that are ``math``'s: written ``math.floor(…)``."""
HELPER_FUNCTIONS = frozenset({"make_divisible"})
"""The expression functions that are archspec's: the file defines them (``archspec.emit.source``)."""


def python_expr(text: str) -> str:
    """An archspec expression as Python (already whitelisted by the parser) that
    computes the same value: ``floor(x)`` is ``math.floor(x)``, ``log(x, b)`` is
    ``math.log(x) / math.log(b)``, ``true`` is ``True``, and ``a and b`` is
    ``bool(a and b)`` unless every operand is a bool (archspec's ``and``/``or`` give a
    bool, Python's give an operand). Written as ``ruff format`` writes it."""
    tree = _to_python(copy.deepcopy(parse(text)))  # the parsed tree is shared: change a copy
    return unparse(tree.body)  # type: ignore[attr-defined]


class _ToPython(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in ("true", "false"):
            node.id = "True" if node.id == "true" else "False"
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        assert isinstance(node.func, ast.Name)  # parse() allows calls of names only
        name = node.func.id
        if name in MATH_FUNCTIONS:
            node.func = ast.Attribute(ast.Name("math", ast.Load()), name, ast.Load())
        if name == "log" and len(node.args) == 2:
            # math.log(x, base) is this very division in CPython; written out, so that ruff
            # does not ask for math.log2(x), which is not always the same float
            x, base = (ast.Call(node.func, [arg], []) for arg in node.args)
            return ast.BinOp(x, ast.Div(), base)
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.UnaryOp:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            node.operand = _unwrapped(node.operand)  # only its truth counts
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.IfExp:
        self.generic_visit(node)
        node.test = _unwrapped(node.test)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        if all(_is_bool(value) for value in node.values):
            return node
        return ast.Call(ast.Name("bool", ast.Load()), [node], [])


def _unwrapped(node: ast.expr) -> ast.expr:
    """``x`` for the ``bool(x)`` that visit_BoolOp made, where only the truth of ``x`` counts."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool":
        return node.args[0]
    return node


def _is_bool(node: ast.expr) -> bool:
    """Whether Python gives a bool for ``node`` whatever the names hold."""
    if isinstance(node, ast.Compare) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return node.id in ("True", "False")
    if isinstance(node, ast.BoolOp):
        return all(_is_bool(value) for value in node.values)
    if isinstance(node, ast.IfExp):
        return _is_bool(node.body) and _is_bool(node.orelse)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool"


def _to_python(tree: ast.AST) -> ast.AST:
    return ast.fix_missing_locations(_ToPython().visit(tree))


def functions_used(tree: ast.AST) -> set[str]:
    """Which of ``math`` and the helpers generated code needs: ``"math"`` where an
    attribute of ``math`` is read, a helper's name where it is called."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math":
            used.add("math")
        called = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
        if called in HELPER_FUNCTIONS:
            used.add(called)
    return used


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


def wrapped(text: str, indent: int, head: str, tail: str, opened: str = "", closed: str = "") -> str:
    """``head + text + tail`` as one line, split as ruff format splits it where it is too
    long: ``text`` alone between ``opened`` and ``closed`` (the head and tail, by default),
    else one operand of a sum per line (``- min(…)``)."""
    pad, inner = INDENT * indent, INDENT * (indent + 1)
    if len(f"{pad}{head}{text}{tail}") <= LINE_LENGTH:
        return f"{pad}{head}{text}{tail}"
    opened, closed = opened or head, closed or tail
    if len(inner + text) <= LINE_LENGTH:
        return f"{pad}{opened}\n{inner}{text}\n{pad}{closed}"
    body = "\n".join(inner + part for part in _operands(text))
    return f"{pad}{opened}\n{body}\n{pad}{closed}"


def _operands(text: str) -> list[str]:
    """A sum or difference as its operands, each after its operator; other text whole."""
    tree = python_ast(text, mode="eval").body  # type: ignore[attr-defined]
    parts: list[str] = []
    while isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add | ast.Sub):
        right = unparse(tree.right)
        loose = isinstance(tree.right, ast.IfExp | ast.BoolOp | ast.Compare | ast.Lambda) or (
            isinstance(tree.right, ast.BinOp) and isinstance(tree.right.op, ast.Add | ast.Sub)
        )
        parts.insert(0, ("+ " if isinstance(tree.op, ast.Add) else "- ") + (f"({right})" if loose else right))
        tree = tree.left
    return [unparse(tree), *parts] if parts else [text]


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
