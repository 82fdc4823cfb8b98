"""compile -o writes a block whose layers read named tensors as one generic class where
archspec.emit.flowprogram proves it right at every call, and per call where it cannot.

The oracles: torchvision 0.28.0 (its ResNet's state_dict loads into the emitted file
and computes the same), archspec.build (same outputs, and a training step equal bit
for bit), and, for drawn blocks, the built module whatever the decision.
"""

from __future__ import annotations

import ast
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import archspec
from archspec.diagnostics import SpecError
from archspec.emit.source import emit_source, network_class_name
from tests.emit.test_inplace import assert_same, inputs, training_step
from tests.emit.test_source import load_module
from tests.strategies import as_yaml, dataflow_spec_data
from tests.torchvision_models import zoo


def definitions(source: str) -> list[str]:
    """The classes and functions of an emitted file, in order."""
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef | ast.FunctionDef)]


def emitted(graph: archspec.Graph, tmp_path: Path) -> tuple[str, torch.nn.Module]:
    source = emit_source(graph)
    path = tmp_path / f"{graph.spec.name}_module.py"
    path.write_text(source)
    return source, getattr(load_module(path), network_class_name(graph))()


@pytest.mark.parametrize(
    ("spec", "blocks"),
    [
        ("resnet50", ["Bottleneck", "bottleneck_stage"]),
        ("resnet18", ["BasicBlock", "basic_stage"]),
        ("densenet121", ["DenseLayer", "dense_block", "Transition"]),  # denselayer1 … by number
        # the residual only where the shapes allow it: an if in the forward (use_res_connect)
        ("mobilenet_v2", ["ConvBnRelu6", "InvertedResidualConv", "InvertedResidual"]),
    ],
)
def test_a_torchvision_network_has_one_class_per_block(spec: str, blocks: list[str], tmp_path: Path) -> None:
    """torchvision's one Bottleneck (BasicBlock, _DenseLayer, InvertedResidual) class and
    one _make_layer (_DenseBlock): the file's only block definitions; torchvision's
    weights load and compute the same."""
    graph = archspec.compile(f"specs/torchvision/{spec}.yaml", input=[3, 64, 64])
    source, module = emitted(graph, tmp_path)
    assert definitions(source) == ["_add", "_branch", *blocks, network_class_name(graph)]
    assert "written out" not in source
    reference = zoo()[spec]().eval()
    module.load_state_dict(reference.state_dict())  # strict: torchvision's keys and shapes
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(module.eval()(x), reference(x))


def test_the_generic_resnet50_is_archspec_builds_bit_for_bit_and_trains_alike(tmp_path: Path) -> None:
    graph = archspec.compile("specs/torchvision/resnet50.yaml", input=[3, 32, 32])
    built = archspec.build(graph)
    _, module = emitted(graph, tmp_path)
    module.load_state_dict(built.state_dict())
    assert [n for n, _ in module.named_modules()] == [n for n, _ in built.named_modules()]
    in_place = [n for n, m in built.named_modules() if getattr(m, "inplace", False)]
    assert in_place == [n for n, m in module.named_modules() if getattr(m, "inplace", False)]
    given = inputs(graph)
    with torch.no_grad():
        assert torch.equal(module.eval()(given[0]), built.eval()(given[0]))
    assert_same(training_step(module, given), training_step(built, given))


def test_a_residual_that_some_calls_leave_out_is_an_if_in_the_forward(tmp_path: Path) -> None:
    """MobileNetV2's InvertedResidual adds its input only where stride 1 keeps the shape:
    build makes a sequence at the other calls; the one class keeps the test and its
    forward takes the branch, and trains as build's network does."""
    graph = archspec.compile("specs/torchvision/mobilenet_v2.yaml", input=[3, 32, 32])
    source, module = emitted(graph, tmp_path)
    assert "self.cond1 = stride == 1 and in_channels == out_channels" in source
    assert "        if self.cond1:\n            x1 = input + conv\n        else:\n" in source
    built = archspec.build(graph)
    module.load_state_dict(built.state_dict())
    given = inputs(graph)
    with torch.no_grad():
        assert torch.equal(module.eval()(given[0]), built.eval()(given[0]))
    assert_same(training_step(module, given), training_step(built, given))


