"""Run every benchmark side by side and write docs/benchmarks.md.

    python benchmarks/run.py              # the full run (under 5 minutes on 2 cores)
    python benchmarks/run.py --quick      # a smoke run: few repeats, prints the report only
    python benchmarks/run.py --sections 1,3 --out /tmp/b.md

Plain Python, no test framework: each section times archspec and the thing it
replaces in the same run, interleaved, and reports medians with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from common import ROOT, Section, busy_cores, git_revision, machine, table, verdict

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
DEFAULT_BASELINE = ROOT / "benchmarks" / "baseline.json"
ORDER = ("1", "2", "3", "4", "5")
# Section 1 first, before this process imports torch; 4 last, as it loads the CPU hardest.
RUN_ORDER = ("1", "2", "3", "5", "4")


def run_sections(chosen: list[str], quick: bool, threads: int | None) -> list[Section]:
    from catalog import discover

    specs, excluded = discover()
    if not specs:
        raise SystemExit("no valid spec under specs/")
    done: dict[str, Section] = {}
    for key in RUN_ORDER:
        if key not in chosen:
            continue
        print(f"section {key} …", file=sys.stderr, flush=True)
        if key == "1":
            import process

            done[key] = process.run(specs, excluded, quick)
        elif key == "2":
            import inprocess

            done[key] = inprocess.run(specs, excluded, quick)
        elif key == "3":
            import scaling

            done[key] = scaling.run(quick)
        elif key == "5":
            import memory

            done[key] = memory.run(quick)
        else:
            import runtime

            done[key] = runtime.run(quick, threads)
        print(f"section {key}: {done[key].seconds:.0f} s", file=sys.stderr, flush=True)
    return [done[key] for key in ORDER if key in done]


def before_after(sections: list[Section], baseline: dict | None) -> list[str]:
    """The headline figures of this run beside those of the baseline run, where both have them."""
    if not baseline:
        return []
    rows = []
    for section in sections:
        for key, (label, value, fmt) in section.figures.items():
            if key in baseline["figures"]:
                before = baseline["figures"][key]
                rows.append((label, fmt.format(before), fmt.format(value), f"{value / before:.3g}x"))
    if not rows:
        return []
    return [
        "## Before and after",
        "",
        f"The headline figures of this run beside those of a baseline run: the same scripts on the "
        f"same machine against archspec at git {baseline['revision']} ({baseline['date']}, "
        f"recorded in `{DEFAULT_BASELINE.relative_to(ROOT).as_posix()}` by "
        "`PYTHONPATH=<that checkout> python benchmarks/run.py --baseline-out benchmarks/baseline.json`).",
        "",
        *table(("figure", "before", "now", "now / before"), rows),
    ]


def report(
    sections: list[Section],
    total: float,
    quick: bool,
    load: list[tuple[str, str]],
    baseline: dict | None = None,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "<!-- Written by `python benchmarks/run.py`; edit the script, not this file. -->",
        "",
    ]
    if quick:
        lines += ["**A quick smoke run (`--quick`): too few repeats to quote.**", ""]
    lines += [
        "archspec must be the fastest way to check an architecture, and cost nothing at run "
        "time. Every figure below comes from one run of `python benchmarks/run.py` on the "
        "machine described here; each comparison is measured side by side (the sides "
        "interleaved, so machine noise hits both), as medians next to their ratio. Goals are "
        "judged on CPU time, which other processes on the machine cannot inflate (the "
        "load they put on it is in the machine table); wall times are shown beside.",
        "",
        "## Summary",
        "",
        *table(
            ("section", "goal", "verdict"),
            [(s.title.split(".")[0], goal, verdict(met)) for s in sections for goal, met in s.goals],
            "lll",
        ),
        "## Machine",
        "",
        *table(("", ""), [*machine(), *load], "ll"),
        f"Total run time of the script: {total:.0f} s.",
        "",
        *before_after(sections, baseline),
    ]
    for section in sections:
        lines += [f"## {section.title}", ""]
        lines += [f"- Goal: {goal} — {verdict(met)}" for goal, met in section.goals] + [""]
        lines += section.body
        lines += [f"_Section run time: {section.seconds:.0f} s._", ""]
    lines += HOWTO
    return "\n".join(lines).rstrip() + "\n"


HOWTO = [
    "## Running the benchmarks",
    "",
    "```sh",
    "python benchmarks/run.py                    # all sections; writes docs/benchmarks.md",
    "python benchmarks/run.py --quick            # smoke run, few repeats; prints the report",
    "python benchmarks/run.py --sections 2,3 --out /tmp/b.md",
    "python benchmarks/run.py --threads 2        # torch threads in section 4 (default 1)",
    "```",
    "",
    "- `tests/d2l.py`: the hand-written d2l networks (the reference side), and "
    "`anynet()` for the sweep; `benchmarks/meta_check.py`: the process a user runs today "
    "(import torch, build on the meta device, forward); `benchmarks/generate.py`: the "
    "generated specs (sweep variants, deep chains).",
    "- Specs: every `specs/**/*.yaml` except the deliberately invalid examples listed in "
    "`benchmarks/catalog.py`; a spec without a hand-written d2l module is compared against "
    "`archspec.build` of its compiled graph (the tables say so).",
    "- The machine should be otherwise idle. Goals are judged on CPU time (of this process, or "
    "of the child process in section 1), which other processes cannot inflate; wall times are "
    "shown beside. Section 4 runs torch on one thread unless `--threads` says otherwise.",
    "- Instructions (optional, needs valgrind): `python benchmarks/instructions.py` counts the "
    "instructions per member of section 2's sweep with callgrind, exactly the same on every "
    "repeat; `--against DIR` counts another checkout beside it. For comparing a change on a "
    "host whose speed drifts; it leaves out memory stalls, so the goals stay on CPU time.",
    "- Profiling (optional, not a dependency of the project): `pip install pyinstrument` "
    "(or `py-spy`), then `python benchmarks/hotspots.py` prints where the in-process check, "
    "the sweep and a 10,000-layer chain spend their time; e.g. "
    "`py-spy record -o profile.svg -- python benchmarks/hotspots.py` for a flame graph.",
    "",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats; print the report only")
    parser.add_argument("--sections", default=",".join(ORDER), help="which sections, e.g. 1,3")
    parser.add_argument("--out", type=Path, help=f"where to write the report (default {DEFAULT_OUT})")
    parser.add_argument("--threads", type=int, help="torch threads in section 4 (default 1)")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help="figures of an earlier run, shown as 'before' (default benchmarks/baseline.json)",
    )
    parser.add_argument("--baseline-out", type=Path, help="save this run's headline figures there")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    started = time.perf_counter()
    busy, load_start = busy_cores(), os.getloadavg()[0]
    sections = run_sections(chosen, args.quick, args.threads)
    total = time.perf_counter() - started
    load = [
        ("other load", f"{busy:.1f} cores busy with other processes when the run started"),
        ("load average (1 min)", f"{load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"),
    ]
    if args.baseline_out:
        figures = {key: value for s in sections for key, (_, value, _) in s.figures.items()}
        record = {"revision": git_revision(), "date": machine()[0][1], "figures": figures}
        args.baseline_out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.baseline_out}", file=sys.stderr)
    baseline = None
    if args.baseline and args.baseline.exists() and not args.baseline_out:
        baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
    text = report(sections, total, args.quick, load, baseline)
    out = args.out if args.out or args.quick else DEFAULT_OUT
    if out is None:
        print(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    print(f"total: {total:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
