"""The torchvision zoo (specs/torchvision/), written in YAML only, against the real torchvision.

For each network, against torchvision's own model (tests/torchvision_models.py): the
parameter count is torchvision's published one; the smallest input side that archspec
infers is the one where torchvision's model starts to run; the built module's parameters
and buffers have torchvision's names and shapes, in torchvision's order; and after
loading torchvision's state_dict by name (strict), both give the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import torch
import yaml
from torch import nn

import archspec
from archspec.emit.jsonschema import spec_json_schema
from tests.torchvision_models import zoo

ZOO = Path(__file__).resolve().parent.parent / "specs" / "torchvision"

# name: (parameters, smallest input side), as torchvision documents them
EXPECTED = {
    "alexnet": (61_100_840, 63),
    "vgg16": (138_357_544, 32),
    "vgg16_bn": (138_365_992, 32),
    "googlenet": (6_624_904, 15),
    "inception_v3": (23_834_568, 75),
    "resnet18": (11_689_512, 1),
    "resnet50": (25_557_032, 1),
    "resnext50_32x4d": (25_028_904, 1),
    "densenet121": (7_978_856, 29),
    "shufflenet_v2_x1_0": (2_278_604, 1),
    "squeezenet1_1": (1_235_496, 17),
    "mnasnet1_0": (4_383_312, 1),
    "mobilenet_v2": (3_504_872, 1),
    "wide_resnet50_2": (68_883_240, 1),
    "efficientnet_b0": (5_288_548, 1),
    "efficientnet_b1": (7_794_184, 1),
    "efficientnet_v2_s": (21_458_488, 1),
    "convnext_tiny": (28_589_128, 32),
    "mobilenet_v3_large": (5_483_032, 1),
    "mobilenet_v3_small": (2_542_856, 1),
    "regnet_x_400mf": (5_495_976, 1),
    "regnet_x_800mf": (7_259_656, 1),
    "regnet_y_400mf": (4_344_144, 1),
    "vit_b_16": (86_567_656, 224),
    "swin_t": (28_288_354, 4),
}

torch.set_num_threads(2)


@dataclass
class Pair:
    name: str
    path: Path
    reference: nn.Module
    built: nn.Module


def randomize_batchnorm(model: nn.Module, generator: torch.Generator) -> None:
    """Give every batch norm non-trivial statistics and affine weights, so that a
    misplaced one changes the output (freshly built, each is the identity in eval mode)."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            n = module.num_features
            with torch.no_grad():
                module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.1 * torch.randn(n, generator=generator))


def randomize_zeros(model: nn.Module, generator: torch.Generator) -> None:
    """Give every all-zero parameter random values: torchvision starts ViT's head (and its
    class token) at zeros, which would make every output 0 and the comparison empty."""
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.any():
                parameter.copy_(0.02 * torch.randn(parameter.shape, generator=generator))


@pytest.fixture(scope="module", params=list(EXPECTED))
def pair(request: pytest.FixtureRequest) -> Pair:
    """Each network once per module: the reference model and archspec's, both in eval mode."""
    name = request.param
    torch.manual_seed(0)
    reference = zoo()[name]().eval()
    randomize_batchnorm(reference, torch.Generator().manual_seed(1))
    randomize_zeros(reference, torch.Generator().manual_seed(3))
    path = ZOO / f"{name}.yaml"
    return Pair(name, path, reference, archspec.build(path).eval())


def test_every_spec_of_the_zoo_is_tested() -> None:
    assert sorted(p.stem for p in ZOO.glob("*.yaml")) == sorted(EXPECTED)


def test_parameter_count_is_torchvisions(pair: Pair) -> None:
    expected, _ = EXPECTED[pair.name]
    assert archspec.compile(pair.path).num_params == expected
    assert sum(p.numel() for p in pair.reference.parameters()) == expected
    assert sum(p.numel() for p in pair.built.parameters()) == expected


def side(path: Path) -> int:
    """The side of the spec's square input, as torchvision's model takes it: 224, or 299 for Inception v3."""
    return archspec.compile(path).input_shape[-1]


def test_output_is_1000_classes_at_the_input_side(pair: Pair) -> None:
    graph = archspec.compile(pair.path)
    assert graph.input_shape[1:] == (3, side(pair.path), side(pair.path))
    assert graph.output_shape[1:] == (1000,)


def runs(model: nn.Module, height: int, width: int) -> bool:
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, height, width))
    except (RuntimeError, AssertionError):  # ViT asserts its image size (torch._assert)
        return False
    return True


