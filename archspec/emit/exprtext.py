"""An expression tree as Python text, written as ``ruff format`` writes it.

``ast.unparse`` gives valid Python, but not in the style of the generated file
(which ``ruff format`` leaves as it is): it quotes text with ``'``, spaces every
``**`` and writes ``1e+20``. This printer covers the nodes an archspec expression
can hold (see :mod:`archspec.frontend.expr`) once :func:`archspec.emit.pycode.python_expr`
has made it Python (``math.floor``, ``bool(…)``), and writes them as ruff does:

- text in double quotes where that needs no escape;
- ``x**2``: a power of two simple operands (names, numbers, ``true``/``false``,
  ``None``, attribute chains) hugs its operator; ``x ** f(y)`` does not;
- a power under a unary operator in parentheses: ``-(x**2)``, ``not (x**2)``;
- numbers as ``repr`` writes them, without the ``+`` of an exponent (``1e20``);
- ``int(round(x))`` as ``round(x)``, which is already an int (ruff's RUF046).

Parentheses are added where precedence needs them, as ``ast.unparse`` adds them;
``tests/emit/test_expressions.py`` checks, over random trees, that the text
parses back to the same tree and that ``ruff format`` leaves it unchanged.
"""

from __future__ import annotations

import ast

__all__ = ["unparse"]

# Python's precedence, low to high (the levels of ast's own unparser)
_TEST, _OR, _AND, _NOT, _CMP, _ARITH, _TERM, _FACTOR, _POWER, _ATOM = range(1, 11)

_BINARY = {
    ast.Add: ("+", _ARITH),
    ast.Sub: ("-", _ARITH),
    ast.Mult: ("*", _TERM),
    ast.Div: ("/", _TERM),
    ast.FloorDiv: ("//", _TERM),
    ast.Mod: ("%", _TERM),
    ast.Pow: ("**", _POWER),
}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not "}
_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
}


def unparse(node: ast.expr) -> str:
    return _text(node, _TEST)


def _text(node: ast.expr, least: int) -> str:
    """``node`` as text, in parentheses if it binds less tightly than ``least``."""
    text, level = _written(node)
    return f"({text})" if level < least else text


def _written(node: ast.expr) -> tuple[str, int]:
    """The text of ``node`` and the precedence of its outermost operator."""
    if isinstance(node, ast.Constant):
        return _constant(node.value), _ATOM
    if isinstance(node, ast.Name):
        return node.id, _ATOM
    if isinstance(node, ast.Attribute):
        return f"{_text(node.value, _ATOM)}.{node.attr}", _ATOM
    if isinstance(node, ast.List):
        return "[" + ", ".join(_text(item, _TEST) for item in node.elts) + "]", _ATOM
    if isinstance(node, ast.Subscript):
        return f"{_text(node.value, _ATOM)}[{_text(node.slice, _TEST)}]", _ATOM
    if isinstance(node, ast.Call):
        if _rounded(node):  # int(round(x)) is round(x), and ruff (RUF046) says so
            return _written(node.args[0])
        args = [_text(arg, _TEST) for arg in node.args]
        args += [f"{k.arg}={_text(k.value, _TEST)}" for k in node.keywords]
        return f"{_text(node.func, _ATOM)}({', '.join(args)})", _ATOM
    if isinstance(node, ast.BinOp):
        return _binary(node)
    if isinstance(node, ast.UnaryOp):
        symbol = _UNARY[type(node.op)]
        level = _NOT if isinstance(node.op, ast.Not) else _FACTOR
        operand = node.operand
        power = isinstance(operand, ast.BinOp) and isinstance(operand.op, ast.Pow)
        # ruff puts a power under a unary operator in parentheses: -(x**2)
        return symbol + _text(operand, _ATOM if power else level), level
    if isinstance(node, ast.BoolOp):
        word, level = (" and ", _AND) if isinstance(node.op, ast.And) else (" or ", _OR)
        return word.join(_text(value, level + 1) for value in node.values), level
    if isinstance(node, ast.Compare):
        parts = [_text(node.left, _CMP + 1)]
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts += [_COMPARE[type(op)], _text(right, _CMP + 1)]
        return " ".join(parts), _CMP
    if isinstance(node, ast.IfExp):
        body, test = _text(node.body, _TEST + 1), _text(node.test, _TEST + 1)
        return f"{body} if {test} else {_text(node.orelse, _TEST)}", _TEST
    raise AssertionError(f"not an expression node: {type(node).__name__}")


def _rounded(node: ast.Call) -> bool:
    """``int(round(x))``: Python's one-argument round already gives an int."""

    def call_of(call: ast.expr, name: str) -> bool:
        return (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == name
            and len(call.args) == 1
            and not call.keywords
        )

    return call_of(node, "int") and call_of(node.args[0], "round")


def _binary(node: ast.BinOp) -> tuple[str, int]:
    symbol, level = _BINARY[type(node.op)]
    if not isinstance(node.op, ast.Pow):  # left-associative
        return f"{_text(node.left, level)} {symbol} {_text(node.right, level + 1)}", level
    # right-associative; a unary operand is written in parentheses, as ast.unparse does
    left, right = _text(node.left, _ATOM), _text(node.right, _POWER)
    first = node.right  # ruff hugs ** between simple neighbours: x**2 ** f(y)
    if isinstance(first, ast.BinOp) and isinstance(first.op, ast.Pow):
        first = first.left
    hug = _simple(node.left) and _simple(first)
    return f"{left}**{right}" if hug else f"{left} ** {right}", level


def _simple(node: ast.expr) -> bool:
    """A simple power operand, as ruff (and black) define it."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, str | bytes)
    return isinstance(node, ast.Attribute) and _simple(node.value)


def _constant(value: object) -> str:
    if isinstance(value, str):
        if '"' not in value and "'" not in value:
            return '"' + repr(value)[1:-1] + '"'
        return repr(value)  # Python picks the quote that needs no escape
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ast.unparse(ast.Constant(value))  # 1e309, as ast writes it
        return repr(value).replace("e+", "e")
    return repr(value)
