"""Expressions in emitted source: Python that computes archspec's value, written as ruff writes it.

``compile -o`` writes a block's expressions into its constructor
(``archspec.emit.pycode.python_expr``). Over random expression trees (the
grammar of ``tests/frontend/test_expr_fuzz.py``), the Python text parses back to
the tree it was written from, gives the value archspec's evaluator gives (same
type too) wherever that one gives a value, and is left unchanged by
``ruff format``. Then a network whose blocks use ``floor``, ``ceil``, ``log``,
``**``, ``make_divisible`` and text comparisons is compiled with ``-o``, and the
written module is the module ``archspec.build`` makes.
"""

from __future__ import annotations

import ast
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import archspec
from archspec.cli import main
from archspec.diagnostics import SpecError
from archspec.emit.pycode import python_expr
from archspec.emit.source import emit_source, network_class_name
from archspec.frontend.expr import ExprError, evaluate, make_divisible
from tests.emit.test_source import load_module
from tests.frontend.test_expr_fuzz import environments, trees

RUFF = shutil.which("ruff")


def _texts(roots: list[ast.expr]) -> list[str]:
    """Every subtree of ``roots`` as ``=…`` text."""
    return [
        "=" + ast.unparse(ast.fix_missing_locations(node))
        for root in roots
        for node in ast.walk(root)
        if isinstance(node, ast.expr) and not isinstance(node, ast.Name | ast.Constant)
    ]


def _python(text: str) -> str | None:
    try:
        return python_expr(text)
    except ExprError:  # refused at parse: nothing to write
        return None


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, list):
        return isinstance(theirs, list) and len(ours) == len(theirs) and all(map(_same, ours, theirs))
    return type(ours) is type(theirs) and ours == theirs


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # 1.5[0]: Python warns, archspec refuses
@given(st.lists(trees, min_size=1, max_size=6), environments)
def test_the_python_text_computes_archspecs_value(roots: list[ast.expr], env: dict[str, Any]) -> None:
    names = {**env, "math": math, "make_divisible": make_divisible}
    for text in _texts(roots):
        python = _python(text)
        if python is None:
            continue
        ast.parse(python, mode="eval")  # valid Python, whatever archspec makes of the values
        try:
            value = evaluate(text, env)
        except ExprError:
            continue
        # trusted text (written by archspec from a tree the whitelist passed): eval is the test
        assert _same(value, eval(python, {"__builtins__": __builtins__}, names)), (text, python)


@pytest.mark.skipif(RUFF is None, reason="ruff is in the test extra")
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@given(st.lists(trees, min_size=4, max_size=8))
def test_ruff_format_leaves_the_python_text_as_it_is(roots: list[ast.expr]) -> None:
    lines = [f"v = {python}\n" for text in _texts(roots) if (python := _python(text)) and len(python) < 80]
    source = "".join(lines)
    assert RUFF is not None
    formatted = subprocess.run(
        [RUFF, "format", "--isolated", "--stdin-filename", "v.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert formatted == source


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("=floor(x / 2) + ceil(y)", "math.floor(x / 2) + math.ceil(y)"),
        ("=log(x)", "math.log(x)"),
        ("=log(w / w0, wm)", "math.log(w / w0) / math.log(wm)"),  # CPython's own division
        ("=2 ** log(x, 2)", "2 ** (math.log(x) / math.log(2))"),
        ("=make_divisible(c * m, 8, min_value=16)", "make_divisible(c * m, 8, min_value=16)"),
        ("=w_m ** round(x)", "w_m ** round(x)"),
        ("=2 ** 10", "2**10"),
        ("=-x ** 2", "-(x**2)"),
        ("=2 ** -x", "2 ** (-x)"),
        ("=x ** y ** abs(z)", "x**y ** abs(z)"),
        ("=(x ** 2) ** 3", "(x**2) ** 3"),
        ("=mode == 'bottleneck'", 'mode == "bottleneck"'),
        ('=mode == "it\'s"', 'mode == "it\'s"'),
        ("=1e20 + 2.5e-7", "1e20 + 2.5e-07"),
        ("=true and not false", "True and not False"),
        ("=a or b", "bool(a or b)"),  # archspec's or gives a bool
        ("=a != 1 or b", "bool(a != 1 or b)"),
        ("=a != 1 or b == 2", "a != 1 or b == 2"),  # already a bool
        ("=1 if a or b else 2", "1 if a or b else 2"),  # only its truth counts
        ("=not (a and b)", "not (a and b)"),
        ("=floor(floor)", "math.floor(floor)"),  # a parameter may share a function's name
    ],
)
def test_python_expr(text: str, python: str) -> None:
    assert python_expr(text) == python


