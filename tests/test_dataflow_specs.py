"""specs/unet.yaml and specs/fpn_resnet50.yaml: long skips and several outputs, written
with named tensors; their exact sets of valid input sizes, against real forward passes."""

from __future__ import annotations

import pytest
import torch

import archspec

torch.set_num_threads(1)


def runs(net: torch.nn.Module, height: int, width: int, channels: int) -> bool:
    try:
        with torch.no_grad():
            net(torch.zeros(1, channels, height, width))
    except RuntimeError:
        return False
    return True


@pytest.fixture(scope="module")
def unet() -> torch.nn.Module:
    return archspec.build("specs/unet.yaml").eval()


def test_unet_valid_sizes_are_the_multiples_of_16() -> None:
    graph = archspec.compile("specs/unet.yaml")
    assert str(graph.valid_sizes["H"]) == "H ≥ 16, H divisible by 16"
    assert str(graph.valid_sizes["W"]) == "W ≥ 16, W divisible by 16"
    assert graph.min_sizes == {"H": 16, "W": 16}
    assert graph.num_params == 31_036_546


def test_unet_runs_exactly_at_its_valid_sizes(unet: torch.nn.Module) -> None:
    sizes = archspec.compile("specs/unet.yaml").valid_sizes["H"]
    for height in range(1, 50):
        assert runs(unet, height, 16, 1) == (height in sizes), height


def test_unet_output_has_the_input_size(unet: torch.nn.Module) -> None:
    graph = archspec.compile("specs/unet.yaml", [1, 48, 32])
    assert graph.output_shape[1:] == (2, 48, 32)
    with torch.no_grad():
        assert unet(torch.zeros(1, 1, 48, 32)).shape == (1, 2, 48, 32)
    assert [name for name, _ in unet.named_children()][:3] == ["inc", "pool1", "down1"]


def test_unet_skips_are_read_by_name() -> None:
    graph = archspec.compile("specs/unet.yaml", [1, 32, 32])
    up1 = next(layer for layer in graph.roots if layer.name == "up1")
    assert up1.sources == ("bottom", "down3") and up1.input_names == ("input", "skip")


@pytest.fixture(scope="module")
def fpn() -> torch.nn.Module:
    return archspec.build("specs/fpn_resnet50.yaml").eval()


def test_fpn_returns_three_named_maps(fpn: torch.nn.Module) -> None:
    graph = archspec.compile("specs/fpn_resnet50.yaml")
    shapes = {name: shape[1:] for name, shape in graph.output_shapes.items()}
    assert shapes == {"p3": (256, 28, 28), "p4": (256, 14, 14), "p5": (256, 7, 7)}
    with torch.no_grad():
        out = fpn(torch.zeros(1, 3, 224, 224))
    assert {name: tuple(t.shape[1:]) for name, t in out.items()} == shapes


def test_fpn_body_has_torchvision_s_resnet50_keys(fpn: torch.nn.Module) -> None:
    from tests.torchvision_models import zoo

    body = zoo()["resnet50"]()
    keys = [k for k in body.state_dict() if not k.startswith("fc.")]
    assert [k for k in fpn.state_dict() if k.split(".")[0] in {k.split(".")[0] for k in keys}] == keys


def test_fpn_runs_exactly_at_its_valid_sizes(fpn: torch.nn.Module) -> None:
    sizes = archspec.compile("specs/fpn_resnet50.yaml", [3, "H", "W"]).valid_sizes["H"]
    for height in range(1, 72):
        assert runs(fpn, height, 64, 3) == (height in sizes), height
