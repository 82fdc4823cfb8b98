"""A grammar fuzzer of expressions: every evaluation ends quickly, with a value or an ExprError.

Trees are built from every node kind and every function the evaluator allows
(read from the module, so a newly allowed function or operator is fuzzed
without editing this file), with hostile constants, rendered with
``ast.unparse`` and evaluated in hostile environments. A hang is the failure
hunted here, so each evaluation is timed against a bound far above its cost.
"""

from __future__ import annotations

import ast
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import archspec
from archspec.diagnostics import SpecError
from archspec.frontend import expr
from archspec.frontend.exprcost import MAX_INT_TEXT, MAX_ROUND_DIGITS

SECONDS = 1.0  # per expression; a cheap one takes microseconds, a hang forever
NAMES = ["x", "y", "n", "s", "xs", "deep"]
FUNCTIONS = sorted(expr._FUNCTIONS)
BINARY = sorted(expr._BINARY, key=lambda op: op.__name__)
COMPARE = sorted(expr._COMPARE, key=lambda op: op.__name__)
UNARY = sorted((t for t in expr._ALLOWED if issubclass(t, ast.unaryop)), key=lambda op: op.__name__)
BOOL = sorted((t for t in expr._ALLOWED if issubclass(t, ast.boolop)), key=lambda op: op.__name__)
REFUSED_BINARY = [ast.LShift, ast.RShift, ast.BitAnd]  # parse() must refuse them, cheaply
KEYWORDS = sorted({k for names in expr.KEYWORDS.values() for k in names} | {"key"})  # key: refused

HUGE_INTS = [10**18, 2**62, 2**62 + 1, 2**63 - 1, -(10**15), -(2**62), 10**100, 7**300]
DIGITS = [-(10**15), 10**15, -MAX_ROUND_DIGITS - 1, MAX_ROUND_DIGITS, -(2**62), -400, 2**62]
FLOATS = [1e308, -1e308, 5e-324, 0.5, -0.0, 1.7976931348623157e308, 1e-308]
LONG_TEXT = "ab" * 50_000
DIGIT_TEXT = "9" * 5_000
LONG_LIST = [3] * 100_000
NESTED: list[Any] = [1]
for _ in range(60):
    NESTED = [NESTED, NESTED]  # 2**60 leaves, shared: only a walk that is not bounded would notice

numbers = st.one_of(
    st.sampled_from(HUGE_INTS + DIGITS + FLOATS + [0, 1, -1, 2, 3]),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False),
)
# numbers mostly: a constant that parse() refuses (text, inf) ends the whole expression early
constants = st.one_of(numbers, numbers, numbers, st.sampled_from([None, True, False, float("inf"), "a"]))
hostile_values = st.one_of(
    numbers,
    st.sampled_from([None, True, False, float("inf"), float("nan")]),
    st.sampled_from([LONG_TEXT, DIGIT_TEXT, "", "abc", " 42 ", "9" * MAX_INT_TEXT, "1" * (MAX_INT_TEXT + 1)]),
    st.sampled_from(
        [LONG_LIST, NESTED, [], [None, 1], [1, "a"], [[1, [2]], "a"], [10**5000], [1e308, 2**62]]
    ),
    st.lists(numbers, max_size=4),
)


def _constant(value: Any) -> ast.expr:
    return ast.Constant(value)


leaves = st.one_of(
    constants.map(_constant),
    st.sampled_from([*NAMES, *NAMES, "true", "false", "unknown_name"]).map(
        lambda name: ast.Name(name, ast.Load())
    ),
)


