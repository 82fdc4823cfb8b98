"""The hand-written d2l networks, for the benchmarks: they live in tests/d2l.py, the
seed tests' reference, and are imported from there (the repository root on the path)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.d2l import NETWORKS, anynet

__all__ = ["NETWORKS", "anynet"]