def test_the_bottleneck_class_reads_its_optional_downsample_by_one_name(tmp_path: Path) -> None:
    """The downsample is an nn.Sequential where the stride or the channels change and an
    nn.Identity elsewhere (as build makes it), from one if in the constructor; the
    forward is the same text for every call."""
    source, _ = emitted(archspec.compile("specs/torchvision/resnet50.yaml"), tmp_path)
    body = source[source.index("class Bottleneck(") : source.index("def bottleneck_stage(")]
    assert "if stride != 1 or in_channels != expansion * planes:" in body
    assert "self.downsample = nn.Identity()" in body and "self.downsample = nn.Sequential(group1)" in body
    assert "downsample = self.downsample(input)\n" in body and "x9 = bn3 + downsample\n" in body
    assert body.count("nn.ReLU(inplace=True)") == 3
    assert "Bottleneck(\n" in source and not re.search(r"class Bottleneck\d", source)


def run_equal(text: str, tmp_path: Path, dims: tuple[int, ...]) -> str:
    """The emitted file of ``text``: its module equals build's (weights, outputs)."""
    graph = archspec.compile(archspec.loads(textwrap.dedent(text), "net.yaml"))
    source, module = emitted(graph, tmp_path)
    built = archspec.build(graph)
    module.load_state_dict(built.state_dict())
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(module.eval()(x), built.eval()(x))
    return source


SHORTCUT = """\
    archspec: 1
    name: shortcut_net
    input: [4, 8, 8]
    blocks:
      res:
        params: {width: int}
        layers:
          - conv: {name: conv, out_channels: =width, kernel_size: 3, padding: 1}
          - batchnorm
          - relu: {name: act}
          - if:
              cond: =in_channels != width
              then: [conv: {name: proj, from: input, out_channels: =width, kernel_size: 1}]
              else: [identity: {name: proj, from: input}]
          - add: {from: [act, proj]}
    layers: [res: {width: 4}, res: {width: 6}, res: {width: 6}]
    """


def test_a_shortcut_that_some_calls_leave_out_is_one_class(tmp_path: Path) -> None:
    source = run_equal(SHORTCUT, tmp_path, (4, 8, 8))
    assert definitions(source) == ["Res", "ShortcutNet"]
    assert "self.proj = nn.Identity()" in source and "self.act = nn.ReLU(inplace=True)" in source


TWICE = """\
      twice:
        params: {width: int}
        layers:
          - res: {name: first, width: =width}
          - res: {name: second, width: =width}
          - add: {from: [first, second]}
    layers: [twice: {width: 4}, twice: {width: 6}]
"""


def test_a_block_that_reads_named_tensors_calls_another_as_its_class(tmp_path: Path) -> None:
    text = SHORTCUT.replace("    layers: [res: {width: 4}, res: {width: 6}, res: {width: 6}]\n", TWICE)
    assert text != SHORTCUT
    source = run_equal(text, tmp_path, (4, 8, 8))
    assert definitions(source) == ["Res", "Twice", "ShortcutNet"]
    assert "self.second = Res(channels, width=width)" in source


def test_branches_that_make_layers_of_other_names_are_written_out_per_call(tmp_path: Path) -> None:
    """A projection of two layers where the shortcut is one: the unnamed layers after the
    if have other indices, so other names, at the calls of each branch."""
    projection = "then: [conv: {from: input, out_channels: =width, kernel_size: 1}, batchnorm: {name: proj}]"
    text = SHORTCUT.replace(
        "then: [conv: {name: proj, from: input, out_channels: =width, kernel_size: 1}]", projection
    )
    assert text != SHORTCUT
    source = run_equal(text, tmp_path, (4, 8, 8))
    assert "class Res1(nn.Module):" in source and "class Res2(nn.Module):" in source
    assert "the branches of an if make layers of other names or counts" in " ".join(source.split())


