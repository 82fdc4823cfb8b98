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
        (
            "=__import__('os')",
            "only min, max, abs, int, round, floor, ceil, log, make_divisible may be called",
        ),
        ("=open('/etc/passwd')", "may be called"),
        ("=width.real", "attribute is not allowed"),
        ("=(lambda: 1)()", "may be called"),
        ("=(lambda: 1)", "lambda is not allowed"),
        ("=[x for x in sizes]", "listcomp is not allowed"),
        ("=2 ** 64", "beyond ±2**62"),
        ("=1 << 70", "lshift is not allowed"),
        ("=1 & 3", "bitand is not allowed"),
        ("=b'bytes'", "only numbers, text"),
        ("=1j", "only numbers, text"),
        ("=width.bit_length()", "may be called"),
        ("=min(*sizes)", "no *list"),
        ("=max(sizes, key=abs)", "max() takes no keyword, not key="),
        ("=make_divisible(width, 8, **{})", "takes only min_value=, not **"),
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


# Regressions of an adversarial probe: each used to hang, answer by accident or
# escape as a TypeError; each is now an ExprError raised before the work starts.


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "=round(1, -100000000000000)",
            "digits must be within ±400",
        ),  # built 10**(10**14): spun until killed
        ("=round(1, -10000000)", "digits must be within ±400"),  # about 10 s
        ("=round(1.5, 100000000000000)", "digits must be within ±400"),
        ("=int(digits)", "at most 100 characters"),
        ("=4611686018427387904 * 4611686018427387904", "would be beyond ±2**62"),
        ("=-huge", "beyond ±2**62"),
        ("=huge + 1", "beyond ±2**62"),
        ("=text * 3", "numbers only"),
        ("=text + text", "numbers only"),
        ("=max(width)", "takes a list"),
        ("=abs(text)", "takes a number"),
        ("=max(text)", "at most 10,000 items"),
        ("=min(long)", "at most 10,000 items"),
    ],
)
def test_every_costly_operation_is_refused_before_it_runs(text: str, fragment: str) -> None:
    env = {**ENV, "huge": 2**63 - 1, "text": "ab" * 50_000, "digits": "9" * 100_000, "long": [1] * 10_001}
    with pytest.raises(ExprError) as caught:
        evaluate(text, env)
    assert fragment in str(caught.value)
    assert len(str(caught.value)) < 300  # the values are abridged


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("=1 if x is 1000 else 2", "write x == 1000"),  # answered 2: 1000 is not cached by Python
        ("=x is not 1000", "write x != 1000"),
        ("=x is width", "write x == width"),
        ("=None is x is 3", "write x == 3"),
    ],
)
def test_is_tests_for_none_only(text: str, fix: str) -> None:
    with pytest.raises(ExprError, match="only tests for None") as caught:
        evaluate(text, {**ENV, "x": 1000})
    assert fix in str(caught.value)


def test_is_with_none_still_works() -> None:
    assert evaluate("=choice is None", ENV) is True
    assert evaluate("=None is not choice", ENV) is False
    assert evaluate("=1 if x is None else 2", {"x": 1000}) == 2


@pytest.mark.parametrize(
    "text",
    ["=[1] < x", "=None < 1", "=x > None", "=text < 1", "=x <= sizes", "=[1, text] < [1, 2]", "=min(x, [1])"],
)
def test_ordering_different_kinds_is_an_expr_error(text: str) -> None:
    with pytest.raises(ExprError, match="cannot order"):
        evaluate(text, {**ENV, "x": 1000, "text": "a"})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("=[1, 2] < [1, 3]", True),
        ("=text >= text", True),
        ("=true < 2", True),  # bool is a number, as in arithmetic
        ("=[1, text] == [1, 2]", False),
        ("=None == 0", False),
        ("=x == [1]", False),
        ("=round(1234, -2) + round(2.5, 0)", 1202.0),
        ("=round(1, -400)", 0),
        ("=min(sizes) + max([1, 2.5])", 5.5),
        ("=int(digits)", 99),
    ],
)
def test_cheap_operations_keep_their_value(text: str, value: object) -> None:
    assert evaluate(text, {**ENV, "x": 1000, "text": "a", "digits": " 99 "}) == value


