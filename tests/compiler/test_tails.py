"""Tails of lists of layers kept by a summary compile (compiler/tails.py): a list whose
tail was inferred before, whole or in part, gives the figures and verdicts of the full
compile."""

from __future__ import annotations

import pytest

import archspec
from archspec.compiler.reuse import Reuse
from archspec.limits import Limits
from tests.compiler.summaries import full, member, summarized

RUNS = """\
archspec: 1
name: runs
input: [3, 32, 32]
params:
  d: {type: int, default: 3}
  w: {type: int, default: 8}
  c: {type: int, default: 8}
layers:
  - conv: {out_channels: =c, kernel_size: 3, padding: 1}
  - sequential:
      name: stage
      layers:
        - repeat: {n: =d, first: [residual: {out_channels: =w, stride: 2}], layers: [residual: {out_channels: =w}]}
  - global_avgpool
  - flatten
  - linear: {out_features: 10}
"""

# the depth varies up and down: a longer run after a shorter one (replayed in part, then
# the rest inferred), a shorter one after a longer (a part of the kept run)
DEPTHS = (2, 4, 1, 3, 5, 2, 5)


def test_a_run_of_blocks_replayed_whole_or_in_part_has_the_figures_of_the_full_compile() -> None:
    spec = archspec.loads(RUNS, "runs.yaml")
    reuse = Reuse(shallow=True)
    for d in DEPTHS:
        for c in (8, 16):  # the first block reads the stem's channels: inferred afresh
            values = {"d": d, "w": 8, "c": c}
            assert summarized(member(spec, values), reuse) == full(member(spec, values)), values
    # the stage's tail is kept once, as its longest run; the blocks' branches have theirs
    runs = [tail for tail in reuse.tails.values() if tail.infos[0].block == "residual"]
    assert [len(tail.infos) for tail in runs] == [max(DEPTHS) - 1]


@pytest.mark.parametrize("max_layers", range(20, 72, 3))
def test_a_replayed_tail_spends_the_layer_budget_as_its_inference(max_layers: int) -> None:
    spec = archspec.loads(RUNS, "runs.yaml")
    reuse = Reuse(shallow=True)
    limits = Limits(max_layers=max_layers)
    for d in DEPTHS:
        values = {"d": d, "w": 8, "c": 8}
        warm = summarized(member(spec, values), reuse, limits)
        assert warm == summarized(member(spec, values), Reuse(shallow=True), limits), values
        assert warm == full(member(spec, values), limits), values


def test_a_tail_with_a_named_tensor_read_is_not_kept() -> None:
    text = """\
archspec: 1
name: named
input: [3, 16, 16]
params:
  w: {type: int, default: 8}
layers:
  - conv: {name: a, out_channels: =w, kernel_size: 3, padding: 1}
  - sequential:
      name: body
      layers:
        - conv: {name: b, out_channels: =w, kernel_size: 3, padding: 1}
        - relu: {name: r}
        - add: {from: [b, r]}
  - global_avgpool
"""
    spec = archspec.loads(text, "named.yaml")
    reuse = Reuse(shallow=True)
    for w in (8, 4, 8):
        assert summarized(member(spec, {"w": w}), reuse) == full(member(spec, {"w": w}))
    assert not reuse.tails  # the body's tail reads by name; the spec's own list keeps none