def test_an_activation_in_place_at_some_calls_only_is_written_out_per_call(tmp_path: Path) -> None:
    """The relu reads a new tensor (a conv's) at one call and the block's input (through
    an identity) at the other: build runs it in place only at the first."""
    text = """\
        archspec: 1
        name: mixed
        input: [4, 8, 8]
        blocks:
          gate:
            params: {convolve: bool}
            layers:
              - if:
                  cond: =convolve
                  then: [conv: {name: body, out_channels: 4, kernel_size: 3, padding: 1}]
                  else: [identity: {name: body}]
              - relu: {name: act}
              - add: {from: [act, input]}
        layers: [gate: {convolve: true}, gate: {convolve: false}]
        """
    source = run_equal(text, tmp_path, (4, 8, 8))
    assert "class Gate1(nn.Module):" in source
    assert "an activation runs in place at some calls only" in " ".join(source.split())


def test_a_block_of_two_inputs_takes_the_channels_of_each(tmp_path: Path) -> None:
    """The U-Net's up: torchvision-style ``Up(in_channels, skip_channels, *, out_channels)``,
    its forward reading both tensors; the network passes the channels at each call."""
    graph = archspec.compile("specs/unet.yaml", input=[1, 32, 32])
    source, module = emitted(graph, tmp_path)
    assert "self, in_channels: int, skip_channels: int, *, out_channels: int" in source
    assert "def forward(self, input: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:" in source
    assert "self.up1 = Up(1024, 512, out_channels=512)" in source and "class Up1" not in source
    built = archspec.build(graph)
    module.load_state_dict(built.state_dict())
    given = inputs(graph)
    with torch.no_grad():
        assert torch.equal(module.eval()(given[0]), built.eval()(given[0]))
    assert_same(training_step(module, given), training_step(built, given))


@st.composite
def block_of_drawn_dataflow(draw: st.DrawFn) -> dict[str, Any]:
    """A network that calls, twice where it can, a block whose body is a drawn dataflow
    (layers that read any earlier tensor, merges of two or three)."""
    drawn = draw(dataflow_spec_data())
    block: dict[str, Any] = {"layers": drawn["layers"], "outputs": drawn["outputs"]}
    network: dict[str, Any] = {
        "archspec": 1,
        "name": "drawn",
        "input": drawn["input"],
        "blocks": {"flow": block},
    }
    network["layers"] = [{"flow": {"name": "first"}}]
    if len(drawn["outputs"]) > 1:
        network["outputs"] = [f"first.{name}" for name in drawn["outputs"]]
    elif draw(st.booleans()):
        network["layers"].append({"flow": {"name": "second"}})
    return network


# drawn layers often refuse their input (E300 …): those draws are discarded
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(block_of_drawn_dataflow())
def test_a_drawn_dataflow_block_emits_the_module_build_makes(data: dict[str, Any]) -> None:
    """Generic or written out per call, the file's module is build's: same state_dict
    keys and shapes, the same outputs."""
    text = as_yaml(data)
    note(text)
    try:
        graph = archspec.compile(archspec.loads(text, "drawn.yaml"))
        built = archspec.build(graph)
    except SpecError:
        assume(False)
        raise
    source = emit_source(graph)
    note(source)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "drawn_module.py"
        path.write_text(source)
        module = getattr(load_module(path), network_class_name(graph))()
    module.load_state_dict(built.state_dict())
    given = inputs(graph)
    with torch.no_grad():
        ours, theirs = module.eval()(*given), built.eval()(*given)
    ours = ours if isinstance(ours, dict) else {"": ours}
    theirs = theirs if isinstance(theirs, dict) else {"": theirs}
    assert list(ours) == list(theirs)
    for key in ours:
        assert torch.equal(ours[key], theirs[key])
