"""The zoo's ``init:`` sections against torchvision's own initialisation.

Each spec in specs/torchvision/ declares what its torchvision model's ``__init__``
does (GoogLeNet and Inception v3: with ``init_weights=True``, what their builders do by
default). Two checks per network, tensor by tensor, matched by state_dict key:

- statistics, over three seeds on each side, and different seeds for archspec than for
  torchvision (so the check is on the distributions, not on a shared random stream): a
  constant tensor is the same constant; a random one has the same std within 3% and the
  same mean within 3% of that std, wherever the seeds give 20,000 values or more (a
  smaller tensor, such as a 64-channel bias, estimates its std to a few percent only);
- bitwise: with the same seed, archspec.build makes exactly torchvision's weights and
  buffers. This holds for all 23 networks: both make every module (each drawing
  PyTorch's default init) before one pass over ``modules()`` in the same module order, so
  the random stream is used alike; where an init keeps PyTorch's default (AlexNet; ResNet's
  and DenseNet's fc weights), torchvision and archspec make those modules in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from tests.torchvision_models import zoo

ZOO = Path(__file__).resolve().parents[2] / "specs" / "torchvision"
# Networks whose init archspec cannot state yet, and why.
INIT_DIFFERS = {
    # torchvision draws the position embedding from normal_(std=0.02), where a parameter
    # layer starts at a constant; and it initialises each block's MLP right after making
    # the block, so its draws interleave with the next blocks' (archspec makes every module,
    # then applies the rules)
    "vit_b_16",
    # torchvision's loop re-draws every nn.Linear, those inside ShiftedWindowAttention (qkv,
    # proj) and PatchMerging (reduction) too: parts of those layers' modules, which no init
    # rule names (Primitive.parts), so the spec declares no linear rule
    # (specs/torchvision/swin_t.yaml says so)
    "swin_t",
}
NAMES = sorted(p.stem for p in ZOO.glob("*.yaml") if p.stem not in INIT_DIFFERS)
REFERENCE_SEEDS = (0, 1, 2)
ARCHSPEC_SEEDS = (100, 101, 102)
TOLERANCE = 0.03
MIN_VALUES = 20_000

torch.set_num_threads(2)


def reference(name: str) -> Callable[[], nn.Module]:
    builders = zoo()
    from torchvision import models

    # the zoo passes init_weights=False to these two; their default is True
    if name == "googlenet":
        return lambda: models.googlenet(weights=None, aux_logits=False, init_weights=True)
    if name == "inception_v3":
        return lambda: models.inception_v3(
            weights=None, aux_logits=False, transform_input=False, init_weights=True
        )
    return builders[name]


Stats = dict[str, tuple[int, float, float, float, float]]  # count, sum, sum of squares, min, max


def statistics(make: Callable[[], nn.Module], seeds: tuple[int, ...]) -> Stats:
    found: dict[str, list[float]] = {}
    for seed in seeds:
        torch.manual_seed(seed)
        for key, value in make().state_dict().items():
            if not value.is_floating_point():
                continue
            v = value.detach().double()
            entry = found.setdefault(key, [0, 0.0, 0.0, float("inf"), float("-inf")])
            entry[0] += v.numel()
            entry[1] += float(v.sum())
            entry[2] += float((v * v).sum())
            entry[3] = min(entry[3], float(v.min()))
            entry[4] = max(entry[4], float(v.max()))
    return {k: (int(n), s, q, lo, hi) for k, (n, s, q, lo, hi) in found.items()}


def mean_std(stat: tuple[int, float, float, float, float]) -> tuple[float, float]:
    n, s, q, _, _ = stat
    mean = s / n
    return mean, max(q / n - mean * mean, 0.0) ** 0.5


# The statistics need six builds of a network: they run on one network of each way of
# declaring init (per kind; kind and path patterns; trunc_normal; a parameter layer),
# and the thorough profile (ARCHSPEC_HYPOTHESIS_PROFILE=thorough) runs them on all. The
# bitwise test below, which implies them, runs on every network in every run.
STATISTICS = (
    NAMES
    if os.environ.get("ARCHSPEC_HYPOTHESIS_PROFILE") == "thorough"
    else ["resnet18", "googlenet", "mobilenet_v3_small", "convnext_tiny"]
)


@pytest.mark.parametrize("name", STATISTICS)
def test_each_tensor_starts_as_in_torchvision(name: str) -> None:
    spec = archspec.load(ZOO / f"{name}.yaml")
    theirs = statistics(reference(name), REFERENCE_SEEDS)
    ours = statistics(lambda: archspec.build(spec), ARCHSPEC_SEEDS)
    assert list(ours) == list(theirs)
    compared = 0
    for key, stat in theirs.items():
        (their_mean, their_std), (our_mean, our_std) = mean_std(stat), mean_std(ours[key])
        if stat[3] == stat[4]:  # a constant: ones, zeros, a running statistic
            assert ours[key][3] == ours[key][4] == stat[3], key
        elif stat[0] >= MIN_VALUES:
            assert our_std == pytest.approx(their_std, rel=TOLERANCE), key
            assert abs(our_mean - their_mean) <= TOLERANCE * their_std, key
            compared += 1
    assert compared >= 5


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_gives_torchvisions_weights_bit_for_bit(name: str) -> None:
    torch.manual_seed(0)
    theirs = reference(name)().state_dict()
    torch.manual_seed(0)
    ours = archspec.build(ZOO / f"{name}.yaml").state_dict()
    assert list(ours) == list(theirs)
    different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
    assert not different, different[:5]


def test_the_init_is_what_tells_resnet_apart_from_pytorchs_default() -> None:
    """The issue's example: ResNet-18's conv1 (64 x 3 x 7 x 7) has std sqrt(2 / (64·49)) =
    0.025 under kaiming fan_out, and 0.048 under PyTorch's default for a conv."""
    torch.manual_seed(0)
    declared = archspec.build(ZOO / "resnet18.yaml").conv1.weight.std().item()
    default = archspec.build(ZOO / "resnet18.yaml", init=False).conv1.weight.std().item()
    assert declared == pytest.approx((2 / (64 * 49)) ** 0.5, rel=0.03)
    assert default == pytest.approx(1 / (3 * 147) ** 0.5, rel=0.03)


@pytest.mark.parametrize(("name", "bn"), [("resnet18", "bn2"), ("resnet50", "bn3")])
def test_zero_init_residual_is_one_pattern(name: str, bn: str, tmp_path: Path) -> None:
    """torchvision's zero_init_residual=True, as the spec's comment says to write it."""
    import shutil

    zoo()  # the workaround first: then torchvision imports
    from torchvision import models

    if (ZOO / "blocks").is_dir():  # imports by path (a library import needs no copy)
        shutil.copytree(ZOO / "blocks", tmp_path / "blocks")
    kinds = "  batchnorm: {weight: constant(1), bias: constant(0)}\n"
    text = (ZOO / f"{name}.yaml").read_text()
    assert kinds in text
    (tmp_path / f"{name}.yaml").write_text(
        text.replace(kinds, f'{kinds}  "layer*.*.{bn}": {{weight: constant(0)}}\n')
    )
    torch.manual_seed(4)
    theirs = getattr(models, name)(weights=None, zero_init_residual=True).state_dict()
    torch.manual_seed(4)
    ours = archspec.build(tmp_path / f"{name}.yaml").state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    assert float(ours[f"layer1.0.{bn}.weight"].abs().sum()) == 0.0
