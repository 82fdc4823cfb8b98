"""``init:`` carried out: by archspec.build, by archspec.initialize after ``to_empty``,
and by the ``_init_weights`` that ``compile -o`` writes, all three the same for a seed."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from archspec.diagnostics import SpecError
from archspec.emit.init import METHOD, torch_functions
from archspec.emit.source import emit_source, network_class_name
from archspec.frontend.init import NO_RULES
from archspec.frontend.initcall import FUNCTIONS
from tests.primitives.cases import OracleCase, all_cases
from tests.primitives.oracle import layer_spec

torch.set_num_threads(2)
ORACLE = [(name, i, case) for name, listed in sorted(all_cases().items()) for i, case in enumerate(listed)]

MIXED = """\
name: mixed
input: [3, 8, 8]
init:
  conv: {weight: "kaiming_normal(mode=fan_out, nonlinearity=relu)", bias: "uniform(-0.1, 0.1)"}
  batchnorm: {weight: ones, bias: zeros}
  layernorm: {weight: "normal(1.0, 0.02)"}
  head.*: {weight: "trunc_normal(std=0.02)", bias: constant(0.5)}
  "**.proj": {weight: xavier_uniform(gain=2)}
layers:
  - conv: {name: stem, out_channels: 8, kernel_size: 3, padding: 1, bias: false}
  - batchnorm: {name: bn, affine: false}
  - conv: {name: mid, out_channels: 8, kernel_size: 3, padding: 1}
  - batchnorm: {name: bn2}
  - layernorm: {name: ln, channels_first: true}
  - conv: {name: a, from: ln, out_channels: 8, kernel_size: 1}
  - conv: {name: proj, from: ln, out_channels: 8, kernel_size: 1}
  - add: {name: sum, from: [a, proj]}
  - flatten
  - layernorm: {name: ln2}
  - sequential:
      name: head
      layers:
        - linear: {out_features: 16}
        - relu
        - linear: {out_features: 4}
