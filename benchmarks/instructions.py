"""Instructions per sweep member: a figure that machine noise cannot move.

On a shared host the CPU time of the same work can drift by a third from one
minute to the next (seen here in December 2026: the ResNet-range sweep's repeats
ran at 925 to 1,800 specs/s), which hides a change of a few percent. valgrind's
callgrind counts the instructions the interpreter executes instead; with a fixed
hash seed the count repeats exactly. Each space's figure is (instructions of a run
that binds and compiles N members) minus (those of a run that stops before them),
over N: start-up, imports and the warm-up cancel out.

    python benchmarks/instructions.py                     # both spaces, 300 members
    python benchmarks/instructions.py --members 100 resnet
    python benchmarks/instructions.py --against ../other-checkout

``--against DIR`` counts DIR's archspec too, in the same run, and prints the ratio
(this checkout / DIR) beside. The figure depends on N (a longer sweep shares more
between its members): compare at the same N. It counts instructions, not time:
cache misses and memory stalls are not in it, so it follows the work done, not the
whole of a change in speed (session 6's changes took the CPU time per ResNet-range
member, 1,000 members, to 0.32x and its instructions to 0.47x). It measures the
family path that ``archspec sweep`` runs, the workload of ``run.py``'s section 2;
the goals are judged on ``run.py``'s timings. Needs valgrind (Debian: ``apt install
valgrind``); a space takes about 40 s at 300 members, and twice that with ``--against``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from generate import SPACES, family_yaml, sample_variants, variant_values

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WARM_UP = 30  # members compiled before the counted ones, in both runs
COLLECTED = re.compile(r"Collected : (\d+)")


def child(space: str, members: int) -> None:
    """The counted process: load the family, warm up, then bind and compile ``members``."""
    import archspec
    from archspec.sweep.engine import Job

    family = archspec.loads(family_yaml(), "family.yaml")
    variants = sample_variants(WARM_UP + members, space, seed=2020)
    values = [(index, variant_values(variant)) for index, variant in enumerate(variants)]
    Job("family.yaml", _spec=family).rows(values[:WARM_UP])
    if members:
        Job("family.yaml", _spec=family).rows(values[WARM_UP:])


def count(checkout: Path, space: str, members: int) -> int:
    """Instructions of one child process on ``checkout``'s archspec."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(checkout)}
    # sys.executable, not a launcher script (a pyenv shim is bash): valgrind counts what it runs
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    command += [__file__, "--child", space, str(members)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        failed = f"valgrind failed on {checkout} ({space}, {members} members)"
        raise SystemExit(f"{failed}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_member(checkout: Path, space: str, members: int) -> float:
    return (count(checkout, space, members) - count(checkout, space, 0)) / members


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(argv[1], int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spaces", nargs="*", metavar="SPACE", help=f"{', '.join(SPACES)} (default: all)")
    parser.add_argument("--members", type=int, default=300, help="members counted per space (default 300)")
    parser.add_argument("--against", type=Path, help="another checkout, counted in the same run")
    args = parser.parse_args(argv)
    spaces = args.spaces or list(SPACES)
    if unknown := [space for space in spaces if space not in SPACES]:
        parser.error(f"no space {', '.join(unknown)}: the spaces are {', '.join(SPACES)}")
    if args.members < 1:
        parser.error("--members must be at least 1")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt install valgrind)")
    print(f"instructions per member, family path, {args.members} members after {WARM_UP} (callgrind)")
    for space in spaces:
        mine = per_member(ROOT, space, args.members)
        line = f"{space:>7}: {mine / 1e6:,.3f} M"
        if args.against is not None:
            theirs = per_member(args.against.resolve(), space, args.members)
            line += f"   {args.against}: {theirs / 1e6:,.3f} M   this / that: {mine / theirs:.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
