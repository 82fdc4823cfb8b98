"""Width rules of real networks, written as expressions, against the real torchvision.

EfficientNet scales its widths with ``make_divisible(c * width_mult, 8)`` and its
depths with ``ceil(n * depth_mult)``; RegNet quantises a linear ramp of widths in
log space (``BlockParams.from_init_params``). Each is written here as block
expressions, compiled, and compared with what torchvision 0.28 computes (through
``tests/torchvision_models.py``, which makes ``import torchvision`` work on the CPU
build of torch).
"""

from __future__ import annotations

import itertools
from types import ModuleType

import pytest
from torch import nn

import archspec
from archspec.frontend.expr import evaluate
from tests.torchvision_models import zoo


@pytest.fixture(scope="module")
def models() -> ModuleType:
    zoo()  # puts the stand-in for the one module of torchvision that cannot load
    return pytest.importorskip("torchvision.models")


# make_divisible and round: the functions torchvision's width rules call


def test_make_divisible_is_torchvisions_rule(models: ModuleType) -> None:
    from torchvision.models._utils import _make_divisible

    values = [
        0,
        0.1,
        1,
        3,
        4,
        7.9,
        8,
        11.99,
        12,
        15.2,
        16 * 0.35,
        24 * 1.1,
        91,
        100,
        150,
        1280 * 0.75,
        2**40 + 0.5,
    ]
    for v, divisor, least in itertools.product(values, [1, 3, 8, 16, 128], [None, 0, 8, 16, 20.5]):
        env = {"v": v, "d": divisor, "m": least}
        ours = evaluate("=make_divisible(v, d, min_value=m)", env)
        theirs = _make_divisible(v, divisor, least)
        assert ours == theirs and type(ours) is type(theirs), (v, divisor, least)
        if least is None:
            assert evaluate("=make_divisible(v, d)", env) == theirs


def test_round_rounds_halves_to_even_as_torchvision_relies_on() -> None:
    """RegNet's widths round halves to even (torch.round, Python's round): 2.5 is 2."""
    halves = [i + 0.5 for i in range(-6, 6)]
    assert [evaluate("=round(x)", {"x": x}) for x in halves] == [round(x) for x in halves]
    assert [evaluate("=round(x)", {"x": x}) for x in (0.5, 1.5, 2.5, 3.5)] == [0, 2, 2, 4]


# EfficientNet: widths and depths from the multipliers

EFFICIENTNET = """\
name: {name}
input: [3, 8, 8]
blocks:
  stem:
    params: {{width_mult: float}}
    layers:
      - conv: {{out_channels: "=make_divisible(32 * width_mult, 8)", kernel_size: 1}}
  stage:
    description: A stage of MBConv blocks, reduced to the 1x1 conv that sets its width.
    params: {{base: int, count: int, width_mult: float, depth_mult: float}}
    layers:
      - repeat:
          n: =ceil(count * depth_mult)
          layers:
            - conv: {{out_channels: "=make_divisible(base * width_mult, 8)", kernel_size: 1}}
  head:
    layers:
      - conv: {{out_channels: =4 * in_channels, kernel_size: 1}}
layers:
  - stem: {{width_mult: {width}}}
{stages}
  - head
"""
# torchvision's efficientnet_b* settings: (out_channels, num_layers) of each stage
B_STAGES = [(16, 1), (24, 2), (40, 2), (80, 3), (112, 3), (192, 4), (320, 1)]
MULTIPLIERS = {
    "efficientnet_b0": (1.0, 1.0),
    "efficientnet_b1": (1.0, 1.1),
    "efficientnet_b2": (1.1, 1.2),
    "efficientnet_b3": (1.2, 1.4),
    "efficientnet_b4": (1.4, 1.8),
    "efficientnet_b5": (1.6, 2.2),
    "efficientnet_b6": (1.8, 2.6),
    "efficientnet_b7": (2.0, 3.1),
}


def efficientnet_spec(name: str) -> str:
    width, depth = MULTIPLIERS[name]
    stages = "\n".join(
        f"  - stage: {{base: {c}, count: {n}, width_mult: {width}, depth_mult: {depth}}}" for c, n in B_STAGES
    )
    return EFFICIENTNET.format(name=name, width=width, stages=stages)


