"""The six networks of the seed document, as specs, checked against d2l's own code.

Each d2l module below is written exactly as the seed document builds it
(nn.Sequential, vgg_block, nin_block, Inception, Residual, resnet_block), with
the seed's two typos fixed (AlexNet's first conv has 96 output channels, and
its classifier is d2l's full one). For LeNet with BatchNorm, nn.BatchNorm2d and
nn.BatchNorm1d stand in for d2l's hand-made BatchNorm. The expected shapes are
the ones the seed prints, after the batch dim.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from archspec.cli import main
from tests.d2l import alexnet, googlenet, lenet_bn, nin, resnet18, vgg11

SPECS = Path(__file__).resolve().parent.parent / "specs"
BATCH = 2


# The hand-written d2l networks live in tests/d2l.py, which the benchmarks
# share: alexnet, vgg11, nin, googlenet, lenet_bn, resnet18.


# --- what the seed prints (dims after the batch) ----------------------------------

SEED_SHAPES: dict[str, list[tuple[int, ...]]] = {
    "alexnet": [
        (96, 54, 54),  # Conv2d
        (96, 54, 54),  # ReLU
        (96, 26, 26),  # MaxPool2d
        (256, 26, 26),  # Conv2d
        (256, 26, 26),  # ReLU
        (256, 12, 12),  # MaxPool2d
        (384, 12, 12),  # Conv2d
        (384, 12, 12),  # ReLU
        (384, 12, 12),  # Conv2d
        (384, 12, 12),  # ReLU
        (256, 12, 12),  # Conv2d
        (256, 12, 12),  # ReLU
        (256, 5, 5),  # MaxPool2d
        (6400,),  # Flatten
        (4096,),  # Linear
        (4096,),  # ReLU
        (4096,),  # Dropout
        (4096,),  # Linear
        (4096,),  # ReLU
        (4096,),  # Dropout
        (10,),  # Linear
    ],
    "vgg11": [
        (64, 112, 112),  # Sequential
        (128, 56, 56),  # Sequential
        (256, 28, 28),  # Sequential
        (512, 14, 14),  # Sequential
        (512, 7, 7),  # Sequential
        (25088,),  # Flatten
        (4096,),  # Linear
        (4096,),  # ReLU
        (4096,),  # Dropout
        (4096,),  # Linear
        (4096,),  # ReLU
        (4096,),  # Dropout
        (10,),  # Linear
    ],
    "nin": [
        (96, 54, 54),  # Sequential
        (96, 26, 26),  # MaxPool2d
        (256, 26, 26),  # Sequential
        (256, 12, 12),  # MaxPool2d
        (384, 12, 12),  # Sequential
        (384, 5, 5),  # MaxPool2d
        (384, 5, 5),  # Dropout
        (10, 5, 5),  # Sequential
        (10, 1, 1),  # AdaptiveAvgPool2d
        (10,),  # Flatten
    ],
    "googlenet": [
        (64, 24, 24),  # Sequential
        (192, 12, 12),  # Sequential
        (480, 6, 6),  # Sequential
        (832, 3, 3),  # Sequential
        (1024,),  # Sequential
        (10,),  # Linear
    ],
    # The seed shows LeNet-BN's code but prints no shapes: these are d2l's
    # LeNet shapes on 28x28 inputs (BatchNorm and Sigmoid keep the shape).
    "lenet_bn": [
        (6, 24, 24),  # Conv2d
        (6, 24, 24),  # BatchNorm2d
        (6, 24, 24),  # Sigmoid
        (6, 12, 12),  # AvgPool2d
        (16, 8, 8),  # Conv2d
        (16, 8, 8),  # BatchNorm2d
        (16, 8, 8),  # Sigmoid
        (16, 4, 4),  # AvgPool2d
        (256,),  # Flatten
        (120,),  # Linear
        (120,),  # BatchNorm1d
        (120,),  # Sigmoid
        (84,),  # Linear
        (84,),  # BatchNorm1d
        (84,),  # Sigmoid
        (10,),  # Linear
    ],
    "resnet18": [
        (64, 56, 56),  # Sequential
        (64, 56, 56),  # Sequential
        (128, 28, 28),  # Sequential
        (256, 14, 14),  # Sequential
        (512, 7, 7),  # Sequential
        (512, 1, 1),  # AdaptiveAvgPool2d
        (512,),  # Flatten
        (10,),  # Linear
    ],
}

# name: (d2l constructor, input dims after the batch, parameter count)
NETWORKS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], int]] = {
    "alexnet": (alexnet, (1, 224, 224), 46_764_746),
    "vgg11": (vgg11, (1, 224, 224), 128_806_154),
    "nin": (nin, (1, 224, 224), 1_992_166),
    "googlenet": (googlenet, (1, 96, 96), 5_977_530),
    "lenet_bn": (lenet_bn, (1, 28, 28), 44_878),
    "resnet18": (resnet18, (1, 224, 224), 11_178_378),
}
NAMES = list(NETWORKS)


def spec_path(name: str) -> Path:
    return SPECS / f"{name}.yaml"


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def d2l_nets() -> dict[str, nn.Module]:
    """Each d2l network built once for the module (VGG-11 alone has 129M weights)."""
    torch.manual_seed(0)
    return {name: make() for name, (make, _, _) in NETWORKS.items()}


@pytest.fixture(scope="module")
def graphs() -> dict[str, archspec.Graph]:
    return {name: archspec.compile(spec_path(name)) for name in NAMES}


# --- the tests ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count(name, graphs, d2l_nets):
    expected = NETWORKS[name][2]
    assert graphs[name].num_params == expected
    assert count(d2l_nets[name]) == expected


@pytest.mark.parametrize("name", NAMES)
def test_input_is_the_seeds(name, graphs):
    assert tuple(graphs[name].input_shape[1:]) == NETWORKS[name][1]


@pytest.mark.parametrize("name", NAMES)
def test_built_module_computes_what_d2l_computes(name, graphs, d2l_nets):
    reference = d2l_nets[name]
    built = archspec.build(graphs[name])
    assert count(built) == count(reference)
    ours, theirs = built.state_dict(), reference.state_dict()
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]
    built.load_state_dict(dict(zip(ours.keys(), theirs.values(), strict=True)))
    built.eval()
    reference.eval()
    x = torch.randn(BATCH, *NETWORKS[name][1], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(built(x), reference(x))


@pytest.mark.parametrize("name", NAMES)
def test_top_level_shapes_are_the_seeds(name, graphs):
    roots = graphs[name].roots
    assert [tuple(layer.output_shape[1:]) for layer in roots] == SEED_SHAPES[name]
    assert all(str(layer.output_shape[0]) == "N" for layer in roots)


@pytest.mark.parametrize("name", NAMES)
def test_inferred_shapes_equal_the_forward_pass(name, graphs, d2l_nets):
    """Run d2l's module layer by layer, as the seed does, against the inferred shapes."""
    net = d2l_nets[name]
    net.eval()
    roots = graphs[name].roots
    assert len(net) == len(roots)
    x = torch.rand(BATCH, *NETWORKS[name][1])
    with torch.no_grad():
        for layer, info in zip(net, roots, strict=True):
            x = layer(x)
            assert tuple(x.shape) == (BATCH, *info.output_shape[1:]), info.path


def test_seed_typo_is_reported_at_the_in_channels_line(capsys):
    path = SPECS / "examples" / "alexnet_seed_typo.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    (line,) = [i for i, text in enumerate(lines, 1) if text.strip().startswith("in_channels:")]
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"alexnet_seed_typo.yaml:{line}:" in err
    assert "96" in err.replace("966", "")
    assert "966" in err


def test_nin_symbolic_input_smallest_size():
    graph = archspec.compile(spec_path("nin"), input=[1, "H", "W"])
    assert [str(d) for d in graph.output_shape] == ["N", "10"]
    assert graph.min_sizes == {"H": 67, "W": 67}
    net = archspec.build(graph).eval()
    with torch.no_grad():
        assert tuple(net(torch.rand(1, 1, 67, 67)).shape) == (1, 10)
        with pytest.raises(RuntimeError):
            net(torch.rand(1, 1, 66, 66))
