"""archspec.from_module: the round trip of every network the importer covers.

import → build gives the module's parameter count, state_dict keys (in order) and
outputs for the module's own weights (loaded strict, eval mode), and a second import of
a new instance writes the same bytes (tests/importer/roundtrip.py). The d2l and
torchvision networks take seconds each: slow, except the smallest.
"""

from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import archspec
from tests import d2l
from tests.importer.roundtrip import round_trip
from tests.torchvision_models import zoo

D2L_INPUTS = {
    "alexnet": (1, 224, 224),
    "vgg11": (1, 224, 224),
    "nin": (1, 224, 224),
    "googlenet": (1, 96, 96),
    "lenet_bn": (1, 28, 28),
    "resnet18": (1, 96, 96),
}


class Stem(nn.Module):
    """A chain with functional calls, a skip by name and a concat."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.side = nn.Conv2d(3, 8, 1)
        self.head = nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn(self.conv(x)))
        y = torch.cat([y, self.side(x)], dim=1)
        y = F.adaptive_avg_pool2d(y, (1, 1))
        return self.head(y.view(y.size(0), -1))


class Twice(nn.Module):
    """Two instances of one class that differ in values only: one block with parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.a = Unit(3, 8, 1)
        self.b = Unit(8, 16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.b(self.a(x)), 1)


class Unit(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class MeanHead(nn.Module):
    """A global pool written as a mean over the spatial dims (MNASNet's, ShuffleNetV2's)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).mean([2, 3]))


def test_a_mean_over_the_spatial_dims_is_a_global_pool_and_a_flatten() -> None:
    text = round_trip(MeanHead, (3, 8, 8), "mean_head")
    assert "  - global_avgpool\n  - flatten\n  - linear: {name: fc, out_features: 2}\n" in text


class Scaled(nn.Module):
    """A learned tensor of the module itself, read by a mul (ConvNeXt's layer scale)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.scale = nn.Parameter(torch.full((4, 1, 1), 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.conv(x)


def test_a_parameter_of_the_module_itself_is_a_parameter_layer() -> None:
    text = round_trip(Scaled, (3, 4, 4), "scaled")
    assert "- parameter: {name: scale, shape: [4, 1, 1], init: 1.0e-06}" in text
    assert "- mul: {from: [scale, conv]}" in text


class Grow(nn.Module):
    """A layer called on the list of every earlier output (DenseNet's dense layers)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, 2, 1)

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return self.conv(torch.cat(inputs, 1))


class Dense(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = Grow(3)
        self.b = Grow(5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in (self.a, self.b):
            features.append(layer(features))
        return torch.cat(features, 1)


def test_a_module_called_on_a_list_of_tensors_is_a_block_with_several_inputs() -> None:
    text = round_trip(Dense, (3, 4, 4), "dense")
    assert "    inputs: [input, input_1]\n" in text
    assert "- grow_2: {name: b, from: [input, a]}" in text
    assert "- identity: {from: input}" in text  # torch.cat of one tensor


def test_functional_calls_and_named_tensors_round_trip() -> None:
    text = round_trip(Stem, (3, 8, 8), "stem")
    assert "concat: {from: [relu, side]}" in text
    assert "- conv: {name: side, from: input, out_channels: 8, kernel_size: 1}" in text
    assert "global_avgpool" in text and "flatten" in text


def test_instances_that_differ_in_values_are_one_block_with_parameters() -> None:
    text = round_trip(Twice, (3, 8, 8), "twice")
    assert "  unit:\n" in text
    assert "params: {out_channels: int, stride: int}" in text
    assert "- unit: {name: a, out_channels: 8, stride: 1}" in text
    assert "- unit: {name: b, out_channels: 16, stride: 2}" in text


def test_the_text_validates_without_torch_rules_and_says_it_ran_code() -> None:
    text = archspec.from_module(d2l.lenet_bn(), (1, 28, 28), name="lenet_bn")
    assert archspec.loads(text).name == "lenet_bn"
    assert "ran the module's Python" in text


def test_an_example_tensor_and_dims_give_the_same_spec() -> None:
    torch.manual_seed(0)
    net = d2l.lenet_bn()
    assert archspec.from_module(net, torch.randn(2, 1, 28, 28)) == archspec.from_module(net, (1, 28, 28))


def test_the_module_keeps_its_mode() -> None:
    net = d2l.lenet_bn().train()
    archspec.from_module(net, (1, 28, 28))
    assert all(m.training for m in net.modules())


def test_d2l_lenet_bn_round_trips() -> None:
    round_trip(d2l.lenet_bn, D2L_INPUTS["lenet_bn"], "lenet_bn")


# Each round trip traces, writes, compiles and builds a whole network twice: seconds to a
# minute each. Every run takes one network of each way the importer reads code (plain
# sequences, residual blocks, modules called on lists, chunk and shuffle, inverted
# residuals, inception branches); the thorough profile (ARCHSPEC_HYPOTHESIS_PROFILE=thorough)
# takes them all.
THOROUGH = os.environ.get("ARCHSPEC_HYPOTHESIS_PROFILE") == "thorough"
D2L_ROUND_TRIPS = [n for n in d2l.NETWORKS if n != "lenet_bn" and (THOROUGH or n == "googlenet")]


@pytest.mark.slow
@pytest.mark.parametrize("name", D2L_ROUND_TRIPS)
def test_d2l_networks_round_trip(name: str) -> None:
    round_trip(d2l.NETWORKS[name], D2L_INPUTS[name], name)


# Every network of specs/torchvision/ (tests/torchvision_models.py's zoo).
TORCHVISION = [
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "squeezenet1_1",
    "googlenet",
    "mobilenet_v2",
    "mnasnet1_0",
    "shufflenet_v2_x1_0",
    "mobilenet_v3_small",
    "efficientnet_b0",
    "resnext50_32x4d",
    "regnet_x_400mf",
    "inception_v3",
    "convnext_tiny",
    "vgg16_bn",
    "mobilenet_v3_large",
    "efficientnet_b1",
    "regnet_y_400mf",
    "densenet121",
    "wide_resnet50_2",
    "efficientnet_v2_s",
    "regnet_x_800mf",
]


TORCHVISION_ROUND_TRIPS = (
    TORCHVISION if THOROUGH else ["alexnet", "resnet18", "densenet121", "shufflenet_v2_x1_0", "mobilenet_v2"]
)


@pytest.mark.slow
@pytest.mark.parametrize("name", TORCHVISION_ROUND_TRIPS)
def test_torchvision_networks_round_trip(name: str) -> None:
    make = zoo()[name]
    if name == "googlenet":  # as the brief's and the spec's: no aux heads, torchvision's init

        def make() -> nn.Module:
            from torchvision import models

            return models.googlenet(weights=None, aux_logits=False, init_weights=True)

    round_trip(make, (3, 299, 299) if name == "inception_v3" else (3, 224, 224), name)
