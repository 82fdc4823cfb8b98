"""In-place activations (archspec/emit/inplace.py): where archspec runs one in place, the
network computes exactly what it computes with every activation out of place.

Each comparison runs a training step (train mode, forward and backward, dropout drawn
from the same seed) twice: on the module as archspec makes it, and on a copy with every
``inplace`` turned off. The outputs, the input's gradient and every parameter's gradient
must be equal bit for bit, autograd must raise nothing (it raises where an in-place op
overwrites a tensor the backward needs), and the input must be left as it was.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, assume, given, note, settings
from torch import nn

import archspec
from archspec.compiler.graph import Graph
from archspec.diagnostics import SpecError
from archspec.emit.source import emit_source, network_class_name
from archspec.primitives.registry import primitives
from tests.emit.test_source import load_module
from tests.primitives.cases import all_cases
from tests.primitives.oracle import layers_spec
from tests.strategies import as_yaml, dataflow_spec_data, spec_data

BROKEN = {"alexnet_seed_typo"}  # an example of an error message: it does not compile
SPECS = sorted(p for p in Path("specs").rglob("*.yaml") if "blocks" not in p.parts and p.stem not in BROKEN)
# Every run trains these networks (each kind of list: sequences, branches, generic and
# written-out blocks, named tensors, splits, gates); the thorough profile
# (ARCHSPEC_HYPOTHESIS_PROFILE=thorough) every spec (some minutes on 2 cores).
FAST = {
    f"specs/{name}.yaml"
    for name in (
        "lenet_bn",
        "resnet18",
        "googlenet",
        "unet",
        "text_classifier",
        "torchvision/resnet50",
        "torchvision/mobilenet_v3_small",
        "torchvision/shufflenet_v2_x1_0",
    )
}
TRAINED = [
    spec
    for spec in SPECS
    if spec.as_posix() in FAST or os.environ.get("ARCHSPEC_HYPOTHESIS_PROFILE") == "thorough"
]
BATCH = 2  # batchnorm in training needs more than one value per channel


def without_in_place(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with every activation out of place."""
    twin = copy.deepcopy(module)
    for part in twin.modules():
        if getattr(part, "inplace", False) is True:
            part.inplace = False
    return twin


def in_place_count(module: nn.Module) -> int:
    return sum(getattr(part, "inplace", False) is True for part in module.modules())


def inputs(graph: Graph, seed: int = 0) -> list[torch.Tensor]:
    """A batch for each of the network's inputs (token ids where it reads integers)."""
    generator = torch.Generator().manual_seed(seed)
    made = []
    for shape in graph.inputs.values() or [graph.input]:
        dims = [d if isinstance(d, int) else graph.min_sizes[str(d)] for d in shape.dims]
        if shape.integer:
            made.append(torch.randint(0, 2, (BATCH, *dims), generator=generator))
        else:
            made.append(torch.randn(BATCH, *dims, generator=generator, requires_grad=True))
    return made


