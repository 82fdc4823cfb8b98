"""Section 3: inference time against depth, concrete and symbolic.

Chains of 10 to 10,000 layers (generate.chain_yaml). Loading (YAML + schema)
and inference are timed apart, each side interleaved with the other input
kind; the exponent is the least-squares slope on log-log.
"""

from __future__ import annotations

import gc
import time

from common import Section, clock_both, cpu_time, fit_exponent, median, ms, table
from generate import CHAIN_CHANNELS, DOWNSAMPLE_EVERY, chain_downsamples, chain_yaml

import archspec
from archspec.limits import Limits

# The scaling runs measure symbolic inference up to 10,000 layers on purpose: past the
# default symbolic-work budget (E406), which a service keeps.
UNBOUNDED_SYMBOLIC = Limits(max_symbolic_dims=1_000_000)

DEPTHS = (10, 100, 1_000, 10_000)
CONCRETE = [3, 224, 224]
SYMBOLIC = [3, "H", "W"]
GOAL_EXPONENT = 1.10  # linear, with room for timer noise


def rounds_for(depth: int, quick: bool) -> tuple[int, int]:
    """Samples of (load and concrete, symbolic) at ``depth``: symbolic ones cost ~50x more."""
    if quick:
        return (3, 3) if depth <= 1_000 else (1, 1)
    return {10: (21, 21), 100: (15, 11), 1_000: (9, 5), 10_000: (7, 3)}.get(depth, (3, 3))