# floor, ceil, log, **, make_divisible and text constants (issue 14): each gives
# Python's value, and each failure is an ExprError that names the values.


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("=floor(2.7) + ceil(2.2)", 5),
        ("=floor(-2.5)", -3),
        ("=ceil(-2.5)", -2),
        ("=floor(width / 3)", 5),
        ("=ceil(7 * 1.1)", 8),  # EfficientNet's depth: ceil(num_layers * depth_mult)
        ("=floor(true)", 1),
        ("=log(1)", 0.0),
        ("=log(8, 2)", 3.0),
        ("=log(width, 2)", 4.0),
        ("=log(0.5, 0.25)", 0.5),
        ("=2 ** 10", 1024),
        ("=2 ** 62", 2**62),
        ("=(-2) ** 61", -(2**61)),
        ("=1 ** 1000000000000000000", 1),  # 0, 1 and -1 to any power stay one bit
        ("=(-1) ** 1000000000000000001", -1),
        ("=0 ** 1000000000000000000", 0),
        ("=2 ** -2", 0.25),  # a negative exponent gives a float, as in Python
        ("=4 ** 0.5", 2.0),
        ("=(-8) ** 2.0", 64.0),  # a negative base takes an integral float exponent
        ("=-2 ** 2", -4),  # ** binds tighter than the minus, as in Python
        ("=2 ** 3 ** 2", 512),  # and to the right
        ("=width ** 0.5 * 2", 8.0),
        ("=make_divisible(32 * 1.0, 8)", 32),
        ("=make_divisible(3, 8)", 8),  # at least the divisor
        ("=make_divisible(3, 8, min_value=16)", 16),
        ("=make_divisible(3, 8, 16)", 16),
        ("=make_divisible(0.1, 8, 0)", 8),  # 0 is below 90% of 0.1: one divisor more
        ("=make_divisible(91, 8)", 88),
        ("=make_divisible(100, 16)", 96),
        ("=make_divisible(150, 128)", 256),  # 128 is below 90% of 150
        ("=mode == 'bottleneck'", True),
        ('=mode != "basic"', True),
        ("=1 if mode == 'basic' else 2", 2),
        ("='same' if stride == 1 else 'valid'", "valid"),
        ("=[mode, 'x'][1]", "x"),
    ],
)
def test_new_functions_and_operators(text: str, value: object) -> None:
    result = evaluate(text, {**ENV, "mode": "bottleneck"})
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(0.5, 0), (1.5, 2), (2.5, 2), (3.5, 4), (-0.5, 0), (-1.5, -2), (-2.5, -2), (2.675, 3), (2.4999, 2)],
)
def test_round_is_pythons_half_to_even(value: float, rounded: int) -> None:
    """torchvision's width rules call Python's round, which rounds a half to the even
    neighbour (banker's rounding): round(2.5) is 2, not 3."""
    assert evaluate("=round(x)", {"x": value}) == rounded == round(value)
    assert evaluate("=round(x, 1)", {"x": value * 0.1}) == round(value * 0.1, 1)
    assert evaluate("=round(2.675, 2)", {}) == 2.67  # the float 2.675 is below 2.675


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("=log(0)", "log() of a number that is not positive: log(0)"),
        ("=log(-width)", "not positive: log(-16)"),
        ("=log(width, 1)", "a positive base other than 1: log(16, 1)"),
        ("=log(width, 0)", "a positive base other than 1"),
        ("=log(width, -2)", "a positive base other than 1"),
        ("=log(sizes)", "log() takes 1 or 2 numbers: log([3, 5])"),
        ("=log()", "log() takes 1 or 2 numbers"),
        ("=log(1, 2, 3)", "log() takes 1 or 2 numbers"),
        ("=floor(choice)", "floor() takes 1 number: floor(None)"),
        ("=ceil(1, 2)", "ceil() takes 1 number"),
        ("=floor(mode)", "floor() takes 1 number: floor('bottleneck')"),
        ("=0 ** -1", "zero to a negative power"),
        ("=0.0 ** -0.5", "zero to a negative power"),
        ("=(-8) ** (1 / 3)", "a negative number to a fractional power is not a real number"),
        ("=(-width) ** 0.5", "not a real number: (-16) ** 0.5"),
        ("=mode ** 2", "numbers only"),
        ("=2 ** 63", "beyond ±2**62"),
        ("=3 ** 40", "beyond ±2**62"),
        ("=1.5 ** 2000", "beyond ±2**62"),  # a float overflow
        ("=10 ** 400.0", "beyond ±2**62"),
        ("=make_divisible(width, 0)", "a positive int divisor"),
        ("=make_divisible(width, -8)", "a positive int divisor"),
        ("=make_divisible(width, 8.0)", "a positive int divisor"),
        ("=make_divisible(width, true)", "a positive int divisor"),
        ("=make_divisible(mode, 8)", "rounds a number"),
        ("=make_divisible(width, 8, 'x')", "a number or None as min_value"),
        ("=make_divisible(width)", "takes 2 or 3 arguments"),
        ("=make_divisible(width, 8, 8, 8)", "takes 2 or 3 arguments"),
        ("=make_divisible(width, 8, 8, min_value=8)", "got min_value twice"),
        ("=make_divisible(width, min_value=8)", "takes min_value= after 2 arguments, not 1"),
        ("=make_divisible(width, 8, minimum=8)", "takes only min_value=, not minimum="),
        ("=floor(x=1)", "floor() takes no keyword, not x="),
        ("='a' + mode", "numbers only"),
        ("=mode * 3", "numbers only"),
        ("=mode is 'bottleneck'", "write mode == 'bottleneck'"),
    ],
)
def test_new_functions_refuse_with_a_reason(text: str, fragment: str) -> None:
    with pytest.raises(ExprError) as caught:
        evaluate(text, {**ENV, "mode": "bottleneck"})
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "=3 ** 1000000000000000000",  # 10**18 * log2(3) bits: refused from the operands
        "=2 ** 4611686018427387904",
        "=huge ** huge",
        "=(-3) ** 4611686018427387904",
        "=(2 ** 31) ** 3",
        "=2 ** 65",
    ],
)
def test_a_power_past_the_budget_is_refused_before_it_is_computed(text: str) -> None:
    with pytest.raises(ExprError, match="would be beyond ±2\\*\\*62"):
        evaluate(text, {"huge": 2**62})


