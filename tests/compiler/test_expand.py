"""Binding a layer's expressions (compiler/expand.py): an unknown name's hint says which
names the expression could use there."""

from __future__ import annotations

import pytest

import archspec

WIDEN = """\
archspec: 1
name: n
input: [{channels}, 8, 8]
blocks:
  widen:
    layers:
      - conv: {{out_channels: =in_channels * 2, kernel_size: 1}}
layers:
  - widen
"""


def hint(text: str) -> str:
    with pytest.raises(archspec.SpecError) as error:
        archspec.compile(archspec.loads(text))
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.code == "E206"
    return diagnostic.hint or ""


def test_in_channels_of_a_symbolic_input_is_named_as_unknown_not_as_outside_a_block() -> None:
    said = hint(WIDEN.format(channels="C"))
    assert "outside a block" not in said
    assert "in_channels is not known here: the block's input has symbolic channels" in said


def test_a_block_with_concrete_channels_reads_in_channels() -> None:
    graph = archspec.compile(archspec.loads(WIDEN.format(channels=3)))
    assert graph.output_shape[1] == 6


def test_an_expression_outside_a_block_reads_numbers_only() -> None:
    text = "archspec: 1\nname: n\ninput: [3, 8, 8]\nlayers:\n  - conv: {out_channels: =in_channels, kernel_size: 1}\n"
    assert hint(text).startswith("outside a block")