def _widths(module: nn.Module) -> list[int]:
    return [m.out_channels for m in module.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("name", sorted(MULTIPLIERS))
def test_efficientnet_widths_and_depths(models: ModuleType, name: str) -> None:
    from torchvision.models.efficientnet import _efficientnet_conf

    width, depth = MULTIPLIERS[name]
    settings, _ = _efficientnet_conf(name, width_mult=width, depth_mult=depth)
    net = archspec.build(archspec.compile(archspec.loads(efficientnet_spec(name), f"{name}.yaml")))
    stem, *stages, head = net.children()
    assert _widths(stem) == [settings[0].input_channels]
    assert [_widths(stage) for stage in stages] == [[s.out_channels] * s.num_layers for s in settings]
    assert _widths(head) == [4 * settings[-1].out_channels]  # torchvision's last conv, no last_channel given


def test_efficientnet_b2_stage_by_stage_against_the_real_model(models: ModuleType) -> None:
    """The same rules, against the modules of torchvision's efficientnet_b2 itself."""
    real = models.efficientnet_b2(weights=None)
    ours = archspec.build(archspec.compile(archspec.loads(efficientnet_spec("efficientnet_b2"), "b2.yaml")))
    stem, *stages, head = ours.children()
    features = list(real.features)
    assert _widths(stem) == [features[0][0].out_channels] == [32]
    for stage, theirs in zip(stages, features[1:-1], strict=True):
        assert len(_widths(stage)) == len(theirs)  # the depth: blocks per stage
        assert set(_widths(stage)) == {theirs[-1].out_channels}  # the width: each block's output
    assert _widths(head) == [features[-1][0].out_channels] == [1408]


# RegNet: quantised linear widths, from torchvision's BlockParams.from_init_params

REGNET = """\
name: {name}
input: [3, 4, 4]
blocks:
  regnet_block:
    description: Block i's width, quantised to 8, then fitted to the group width.
    params: {{i: int, w_0: int, w_a: float, w_m: float, group_width: int}}
    layers:
      - conv:
          out_channels: =round(w_0 * w_m ** round(log((i * w_a + w_0) / w_0, w_m)) / 8) * 8
          kernel_size: 1
      - fit_groups: {{group_width: =group_width}}
  fit_groups:
    description: torchvision's _adjust_widths_groups_compatibilty with a bottleneck multiplier of 1.
    params: {{group_width: int}}
    layers:
      - conv:
          out_channels: =make_divisible(in_channels, min(group_width, in_channels))
          kernel_size: 1
layers:
{calls}
"""
# torchvision's settings: depth, w_0, w_a, w_m, group_width
REGNETS = {
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8),
    "regnet_y_800mf": (14, 56, 38.84, 2.4, 16),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24),
    "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56),
    "regnet_y_16gf": (18, 200, 106.23, 2.48, 112),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16),
    "regnet_x_800mf": (16, 56, 35.73, 2.28, 16),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24),
    "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120),
    "regnet_x_16gf": (22, 216, 55.59, 2.1, 128),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168),
}


def _stages(widths: list[int]) -> tuple[list[int], list[int]]:
    """Consecutive equal block widths as stages: their widths and depths."""
    groups = [(w, len(list(run))) for w, run in itertools.groupby(widths)]
    return [w for w, _ in groups], [n for _, n in groups]


@pytest.mark.parametrize("name", sorted(REGNETS))
def test_regnet_widths(models: ModuleType, name: str) -> None:
    from torchvision.models.regnet import BlockParams

    depth, w_0, w_a, w_m, group_width = REGNETS[name]
    calls = "\n".join(
        f"  - regnet_block: {{i: {i}, w_0: {w_0}, w_a: {w_a}, w_m: {w_m}, group_width: {group_width}}}"
        for i in range(depth)
    )
    graph = archspec.compile(archspec.loads(REGNET.format(name=name, calls=calls), f"{name}.yaml"))
    fitted = [_widths(block)[1] for block in archspec.build(graph).children()]
    theirs = BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m, group_width=group_width)
    assert _stages(fitted) == (theirs.widths, theirs.depths)
    assert [min(group_width, w) for w in _stages(fitted)[0]] == theirs.group_widths


def test_regnet_y_400mf_and_x_400mf_widths_are_the_known_ones(models: ModuleType) -> None:
    """The rule quantises to 8; fitting to the group width (16 for x_400mf) moves 24 to 32."""
    rule = "=round(w_0 * w_m ** round(log((i * w_a + w_0) / w_0, w_m)) / 8) * 8"
    fit = "=make_divisible(w, min(g, w))"
    found = {}
    for name in ("regnet_y_400mf", "regnet_x_400mf"):
        depth, w_0, w_a, w_m, g = REGNETS[name]
        quantised = [evaluate(rule, {"w_0": w_0, "w_a": w_a, "w_m": w_m, "i": i}) for i in range(depth)]
        found[name] = _stages([evaluate(fit, {"w": w, "g": g}) for w in quantised])
    assert found["regnet_y_400mf"] == ([48, 104, 208, 440], [1, 3, 6, 6])
    assert found["regnet_x_400mf"] == ([32, 64, 160, 400], [1, 2, 7, 12])
    real = models.regnet_y_400mf(weights=None)
    assert [stage[0].proj[0].out_channels for stage in real.trunk_output] == [48, 104, 208, 440]