def _branches(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    """One node of each kind the evaluator allows, over ``children``."""
    some = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        st.builds(
            ast.BinOp, children, st.sampled_from(3 * BINARY + REFUSED_BINARY).map(lambda t: t()), children
        ),
        st.builds(ast.UnaryOp, st.sampled_from(UNARY).map(lambda t: t()), children),
        st.builds(
            ast.BoolOp, st.sampled_from(BOOL).map(lambda t: t()), st.lists(children, min_size=2, max_size=3)
        ),
        some.flatmap(
            lambda comparators: st.builds(
                ast.Compare,
                children,
                st.lists(
                    st.sampled_from(COMPARE).map(lambda t: t()),
                    min_size=len(comparators),
                    max_size=len(comparators),
                ),
                st.just(comparators),
            )
        ),
        st.builds(ast.IfExp, children, children, children),
        st.builds(
            ast.Call,
            st.sampled_from(FUNCTIONS).map(lambda name: ast.Name(name, ast.Load())),
            st.lists(children, max_size=3),
            st.just([]),
        ),
        # a keyword argument, to the one function that takes it and to the others
        st.builds(
            ast.Call,
            st.sampled_from(FUNCTIONS).map(lambda name: ast.Name(name, ast.Load())),
            st.lists(children, max_size=3),
            st.lists(st.builds(ast.keyword, st.sampled_from(KEYWORDS), children), max_size=1),
        ),
        # powers of hostile operands, the budget's hardest case
        st.builds(
            lambda base, exponent: ast.BinOp(_constant(base), ast.Pow(), _constant(exponent)),
            numbers,
            st.sampled_from(HUGE_INTS + DIGITS + FLOATS + [-1, 0.5, -0.5]),
        ),
        st.builds(ast.List, st.lists(children, max_size=3), st.just(ast.Load())),
        st.builds(ast.Subscript, children, children, st.just(ast.Load())),
        # round with hostile digits, the probe's hang, often enough to matter
        st.builds(
            lambda value, digits: _call("round", value, _constant(digits)), children, st.sampled_from(DIGITS)
        ),
    )


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


trees = st.recursive(leaves, _branches, max_leaves=8)
environments = st.dictionaries(st.sampled_from(NAMES), hostile_values, min_size=len(NAMES) - 2)


def _text(node: ast.expr) -> str:
    return "=" + ast.unparse(ast.fix_missing_locations(node))


def _outcome(text: str, env: dict[str, Any]) -> str:
    """Evaluate once, timed: a value or an ExprError; anything else fails the test."""
    start = time.perf_counter()
    try:
        value = expr.evaluate(text, env)
        outcome = "value"
    except expr.ExprError as error:
        assert str(error) and len(str(error)) < 1_000, text  # a message, with the values abridged
        value, outcome = None, "error"
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS, f"{text!r} took {elapsed:.2f} s"
    assert value is None or isinstance(value, int | float | str | list), text
    return outcome


@given(st.lists(trees, min_size=1, max_size=6), environments)
def test_every_expression_ends_quickly_with_a_value_or_an_expr_error(
    roots: list[ast.expr], env: dict[str, Any]
) -> None:
    for root in roots:
        # every subtree too: a small one is more likely to reach its operation than to be refused
        for node in ast.walk(root):
            if isinstance(node, ast.expr) and not isinstance(node, ast.Name | ast.Constant):
                _outcome(_text(node), env)


def test_the_grammar_covers_every_node_kind_the_evaluator_allows() -> None:
    built = {ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call}
    built |= {
        ast.List,
        ast.Subscript,
        ast.Expression,
        ast.Load,
        ast.keyword,
        *BINARY,
        *COMPARE,
        *UNARY,
        *BOOL,
    }
    assert set(expr._ALLOWED) <= built, "a new node kind: add it to _branches"


def test_every_allowed_operation_has_a_cost_rule() -> None:
    from archspec.frontend.exprcost import CALL_RULES, RESULT_BITS

    assert set(CALL_RULES) == set(expr._FUNCTIONS)
    assert set(RESULT_BITS) == set(expr._BINARY)


SPEC = """name: net
input: [1, 8, 8]
blocks:
  hostile:
    params: {{out: int, x: {{type: int, default: 1000}}, word: {{type: str, default: abc}}}}
    layers:
      - conv: {{out_channels: "{expression}", kernel_size: 1}}
layers:
  - hostile: {{out: 4}}
"""


@pytest.mark.parametrize(
    "expression",
    [
        "=round(1, -100000000000000)",
        "=round(out, -10000000)",
        "=out if x is 1000 else 2",
        "=out if None < 1 else 2",
        "=out if word < 1 else 2",
        "=out if [1] < x else 2",
        "=4611686018427387904 * 4611686018427387904",
        "=3 ** 1000000000000000000",
        "=out ** x ** x",
        "=log(out - 4)",
        "=(-out) ** 0.5",
        "=make_divisible(out, 0)",
        "=out if word ** 2 else 1",
    ],
)
def test_a_hostile_expression_in_a_spec_is_a_located_e206(expression: str) -> None:
    text = SPEC.format(expression=expression)
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads(text, "hostile.yaml"))
    assert time.perf_counter() - start < SECONDS
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E206"
    assert diagnostic.span is not None and diagnostic.span.file == "hostile.yaml"
    assert diagnostic.span.line == 7  # the line of the expression
