"""Section 3: inference and report time against depth, concrete and symbolic.

Chains of 10 to 10,000 layers (generate.chain_yaml). Loading (YAML + schema),
concrete and symbolic compiles and the symbolic report are timed apart, the
kinds interleaved round by round; the exponent is the least-squares slope on
log-log. Goals that compare or bound times take their verdict from the worst
round; a whole-process run of ``archspec compile --input 3xHxW`` on ResNet-50
is timed beside a bare interpreter.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time

from common import ROOT, Section, child_env, clock_both, cpu_time, fit_exponent, median, ms, spread, table
from generate import CHAIN_CHANNELS, DOWNSAMPLE_EVERY, chain_downsamples, chain_yaml

import archspec
from archspec.limits import Limits
from archspec.report import report

# The scaling runs measure symbolic inference up to 10,000 layers on purpose: past the
# default symbolic-work budget (E406), which a service keeps.
UNBOUNDED_SYMBOLIC = Limits(max_symbolic_dims=1_000_000)

DEPTHS = (10, 100, 1_000, 10_000)
CONCRETE = [3, 224, 224]
SYMBOLIC = [3, "H", "W"]
GOAL_EXPONENT = 1.10  # linear, with room for timer noise
GOAL_SYMBOLIC_RATIO = 3.0  # symbolic compile per layer, against concrete
GOAL_RESNET_S = 0.35  # whole-process compile --input 3xHxW of ResNet-50, CPU seconds
GOAL_CHAIN_S = 3.0  # compile + report of the 10,000-layer chain on [3, H, W], CPU seconds
RESNET = "specs/torchvision/resnet50.yaml"


def rounds_for(depth: int, quick: bool) -> int:
    """Rounds at ``depth``, each a sample of every kind."""
    if quick:
        return 3 if depth <= 1_000 else 2
    return {10: 21, 100: 15, 1_000: 9, 10_000: 5}.get(depth, 3)


def run(quick: bool = False, budget_s: float = 90.0) -> Section:
    section = Section("3. Scaling: inference time against depth")
    started = time.perf_counter()
    rows = []
    kinds = ("load", "concrete", "symbolic", "report")
    measured: dict[str, list[tuple[int, list[float]]]] = {kind: [] for kind in kinds}
    measured_wall: dict[str, list[tuple[int, float]]] = {kind: [] for kind in kinds}
    worst_ratios: list[float] = []
    chain_totals: list[float] = []
    expressions = []
    written: list[int] = []  # characters of the report at each depth
    skipped = []
    for depth in DEPTHS:
        text = chain_yaml(depth)
        spec = archspec.loads(text)
        rounds = rounds_for(depth, quick)
        probe, _ = clock_both(lambda spec=spec: report(_symbolic(spec)))
        elapsed = time.perf_counter() - started
        if elapsed + probe * 3 * rounds > budget_s:
            fits = max(1, int((budget_s - elapsed) / (probe * 3)))
            if fits < rounds:
                skipped.append((depth, rounds, fits))
                rounds = fits
        wall, times = _rounds(text, spec, rounds)
        for kind, values in times.items():
            measured[kind].append((depth, values))
            measured_wall[kind].append((depth, median(wall[kind])))
        # Rounds are interleaved: the ratio of one round compares runs next to each other.
        ratios = [s / c for s, c in zip(times["symbolic"], times["concrete"], strict=True)]
        worst_ratios.append(max(ratios))
        if depth == 10_000:
            chain_totals = [s + r for s, r in zip(times["symbolic"], times["report"], strict=True)]
        graph = archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC)
        written.append(len(report(graph)))
        printed = str(graph.output_shape[2])
        expressions.append((depth, chain_downsamples(depth), len(printed), printed.count("floor"), printed))
        concrete, symbolic, reported = (median(times[k]) for k in ("concrete", "symbolic", "report"))
        rows.append(
            (
                f"{depth:,}",
                str(rounds),
                ms(median(times["load"])),
                f"{1e6 * concrete / depth:.1f} ± {spread(times['concrete']):.0f}%",
                f"{1e6 * symbolic / depth:.1f} ± {spread(times['symbolic']):.0f}%",
                f"{symbolic / concrete:.2f} (worst **{max(ratios):.2f}**)",
                f"{1e6 * reported / depth:.1f} ± {spread(times['report']):.0f}%",
                f"{written[-1] / 1e6:.2f}",
                f"{1e9 * reported / written[-1]:.0f}",
            )
        )
    for depth, worst in zip(DEPTHS, worst_ratios, strict=False):
        section.figure(
            f"symbolic_ratio_{depth}",
            f"symbolic / concrete inference per layer, {depth:,}-layer chain (worst round)",
            worst,
            "{:.2f}",
        )
    if chain_totals:
        section.figure(
            "chain_10000_symbolic_s",
            "10,000-layer symbolic chain, compile + report, s (worst round)",
            max(chain_totals),
            "{:.2f}",
        )
    exponents = {kind: _exponents(points) for kind, points in measured.items()}
    # The chain's dims print longer with depth (2**downsamples in each floor, padded to the
    # widest cell): the report is judged against the text it writes.
    per_char = _exponents(measured["report"], written)
    wall_exponents = {
        kind: fit_exponent([d for d, _ in points], [t for _, t in points])
        for kind, points in measured_wall.items()
    }
    linear = all(max(e.values()) <= GOAL_EXPONENT for k, e in exponents.items() if k != "report")
    swelling = all(floors <= 2 for _, _, _, floors, _ in expressions)
    resnet, bare = _whole_process(3 if quick else 9)
    section.figure(
        "resnet50_symbolic_compile_s",
        "ResNet-50 `compile --input 3xHxW`, whole process, s (worst round)",
        max(resnet),
        "{:.3f}",
    )
    section.goal(f"time grows linearly with depth (fitted exponent <= {GOAL_EXPONENT})", linear)
    section.goal("symbolic expressions do not swell (nested floors fold to one per axis)", swelling)
    section.goal(
        f"symbolic per-layer cost <= {GOAL_SYMBOLIC_RATIO:g}x concrete at every depth (worst round)",
        max(worst_ratios) <= GOAL_SYMBOLIC_RATIO,
    )
    section.goal(
        f"report linear in the number of layers (fitted exponent <= {GOAL_EXPONENT}, worst round; the "
        "chain's dims themselves print longer with depth, see below)",
        max(exponents["report"].values()) <= GOAL_EXPONENT,
    )
    section.goal(
        f"report linear in what it writes (fitted exponent against its characters <= {GOAL_EXPONENT}, "
        "worst round)",
        max(per_char.values()) <= GOAL_EXPONENT,
    )
    section.goal(
        f"ResNet-50 `compile --input 3xHxW` whole process <= {GOAL_RESNET_S} s (worst round)",
        max(resnet) <= GOAL_RESNET_S,
    )
    section.goal(
        f"10,000-layer symbolic chain, compile + report <= {GOAL_CHAIN_S:g} s (worst round)",
        max(chain_totals) <= GOAL_CHAIN_S if chain_totals else None,
    )

    section.add(
        f"Each chain has `depth` layers: 3x3 convs ({CHAIN_CHANNELS} channels, padding 1) "
        f"alternating with relu; every {DOWNSAMPLE_EVERY}th layer downsamples by 2, alternately "
        "a stride-2 conv and a 3x3/2 max pool, so a chain of 10,000 layers nests 1,000 floors. "
        "Inputs: concrete `[3, 224, 224]`, symbolic `[3, H, W]` (the symbolic compile includes "
        "the search for the valid sizes, whose probes evaluate the graph's dims where every "
        "layer declares how its rule refuses sizes, as here, and run concrete inferences "
        "otherwise: archspec/compiler/dimprobe.py). `load` is "
        "`archspec.loads(text)` (YAML + schema); the compile columns are "
        "`archspec.compile(spec, input=…)` on the loaded spec; `report` is the text report of "
        "the symbolic graph, whose text grows faster than the layers: each floor's denominator "
        "is 2^downsamples, and a column is as wide as its widest cell, so the report is judged "
        "against the characters it writes. Symbolic dims are archspec's own exact expressions "
        "(archspec/shapes/symbolic.py): neither the compile nor the report imports sympy. "
        "Medians (± interquartile spread) of the rounds, in CPU time of this process; the "
        "kinds are interleaved, the order flipping every round, and the ratio of each round "
        "compares runs next to each other.",
        "",
    )
    section.add(
        *table(
            (
                "layers",
                "rounds",
                "load (ms)",
                "concrete µs/layer",
                "symbolic µs/layer",
                "symbolic / concrete",
                "report µs/layer",
                "report (M chars)",
                "report ns/char",
            ),
            rows,
        )
    )
    if skipped:
        section.add(
            f"To fit the {budget_s:.0f} s budget of this section, "
            + "; ".join(
                f"{got} round(s) instead of {wanted} ran at {d:,} layers" for d, wanted, got in skipped
            )
            + ".",
            "",
        )
    section.add(
        *table(
            (
                "fitted exponent",
                "all depths (CPU, worst round)",
                "last two depths (CPU, worst round)",
                f"goal <= {GOAL_EXPONENT}",
                "all depths (wall, medians)",
            ),
            [
                (
                    kind,
                    f"**{exponents[kind]['all']:.2f}**",
                    f"**{exponents[kind]['top']:.2f}**",
                    "met" if max(exponents[kind].values()) <= GOAL_EXPONENT else "**missed**",
                    f"{wall_exponents[kind]:.2f}",
                )
                for kind in kinds
            ]
            + [
                (
                    "report, against its characters",
                    f"**{per_char['all']:.2f}**",
                    f"**{per_char['top']:.2f}**",
                    "met" if max(per_char.values()) <= GOAL_EXPONENT else "**missed**",
                    "",
                )
            ],
        )
    )
    chain_text = (
        f"{median(chain_totals):.2f} s (worst **{max(chain_totals):.2f} s**, {len(chain_totals)} rounds)"
        if chain_totals
        else "not measured"
    )
    section.add(
        f"Whole process, `python -m archspec compile --input 3xHxW {RESNET}` (CPU seconds of the "
        f"child, {len(resnet)} rounds interleaved with `python -c pass`): median "
        f"{median(resnet):.3f} s, worst **{max(resnet):.3f} s** (goal <= {GOAL_RESNET_S} s); a bare "
        f"interpreter {median(bare):.3f} s. The 10,000-layer symbolic chain, compile + report: "
        f"{chain_text} (goal <= {GOAL_CHAIN_S:g} s).",
        "",
    )
    section.add(
        "The size of the inferred height after the last layer (symbolic input), as printed by "
        "`str(dim)`: the floors fold into one, and the text grows only with the digits of the "
        "denominator 2^downsamples, never with the nesting.",
        "",
    )
    section.add(
        *table(
            ("layers", "downsamples", "len(str(dim))", "floors", "expression"),
            [
                (f"{d:,}", k, length, floors, f"`{_abridge(text)}`")
                for d, k, length, floors, text in expressions
            ],
            "rrrrl",
        )
    )
    section.seconds = time.perf_counter() - started
    return section


def _exponents(points: list[tuple[int, list[float]]], sizes: list[int] | None = None) -> dict[str, float]:
    """The fitted exponent over all depths and over the last two, each the worst of the
    fits of round 1, round 2, … (the i-th sample at every depth), against the depths or
    the given sizes."""
    depths = sizes or [d for d, _ in points]
    rounds = min(len(values) for _, values in points)
    fits = {"all": [], "top": []}
    for index in range(rounds):
        times = [values[index] for _, values in points]
        fits["all"].append(fit_exponent(depths, times))
        fits["top"].append(fit_exponent(depths[-2:], times[-2:]))
    return {key: max(values) for key, values in fits.items()}


def _symbolic(spec: archspec.Spec) -> archspec.Graph:
    return archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC)


def _rounds(
    text: str, spec: archspec.Spec, rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """``rounds`` (wall, CPU) samples of each kind, interleaved (the order flips every round).

    A full collection runs (untimed) before each sample, so that no sample pays
    for the garbage of the one before it; collections that a run triggers
    itself are part of its cost.
    """
    graph = archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC)
    sides = {
        "load": lambda: archspec.loads(text),
        "concrete": lambda: archspec.compile(spec, input=CONCRETE),
        "symbolic": lambda: archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC),
        # a new graph each round: a report formats each distinct dim once, the first time
        "report": lambda: report(graph),
    }
    wall: dict[str, list[float]] = {kind: [] for kind in sides}
    cpu: dict[str, list[float]] = {kind: [] for kind in sides}
    for index in range(rounds):
        for kind in sides if index % 2 == 0 else reversed(sides):
            if kind == "report":
                graph = archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC)
            gc.collect()
            elapsed, used = clock_both(sides[kind])
            wall[kind].append(elapsed)
            cpu[kind].append(used)
    return wall, cpu


def _whole_process(rounds: int) -> tuple[list[float], list[float]]:
    """CPU seconds of ``archspec compile --input 3xHxW`` on ResNet-50 and of ``python -c pass``."""
    command = [sys.executable, "-m", "archspec", "compile", "--input", "3xHxW", RESNET]
    sides = {"resnet": command, "bare": [sys.executable, "-c", "pass"]}
    times: dict[str, list[float]] = {kind: [] for kind in sides}
    for index in range(rounds):
        for kind in sides if index % 2 == 0 else reversed(sides):
            start = cpu_time()
            argv = sides[kind]
            subprocess.run(argv, cwd=ROOT, env=child_env(argv), check=True, stdout=subprocess.DEVNULL)
            times[kind].append(cpu_time() - start)
    return times["resnet"], times["bare"]


def _abridge(text: str, keep: int = 36) -> str:
    return text if len(text) <= 2 * keep + 3 else f"{text[:keep]}…{text[-keep:]}"