def test_min_sizes_are_the_smallest_sides_torchvision_runs_at(pair: Pair) -> None:
    _, side = EXPECTED[pair.name]
    graph = archspec.compile(pair.path, input=[3, "H", "W"])
    assert graph.min_sizes == {"H": side, "W": side}
    # The reference model runs at side x side, and not one pixel below on either axis.
    assert runs(pair.reference, side, side)
    if side > 1:
        assert not runs(pair.reference, side - 1, side)
        assert not runs(pair.reference, side, side - 1)
    assert runs(pair.built, side, side)


def test_parameters_and_buffers_come_in_torchvisions_order(pair: Pair) -> None:
    ours = [tuple(v.shape) for v in pair.built.state_dict().values()]
    theirs = [tuple(v.shape) for v in pair.reference.state_dict().values()]
    assert ours == theirs
    # Parameters alone, too (buffers sit between them in a state_dict).
    assert [p.shape for p in pair.built.parameters()] == [p.shape for p in pair.reference.parameters()]
    # Every module is named as torchvision names it: the keys are equal, in order.
    assert list(pair.built.state_dict()) == list(pair.reference.state_dict())


def test_a_torchvision_state_dict_loads_by_name_and_gives_the_same_outputs(pair: Pair) -> None:
    pair.built.load_state_dict(pair.reference.state_dict(), strict=True)
    x = torch.randn(1, 3, side(pair.path), side(pair.path), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        theirs = pair.reference(x)
        ours = pair.built(x)
    assert theirs.shape == (1, 1000)
    assert theirs.abs().max() > 0  # a real comparison, not of two zero tensors
    torch.testing.assert_close(ours, theirs)


def test_block_files_validate_against_the_block_schema() -> None:
    """The block files of archspec's library are not specs (no name, input or layers), so
    the spec schema skips them; their blocks follow the schema's block definition."""
    schema = spec_json_schema()
    library = {
        "$defs": schema["$defs"],
        "type": "object",
        "additionalProperties": False,
        "required": ["blocks"],
        "properties": {
            "archspec": schema["properties"]["archspec"],
            "description": schema["properties"]["description"],
            "imports": schema["properties"]["imports"],
            "blocks": schema["properties"]["blocks"],
        },
    }
    # archspec's library @torchvision, as the installed package holds it
    files = sorted(resources.files("archspec").joinpath("library", "torchvision").iterdir(), key=str)
    assert files
    validator = jsonschema.Draft202012Validator(library)
    for path in files:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))) == [], path


# --- the transformers: an input side fixed by the position embedding, and attention's MACs ---


def test_vit_takes_exactly_its_image_size() -> None:
    graph = archspec.compile(ZOO / "vit_b_16.yaml", input=[3, "H", "W"])
    assert {name: str(sizes) for name, sizes in graph.valid_sizes.items()} == {"H": "H = 224", "W": "W = 224"}
    reference = zoo()["vit_b_16"]().eval()
    assert runs(reference, 224, 224)
    assert not runs(reference, 239, 224)  # 14 patches too, but torchvision asserts the size


@pytest.mark.parametrize("name", ["vit_b_16", "swin_t"])
def test_macs_are_half_of_pytorchs_flop_count_of_the_torchvision_model(name: str) -> None:
    """On the meta device, where the attention runs as matmuls that the counter counts
    (torch's fused CPU attention kernels it does not count)."""
    from torch.utils.flop_counter import FlopCounterMode

    graph = archspec.compile(ZOO / f"{name}.yaml")
    with torch.device("meta"):
        reference = zoo()[name]().eval()
        x = torch.empty(1, *graph.input.dims)
    with FlopCounterMode(display=False) as counter:
        reference(x)
    assert counter.get_total_flops() == 2 * graph.num_macs


@pytest.fixture(scope="module")
def swin() -> tuple[nn.Module, nn.Module]:
    """torchvision's swin_t and archspec's with its weights, in eval mode."""
    torch.manual_seed(0)
    reference = zoo()["swin_t"]().eval()
    built = archspec.build(ZOO / "swin_t.yaml").eval()
    built.load_state_dict(reference.state_dict(), strict=True)
    return reference, built


@pytest.mark.parametrize(("height", "width"), [(4, 4), (4, 37), (31, 17), (69, 50)])
def test_swin_runs_and_agrees_at_every_side_from_4(
    swin: tuple[nn.Module, nn.Module], height: int, width: int
) -> None:
    """Swin pads each stage's map to whole windows and skips the shift along an axis
    whose padded side is one window: archspec's valid sizes (H ≥ 4, W ≥ 4) are the sizes
    torchvision's forward accepts, and the outputs agree there, not at 224 only (a map
    one patch high, shifted along W only; sides that pad in every stage)."""
    graph = archspec.compile(ZOO / "swin_t.yaml", input=[3, "H", "W"])
    assert {name: str(sizes) for name, sizes in graph.valid_sizes.items()} == {"H": "H ≥ 4", "W": "W ≥ 4"}
    reference, built = swin
    x = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(built(x), reference(x))
