"""Which rule sets each tensor, E213, and the plan of cases (archspec/compiler/init*.py)."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.compiler.init import resolve_init
from archspec.compiler.initplan import InitPlan
from archspec.diagnostics import SpecError

BLOCKS = """\
blocks:
  unit:
    params: {width: int}
    init:
      conv: {weight: "normal(std=0.2)"}
      b: {weight: "normal(std=0.3)"}
    layers:
      - conv: {name: a, out_channels: =width, kernel_size: 3, padding: 1}
      - batchnorm: {name: bn}
      - conv: {name: b, out_channels: =width, kernel_size: 1}
  stage:
    params: {width: int}
    layers:
      - unit: {width: =width}
      - unit: {width: =width}
"""


def compiled(init: str, layers: str, blocks: str = "") -> archspec.Graph:
    text = f"name: net\ninput: [3, 8, 8]\n{blocks}init:\n{textwrap.indent(init, '  ')}\nlayers:\n{layers}"
    return archspec.compile(archspec.loads(text, "net.yaml"))


def plan(init: str, layers: str, blocks: str = "") -> InitPlan:
    return resolve_init(compiled(init, layers, blocks))


def wishes(found: InitPlan) -> dict[str, dict[str, str]]:
    return {e.path: {t: str(c) for t, c in e.wish.items() if c is not None} for e in found.entries}


def problems(init: str, layers: str, blocks: str = "") -> list[archspec.Diagnostic]:
    with pytest.raises(SpecError) as caught:
        compiled(init, layers, blocks)
    return list(caught.value.diagnostics)


LAYERS = """\
  - conv: {name: stem, out_channels: 4, kernel_size: 3, padding: 1}
  - batchnorm: {name: bn}
  - relu
  - sequential:
      name: body
      layers:
        - conv: {name: c1, out_channels: 4, kernel_size: 3, padding: 1, bias: false}
        - conv: {name: c2, out_channels: 4, kernel_size: 3, padding: 1}
  - flatten
  - linear: {name: fc, out_features: 2}
"""


def test_a_path_rule_beats_the_kind_rule_and_a_later_path_rule_an_earlier_one() -> None:
    found = plan(
        'conv: {weight: kaiming_normal, bias: zeros}\nbody.*: {weight: ones}\n"**.c2": {weight: "normal(std=0.5)"}',
        LAYERS,
    )
    assert wishes(found) == {
        "stem": {"weight": "kaiming_normal", "bias": "zeros"},
        "bn": {},
        "body.c1": {"weight": "ones"},
        "body.c2": {"weight": "normal(std=0.5)", "bias": "zeros"},  # per tensor: bias from the kind
        "fc": {},
    }


def test_a_path_rule_wins_from_any_scope_and_of_one_sort_the_spec_wins() -> None:
    layers = "  - stage: {name: s, width: 4}\n  - flatten\n  - linear: {name: fc, out_features: 2}\n"
    found = wishes(plan("fc: {bias: zeros}", layers, BLOCKS))
    assert found["s.0.a"] == {"weight": "normal(std=0.2)"}  # block paths are from the call
    assert found["s.1.b"] == {"weight": "normal(std=0.3)"}  # the block's path rule beats its kind rule
    kinds = wishes(plan("conv: {weight: ones}", layers, BLOCKS))
    assert kinds["s.0.a"] == {"weight": "ones"}  # kind against kind: the network's
    assert kinds["s.0.b"] == {"weight": "normal(std=0.3)"}  # the block's path beats the network's kind
    assert kinds["s.0.bn"] == {}
    paths = wishes(plan('"**.b": {weight: zeros}', layers, BLOCKS))
    assert paths["s.1.b"] == {"weight": "zeros"}  # path against path: the network's


def test_a_block_whose_body_is_one_layer_is_reached_by_kind() -> None:
    blocks = """\
blocks:
  proj:
    params: {width: int}
    init: {conv: {bias: zeros}}
    layers:
      - conv: {out_channels: =width, kernel_size: 1}
