"""A small family and grid files for the sweep's tests."""

from __future__ import annotations

from pathlib import Path

FAMILY = """\
archspec: 1
name: fam
input: [3, 32, 32]
params:
  depth: {type: int, default: 2}
  width: {type: int, default: 16}
  groups: {type: int, default: 1}
layers:
  - repeat: {n: =depth, layers: [conv: {out_channels: =width, kernel_size: 3, padding: 1, groups: =groups}, relu]}
  - global_avgpool
  - flatten
  - linear: {out_features: =width * 2}
"""


def write(folder: Path, grid: str, family: str = FAMILY) -> tuple[str, str]:
    """(family path, grid path) written in ``folder``."""
    spec, grid_file = folder / "fam.yaml", folder / "grid.yaml"
    spec.write_text(family)
    grid_file.write_text(grid)
    return str(spec), str(grid_file)
