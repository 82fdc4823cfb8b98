"""The layers of a family member's own list, given again by a summary compile
(compiler/memberlayers.py): the figures, the outputs and the verdicts of the full compile."""

from __future__ import annotations

import pytest

import archspec
from archspec.compiler import compile_spec
from archspec.compiler.reuse import Reuse
from archspec.limits import Limits
from tests.compiler.summaries import full, member, summarized

TWO_HEADS = """\
archspec: 1
name: heads
input: [3, 16, 16]
params:
  w: {type: int, default: 8}
  k: {type: int, default: 3}
outputs: [wide, narrow]
layers:
  - sequential:
      name: stem
      layers:
        - conv: {out_channels: 8, kernel_size: 3, padding: 1}
        - relu
  - conv: {name: wide, out_channels: =w, kernel_size: =k, padding: 1}
  - conv: {name: narrow, from: stem, out_channels: 4, kernel_size: 1}
"""

MEMBERS = [{"w": 8, "k": 3}, {"w": 16, "k": 3}, {"w": 8, "k": 3}, {"w": 8, "k": 5}, {"w": 16, "k": 3}]


def test_layers_met_again_give_the_figures_and_outputs_of_the_full_compile() -> None:
    spec = archspec.loads(TWO_HEADS, "heads.yaml")
    reuse = Reuse(shallow=True)
    for values in MEMBERS:
        assert summarized(member(spec, values), reuse) == full(member(spec, values)), values
    # the stem and the layer read by name are kept once each, the wide head once per (w, k)
    kinds = sorted(known.info.kind for known in reuse.layers.values())
    assert kinds == ["conv", "conv", "conv", "conv", "sequential"]


@pytest.mark.parametrize("max_layers", range(1, 7))
def test_a_layer_given_again_spends_the_layer_budget_as_its_inference(max_layers: int) -> None:
    spec = archspec.loads(TWO_HEADS, "heads.yaml")
    reuse = Reuse(shallow=True)
    limits = Limits(max_layers=max_layers)
    for values in MEMBERS:
        assert summarized(member(spec, values), reuse, limits) == full(member(spec, values), limits), values


def test_a_full_compile_keeps_no_layers_of_its_own_list() -> None:
    spec = archspec.loads(TWO_HEADS, "heads.yaml")
    reuse = Reuse()
    for values in MEMBERS:
        compile_spec(member(spec, values), reuse=reuse)
    assert not reuse.layers  # a full compile's graph has each layer under its own path
