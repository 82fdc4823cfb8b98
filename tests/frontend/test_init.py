"""``init:`` as text: the calls, the patterns and every E212 (archspec/frontend/init*.py)."""

from __future__ import annotations

import textwrap
import time

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.frontend.init import FUNCTION_NAMES, MAX_RULES, glob_match, parse_pattern
from archspec.frontend.initcall import FUNCTIONS, InitCall, parse_call

NET = """\
name: net
input: [3, 8, 8]
init:
{rules}
layers:
  - conv: {{name: stem, out_channels: 4, kernel_size: 3}}
  - flatten
  - linear: {{name: fc, out_features: 2}}
"""


def load(rules: str) -> archspec.Spec:
    return archspec.loads(NET.format(rules=textwrap.indent(textwrap.dedent(rules), "  ")), "net.yaml")


def problems(rules: str) -> list[archspec.Diagnostic]:
    with pytest.raises(SpecError) as caught:
        load(rules)
    return list(caught.value.diagnostics)


def test_rules_are_kinds_or_patterns_with_a_call_per_tensor() -> None:
    spec = load(
        """\
        conv:
          weight: kaiming_normal(mode=fan_out, nonlinearity=relu)
          bias: zeros
        fc: {weight: "normal(0, 0.01)", bias: constant(0)}
        "layer*.*.bn2": {weight: zeros}
        """
    )
    conv, fc, bn2 = spec.init.rules
    assert (conv.kind, conv.pattern) == ("conv", None)
    assert conv.tensors == (
        ("weight", InitCall("kaiming_normal", (("mode", "fan_out"), ("nonlinearity", "relu")))),
        ("bias", InitCall("zeros")),
    )
    assert fc.kind is None and fc.pattern is not None and fc.pattern.literal
    assert fc.tensors[0][1] == InitCall("normal", (("mean", 0.0), ("std", 0.01)))  # positional, named
    assert fc.tensors[1][1] == InitCall("constant", (("value", 0.0),))
    assert bn2.pattern is not None and not bn2.pattern.literal
    assert (conv.span.line, fc.span.line, fc.span_of("bias").column) == (4, 7, 41)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zeros", InitCall("zeros")),
        ("ones()", InitCall("ones")),
        ("kaiming_uniform(a=2.23606797749979)", InitCall("kaiming_uniform", (("a", 2.23606797749979),))),
        ("xavier_normal(gain=-1)", InitCall("xavier_normal", (("gain", -1.0),))),
        (
            "trunc_normal(0, 0.01, -2, 2)",
            InitCall(
                "trunc_normal", tuple(zip(["mean", "std", "a", "b"], (0.0, 0.01, -2.0, 2.0), strict=True))
            ),
        ),
        ("uniform(b=0.5, a=-0.5)", InitCall("uniform", (("a", -0.5), ("b", 0.5)))),
        ("kaiming_normal(mode='fan_out')", InitCall("kaiming_normal", (("mode", "fan_out"),))),
        (" constant( 1 ) ", InitCall("constant", (("value", 1.0),))),
    ],
)
def test_calls_read_as_torch_reads_them(text: str, expected: InitCall) -> None:
    assert parse_call(text) == expected


def test_str_gives_back_a_call_that_reads_the_same() -> None:
    for text in ("zeros", "kaiming_normal(mode=fan_out, nonlinearity=relu)", "normal(0, 0.01)"):
        call = parse_call(text)
        assert parse_call(str(call)) == call


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("normall(std=1)", "unknown init function 'normall'", "did you mean 'normal'?"),
        ("kaiming_normal_", "unknown init function 'kaiming_normal_'", "did you mean 'kaiming_normal'?"),
        ("nn.init.zeros_", "is not a function or a call of one", "without the trailing _"),
        ("__import__('os').system('x')", "is not a function or a call of one", None),
        ("__import__('os')", "unknown init function '__import__'", None),
        ("normal(std=-1)", "normal: std: must be >= 0.0; got -1.0", "normal(mean=0.0, std=1.0)"),
        ("trunc_normal(std=0)", "must be > 0.0", None),
        ("trunc_normal(a=2, b=-2)", "a must be less than b", None),
        ("uniform(1, 0)", "a must be at most b", None),
        ("uniform(1, 2, 3)", "uniform takes 2 arguments, got 3", "uniform(a=0.0, b=1.0)"),
        ("zeros(1)", "zeros takes no arguments, got 1", "zeros takes no arguments"),
        ("constant", "constant: needs value", "constant(value)"),
        ("constant(1, value=2)", "value is given twice", None),
        ("normal(sdt=1)", "unknown argument 'sdt'", None),
        ("kaiming_normal(mode=fan_ot)", "expected 'fan_in' or 'fan_out'; got 'fan_ot'", None),
        ("kaiming_normal(nonlinearity=gelu)", "'leaky_relu' or 'selu'; got 'gelu'", None),
        ("normal(std=fan_out)", "std: expected a number", None),
        ("normal(std=1e999)", "finite", None),
        ("normal(std=2 * 3)", "an argument must be a number or a word", None),
        ("normal(std=-x)", "a sign goes before a number only", None),
        ("normal(*s)", "* and ** arguments are not allowed", None),
        ("normal(std=True)", "an argument must be a number or a word", None),
        ("normal(std=0.01", "cannot read the call", "quote a call with several arguments"),
        ("x" * 201, "at most 200 characters", None),
    ],
)
def test_bad_calls_say_why(text: str, message: str, hint: str | None) -> None:
    (problem,) = problems(f"conv: {{weight: {text!r}}}")
    assert problem.code == "E212"
    assert message in problem.message
    assert problem.message.startswith("conv.weight: ")
    assert (problem.span.line, problem.span.column) == (4, 18)
    if hint is not None:
        assert hint in (problem.hint or "")


