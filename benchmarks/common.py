"""Timing, statistics, the machine description and Markdown tables.

Every comparison here is measured side by side in one run: the sides are
interleaved (A B A B … or A B C A B C …) so that machine noise hits each side
alike, and each table reports medians with the ratio next to them.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


@dataclass
class Section:
    """One part of the report: a title, its goal, whether it is met, and the Markdown body."""

    title: str
    # (goal, verdict): True met, False missed, None not measured, "inconclusive": within the noise
    goals: list[tuple[str, bool | str | None]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # key -> (what it is, value, how to print it): the figures a later run compares against
    figures: dict[str, tuple[str, float, str]] = field(default_factory=dict)

    def add(self, *lines: str) -> None:
        self.body.extend(lines)

    def figure(self, key: str, label: str, value: float, fmt: str = "{:,.3g}") -> None:
        """Record a headline figure: ``run.py --baseline-out`` saves them, and a later run
        prints them as the "before" column beside its own (``run.py --baseline``)."""
        self.figures[key] = (label, value, fmt)

    def goal(self, text: str, met: bool | str | None) -> None:
        self.goals.append((text, met))


def verdict(met: bool | str | None) -> str:
    if isinstance(met, str):
        return f"**{met}**"
    return "not measured" if met is None else ("**met**" if met else "**missed**")


# --- timing ------------------------------------------------------------------------


def clock(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (subprocess.run waits).

    Unlike wall time, other processes on the machine cannot inflate it, so it
    compares single-threaded work fairly on a shared machine.
    """
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def clock_both(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    start, start_cpu = time.perf_counter(), cpu_time()
    fn()
    return time.perf_counter() - start, cpu_time() - start_cpu


MIN_ROUNDS = 3


def interleave(
    sides: dict[str, Callable[[], object]],
    rounds: int,
    warmup: int = 1,
    setup: dict[str, Callable[[], object]] | None = None,
    budget_s: float | None = None,
) -> dict[str, list[float]]:
    """Wall time of each side once per round, in turn; the order flips every round (ABBA…).

    ``setup[name]``, where given, runs untimed before each call of that side.
    With ``budget_s``, no new round starts once the next one would end past
    the budget (counted after the warm-up), but at least MIN_ROUNDS run.
    """
    return interleave_cpu(sides, rounds, warmup, setup, budget_s)[0]


def interleave_cpu(
    sides: dict[str, Callable[[], object]],
    rounds: int,
    warmup: int = 1,
    setup: dict[str, Callable[[], object]] | None = None,
    budget_s: float | None = None,
    collect: bool = False,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """As :func:`interleave`, returning the wall times and the CPU times (:func:`cpu_time`).

    ``collect``: a full collection runs, untimed, before each call, so that no call pays
    for the garbage another left (a torch forward's, the other path's); the collections a
    call triggers itself are its own cost (as section 3 times its rounds). For calls of a
    second or so: before a millisecond's call, the collection (tens of ms with torch
    loaded) would eat the round budget and leave the allocator's pools cold."""
    names = list(sides)
    setup = setup or {}
    for _ in range(warmup):
        for name in names:
            setup.get(name, _nothing)()
            sides[name]()
    started = time.perf_counter()  # the budget counts the timed rounds, not the warm-up
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        elapsed = time.perf_counter() - started
        if budget_s is not None and index >= MIN_ROUNDS and elapsed * (index + 1) / index > budget_s:
            break
        for name in names if index % 2 == 0 else reversed(names):
            setup.get(name, _nothing)()
            if collect:
                gc.collect()
            elapsed, used = clock_both(sides[name])
            wall[name].append(elapsed)
            cpu[name].append(used)
    return wall, cpu


def _nothing() -> None:
    pass


def child_env(argv: Sequence[str], env: dict[str, str] | None = None) -> dict[str, str] | None:
    """The environment of a child ``python -m …``/``-c …`` run in ROOT. With ``PYTHONPATH``
    set (a baseline run against another checkout), ``PYTHONSAFEPATH`` keeps ROOT (the
    current folder) off the child's path, where its own archspec would come first; a
    script's child keeps its folder either way."""
    if "PYTHONPATH" not in os.environ or len(argv) < 2 or not argv[1].startswith("-"):
        return env
    return {**(env if env is not None else os.environ), "PYTHONSAFEPATH": "1"}


def run_process(argv: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one subprocess; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), cwd=ROOT, env=child_env(argv, env), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} … exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> float:
    """The interquartile range relative to the median, in percent."""
    if len(values) < 4:
        return float("nan")
    q1, _, q3 = statistics.quantiles(values, n=4)
    return 100 * (q3 - q1) / statistics.median(values)


def fit_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The slope of log y against log x (least squares): y ~ x ** slope."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def geomean(values: Sequence[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


# --- formatting --------------------------------------------------------------------


def ms(seconds: float) -> str:
    value = seconds * 1e3
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def ratio(value: float) -> str:
    return f"{value:.3f}" if value < 2 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> list[str]:
    """A Markdown table; ``align`` has one letter per column (l or r), numbers default right."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


# --- the machine -------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    """The revision of the archspec being measured: the tree it is imported from (with
    ``PYTHONPATH`` pointing at another checkout, that checkout's revision)."""
    import archspec

    tree = Path(archspec.__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "archspec"], cwd=tree, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (archspec/ has uncommitted changes)" if dirty else "")


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores other processes kept busy over ``seconds`` (this one sleeps meanwhile)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="utf-8") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    try:
        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    cores = len(os.sched_getaffinity(0))
    return cores * (busy1 - busy0) / max(1, total1 - total0)


def machine() -> list[tuple[str, str]]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return [
        ("date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", cpu_model()),
        ("cores", f"{usable} usable ({os.cpu_count()} logical)"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("torch", version("torch")),
        ("pydantic", f"{version('pydantic')} (pydantic-core {version('pydantic-core')})"),
        ("sympy", version("sympy")),
        ("PyYAML", f"{version('PyYAML')} ({_yaml_parser()})"),
        ("archspec", f"{version('archspec-nn')} at git {git_revision()}"),
    ]


def _yaml_parser() -> str:
    try:
        from yaml import CSafeLoader  # noqa: F401
    except ImportError:
        return "pure-Python parser"
    return "with the libyaml C parser"


def python() -> str:
    return sys.executable