def training_step(module: nn.Module, given: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Outputs and gradients of one step (dropout drawn from seed 0)."""
    xs = [x.detach().clone().requires_grad_(x.requires_grad) for x in given]
    module.train()
    torch.manual_seed(0)
    out = module(*xs)
    outputs = list(out.values()) if isinstance(out, dict) else [out]
    sum((o * o).sum() for o in outputs).backward()
    for before, x in zip(given, xs, strict=True):
        assert torch.equal(before.detach(), x.detach()), "the network's input was overwritten"
    found = {f"output {i}": o.detach() for i, o in enumerate(outputs)}
    found |= {f"input {i}": x.grad for i, x in enumerate(xs) if x.grad is not None}
    found |= {f"grad {name}": p.grad for name, p in module.named_parameters() if p.grad is not None}
    return found


def assert_same_step(module: nn.Module, given: list[torch.Tensor]) -> None:
    assert_same(training_step(module, given), training_step(without_in_place(module), given))


def assert_same(found: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    assert list(found) == list(expected)
    different = [key for key in found if not torch.equal(found[key], expected[key])]
    assert not different, f"in place changes {different}"


def small_graph(spec: Path) -> Graph:
    """The spec compiled at a small input where it accepts one (the module is the same
    but for the sizes, and the in-place choice does not depend on them)."""
    graph = archspec.compile(spec)
    if graph.input.integer or len(graph.inputs) > 1:
        return graph
    channels, spatial = graph.input.dims[0], len(graph.input.dims) - 1
    for side in (32, 64, 96, 128):
        try:
            return archspec.compile(spec, input=[channels, *[side] * spatial])
        except SpecError:
            continue
    return graph


@pytest.mark.parametrize("spec", TRAINED, ids=str)
def test_built_and_emitted_networks_train_the_same_in_place(spec: Path, tmp_path: Path) -> None:
    """archspec.build's network and the file compile -o writes (with its weights), each
    against the built network with every activation out of place."""
    graph = small_graph(spec)
    built = archspec.build(graph)
    path = tmp_path / "model.py"
    path.write_text(emit_source(graph))
    emitted = getattr(load_module(path), network_class_name(graph))()
    emitted.load_state_dict(built.state_dict())
    assert in_place_count(emitted) == in_place_count(built)
    given = inputs(graph)
    expected = training_step(without_in_place(built), given)
    assert_same(training_step(built, given), expected)
    assert_same(training_step(emitted, given), expected)


def test_resnet50_runs_its_relus_in_place_as_torchvision_does() -> None:
    """Every ReLU of torchvision's ResNet-50 is in place; archspec's are too."""
    module = archspec.build("specs/torchvision/resnet50.yaml")
    relus = [m for m in module.modules() if isinstance(m, nn.ReLU)]
    assert relus and all(m.inplace for m in relus)


RESIDUAL = """\
archspec: 1
name: residual
input: [4, 6, 6]
layers:
  - conv: {name: stem, out_channels: 4, kernel_size: 3, padding: 1}
  - sequential:
      name: block
      layers:
        - relu: {name: first}
        - conv: {name: conv, out_channels: 4, kernel_size: 3, padding: 1}
        - relu: {name: second}
        - add: {name: join, from: [second, input]}
        - relu: {name: last}
"""


def test_a_branch_that_starts_with_relu_leaves_the_identity_alone() -> None:
    """The block's first relu reads the block's input, which the shortcut adds later:
    it stays out of place; the one after the conv and the one after the add run in place."""
    graph = archspec.compile(archspec.loads(RESIDUAL, "residual.yaml"))
    module = archspec.build(graph)
    block = module.block
    assert (block.first.inplace, block.second.inplace, block.last.inplace) == (False, True, True)
    x = torch.randn(BATCH, 4, 6, 6)
    stem = module.stem(x)
    expected = torch.relu(torch.relu(block.conv(torch.relu(stem))) + stem)
    torch.testing.assert_close(module(x), expected, rtol=0, atol=0)
    assert_same_step(module, inputs(graph))


def test_a_relu_whose_input_is_read_twice_stays_out_of_place() -> None:
    spec = RESIDUAL.replace("from: [second, input]", "from: [conv, second]")
    module = archspec.build(archspec.loads(spec, "read_twice.yaml"))
    assert not module.block.second.inplace  # conv's output is read by the add as well
    assert module.block.last.inplace


def test_a_negative_leaky_slope_stays_out_of_place() -> None:
    """torch refuses an in-place leaky_relu's backward for a negative slope."""
    spec = "archspec: 1\nname: n\ninput: [3, 8, 8]\nlayers:\n  - conv: {out_channels: 4, kernel_size: 3}\n"
    for slope, expected in ((0.2, True), (0.0, True), (-0.2, False)):
        text = spec + f"  - leaky_relu: {{negative_slope: {slope}}}\n"
        module = archspec.build(archspec.loads(text, "leaky.yaml"))
        assert module[1].inplace is expected


def _same_step_or_discard(data: dict[str, Any]) -> None:
    text = as_yaml(data)
    note(text)
    try:
        graph = archspec.compile(archspec.loads(text, "drawn.yaml"))
        module = archspec.build(graph)
    except SpecError:
        assume(False)
        raise
    given = inputs(graph)
    try:
        training_step(without_in_place(module), given)
    except (RuntimeError, ValueError):
        assume(False)  # PyTorch refuses this network out of place too (test_properties covers it)
    assert_same_step(module, given)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_data())
def test_drawn_networks_train_the_same_in_place(data: dict[str, Any]) -> None:
    _same_step_or_discard(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataflow_spec_data())
def test_drawn_dataflow_networks_train_the_same_in_place(data: dict[str, Any]) -> None:
    _same_step_or_discard(data)


# The declarations, checked against torch on every oracle case of every primitive that
# makes them (tests/primitives/cases.py): a new declaration is tested by construction.
CASES = all_cases()


def _declared(attribute: str) -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name}-{index}")
        for name, primitive in sorted(primitives().items())
        if getattr(primitive, attribute)
        for index, case in enumerate(CASES.get(name, []))
        if all(isinstance(d, int) for d in case.dims)
    ]


@pytest.mark.parametrize(("name", "case"), _declared("overwritable"))
def test_an_overwritable_layer_lets_the_relu_after_it_run_in_place(name: str, case: Any) -> None:
    """Primitive.overwritable: its output is new and its backward never reads it."""
    graph = archspec.compile(archspec.loads(layers_spec([case.layer, "relu"], case.dims, ids=case.ids)))
    module = archspec.build(graph)
    assert module[-1].inplace
    assert_same_step(module, inputs(graph))


@pytest.mark.parametrize(("name", "case"), _declared("in_place"))
def test_an_in_place_activation_saves_its_result_not_a_copy(name: str, case: Any) -> None:
    """Primitive.in_place: the in-place backward reads the result, so in place saves a
    tensor; where ``in_place_if`` refuses the params, the layer stays out of place."""
    producer = {"linear": {"out_features": case.dims[-1]}}  # a new tensor, at any rank
    graph = archspec.compile(archspec.loads(layers_spec([producer, case.layer], case.dims)))
    module = archspec.build(graph)
    primitive = primitives()[name]
    allowed = primitive.in_place_if is None or primitive.in_place_if(graph.roots[-1].params)
    assert module[-1].inplace is allowed
    assert_same_step(module, inputs(graph))
    if allowed:  # the activation alone, on a new tensor: its grad_fn is its own backward
        out = module[-1](inputs(graph)[0] * 1.0)
        saved = [getattr(out.grad_fn, key) for key in dir(out.grad_fn) if key.startswith("_saved_")]
        tensors = [value for value in saved if isinstance(value, torch.Tensor)]
        assert tensors and all(value.data_ptr() == out.data_ptr() for value in tensors)
