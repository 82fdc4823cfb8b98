"""How long ``archspec validate`` takes on many spec files (what pre-commit and CI run).

    python benchmarks/validate_many.py                 # 1,000 files
    python benchmarks/validate_many.py --files 5000 --rounds 5

Writes N small specs (a conv stem, a residual block, a head; every tenth one
with a typo, so that the diagnostics are rendered too) to a temporary folder,
then times ``archspec validate`` on all of them in one call: in process, and
as a fresh ``python -m archspec`` process (what a hook pays, imports included).
Prints the median of each; no pass/fail: tests/test_validate_many.py checks that
it works, this measures how fast.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
name: net{i}
input: [3, {size}, {size}]
layers:
  - conv: {{out_channels: {width}, kernel_size: 3, padding: 1}}
  - batchnorm
  - relu
  - maxpool: {{kernel_size: 2}}
  - residual: {{out_channels: 32, stride: 2}}
  - global_avgpool
  - flatten
  - linear: {{out_features: 10}}
"""


def write_specs(folder: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        text = SPEC.format(i=i, size=32 + i % 17, width=8 + 8 * (i % 4))
        if i % 10 == 9:
            text = text.replace("kernel_size: 2", "kernel_sise: 2")  # one problem in every tenth file
        path = folder / f"net{i:05d}.yaml"
        path.write_text(text)
        paths.append(str(path))
    return paths


def in_process(paths: list[str]) -> tuple[float, int, str]:
    from archspec.cli import main

    started = time.perf_counter()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        code = main(["validate", *paths])
        summary = sys.stdout.getvalue().strip().splitlines()[-1]
    finally:
        sys.stdout, sys.stderr = saved
    return time.perf_counter() - started, code, summary


def as_process(paths: list[str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "archspec", "validate", *paths], capture_output=True, text=True
    )
    return time.perf_counter() - started, done.returncode, done.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_specs(Path(folder), args.files)
        for label, measure in (("in process", in_process), ("python -m archspec", as_process)):
            times = []
            for _ in range(args.rounds):
                seconds, code, summary = measure(paths)
                times.append(seconds)
            median = statistics.median(times)
            print(
                f"{label:<20} {args.files} files: {median:.2f} s median of {args.rounds} "
                f"({args.files / median:,.0f} files/s); exit {code}; {summary}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