# A network whose blocks compute widths as EfficientNet and RegNet do.
WIDTHS = """\
name: widths
input: [3, 8, 8]
blocks:
  scaled:
    description: EfficientNet's widths and depths from the multipliers.
    params:
      base: int
      count: int
      width_mult: float
      depth_mult: float
      mode: {type: str, default: conv}
    layers:
      - repeat:
          n: =ceil(count * depth_mult)
          layers:
            - conv:
                out_channels: =make_divisible(base * width_mult, 8)
                kernel_size: "=3 if mode == 'conv' else 1"
                padding: "=1 if mode == 'conv' else 0"
            - relu
  regnet_block:
    description: The width of block i of a RegNet, quantised to 8, then fitted to the group width.
    params: {i: int, w_0: int, w_a: float, w_m: float, group_width: int}
    layers:
      - conv:
          out_channels: =round(w_0 * w_m ** round(log((i * w_a + w_0) / w_0, w_m)) / 8) * 8
          kernel_size: 1
      - fit_groups: {group_width: =group_width}
      - relu
  fit_groups:
    description: torchvision's _adjust_widths_groups_compatibilty, bottleneck multiplier 1.
    params: {group_width: int}
    layers:
      - conv:
          out_channels: =make_divisible(in_channels, min(group_width, in_channels))
          kernel_size: 1
  powers:
    params: {base: int, exponent: float}
    layers:
      - conv: {out_channels: "=floor(base ** exponent) + ceil(2 ** -1)", kernel_size: 1}
layers:
  - scaled: {base: 32, count: 1, width_mult: 1.1, depth_mult: 1.2}
  - scaled: {base: 16, count: 2, width_mult: 1.1, depth_mult: 1.2, mode: point}
  - scaled: {base: 24, count: 2, width_mult: 1.4, depth_mult: 1.8}
{regnet}
  - powers: {{base: 3, exponent: 1.5}}
"""
REGNET_Y_400MF = {"w_0": 48, "w_a": 27.89, "w_m": 2.09, "group_width": 8}


def _widths_spec(depth: int = 16) -> str:
    calls = "".join(
        f"  - regnet_block: {{i: {i}, w_0: 48, w_a: 27.89, w_m: 2.09, group_width: 8}}\n"
        for i in range(depth)
    )
    return WIDTHS.replace("{regnet}\n", calls).replace("{{", "{").replace("}}", "}")


def test_a_network_of_the_new_functions_compiles_to_the_module_build_makes(tmp_path: Path) -> None:
    spec = tmp_path / "widths.yaml"
    spec.write_text(_widths_spec())
    target = tmp_path / "widths.py"
    assert main(["compile", str(spec), "-o", str(target)]) == 0
    text = target.read_text()
    graph = archspec.compile(spec)
    assert text == emit_source(graph)
    tree = ast.parse(text)
    assert [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names] == ["math", "torch"]
    assert next(n.name for n in tree.body if isinstance(n, ast.FunctionDef)) == "make_divisible"
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    assert {"Scaled", "RegnetBlock", "Powers"} <= classes  # generic classes: the expressions are in them
    assert "math.ceil(count * depth_mult)" in text and 'mode == "conv"' in text

    module = load_module(target)
    emitted, built = getattr(module, network_class_name(graph))(), archspec.build(graph)
    ours, theirs = emitted.state_dict(), built.state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [v.shape for v in theirs.values()]
    emitted.load_state_dict(theirs)
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(emitted.eval()(x), built.eval()(x))

    # the widths themselves: EfficientNet's rule (ceil(1 * 1.2) = 2 layers of
    # make_divisible(32 * 1.1, 8) = 32 …), then RegNetY-400MF's stage widths
    def widths(module: torch.nn.Module) -> list[int]:
        return [m.out_channels for m in module.modules() if isinstance(m, torch.nn.Conv2d)]

    calls = list(emitted.children())
    assert [widths(call) for call in calls[:3]] == [[32, 32], [16, 16, 16], [32, 32, 32, 32]]
    assert [m.kernel_size for m in calls[1].modules() if isinstance(m, torch.nn.Conv2d)] == [(1, 1)] * 3
    fitted = [widths(call)[1] for call in calls[3:19]]
    assert list(dict.fromkeys(fitted)) == [48, 104, 208, 440]
    assert widths(calls[19]) == [math.floor(3**1.5) + 1] == [6]

    if RUFF is not None:  # lint only: RegNet's formula is longer than a line, which is not split
        done = subprocess.run([RUFF, "check", "--isolated", str(target)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def test_a_file_without_the_functions_imports_no_math(tmp_path: Path) -> None:
    text = emit_source(archspec.compile("specs/torchvision/resnet18.yaml"))
    assert "import math" not in text and "def make_divisible" not in text


CLASH = """\
name: clash
input: [3, 8, 8]
blocks:
  stage:
    params: {{{param}: float}}
    layers:
      - conv: {{out_channels: "{expression}", kernel_size: 1}}
layers:
  - stage: {{{param}: 2.5}}
"""


@pytest.mark.parametrize(
    ("param", "expression"),
    [
        ("math", "=floor(math) + 1"),
        ("math", "=ceil(2.5) + int(math)"),
        ("make_divisible", "=make_divisible(8, 8)"),
    ],
)
def test_a_parameter_that_hides_what_its_expressions_need_is_e209(param: str, expression: str) -> None:
    graph = archspec.compile(archspec.loads(CLASH.format(param=param, expression=expression), "clash.yaml"))
    archspec.build(graph)  # archspec itself has no such name: only the Python file would clash
    with pytest.raises(SpecError) as caught:
        emit_source(graph)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E209" and f"a parameter named {param!r} hides {param}" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == 4


@pytest.mark.parametrize(
    ("param", "expression"), [("math", "=int(math) + 1"), ("make_divisible", "=int(make_divisible)")]
)
def test_the_same_parameter_is_fine_where_the_block_does_not_need_the_name(
    param: str, expression: str
) -> None:
    spec = CLASH.format(param=param, expression=expression)
    spec = spec.replace(
        "layers:\n  - stage",
        "  other:\n    params: {w: float}\n    layers:\n"
        '      - conv: {out_channels: "=floor(w)", kernel_size: 1}\nlayers:\n  - other: {w: 3.5}\n  - stage',
    )
    text = emit_source(archspec.compile(archspec.loads(spec, "fine.yaml")))
    assert "import math" in text