def run(quick: bool = False, budget_s: float = 70.0) -> Section:
    section = Section("3. Scaling: inference time against depth")
    started = time.perf_counter()
    rows = []
    measured: dict[str, list[tuple[int, float]]] = {"load": [], "concrete": [], "symbolic": []}
    measured_wall: dict[str, list[tuple[int, float]]] = {"load": [], "concrete": [], "symbolic": []}
    expressions = []
    skipped = []
    for depth in DEPTHS:
        text = chain_yaml(depth)
        spec = archspec.loads(text)
        rounds, symbolic_rounds = rounds_for(depth, quick)
        # A symbolic run of 10,000 layers takes seconds: check it still fits the budget.
        _cold_sympy()
        probe, probe_cpu = time.perf_counter(), cpu_time()
        graph = archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC)
        symbolic_once = (time.perf_counter() - probe, cpu_time() - probe_cpu)
        elapsed = time.perf_counter() - started
        if elapsed + symbolic_once[0] * symbolic_rounds * 1.2 > budget_s:
            fits = int((budget_s - elapsed) / (symbolic_once[0] * 1.2))
            skipped.append((depth, symbolic_rounds, max(1, fits)))
            symbolic_rounds = max(1, fits)
        # The probe was a cold symbolic compile too: it counts as the first symbolic sample.
        counts = {"load": rounds, "concrete": rounds, "symbolic": symbolic_rounds}
        wall, times = _rounds(text, spec, counts, symbolic_once)
        for kind, values in times.items():
            measured[kind].append((depth, median(values)))
            measured_wall[kind].append((depth, median(wall[kind])))
        height = graph.output_shape[2]
        printed = str(height)
        expressions.append((depth, chain_downsamples(depth), len(printed), printed.count("floor"), printed))
        concrete, symbolic = median(times["concrete"]), median(times["symbolic"])
        rows.append(
            (
                f"{depth:,}",
                f"{rounds} / {len(times['symbolic'])}",
                ms(median(times["load"])),
                ms(concrete),
                f"{1e6 * concrete / depth:.1f}",
                ms(symbolic),
                f"{1e6 * symbolic / depth:.1f}",
                f"{symbolic / concrete:.1f}",
            )
        )
    exponents = {
        kind: fit_exponent([d for d, _ in points], [t for _, t in points])
        for kind, points in measured.items()
        if len(points) >= 2
    }
    top = {
        kind: fit_exponent([d for d, _ in points[-2:]], [t for _, t in points[-2:]])
        for kind, points in measured.items()
        if len(points) >= 2
    }
    wall_exponents = {
        kind: fit_exponent([d for d, _ in points], [t for _, t in points])
        for kind, points in measured_wall.items()
        if len(points) >= 2
    }
    linear = all(value <= GOAL_EXPONENT for value in [*exponents.values(), *top.values()])
    swelling = all(floors <= 2 for _, _, _, floors, _ in expressions)
    section.goal(f"time grows linearly with depth (fitted exponent <= {GOAL_EXPONENT})", linear)
    section.goal("symbolic expressions do not swell (nested floors fold to one per axis)", swelling)

    section.add(
        f"Each chain has `depth` layers: 3x3 convs ({CHAIN_CHANNELS} channels, padding 1) "
        f"alternating with relu; every {DOWNSAMPLE_EVERY}th layer downsamples by 2, alternately "
        "a stride-2 conv and a 3x3/2 max pool, so a chain of 10,000 layers nests 1,000 floors. "
        "Inputs: concrete `[3, 224, 224]`, symbolic `[3, H, W]` (the symbolic compile includes "
        "the search for the smallest valid sizes, and starts with sympy's caches emptied, as a "
        "first compile in a fresh process does). `load` is `archspec.loads(text)` (YAML + "
        "schema); the compile columns are `archspec.compile(spec, input=…)` on the loaded spec. "
        "Medians of the rounds shown, in CPU time of this process (the fits and the goal use "
        "it; the wall-time fit is shown too); the three kinds are interleaved.",
        "",
    )
    section.add(
        *table(
            (
                "layers",
                "rounds (load, concrete / symbolic)",
                "load (ms)",
                "concrete (ms)",
                "µs/layer",
                "symbolic (ms)",
                "µs/layer",
                "symbolic / concrete",
            ),
            rows,
        )
    )
    if skipped:
        section.add(
            f"To fit the {budget_s:.0f} s budget of this section, the symbolic compile was timed "
            + "; ".join(f"{got} time(s) instead of {wanted} at {d:,} layers" for d, wanted, got in skipped)
            + " (the first sample is the cold probe run).",
            "",
        )
    section.add(
        *table(
            (
                "fitted exponent",
                "all depths (CPU)",
                "last two depths (CPU)",
                f"goal <= {GOAL_EXPONENT}",
                "all depths (wall)",
            ),
            [
                (
                    kind,
                    f"**{exponents[kind]:.2f}**",
                    f"**{top[kind]:.2f}**",
                    "met" if max(exponents[kind], top[kind]) <= GOAL_EXPONENT else "**missed**",
                    f"{wall_exponents[kind]:.2f}",
                )
                for kind in exponents
            ],
        )
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


def _rounds(
    text: str, spec: archspec.Spec, rounds: dict[str, int], first_symbolic: tuple[float, float]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """``rounds[kind]`` (wall, CPU) samples of each kind, interleaved (the order flips every round).

    A full collection runs (untimed) before each sample, so that no sample pays
    for the garbage of the one before it; collections that a run triggers
    itself are part of its cost.
    """
    sides = {
        "load": lambda: archspec.loads(text),
        "concrete": lambda: archspec.compile(spec, input=CONCRETE),
        "symbolic": lambda: archspec.compile(spec, input=SYMBOLIC, limits=UNBOUNDED_SYMBOLIC),
    }
    wall: dict[str, list[float]] = {"load": [], "concrete": [], "symbolic": [first_symbolic[0]]}
    cpu: dict[str, list[float]] = {"load": [], "concrete": [], "symbolic": [first_symbolic[1]]}
    for index in range(max(rounds.values())):
        for kind in sides if index % 2 == 0 else reversed(sides):
            if len(cpu[kind]) >= rounds[kind]:
                continue
            if kind == "symbolic":
                _cold_sympy()
            gc.collect()
            elapsed, used = clock_both(sides[kind])
            wall[kind].append(elapsed)
            cpu[kind].append(used)
    return wall, cpu


def _cold_sympy() -> None:
    """Empty sympy's caches, so each symbolic compile is a first one, as in a fresh process.

    sympy memoizes its operations process-wide: compiling the same spec again
    reuses them and runs several times faster, which says nothing about a new spec.
    """
    from sympy.core.cache import clear_cache

    clear_cache()


def _abridge(text: str, keep: int = 36) -> str:
    return text if len(text) <= 2 * keep + 3 else f"{text[:keep]}…{text[-keep:]}"
