"""Activation memory (archspec/activations.py): what one report shares between its rows."""

from __future__ import annotations

import archspec
from archspec.activations import Known, activation_bytes, own_activation_bytes
from archspec.report import rows, totals

# Two equal outputs (the relu after each conv) and one of a different size (the pool's).
SPEC = """\
archspec: 1
name: shared_outputs
input: [3, H, W]
layers:
  - conv: {out_channels: 8, kernel_size: 3, padding: 1}
  - relu
  - conv: {out_channels: 8, kernel_size: 3, padding: 1}
  - relu
  - maxpool: {kernel_size: 2}
"""


def test_equal_outputs_share_one_value_within_a_report() -> None:
    graph = archspec.compile(archspec.loads(SPEC))
    known = Known()
    values = [own_activation_bytes(layer, known) for layer in graph.layers]
    assert [str(v) for v in values] == [str(own_activation_bytes(layer)) for layer in graph.layers]
    assert values[0] is values[1] is values[2] is values[3]  # the same formula, printed once
    assert values[4] is not values[0]
    assert str(values[0]) == "32*H*W"
    assert str(values[4]) == "32*floor(H/2)*floor(W/2)"


def test_a_shared_known_changes_no_total() -> None:
    graph = archspec.compile(archspec.loads(SPEC))
    known = Known()
    shown = rows(graph, known=known)
    assert [row.activations for row in shown] == [activation_bytes(layer) for layer in graph.layers]
    assert totals(graph, known) == totals(graph)
    assert str(totals(graph, known)["activation_bytes"]) == "128*H*W + 32*floor(H/2)*floor(W/2)"
