"""Section 2: the in-process check per spec, and a design-space sweep.

archspec's side is ``archspec.compile`` (load + validate + infer); the other
side builds the same network on the meta device and runs a forward pass, in
the same process (torch already imported), which is what a user can do today.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import d2l
import torch
from catalog import SpecFile, excluded_note, rel
from common import Section, geomean, interleave_cpu, median, ms, ratio, spread, table
from generate import SPACES, SWEEP_INPUT, family_yaml, sample_variants, variant_values, variant_yaml

import archspec

try:
    from archspec.sweep.engine import Job
except ImportError:  # an archspec from before families (a baseline run, run.py --baseline-out)
    Job = None  # type: ignore[assignment,misc]

GOAL_SPEEDUP = 50.0
GOAL_RATES = {"resnet": 1_500, "anynet": 600}  # specs/s on one core, issue 15's goal 4
SWEEP_SIZE = 1_000
SPEC_HEADER = (
    "spec",
    "layers",
    "rounds",
    "load (ms)",
    "infer (ms)",
    "compile (ms)",
    "meta build + forward (ms)",
    "speedup (CPU)",
    "speedup (wall)",
    f"goal >= {GOAL_SPEEDUP:.0f}x",
)
SWEEP_HEADER = (
    "space",
    "specs",
    "layers/spec",
    "text specs/s (CPU): worst / median (spread)",
    "family specs/s (CPU): worst / median (spread)",
    "family specs/s (wall)",
    "meta build + forward specs/s (n)",
    "speedup (family)",
    "goal (family)",
    "family / text",
)
BASELINE_SAMPLE = 8  # variants built on the meta device per round (each takes 50-200 ms)


def meta_forward(
    make: Callable[[], torch.nn.Module], dims: tuple[int, ...], ids: bool = False
) -> Callable[[], object]:
    def run() -> object:
        with torch.device("meta"):
            x = torch.zeros(2, *dims, dtype=torch.long) if ids else torch.empty(2, *dims)
            return make()(x)

    return run


def reference_maker(spec: SpecFile) -> Callable[[], torch.nn.Module]:
    if spec.d2l:
        return d2l.NETWORKS[spec.d2l]
    graph = archspec.compile(rel(spec.path), input=list(spec.dims))
    return lambda: archspec.build(graph)


def per_spec(section: Section, specs: list[SpecFile], excluded: list[tuple[str, str]], quick: bool) -> None:
    rounds = 5 if quick else 31
    rows, speedups = [], []
    for spec in specs:
        path = rel(spec.path)
        loaded = archspec.load(path)
        wall, times = interleave_cpu(
            {
                "compile": lambda path=path: archspec.compile(path),
                "load": lambda path=path: archspec.load(path),
                "infer": lambda loaded=loaded: archspec.compile(loaded),
                "meta": meta_forward(reference_maker(spec), spec.dims, spec.ids),
            },
            rounds,
            warmup=2,
            budget_s=1.0,
        )
        med = {name: median(values) for name, values in times.items()}  # CPU time
        speedup = med["meta"] / med["compile"]
        wall_speedup = median(wall["meta"]) / median(wall["compile"])
        speedups.append(speedup)
        rows.append(
            (
                f"`{spec.path}`" + (" (symbolic input)" if spec.symbolic else ""),
                spec.layers,
                len(times["compile"]),
                ms(med["load"]),
                ms(med["infer"]),
                ms(med["compile"]),
                ms(med["meta"]) + ("" if spec.d2l else " (archspec.build)"),
                f"**{ratio(speedup)}x**",
                f"{ratio(wall_speedup)}x",
                "met" if speedup >= GOAL_SPEEDUP else "**missed**",
            )
        )
    met = all(s >= GOAL_SPEEDUP for s in speedups)
    goal = f"in-process check at least {GOAL_SPEEDUP:.0f}x faster than a meta-device build + forward"
    section.goal(goal + ", per spec", met)
    section.add(
        "Per spec: `archspec.compile(path)` (load + validate + infer) against building the same "
        "network on the meta device and running a forward pass on a meta tensor of batch 2, in "
        "the same process (torch already imported). The reference modules are the hand-written "
        "d2l ones of `tests/d2l.py` for the six d2l specs; for the others (marked "
        "`archspec.build`) the modules are built from a graph compiled beforehand, so that side "
        "never pays for archspec's compile. `load` is `archspec.load(path)` (YAML + schema), "
        "`infer` is `archspec.compile(spec)` on a loaded spec. "
        f"Medians of interleaved rounds (up to {rounds}, about 1 s per spec, at least 3); the times are "
        "CPU times of this process, and the goal is judged on them (the wall-time speedup "
        "is beside it).",
        "",
        *excluded_note(excluded),
        *table(
            SPEC_HEADER,
            rows,
        ),
        f"Geometric mean speedup: {ratio(geomean(speedups))}x.",
        "",
    )


def sweep(section: Section, quick: bool) -> None:
    size = 100 if quick else SWEEP_SIZE
    repeats = 5  # the spread needs a few; the worst of them is judged
    rows = []
    verdicts: dict[str, bool] = {}
    family = archspec.loads(family_yaml(), "family.yaml") if Job is not None else None
    sides = ("text", "family") if family is not None else ("text",)
    for space in SPACES:
        variants = sample_variants(size, space, seed=2020)
        texts = [variant_yaml(v, i) for i, v in enumerate(variants)]
        members = [(i, variant_values(v)) for i, v in enumerate(variants)]
        for text in texts[:20]:  # warm up
            archspec.compile(archspec.loads(text))
        layers = [len(archspec.compile(archspec.loads(text)).layers) for text in texts]
        sample = min(BASELINE_SAMPLE if not quick else 3, size)
        # The same networks by hand (d2l's Residual), from text and as family members.
        for (index, values), variant, text in list(zip(members, variants, texts, strict=True))[:3]:
            with torch.device("meta"):
                count = sum(p.numel() for p in d2l.anynet(variant.depths, variant.widths).parameters())
            assert count == archspec.compile(archspec.loads(text)).num_params, variant
            if family is not None:
                assert Job("family.yaml", _spec=family).rows([(index, values)])[0]["params"] == count, variant

        def from_text(texts: list[str] = texts) -> None:
            for text in texts:
                archspec.compile(archspec.loads(text))

        def from_family(members: list = members) -> None:  # type: ignore[type-arg]
            # archspec sweep's path: the family loaded once, each member bound and compiled
            # into its row, one Job (and what its compiles share) per sweep
            Job("family.yaml", _spec=family).rows(members)

        def meta_sample(variants: list = variants[:sample]) -> None:  # type: ignore[type-arg]
            for v in variants:
                meta_forward(lambda v=v: d2l.anynet(v.depths, v.widths), SWEEP_INPUT)()

        paths = {"text": from_text, "family": from_family}
        wall, times = interleave_cpu(
            {**{side: paths[side] for side in sides}, "meta": meta_sample}, repeats, warmup=1, collect=True
        )
        goal = GOAL_RATES[space]
        rates = {side: [size / t for t in times[side]] for side in sides}
        meta_rate = sample / median(times["meta"])
        for side in rates:
            verdicts[f"{space} {side}"] = min(rates[side]) >= goal
            section.figure(
                f"sweep_{space}_{side}",
                f"sweep, {space} range, {side} path: specs/s (CPU, worst repeat)",
                min(rates[side]),
                "{:,.0f}",
            )
        if family is None:
            continue
        low_d, high_d = SPACES[space]["depths"]
        low_w, high_w = SPACES[space]["widths"]
        rows.append(
            (
                f"{space}: depths {low_d}-{high_d}, widths {low_w}-{high_w}",
                f"{size:,}",
                f"{sum(layers) / len(layers):.0f}",
                *(
                    f"**{min(rates[side]):,.0f}** / {median(rates[side]):,.0f} ({spread(rates[side]):.0f}%)"
                    for side in ("text", "family")
                ),
                f"{size / median(wall['family']):,.0f}",
                f"{meta_rate:.1f} ({sample})",
                f"{ratio(median(rates['family']) / meta_rate)}x",
                f">= {goal:,}/s",
                ("met" if verdicts[f"{space} family"] else "**missed**")
                + f" / {'reached' if verdicts[f'{space} text'] else 'not reached'}",
            )
        )
    # Issue 15's goal 4 is the sweep's rate, "archspec sweep: the user-facing face of goal 4":
    # the family loaded once, each member bound and compiled. The text path (every variant a
    # file of its own, parsed and validated whole) is reported beside it, with no verdict.
    for space, goal in GOAL_RATES.items():
        if f"{space} family" in verdicts:
            section.goal(
                f"design-space sweep (`archspec sweep`: the family loaded once, each member bound and "
                f"compiled), {space} range: at least {goal:,} specs/s (worst repeat)",
                verdicts[f"{space} family"],
            )
    section.add(
        f"Design-space sweep: {size:,} ResNet-like variants per space (a conv/batchnorm/relu stem "
        "of stride 2, four `sequential` stages of `residual` blocks with stride 2 at each stage "
        f"start, `global_avgpool`, `flatten`, `linear`), input {list(SWEEP_INPUT)}. Each depth and "
        "width is drawn per stage: the `anynet` space is RegNet's AnyNetX (depth <= 16, width <= "
        "1024, multiples of 8), the `resnet` space keeps ResNet-18/34's stage depths. Two paths: "
        "**text**, each variant written as YAML and compiled with "
        "`archspec.compile(archspec.loads(text))` (load + validate + infer per variant); "
        "**family**, the variants as the members of one family (a spec with `params`, "
        "`benchmarks/generate.py: family_yaml`), loaded once, each member bound and compiled into "
        "its row as `archspec sweep` does (`archspec/sweep/engine.py: Job.rows`; the compiles of "
        "one sweep share the block bodies they expand and the block calls they infer, "
        "`archspec/compiler/reuse.py`, the members' top-level layers expanded and inferred before "
        "with the same values, `archspec/compiler/memberexpand.py`, and the tails of lists of "
        "layers inferred before on the same shape, `archspec/compiler/tails.py`; a row comes from "
        "a summary compile that counts a call made again once instead of copying its layers, "
        "`archspec/compiler/summary.py`). Rates in CPU "
        f"time over {repeats} interleaved repeats, each after a full collection (untimed: no "
        "repeat pays for the garbage of the one before, its own collections count): the worst "
        "(the goal is judged on it) / the "
        "median (the spread, interquartile range over the median); the family's median wall-time "
        "rate beside them. The meta-device side builds the first variants by hand (`d2l.anynet`, "
        "d2l's `Residual`) and runs a forward pass, in the same rounds; the speedup compares the "
        "family's median with it. The goal is judged on the family path, which is what `archspec "
        "sweep` runs; the text path's rate is shown beside it (`reached` where it would meet the "
        "same rate): a file per variant is parsed and validated whole, then compiled in full (its "
        "graph, every layer of it made), with nothing shared between variants.",
        "",
        *table(SWEEP_HEADER, rows),
    )


def run(specs: list[SpecFile], excluded: list[tuple[str, str]], quick: bool = False) -> Section:
    section = Section("2. In-process check and design-space sweep")
    started = time.perf_counter()
    per_spec(section, specs, excluded, quick)
    sweep(section, quick)
    section.seconds = time.perf_counter() - started
    return section
