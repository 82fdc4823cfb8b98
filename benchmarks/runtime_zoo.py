"""Section 4, second part: ResNet-50 against torchvision itself.

Forward + backward of torchvision's ``resnet50`` against the same network built
by ``archspec.build`` from ``specs/torchvision/resnet50.yaml`` and against the
source ``archspec compile -o`` writes for it, all with torchvision's weights
(the spec has torchvision's ``state_dict`` keys, so they load by name). A second
torchvision module with the same weights is the control pair: its ratio to the
first is the noise of the run, since both run the same code.
"""

from __future__ import annotations

import statistics

import d2l  # noqa: F401  (puts the repository root on the path, for tests.torchvision_models)
import torch
from catalog import rel
from common import Section, interleave_cpu, median, spread, table
from emitted import emitted_module

import archspec
from tests.torchvision_models import zoo

BATCH = 8
# 112x112, a quarter of ImageNet's pixels: a step at 224x224 takes seconds on one thread, and
# the comparison needs rounds more than pixels (the module code is the same at every size).
DIMS = (3, 112, 112)
TOLERANCE = 0.03
# Steps per timed unit: one step's time varies by ~5% from round to round, which a verdict
# on the worst round cannot resolve; a unit of two halves the variance.
STEPS = 2
HEADER = (
    "side",
    "steps x rounds",
    "img/s (wall)",
    "throughput / torchvision (CPU, median)",
    "worst round",
    "spread (CPU)",
    "verdict",
    "same outputs",
)


def _steps(net: torch.nn.Module, x: torch.Tensor, count: int):  # type: ignore[no-untyped-def]
    def run() -> None:
        for _ in range(count):
            net.zero_grad(set_to_none=True)
            net(x).sum().backward()

    return run


def _verdict(ratios: list[float], control: list[float]) -> bool:
    """Within noise: the median within ±3% of torchvision, and the worst round no worse than
    the control's worst round by more than 3% (so one noisy round cannot decide either way)."""
    return abs(statistics.median(ratios) - 1) <= TOLERANCE and min(ratios) >= min(control) - TOLERANCE


def run(section: Section, quick: bool) -> None:
    torch.manual_seed(0)
    make = zoo()["resnet50"]  # torchvision's own builder (with the one import quirk handled there)
    reference = make()
    weights = reference.state_dict()
    control = make()
    graph = archspec.compile(rel("specs/torchvision/resnet50.yaml"))
    built = archspec.build(graph)
    emitted = emitted_module(graph)
    for net in (control, built, emitted):
        net.load_state_dict(weights, strict=True)  # the same keys: any difference fails here
    x = torch.randn(BATCH, *DIMS, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = reference.eval()(x)
        same = {
            name: torch.allclose(net.eval()(x), expected, rtol=1e-4, atol=1e-5)
            for name, net in (("control", control), ("archspec.build", built), ("emitted source", emitted))
        }
    sides = {
        "torchvision": reference,
        "control": control,
        "archspec.build": built,
        "emitted source": emitted,
    }
    for net in sides.values():
        net.train()
    rounds = 3 if quick else 9
    wall, cpu = interleave_cpu(
        {name: _steps(net, x, STEPS) for name, net in sides.items()}, rounds, warmup=1, budget_s=150.0
    )
    rounds = len(cpu["torchvision"])
    per_round = {name: [cpu["torchvision"][i] / cpu[name][i] for i in range(rounds)] for name in sides}
    rows = []
    verdicts = {}
    for name in sides:
        ratios = per_round[name]
        if name == "torchvision":
            verdict = "reference"
        elif name == "control":
            verdict = "noise floor"
        else:
            verdicts[name] = _verdict(ratios, per_round["control"])
            verdict = "met" if verdicts[name] else "**missed**"
        rows.append(
            (
                name,
                f"{STEPS} x {rounds}",
                f"{BATCH / median(wall[name]):,.2f}",
                f"**{statistics.median(ratios):.3f}**",
                f"{min(ratios):.3f}",
                f"{spread(cpu[name]):.1f}%",
                verdict,
                "reference" if name == "torchvision" else ("yes" if same[name] else "**no**"),
            )
        )
    for name in verdicts:
        section.figure(
            f"resnet50_throughput_{name}",
            f"ResNet-50 train step, {name} throughput / torchvision (median)",
            statistics.median(per_round[name]),
            "{:.3f}",
        )
    for name, met in verdicts.items():
        section.goal(f"ResNet-50 forward + backward, batch {BATCH}: {name} within noise of torchvision", met)
    section.add(
        f"ResNet-50 against torchvision itself: forward + backward (training mode), CPU float32, "
        f"batch {BATCH} at {'x'.join(map(str, DIMS))}, every side with torchvision's weights, "
        "loaded by name (`strict=True`). The emitted side is the file `archspec compile -o` "
        f"writes, imported from disk. The sides alternate unit by unit ({STEPS} steps each; ABCD "
        "DCBA …); the ratios "
        "are throughputs relative to torchvision per round, in CPU time of this process. A side "
        "is within noise when its median ratio is within ±3% of 1 and its worst round is no "
        "more than 3% below the worst round of the control (a second torchvision module with "
        "the same weights, so its deviation is the noise of this run).",
        "",
        *table(HEADER, rows),
    )
