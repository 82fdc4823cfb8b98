"""Expressions in block bodies: ``=4 * width``, ``=stride != 1 or in_channels != out``.

A string value that starts with ``=`` is an expression over the block's
parameters (and ``in_channels``, the channel count of the block's input). It
is parsed with :func:`ast.parse` and evaluated by walking a whitelist of node
types: numbers, text, booleans, ``None``, names, ``+ - * / // % **``,
comparisons, ``and``/``or``/``not``, ``a if c else b``, lists and ``xs[i]``,
and the functions ``min``, ``max``, ``abs``, ``int``, ``round``, ``floor``,
``ceil``, ``log`` and ``make_divisible`` (the one call that takes a keyword,
``min_value=``). Nothing else is accepted: no attribute access, no calls of
anything else, no shifts or bitwise operators — spec text never reaches
``eval``. ``is`` and ``is not`` only test for ``None``.

Every operation is checked before it runs by the rules of
:mod:`archspec.frontend.exprcost`, so an evaluation always ends quickly.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import operator
import threading
from collections.abc import Callable, Mapping
from typing import Any

from archspec.frontend.exprcost import (
    CALL_RULES,
    MAX_MAGNITUDE,
    ExprError,
    bounded,
    check_arithmetic,
    is_number,
    order,
    shown,
)

__all__ = [
    "MAX_LENGTH",
    "MAX_MAGNITUDE",
    "PREFIX",
    "ExprError",
    "evaluate",
    "is_expression",
    "names_in",
    "parse",
]

PREFIX = "="
MAX_LENGTH = 200

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_SYMBOLS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,  # parse() lets these compare with None only: identity of ints is an accident
    ast.IsNot: operator.is_not,
}
_ORDERS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """v rounded to a multiple of divisor (half way rounds up), at least min_value
    (divisor if None), one divisor more where that is below 90% of v: the channel
    rule of MobileNet and EfficientNet (torchvision's _make_divisible)."""
    least = divisor if min_value is None else min_value
    multiple = max(least, int(v + divisor / 2) // divisor * divisor)
    return multiple + divisor if multiple < 0.9 * v else multiple


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "make_divisible": make_divisible,
}
KEYWORDS: dict[str, tuple[str, ...]] = {"make_divisible": ("min_value",)}
"""The keyword arguments a function takes (after its positional ones); the others take none."""


def is_expression(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


_AST_LOCK = threading.Lock()


def python_ast(source: str, mode: str = "exec") -> ast.AST:
    """``ast.parse``, one thread at a time: CPython 3.11's parser can fail with
    "AST constructor recursion depth mismatch" (a SystemError) when threads parse
    at once, and compiles may run in threads (a service)."""
    with _AST_LOCK:
        return ast.parse(source, mode=mode)


def parse(text: str) -> ast.expression:
    """Parse ``=…`` text; refuse what the whitelist does not allow.

    The tree is shared between the calls of one text (a block's expressions run
    at every call): callers must not change it.
    """
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ast.expression:
    source = text[len(PREFIX) :].strip()
    if not source:
        raise ExprError("an empty expression")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"an expression longer than {MAX_LENGTH} characters")
    try:
        tree = python_ast(source, mode="eval")
    except SyntaxError as error:
        raise ExprError(f"invalid expression {source!r}: {error.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"{type(node).__name__.lower()} is not allowed in an expression: {source!r}")
        if isinstance(node, ast.Call):
            _check_call(node, source)
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, bool, str, type(None))):
            raise ExprError(f"only numbers, text, true/false and None are constants: {source!r}")
        if isinstance(node, ast.Compare):
            _check_identity(node)
    return tree


def _check_call(node: ast.Call, source: str) -> None:
    """A call of an allowed function by its name, with only the keywords it takes."""
    if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
        raise ExprError(f"only {', '.join(_FUNCTIONS)} may be called: {source!r}")
    name, allowed = node.func.id, KEYWORDS.get(node.func.id, ())
    for keyword in node.keywords:
        if keyword.arg not in allowed:
            takes = f"takes only {', '.join(k + '=' for k in allowed)}" if allowed else "takes no keyword"
            given = "**" if keyword.arg is None else f"{keyword.arg}="
            raise ExprError(f"{name}() {takes}, not {given}: {source!r}")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ExprError(f"no *list in a call: {source!r}")


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _check_identity(node: ast.Compare) -> None:
    """``is`` only beside ``None``: ``x is 1000`` depends on how Python caches ints."""
    operands = [node.left, *node.comparators]
    for index, op in enumerate(node.ops):
        left, right = operands[index], operands[index + 1]
        if isinstance(op, ast.Is | ast.IsNot) and not (_is_none(left) or _is_none(right)):
            word, equal = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
            left_text, right_text = ast.unparse(left), ast.unparse(right)  # short: the source is
            raise ExprError(
                f"'{word}' only tests for None (x {word} None), not in {left_text} {word} {right_text}; "
                f"to compare values write {left_text} {equal} {right_text}"
            )