def test_the_call_text_never_reaches_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def refuse(*args: object) -> None:
        raise AssertionError("eval was called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    assert parse_call("normal(std=0.01)") == InitCall("normal", (("std", 0.01),))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("[conv]", "init must be a mapping of rules"),
        ("conv: zeros", "the rule 'conv' must map tensors to functions"),
        ("conv: {}", "must map tensors to functions"),
        ("conv: {weight: 3}", "expected a function such as zeros"),
        ("conv: {1x: zeros}", "a tensor name must be an identifier"),
        ("a..b: {weight: zeros}", "has an empty segment"),
        ("a.b-c: {weight: zeros}", "holds a character other than"),
        ("a.**x: {weight: zeros}", "** must be a whole segment"),
        (".".join("a" * 17) + ": {weight: zeros}", "at most 16 segments"),
        ("a" * 201 + ": {weight: zeros}", "at most 200 characters"),
    ],
)
def test_bad_sections_say_why(rules: str, message: str) -> None:
    found = problems(rules)
    assert [p.code for p in found] == ["E212"]
    assert message in found[0].message


def test_a_flow_mapping_with_an_unquoted_comma_gets_the_quoting_hint() -> None:
    found = problems("conv: {weight: kaiming_normal(mode=fan_out, nonlinearity=relu)}")
    assert found[0].code == "E212" and "quote a call" in (found[0].hint or "")


def test_the_number_of_rules_is_bounded() -> None:
    rules = "\n".join(f"l{i}: {{weight: zeros}}" for i in range(MAX_RULES + 1))
    (problem,) = problems(rules)
    assert f"at most {MAX_RULES}" in problem.message


def test_every_problem_of_a_section_is_reported_at_once() -> None:
    found = problems("conv: {weight: normall}\nfc: {bias: 'zeros(1)'}\nx..y: {weight: ones}")
    assert [(p.code, p.span.line) for p in found] == [("E212", 4), ("E212", 5), ("E212", 6)]


def test_a_block_takes_init_too_and_its_errors_point_into_it() -> None:
    text = """\
    name: net
    input: [3, 8, 8]
    blocks:
      stem:
        params: {width: int}
        init: {conv: {weight: "normal(std=-1)"}}
        layers:
          - conv: {out_channels: =width, kernel_size: 3}
    layers:
      - stem: {width: 4}
    """
    with pytest.raises(SpecError) as caught:
        archspec.loads(textwrap.dedent(text), "net.yaml")
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.span.line) == ("E212", 6)


@pytest.mark.parametrize(
    ("segment", "name", "expected"),
    [
        ("layer*", "layer1", True),
        ("layer*", "layer", True),
        ("layer*", "xlayer1", False),
        ("*", "0", True),
        ("*conv*", "expand_conv3", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("ab*ba", "aba", False),  # the two pieces may not overlap
        ("*.x", "a", False),
        ("bn2", "bn2", True),
        ("bn2", "bn3", False),
    ],
)
def test_a_star_matches_within_one_name(segment: str, name: str, expected: bool) -> None:
    assert glob_match(segment, name) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("layer*.*.bn2", "layer1.0.bn2", True),
        ("layer*.*.bn2", "layer1.0.downsample.1", False),
        ("layer*.*.bn2", "layer1.bn2", False),
        ("fc", "fc", True),
        ("fc", "head.fc", False),  # a pattern matches the whole path
        ("**.bn2", "bn2", True),  # ** matches no segment too
        ("**.bn2", "layer1.0.bn2", True),
        ("**", "a.b.c", True),
        ("features.**", "features", True),
        ("a.**.c.**.e", "a.b.c.d.e", True),
        ("a.**.c.**.e", "a.c.e", True),
        ("a.**.c.**.e", "a.b.d.e", False),
        ("a.**.c.d.**.c.d", "a.c.d.c.d", True),
        ("a.**.b.**.b", "a.b", False),
    ],
)
def test_patterns_match_whole_paths(pattern: str, path: str, expected: bool) -> None:
    assert parse_pattern(pattern).matches(tuple(path.split("."))) is expected


def test_matching_takes_linear_time_on_hostile_patterns() -> None:
    """Patterns that make a backtracking matcher (a regex) blow up: each is a few pieces
    found with str.find, and each ** run at its leftmost place."""
    segment = "*a" * 30 + "*b"
    name = "a" * 64
    pattern = parse_pattern(".".join(["**", "*a*", "**", "*a*"] * 3 + ["b"]))
    path = tuple(["xa"] * 60 + ["c"])
    start = time.perf_counter()
    for _ in range(200):
        assert not glob_match(segment, name)
        assert not pattern.matches(path)
    assert time.perf_counter() - start < 1.0


def test_every_function_has_a_torch_counterpart_named_literally() -> None:
    assert all(f.torch_name == f"{name}_" for name, f in FUNCTIONS.items())


def test_the_schema_names_every_init_function_in_order() -> None:
    """The names are written twice: with their arguments (initcall.FUNCTIONS), and for the
    schema every spec's model carries (init.FUNCTION_NAMES), so that loading a spec without
    init: never imports the argument models."""
    assert tuple(FUNCTIONS) == FUNCTION_NAMES
