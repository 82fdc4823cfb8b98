"""Section 1: the whole-process check, archspec's import time, and what the validate path imports."""

from __future__ import annotations

import compileall
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable

from catalog import SpecFile, excluded_note
from common import (
    BENCHMARKS,
    ROOT,
    Section,
    child_env,
    interleave_cpu,
    median,
    ms,
    ratio,
    run_process,
    spread,
    table,
)

GOAL = 10.0
GOAL_START = 4.0  # whole-process validate of one spec against a bare interpreter, CPU, every round
ONE_SPEC = "alexnet"  # the d2l spec the start-up goal validates
BUDGET_S = 45.0  # for the timed rounds; the import breakdown and probes take ~10 s more

# Run inside a subprocess: validate, then report which heavy modules got imported.
_PROBE = """
import contextlib, io, json, sys
{block}
from archspec.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    {call}
print(json.dumps({{"rc": rc, "torch": "torch" in sys.modules, "sympy": "sympy" in sys.modules}}))
"""
_BLOCK = """
class _Refuse:  # as if torch and sympy were not installed
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("torch", "sympy"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the benchmark)")
sys.meta_path.insert(0, _Refuse())
"""


def _probe(files: list[str], block: bool = False, symbolic: list[object] | None = None) -> dict[str, object]:
    if symbolic is None:
        call = "rc = main(['validate', *sys.argv[1:]])"
    else:
        call = f"import archspec; archspec.compile(sys.argv[1], input={symbolic!r}); rc = 0"
    code = _PROBE.format(block=_BLOCK if block else "", call=call)
    argv = [sys.executable, "-c", code, *files]
    done = subprocess.run(argv, cwd=ROOT, env=child_env(argv), capture_output=True, text=True)
    if done.returncode != 0:
        return {"rc": done.returncode, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _importtime(argv: list[str]) -> dict[str, int]:
    """Self import time (µs) of each module imported by ``python -X importtime argv``."""
    command = [sys.executable, "-X", "importtime", *argv]
    done = subprocess.run(command, cwd=ROOT, env=child_env(command), capture_output=True, text=True)
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            found[match.group(2)] = int(match.group(1))
    return found


_GROUPS = (
    ("archspec", ("archspec",)),
    ("pydantic (with pydantic_core, annotated_types, typing_extensions)", (
        "pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection",
    )),
    ("PyYAML", ("yaml", "_yaml")),
)  # fmt: skip


def _import_breakdown(argv: list[str], repeats: int) -> tuple[dict[str, float], int]:
    """Median self import time (s) per group of the modules that ``argv`` imports beyond ``-c pass``."""
    baseline = set(_importtime(["-c", "pass"]))
    totals: dict[str, list[float]] = defaultdict(list)
    count = 0
    for _ in range(repeats):
        times = {name: us for name, us in _importtime(argv).items() if name not in baseline}
        count = len(times)
        grouped: dict[str, float] = defaultdict(float)
        for name, us in times.items():
            root = name.partition(".")[0]
            group = next((label for label, roots in _GROUPS if root in roots), "standard library and other")
            grouped[group] += us / 1e6
        grouped["total"] = sum(times.values()) / 1e6
        for group, seconds in grouped.items():
            totals[group].append(seconds)
    return {group: median(values) for group, values in totals.items()}, count


def run(specs: list[SpecFile], excluded: list[tuple[str, str]], quick: bool = False) -> Section:
    section = Section("1. Whole-process check of the specs")
    started = time.perf_counter()
    files = [spec.path for spec in specs]
    # The validate path proper: specs with a concrete input (a symbolic one, as unet's
    # [1, H, W], has its valid sizes found, which needs sympy by design).
    concrete = [spec.path for spec in specs if not spec.symbolic]
    d2l_specs = [spec for spec in specs if spec.d2l]
    others = [spec for spec in specs if not spec.d2l]
    py = sys.executable

    def validate(chosen: list[SpecFile]) -> Callable[[], float]:
        return lambda: run_process([py, "-m", "archspec", "validate", *(s.path for s in chosen)])

    def meta(chosen: list[SpecFile]) -> Callable[[], float]:
        args = [f"{s.d2l or s.path}={'x'.join(map(str, s.dims))}" for s in chosen]
        return lambda: run_process([py, str(BENCHMARKS / "meta_check.py"), *args])

    one = next((spec for spec in specs if spec.d2l == ONE_SPEC), specs[0])
    # An installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module in every process instead.
    compileall.compile_dir(str(ROOT / "archspec"), quiet=1)
    sides = {
        "validate d2l": validate(d2l_specs),
        "meta d2l": meta(d2l_specs),
        "pass": lambda: run_process([py, "-c", "pass"]),
        "import archspec": lambda: run_process([py, "-c", "import archspec"]),
        "validate one": validate([one]),
    }
    if others:
        sides["validate all"] = validate(specs)
        sides["meta all"] = meta(specs)
    wall, cpu = interleave_cpu(sides, 3 if quick else 7, budget_s=BUDGET_S)
    rounds = len(wall["pass"])
    med = {name: median(values) for name, values in wall.items()}
    cpu_med = {name: median(values) for name, values in cpu.items()}
    speedup = cpu_med["meta d2l"] / cpu_med["validate d2l"]
    # Each round's ratio (the two processes ran side by side); the goal holds in the worst.
    start_ratios = [v / p for v, p in zip(cpu["validate one"], cpu["pass"], strict=True)]
    worst_start = max(start_ratios)
    section.figure(
        "validate_one_vs_pass",
        f"whole-process validate of {one.path} / python -c pass, CPU (median of rounds)",
        median(start_ratios),
        "{:.2f}",
    )
    section.goal(
        f"whole-process validate of one spec <= {GOAL_START:.0f}x `python -c pass` (CPU, worst of "
        "interleaved repeats)",
        worst_start <= GOAL_START,
    )
    goal = f"`archspec validate` at least {GOAL:.0f}x faster than torch + meta build + forward"
    section.goal(goal, speedup >= GOAL)

    section.add(
        f"`python -m archspec validate` on the {len(d2l_specs)} d2l spec files at once, against "
        "one process doing what a user does today (`benchmarks/meta_check.py`): import torch, "
        'build each network on the meta device (`with torch.device("meta"):`) from the '
        "hand-written d2l modules in `tests/d2l.py`, and run a forward pass on a meta "
        "tensor of batch 2. "
        + (
            f"The goal is judged on these. The other {len(others)} specs have no hand-written "
            "module here, so the run over all specs builds those with `archspec.build` on the "
            "meta device: that baseline process imports archspec too, which flatters the ratio "
            "a little. "
            if others
            else ""
        )
        + f"Whole processes, median of {rounds} interleaved rounds: wall time, and CPU time "
        "(user + system of the child process; the goal is judged on it).",
        "",
        *excluded_note(excluded),
    )

    def row(label: str, key: str, against: str, bold: bool = False) -> tuple[str, ...]:
        times = (cpu_med[key] / cpu_med[against], med[key] / med[against])
        cells = tuple(f"{ratio(t)}x" for t in times)
        return (label, ms(med[key]), ms(cpu_med[key]), f"**{cells[0]}**" if bold else cells[0], cells[1])

    rows = [
        row(f"`archspec validate` ({len(d2l_specs)} d2l specs)", "validate d2l", "validate d2l"),
        row("torch + meta build + forward (same networks)", "meta d2l", "validate d2l", bold=True),
    ]
    if others:
        rows += [
            row(f"`archspec validate` (all {len(specs)} specs)", "validate all", "validate all"),
            row("torch + meta build + forward (same networks)", "meta all", "validate all"),
        ]
    rows += [
        row("`python -c pass` (interpreter start)", "pass", "validate d2l"),
        row("`python -c 'import archspec'`", "import archspec", "validate d2l"),
        row(f"`archspec validate {one.path}` (one spec)", "validate one", "validate d2l"),
    ]
    section.add(
        *table(
            ("process", "wall (ms)", "CPU (ms)", "CPU / validate", "wall / validate"),
            rows,
        )
    )
    section.add(
        f"**Start-up: `python -m archspec validate {one.path}` takes {ratio(median(start_ratios))}x "
        f"the CPU time of `python -c pass`** (median of the per-round ratios; worst "
        f"{ratio(worst_start)}x, best {ratio(min(start_ratios))}x, spread {_percent(spread(start_ratios))} "
        f"over {len(start_ratios)} rounds; {ms(cpu_med['validate one'])} ms against "
        f"{ms(cpu_med['pass'])} ms). archspec's bytecode is compiled first, as an installed "
        "package's is.",
        "",
    )
    own = med["import archspec"] - med["pass"]
    own_cpu = cpu_med["import archspec"] - cpu_med["pass"]
    work = cpu_med["validate d2l"] - cpu_med["import archspec"]
    floor = cpu_med["meta d2l"] / cpu_med["pass"]
    section.add(
        f"archspec's own import time: **{ms(own)} ms wall, {ms(own_cpu)} ms CPU** (`import "
        f"archspec` minus `pass`); validating the {len(d2l_specs)} d2l files after the import "
        f"takes {ms(work)} ms CPU more (the front end and PyYAML, the compiler and "
        f"the primitives, all imported on first use; YAML, schema, inference; pydantic only for "
        f"a spec with errors). Interpreter "
        f"start alone ({ms(cpu_med['pass'])} ms CPU) caps the ratio at "
        f"{ratio(floor)}x on this machine.",
        "",
    )

    repeats = 1 if quick else 3
    imported, _ = _import_breakdown(["-c", "import archspec"], repeats)
    breakdown, count = _import_breakdown(["-m", "archspec", "validate", *concrete], repeats)
    groups = sorted((g for g in breakdown if g != "total"), key=lambda g: -breakdown[g])
    section.add(
        "What `import archspec` and `archspec validate` import beyond a bare interpreter "
        f"(validate of the {len(concrete)} specs with a concrete input: {count} modules, the "
        "primitives included); `python -X importtime`, self "
        f"times summed per package, median of {repeats} run(s); they need not add up to the "
        "wall times above.",
        "",
        *table(
            ("package", "`import archspec` (ms)", "`archspec validate` (ms)", "share of validate"),
            [
                (group, ms(imported.get(group, 0.0)), ms(breakdown[group]), _share(breakdown, group))
                for group in [*groups, "total"]
            ],
        ),
    )

    plain = _probe(concrete)
    blocked = _probe(concrete, block=True)
    symbolic_target = next((spec.path for spec in specs if spec.d2l == "googlenet"), files[0])
    symbolic = _probe([symbolic_target], symbolic=[1, "H", "W"])
    clean = plain.get("rc") == 0 and plain.get("torch") is False and plain.get("sympy") is False
    runs_blocked = blocked.get("rc") == 0
    section.goal("torch and sympy are not imported on the validate path", clean and runs_blocked)
    section.add(
        *table(
            ("path", "exit code", "torch imported", "sympy imported"),
            [
                (label, probe.get("rc"), _yes(probe.get("torch")), _yes(probe.get("sympy")))
                for label, probe in (
                    (f"`archspec validate` ({len(concrete)} files with a concrete input)", plain),
                    ("same, with torch and sympy made unimportable", blocked),
                    (f"`archspec.compile({symbolic_target}, input=[1, 'H', 'W'])`", symbolic),
                )
            ],
            "lrrr",
        )
    )
    section.add("A symbolic input imports neither: symbolic dims are archspec's own expressions.", "")
    section.seconds = time.perf_counter() - started
    return section


def _percent(value: float) -> str:
    return "n/a (under 4 rounds)" if value != value else f"{value:.0f}%"  # NaN: too few rounds


def _share(breakdown: dict[str, float], group: str) -> str:
    return f"{100 * breakdown[group] / breakdown['total']:.0f}%"


def _yes(value: object) -> str:
    return {True: "**yes**", False: "no"}.get(value, str(value))  # type: ignore[call-overload]