"""
    found = wishes(
        plan(
            "fc: {bias: ones}",
            "  - proj: {name: p, width: 4}\n  - flatten\n  - linear: {name: fc, out_features: 2}\n",
            blocks,
        )
    )
    assert found["p"] == {"bias": "zeros"}


def test_a_block_rule_that_reaches_nothing_in_an_uncalled_block_is_no_error() -> None:
    blocks = BLOCKS.replace('b: {weight: "normal(std=0.3)"}', "zz: {weight: ones}")
    compiled("conv: {weight: ones}", LAYERS, blocks)  # stage and unit are never called
    layers = "  - stage: {name: s, width: 4}\n  - flatten\n  - linear: {name: fc, out_features: 2}\n"
    (problem,) = problems("fc: {bias: zeros}", layers, blocks)
    assert problem.code == "E213" and problem.message == "no layer matches 'zz' in any call of block unit"
    assert problem.span.line == 8


@pytest.mark.parametrize(
    ("init", "message", "hint"),
    [
        ("groupnorm: {weight: ones}", "no groupnorm layer in the network", "batchnorm, conv, linear"),
        ("relu: {weight: ones}", "no relu layer in the network holds learned tensors", "remove the rule"),
        ("fc1: {weight: ones}", "no layer matches 'fc1' in the network", "did you mean 'fc'?"),
        ("body: {weight: ones}", "'body' matches only layers without learned tensors", "body.* or body.**"),
        ("linear: {weigth: ones}", "has a tensor 'weigth'; theirs: bias, weight", "did you mean 'weight'?"),
        ("body.c1: {bias: zeros}", "has a tensor 'bias'; theirs: weight", "leave this tensor out"),
        ("batchnorm: {weight: kaiming_normal}", "kaiming_normal needs a tensor of 2 dims or more", None),
        ("fc: {bias: xavier_uniform}", "but fc.bias is [2]", None),
    ],
)
def test_a_rule_that_does_not_fit_the_network_is_located(init: str, message: str, hint: str | None) -> None:
    (problem,) = problems(init, LAYERS)
    assert problem.code == "E213"
    assert message in problem.message
    assert problem.span.file == "net.yaml" and problem.span.line == 4
    if hint is not None:
        assert hint in (problem.hint or "")


def test_a_batchnorm_without_affine_weights_is_skipped_where_others_have_them() -> None:
    layers = LAYERS.replace(
        "- batchnorm: {name: bn}", "- batchnorm: {name: bn, affine: false}\n  - batchnorm: {name: bn2}"
    )
    found = plan("batchnorm: {weight: ones, bias: zeros}", layers)
    (case,) = found.cases
    assert case.classes == ("BatchNorm2d",) and all(step.guarded for step in case.steps)
    only_plain = LAYERS.replace("- batchnorm: {name: bn}", "- batchnorm: {name: bn, affine: false}")
    (problem,) = problems("batchnorm: {weight: ones}", only_plain)
    assert "no batchnorm layer in the network holds learned tensors" in problem.message


def test_cases_read_like_torchvision_and_name_the_exceptions_first() -> None:
    found = plan(
        'conv: {weight: kaiming_uniform, bias: zeros}\nbody.c2: {weight: "normal(std=0.01)"}', LAYERS
    )
    first, second = found.cases
    assert first.names == ("body.c2",) and [(s.tensor, str(s.call)) for s in first.steps] == [
        ("weight", "normal(std=0.01)"),
        ("bias", "zeros"),
    ]
    assert second.classes == ("Conv2d",) and second.names == ()
    assert [(s.tensor, s.guarded) for s in second.steps] == [("weight", False), ("bias", True)]  # c1: no bias


def test_a_class_whose_layers_mostly_keep_the_default_gets_name_cases_only() -> None:
    found = plan("stem: {weight: ones}", LAYERS)
    (case,) = found.cases
    assert case.names == ("stem",) and case.classes == ()


def test_no_init_no_plan_and_no_cost() -> None:
    graph = archspec.compile("specs/torchvision/alexnet.yaml")
    assert not resolve_init(graph)


def test_patterns_are_budgeted() -> None:
    import archspec.compiler.init as init

    rules = "\n".join(f'"**.x{i}*": {{weight: ones}}' for i in range(8))
    saved = init.GLOB_BUDGET
    init.GLOB_BUDGET = 20
    try:
        (problem,) = problems(rules, LAYERS)
    finally:
        init.GLOB_BUDGET = saved
    assert problem.code == "E213" and "more than 20 path matches" in problem.message


def test_a_learned_tensor_starts_at_its_own_init_and_no_rule_reaches_it() -> None:
    layers = """\
  - conv: {name: stem, out_channels: 4, kernel_size: 3, padding: 1}
  - parameter: {name: gamma, shape: [4, 1, 1], init: 0.5}
  - mul: {name: scaled, from: [gamma, stem]}
  - flatten
  - linear: {name: fc, out_features: 2}
"""
    assert wishes(plan("conv: {weight: ones}", layers))["stem"] == {"weight": "ones"}
    (problem,) = problems("gamma: {weight: ones}", layers)
    assert "such as gamma (a parameter, which starts at its own init)" in problem.message
