"""A service compiles strangers' specs for ever: its memory must not grow with them.

One process compiles 1,000 distinct specs to warm up, then 10,000 more, each
with its own block name, block arguments and prelude-block arguments (every
one a new pydantic model and a new expansion, the two things that used to be
kept for the life of the process). The resident set may not grow by more than
GROWTH_MIB after the warm-up; measured: 0.7 MiB (docs/security.md).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

GROWTH_MIB = 8

SOAK = """
import gc
import archspec

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

TEXT = '''name: n{i}
input: [3, 16, 16]
blocks:
  blk_{i}:
    params: {{width: int}}
    layers:
      - conv: {{out_channels: =width, kernel_size: 3, padding: 1}}
      - relu
layers:
  - blk_{i}: {{width: {w}}}
  - vgg_block: {{num_convs: 1, out_channels: {w}}}
'''

def run(start, count):
    for i in range(start, start + count):
        archspec.compile(archspec.loads(TEXT.format(i=i, w=1 + i % 997)))

run(0, 1_000)
gc.collect()
before = rss_kib()
run(1_000, 10_000)
gc.collect()
print((rss_kib() - before) / 1024)
"""


@pytest.mark.slow
def test_ten_thousand_distinct_specs_leave_the_process_as_it_was() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SOAK], capture_output=True, text=True, check=True, timeout=300
    )
    growth = float(done.stdout.strip())
    assert growth < GROWTH_MIB, f"RSS grew by {growth:.1f} MiB over 10,000 distinct specs"