_ALLOWED = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.List,
    ast.Subscript,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    *_BINARY,
    *_COMPARE,
)


def names_in(text: str) -> set[str]:
    """The names an expression reads (functions excluded)."""
    tree = parse(text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """The value of ``=…`` text with the names bound in ``env``."""
    return bounded(_eval(parse(text).body, env))


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("true", "false"):
            return node.id == "true"
        if node.id not in env:
            close = difflib.get_close_matches(node.id, list(env), n=1)
            known = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(env)) or 'none'}"
            raise ExprError(f"unknown name {node.id!r}; {known}")
        return env[node.id]
    if isinstance(node, ast.List):
        return [bounded(_eval(item, env)) for item in node.elts]
    if isinstance(node, ast.Subscript):
        sequence, index = _eval(node.value, env), _eval(node.slice, env)
        if not isinstance(sequence, list) or not isinstance(index, int) or isinstance(index, bool):
            raise ExprError(
                f"only a list can be indexed, and only by an int: {shown(sequence)}[{shown(index)}]"
            )
        if not -len(sequence) <= index < len(sequence):
            raise ExprError(f"index {shown(index)} is out of range for a list of {len(sequence)}")
        return sequence[index]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return not operand
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        if not is_number(operand):
            raise ExprError(f"arithmetic works on numbers only: {sign}{shown(operand)}")
        operand = bounded(operand)  # negating a huge int costs its size: bound it first
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        check_arithmetic(node.op, _SYMBOLS[type(node.op)], left, right)
        written = f"{shown(left)} {_SYMBOLS[type(node.op)]} {shown(right)}"
        try:
            return bounded(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ExprError(f"a division by zero: {written}") from None
        except OverflowError:  # a float result too large: refused like any value beyond ±2**62
            raise ExprError(f"a value beyond ±2**62: {written}") from None
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, env) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, env)
            compare = _COMPARE[type(op)]
            if isinstance(op, _ORDERS):
                holds = order(compare, _SYMBOLS[type(op)], left, right)
            else:
                holds = compare(left, right)
            if not holds:
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [bounded(_eval(a, env)) for a in node.args]
        args = _positional(name, args, {k.arg: bounded(_eval(k.value, env)) for k in node.keywords})
        CALL_RULES[name](args)
        try:
            return bounded(_FUNCTIONS[name](*args))
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as error:
            written = ", ".join(shown(a) for a in args)
            raise ExprError(f"{name}({written}): {error}") from None
    raise ExprError(f"{type(node).__name__} is not allowed")  # unreachable after parse()


def _positional(name: str, args: list[Any], keywords: Mapping[str | None, Any]) -> list[Any]:
    """The arguments of a call in order: each keyword at its place after the positional ones."""
    if not keywords:
        return args
    names = KEYWORDS[name]  # parse() let only these through
    first = _ARITY[name] - len(names)  # the place of the first keyword
    args = list(args)
    for place, keyword in enumerate(names, start=first):
        if keyword not in keywords:
            continue
        if place < len(args):
            raise ExprError(f"{name}() got {keyword} twice: as an argument and as {keyword}=")
        if place > len(args):
            raise ExprError(f"{name}() takes {keyword}= after {place} arguments, not {len(args)}")
        args.append(keywords[keyword])
    return args


_ARITY = {"make_divisible": 3}  # the most arguments a function with keywords takes


def substitute(value: Any, env: Mapping[str, Any]) -> Any:
    """``value`` with every ``=…`` string (in lists and mappings too) evaluated."""
    if is_expression(value):
        return evaluate(value, env)
    if isinstance(value, list):
        return [substitute(item, env) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, env) for key, item in value.items()}
    return value
