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
from torch.nn import functional as F

import archspec
from archspec.cli import main

SPECS = Path(__file__).resolve().parent.parent / "specs"
BATCH = 2


# --- d2l's code, as in the seed ------------------------------------------------


def alexnet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(6400, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 10),
    )


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch):
    conv_blks = []
    in_channels = 1
    for num_convs, out_channels in conv_arch:
        conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(
        *conv_blks,
        nn.Flatten(),
        nn.Linear(out_channels * 7 * 7, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 10),
    )


def vgg11() -> nn.Sequential:
    return vgg(((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)))


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
    )


def nin() -> nn.Sequential:
    return nn.Sequential(
        nin_block(1, 96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(384, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )


class Inception(nn.Module):
    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super().__init__(**kwargs)
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet() -> nn.Sequential:
    b1 = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b2 = nn.Sequential(
        nn.Conv2d(64, 64, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(64, 192, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b3 = nn.Sequential(
        Inception(192, 64, (96, 128), (16, 32), 32),
        Inception(256, 128, (128, 192), (32, 96), 64),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b4 = nn.Sequential(
        Inception(480, 192, (96, 208), (16, 48), 64),
        Inception(512, 160, (112, 224), (24, 64), 64),
        Inception(512, 128, (128, 256), (24, 64), 64),
        Inception(512, 112, (144, 288), (32, 64), 64),
        Inception(528, 256, (160, 320), (32, 128), 128),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b5 = nn.Sequential(
        Inception(832, 256, (160, 320), (32, 128), 128),
        Inception(832, 384, (192, 384), (48, 128), 128),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, 10))


def lenet_bn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5),
        nn.BatchNorm2d(6),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5),
        nn.BatchNorm2d(16),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120),
        nn.BatchNorm1d(120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.BatchNorm1d(84),
        nn.Sigmoid(),
        nn.Linear(84, 10),
    )


class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        # As in the seed, but registered in forward order (the seed registers conv1,
        # conv2, conv3, bn1, bn2): archspec's residual block registers its layers in
        # the order they run, and the state dicts are compared by position.
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(num_channels)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet18() -> nn.Sequential:
    b1 = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, 10))


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
