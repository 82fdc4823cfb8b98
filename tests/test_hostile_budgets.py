"""The resource budgets (E404, E405) name the layer that crosses them, through
every entry point, and every reference network fits the strict preset."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspec
from archspec.compiler.budgets import check_budgets, count
from archspec.diagnostics import SpecError
from archspec.limits import Limits


def test_params_budget_names_the_layer_that_crosses_it() -> None:
    spec = archspec.load("specs/vgg11.yaml")
    with pytest.raises(SpecError) as caught:
        archspec.compile(spec, limits=Limits(max_params=100_000_000))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E404"
    assert diagnostic.path == "6"  # the first linear: 25088 x 4096 weights
    assert diagnostic.span is not None and diagnostic.span.file == "specs/vgg11.yaml"
    assert diagnostic.span.line == spec.layers[6].span.line == 13
    assert "128,806,154 parameters, more than the budget of 100,000,000" in diagnostic.message
    assert "raise Limits.max_params to at least 128,806,154" in diagnostic.hint


def test_a_layer_inside_a_builtin_block_is_reported_at_the_call() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.compile("specs/googlenet.yaml", limits=Limits(max_params=200_000))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.path.startswith("b3.0.")  # a part of the first inception
    assert diagnostic.span.file == "specs/googlenet.yaml"


def test_activation_budget_names_the_first_layer_over_it() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.compile("specs/vgg11.yaml", limits=Limits(max_activation=1_000_000))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E405"
    assert diagnostic.path == "0.0"  # the first conv of the first vgg_block: 64 x 224 x 224
    assert "[N, 64, 224, 224], has 3,211,264 elements per sample" in diagnostic.message
    assert diagnostic.span.file == "specs/vgg11.yaml"


def test_the_input_itself_can_be_over_the_activation_budget() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.compile("specs/vgg11.yaml", limits=Limits(max_activation=1000))
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.path) == ("E405", "")
    assert "the input [N, 1, 224, 224] has 50,176 elements" in diagnostic.message


def test_a_symbolic_size_is_outside_the_activation_budget() -> None:
    # every map before the global pool depends on H and W; only [N, 10, 1, 1] and [N, 10] count
    limits = Limits(max_activation=10)
    graph = archspec.compile("specs/nin.yaml", input=[1, "H", "W"], limits=limits)
    assert graph.min_sizes
    with pytest.raises(SpecError, match="E405"):
        archspec.compile("specs/nin.yaml", input=[1, "H", "W"], limits=Limits(max_activation=9))


def test_attention_weights_count_in_the_activation_budget() -> None:
    """12 heads over 197 tokens: 12 x 197 x 197 weights (465,708), with the projections
    and the attended values 1,070,892 elements per sample, where no tensor it outputs
    (197 x 768 = 151,296) is over the budget; over a symbolic L, a formula (the report)."""
    with pytest.raises(SpecError) as caught:
        archspec.compile("specs/torchvision/vit_b_16.yaml", limits=Limits(max_activation=1_000_000))
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.path) == ("E405", "encoder.layers.encoder_layer_0.self_attention")
    assert "computes 1,070,892 elements per sample" in diagnostic.message
    assert diagnostic.span.file.endswith("library/torchvision/vit.yaml")  # the layer, in its block


def test_both_budgets_are_reported_together() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.compile("specs/nin.yaml", limits=Limits(max_params=10, max_activation=10_000))
    assert sorted(d.code for d in caught.value.diagnostics) == ["E404", "E405"]


def test_limits_pass_through_every_entry_point(tmp_path: Path) -> None:
    tiny = Limits(max_params=10)
    text = Path("specs/lenet_bn.yaml").read_text()
    with pytest.raises(SpecError, match="E401"):
        archspec.loads(text, limits=Limits(max_nodes=10))
    with pytest.raises(SpecError, match="E400"):
        archspec.load("specs/lenet_bn.yaml", limits=Limits(max_bytes=100))
    for call in (
        lambda: archspec.compile("specs/lenet_bn.yaml", limits=tiny),
        lambda: archspec.build("specs/lenet_bn.yaml", limits=tiny),
        lambda: archspec.build(archspec.load("specs/lenet_bn.yaml"), limits=tiny),
    ):
        with pytest.raises(SpecError, match="E404"):
            call()
    graph = archspec.compile("specs/lenet_bn.yaml")
    with pytest.raises(SpecError, match="E404"):
        check_budgets(graph, tiny)


@pytest.mark.parametrize("path", sorted(Path("specs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_reference_network_fits_the_strict_preset(path: Path) -> None:
    archspec.compile(path, limits=Limits.strict())


def test_counts_never_print_a_huge_int() -> None:
    assert count(1234567) == "1,234,567"
    assert count(1 << 20_000) == "about 2**20000"


# -- gaps found outside the loader (docs/security.md), fixed since ----------------------
