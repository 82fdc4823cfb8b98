"""Where archspec spends its time: profiles of the workloads the benchmarks time.

    pip install pyinstrument            # optional; not a dependency of archspec
    python benchmarks/hotspots.py       # all workloads
    python benchmarks/hotspots.py specs sweep

Without pyinstrument it falls back to cProfile (standard library), sorted by
own time. Workloads: ``specs`` (archspec.compile of every spec file, 50 times),
``sweep`` (300 AnyNet variants from text), ``imports`` (archspec.load of the specs
that import block files), ``build`` (archspec.build of a compiled LeNet and
NiN), ``load`` (archspec.loads of a 10,000-layer chain), ``symbolic`` (a
2,000-layer chain with input [3, H, W]).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from catalog import discover, rel
from generate import chain_yaml, sample_variants, variant_yaml

import archspec

TOP = 22


def workloads() -> dict[str, Callable[[], object]]:
    specs, _ = discover()
    paths = [rel(spec.path) for spec in specs]
    texts = [variant_yaml(v, i) for i, v in enumerate(sample_variants(300, "anynet", seed=2020))]
    chain = chain_yaml(10_000)
    symbolic = archspec.loads(chain_yaml(2_000))

    def compile_specs() -> None:
        for _ in range(50):
            for path in paths:
                archspec.compile(path)

    def sweep() -> None:
        for text in texts:
            archspec.compile(archspec.loads(text))

    def cold_symbolic() -> None:
        archspec.compile(symbolic, input=[3, "H", "W"])

    graphs = [archspec.compile(rel(f"specs/{name}.yaml")) for name in ("lenet_bn", "nin")]

    def build() -> None:
        for _ in range(100):
            for graph in graphs:
                archspec.build(graph)

    imported = [rel(spec.path) for spec in specs if not spec.d2l]

    def load_imports() -> None:
        for _ in range(20):
            for path in imported:
                archspec.load(path)

    return {
        "specs": compile_specs,
        "imports": load_imports,
        "build": build,
        "sweep": sweep,
        "load": lambda: archspec.loads(chain),
        "symbolic": cold_symbolic,
    }


def profile(name: str, work: Callable[[], object]) -> None:
    print(f"\n=== {name} " + "=" * (70 - len(name)))
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(work)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    work()
    profiler.stop()
    for mode in ("self", "total"):
        text = profiler.output_text(unicode=True, flat=True, flat_time=mode, time="percent_of_total")
        lines = [line for line in text.splitlines() if line.strip()]
        header = [i for i, line in enumerate(lines) if "Duration" in line][:1]
        body = lines[(header[0] + 3 if header else 0) :]
        print(f"--- by {mode} time (top {TOP}) ---")
        print("\n".join(body[:TOP]))


def main(argv: list[str]) -> int:
    chosen = workloads()
    for name in argv or list(chosen):
        chosen[name]()  # warm up: imports, registry, caches of the parsers
        profile(name, chosen[name])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