def test_cheap_powers_of_huge_operands_answer_quickly() -> None:
    env = {"huge": 2**62, "big": float(2**62)}
    assert evaluate("=huge ** -huge", env) == 0.0  # a float: one C pow
    assert evaluate("=0.5 ** huge", env) == 0.0
    assert evaluate("=big ** 1", env) == float(2**62)
    with pytest.raises(ExprError, match="beyond"):
        evaluate("=2.0 ** huge", env)  # OverflowError, refused like any value past the bound
    with pytest.raises(ExprError, match="beyond"):
        evaluate("=huge ** 2", env)


def test_text_constants_are_short_and_compare_cheaply() -> None:
    """A text constant is part of the expression text (at most 200 characters); == on
    text compares the lengths first, so a long argument costs nothing more."""
    long = "ab" * 500_000
    assert evaluate("=mode == 'ab'", {"mode": long}) is False
    assert evaluate("=mode != 'ab'", {"mode": long}) is True
    assert evaluate("=mode == mode", {"mode": long}) is True
    assert evaluate("=max(mode, 'z')", {"mode": long}) == "z"


def test_names_in_skips_functions_and_keywords() -> None:
    assert names_in("=make_divisible(v * w, d, min_value=m) + floor(log(x, b))") == {
        "v",
        "w",
        "d",
        "m",
        "x",
        "b",
    }
    assert names_in("=floor(floor)") == {"floor"}  # a parameter may share a function's name
    assert evaluate("=floor(floor)", {"floor": 2.5}) == 2