"""


def load_class(tmp_path: Path, graph: archspec.Graph) -> type[nn.Module]:
    path = tmp_path / "model.py"
    path.write_text(emit_source(graph))
    spec = importlib.util.spec_from_file_location(f"emitted_{graph.spec.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, network_class_name(graph))


def same(a: nn.Module, b: nn.Module) -> bool:
    left, right = a.state_dict(), b.state_dict()
    return list(left) == list(right) and all(torch.equal(left[k], right[k]) for k in left)


@pytest.fixture(scope="module")
def mixed() -> archspec.Graph:
    return archspec.compile(archspec.loads(MIXED, "mixed.yaml"))


def test_build_sets_what_the_rules_say(mixed: archspec.Graph) -> None:
    torch.manual_seed(0)
    net = archspec.build(mixed)
    assert net.stem.weight.std().item() == pytest.approx((2 / (8 * 9)) ** 0.5, rel=0.15)  # fan_out
    assert float(net.mid.bias.detach().abs().max()) <= 0.1
    assert torch.equal(net.bn2.weight, torch.ones(8)) and net.bn.weight is None
    assert (
        float(net.head[0].bias[0].detach()) == 0.5 and float(net.head[0].weight.detach().abs().max()) <= 2.0
    )
    assert isinstance(net.ln, nn.LayerNorm) and type(net.ln) is not nn.LayerNorm  # archspec's own class
    assert net.ln.weight.mean().item() == pytest.approx(1.0, abs=0.05)


def test_the_written_class_makes_the_weights_build_makes(mixed: archspec.Graph, tmp_path: Path) -> None:
    cls = load_class(tmp_path, mixed)
    torch.manual_seed(7)
    written = cls()
    torch.manual_seed(7)
    built = archspec.build(mixed)
    assert same(written, built)
    text = emit_source(mixed)
    assert "type(m) in (ChannelsFirstLayerNorm, nn.LayerNorm)" in text and "if m.bias is not None:" in text
    assert f"        self.{METHOD}()\n" in text and "getattr(nn.init" not in text


def test_initialize_after_meta_and_to_empty_gives_builds_weights(mixed: archspec.Graph) -> None:
    torch.manual_seed(3)
    built = archspec.build(mixed)
    empty = archspec.build(mixed, device="meta").to_empty(device="cpu")
    torch.manual_seed(3)
    assert archspec.initialize(empty, mixed) is empty
    assert same(empty, built)  # the batch norms' running statistics included


def test_initialize_takes_a_spec_or_a_path(tmp_path: Path) -> None:
    path = Path("specs/torchvision/squeezenet1_1.yaml")
    torch.manual_seed(1)
    built = archspec.build(path)
    torch.manual_seed(1)
    again = archspec.initialize(
        archspec.build(path, device="meta").to_empty(device="cpu"), archspec.load(path)
    )
    assert same(again, built)


def test_initialize_refuses_a_module_of_another_spec(mixed: archspec.Graph) -> None:
    other = archspec.build("specs/torchvision/squeezenet1_1.yaml")
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(ValueError, match="has no layer 'proj': it is not the network of this spec"):
        archspec.initialize(other, mixed)
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items())  # nothing was touched
    with pytest.raises(ValueError, match="has no tensor 'bias'"):
        archspec.initialize(nn.Sequential(nn.Conv2d(3, 8, 3, bias=False)), "specs/torchvision/vgg16.yaml")


def test_without_rules_or_with_init_false_the_weights_are_pytorchs(mixed: archspec.Graph) -> None:
    plain = dataclasses.replace(mixed, spec=dataclasses.replace(mixed.spec, init=NO_RULES))
    torch.manual_seed(5)
    default = archspec.build(plain)
    torch.manual_seed(5)
    assert same(archspec.build(mixed, init=False), default)
    torch.manual_seed(5)
    assert not same(archspec.build(mixed), default)


def test_the_rules_are_applied_in_float32_before_the_dtype(mixed: archspec.Graph) -> None:
    torch.manual_seed(2)
    wide = archspec.build(mixed, dtype=torch.float64)
    torch.manual_seed(2)
    assert same(wide, archspec.build(mixed).to(torch.float64))


def test_torch_functions_are_the_literal_allowlist() -> None:
    table = torch_functions()
    assert list(table) == list(FUNCTIONS)
    assert all(table[name].__name__ == FUNCTIONS[name].torch_name for name in FUNCTIONS)
    assert all(table[name] is nn.init.__dict__[FUNCTIONS[name].torch_name] for name in FUNCTIONS)


def test_a_layer_named_like_the_init_method_cannot_be_written() -> None:
    text = MIXED.replace("name: stem,", "name: _init_weights,")
    graph = archspec.compile(archspec.loads(text, "mixed.yaml"))
    archspec.build(graph)  # building is fine: only the written class has the method
    with pytest.raises(SpecError) as caught:
        emit_source(graph)
    (problem,) = caught.value.diagnostics
    assert problem.code == "E209" and METHOD in problem.message


@pytest.mark.parametrize(("name", "index", "case"), ORACLE, ids=lambda v: str(v)[:40])
def test_initialize_after_to_empty_gives_builds_weights_for_every_primitive(
    name: str, index: int, case: OracleCase
) -> None:
    graph = archspec.compile(archspec.loads(layer_spec(case.layer, case.dims, ids=case.ids)))
    torch.manual_seed(11)
    built = archspec.build(graph)
    empty = archspec.build(graph, device="meta").to_empty(device="cpu")
    torch.manual_seed(11)
    assert same(archspec.initialize(empty, graph), built)


@pytest.mark.parametrize(
    "name", ["squeezenet1_1", "mobilenet_v3_small", "googlenet", "efficientnet_b0", "mnasnet1_0", "resnet18"]
)
def test_the_golden_classes_make_builds_weights(name: str) -> None:
    """The zoo's written classes (tests/emit/golden/) against build, for one seed: a name
    case, guarded biases, a case of two classes, uniform, kaiming_uniform with a gain."""
    golden = Path(__file__).parent / "golden" / f"torchvision__{name}.py"
    graph = archspec.compile(f"specs/torchvision/{name}.yaml")
    spec = importlib.util.spec_from_file_location(f"golden_{name}", golden)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(9)
    written = getattr(module, network_class_name(graph))()
    torch.manual_seed(9)
    assert same(written, archspec.build(graph))


PARTS = """\
name: parts
input: [8, 8, 16]
init:
  linear: {weight: "trunc_normal(std=0.02)", bias: zeros}
layers:
  - patch_merging: {}
  - linear: {out_features: 4}
"""


def test_a_class_rule_never_reaches_a_part_of_another_layers_module(tmp_path: Path) -> None:
    """patch_merging's module holds an nn.Linear without bias (Primitive.parts): the linear
    rule sets the linear layer by name, and leaves the part at its own init, in build and
    in the emitted file alike (a class case would have stopped at the missing bias)."""
    graph = archspec.compile(archspec.loads(PARTS, "parts.yaml"))
    torch.manual_seed(3)
    built = archspec.build(graph)
    torch.manual_seed(3)
    written = load_class(tmp_path, graph)()
    assert same(built, written)
    assert torch.equal(built[1].bias.detach(), torch.zeros(4))
    assert 0.015 < float(built[1].weight.detach().std()) < 0.025  # 128 draws of std 0.02
    torch.manual_seed(3)
    without_rules = PARTS.replace('init:\n  linear: {weight: "trunc_normal(std=0.02)", bias: zeros}\n', "")
    untouched = archspec.build(archspec.compile(archspec.loads(without_rules, "plain.yaml")))
    assert torch.equal(built[0].reduction.weight, untouched[0].reduction.weight)
