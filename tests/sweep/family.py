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

# Two stages of residual blocks (a first of stride 2, then repeats), a grouped conv in
# the second: members share block calls, and g=3 breaks some (3 does not divide 16).
STAGES = """\
archspec: 1
name: fam
input: [3, 32, 32]
params:
  d1: {type: int, default: 2}
  d2: {type: int, default: 3}
  w1: {type: int, default: 16}
  w2: {type: int, default: 32}
  g: {type: int, default: 1}
layers:
  - conv: {out_channels: 16, kernel_size: 3, padding: 1}
  - sequential:
      name: s1
      layers:
        - repeat: {n: =d1, first: [residual: {out_channels: =w1, stride: 2}], layers: [residual: {out_channels: =w1}]}
  - sequential:
      name: s2
      layers:
        - repeat:
            n: =d2
            first: [residual: {out_channels: =w2, stride: 2}]
            layers: [conv: {out_channels: =w2, kernel_size: 3, padding: 1, groups: =g}, residual: {out_channels: =w2}]
  - global_avgpool
  - flatten
  - linear: {out_features: 10}
"""


def write(folder: Path, grid: str, family: str = FAMILY) -> tuple[str, str]:
    """(family path, grid path) written in ``folder``."""
    spec, grid_file = folder / "fam.yaml", folder / "grid.yaml"
    spec.write_text(family)
    grid_file.write_text(grid)
    return str(spec), str(grid_file)
