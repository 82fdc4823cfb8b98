"""Expressions: a whitelist walker over ast, never eval."""

from __future__ import annotations

import pytest

from archspec.frontend.expr import ExprError, evaluate, is_expression, names_in, substitute

ENV = {"width": 16, "stride": 2, "in_channels": 8, "out": 8, "choice": None, "sizes": [3, 5]}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("=4 * width", 64),
        ("= width // 3 + width % 3", 6),
        ("=width / 4", 4.0),
        ("=-stride", -2),
        ("=stride != 1 or in_channels != out", True),
        ("=not (stride == 2 and out >= 8)", False),
        ("=1 < stride <= 2", True),
        ("=max(width, 3 * out) - min(1, 2)", 23),
        ("=abs(-3) + int(2.9) + round(2.5)", 7),
        ("=choice if choice is not None else stride == 1", False),
        ("=[width, 2 * width]", [16, 32]),
        ("=sizes[1]", 5),
        ("=sizes[-1]", 5),
        ("=true", True),
    ],
)
def test_evaluates(text: str, value: object) -> None:
    assert evaluate(text, ENV) == value


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("=__import__('os')", "only min, max, abs, int, round may be called"),
        ("=open('/etc/passwd')", "may be called"),
        ("=width.real", "attribute is not allowed"),
        ("=(lambda: 1)()", "may be called"),
        ("=(lambda: 1)", "lambda is not allowed"),
        ("=[x for x in sizes]", "listcomp is not allowed"),
        ("=2 ** 64", "pow is not allowed"),
        ("=1 << 70", "lshift is not allowed"),
        ("='text'", "only numbers"),
        ("=widht", "did you mean 'width'?"),
        ("=width / 0", "division by zero"),
        ("=sizes[2]", "out of range"),
        ("=width[0]", "only a list can be indexed"),
        ("=", "empty"),
        ("=width +", "invalid expression"),
        ("=" + "1+" * 200 + "1", "longer than"),
        ("=" + "*".join(["width"] * 30), "beyond"),
        ("=max()", "max()"),
    ],
)
def test_refuses_with_a_reason(text: str, fragment: str) -> None:
    with pytest.raises(ExprError) as caught:
        evaluate(text, ENV)
    assert fragment in str(caught.value)


def test_substitute_walks_lists_and_mappings_and_leaves_plain_values() -> None:
    raw = {"out_channels": "=2 * out", "kernel_size": ["=stride", 3], "padding": "same", "bias": False}
    assert substitute(raw, ENV) == {
        "out_channels": 16,
        "kernel_size": [2, 3],
        "padding": "same",
        "bias": False,
    }


def test_helpers() -> None:
    assert is_expression("=1") and not is_expression("same") and not is_expression(3)
    assert names_in("=max(a, b) + c") == {"a", "b", "c"}


@pytest.mark.parametrize("text", ["=[1] * 1000000", "=sizes * 3", "=sizes + sizes", "=-sizes"])
def test_arithmetic_is_on_numbers_only(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate(text, ENV)
