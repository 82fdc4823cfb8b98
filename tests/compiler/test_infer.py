"""Every independent problem of a spec in one compile: a failed layer stops only the
layers that read it, directly or not (infer.py's flow with recover)."""

from __future__ import annotations

import pytest

import archspec

INDEPENDENT = """\
archspec: 1
name: n
inputs: {image: [3, 8, 8], extra: [3, 8, 8]}
outputs: [a, b]
blocks:
  mine:
    params: {c: int}
    layers:
      - conv: {out_channels: =c + 'x', kernel_size: 3}
layers:
  - mine: {c: 4, name: a, from: image}
  - relu
  - conv: {out_channels: 4, kernel_size: 3, from: extra, name: b0}
  - conv: {name: b, out_channels: 4, kernel_size: 30, from: b0}
"""


def problems(text: str) -> list[tuple[str, str, int]]:
    with pytest.raises(archspec.SpecError) as error:
        archspec.compile(archspec.loads(text))
    return [(d.code, d.path, d.span.line if d.span else 0) for d in error.value.diagnostics]


def test_an_error_in_a_block_body_does_not_hide_a_later_independent_one() -> None:
    # a fails in its block's body; relu reads a (no shape: skipped); b reads b0, which works.
    assert problems(INDEPENDENT) == [("E206", "a", 9), ("E301", "b", 14)]


def test_layers_that_read_a_failed_one_are_not_reported() -> None:
    text = INDEPENDENT.replace("from: b0}", "from: a}").replace("kernel_size: 30", "kernel_size: 1")
    assert problems(text) == [("E206", "a", 9)]


def test_a_plain_sequence_stops_at_its_first_problem() -> None:
    text = "archspec: 1\nname: s\ninput: [3, 8, 8]\nlayers:\n  - conv: {out_channels: 4, kernel_size: 30}\n  - linear: {out_features: 2, in_features: 5}\n"
    assert problems(text) == [("E301", "0", 5)]


def test_the_same_independent_problems_in_every_call_of_a_block() -> None:
    text = INDEPENDENT.replace("from: b0}", "from: b0}\n  - mine: {c: 5, name: c, from: extra}")
    assert [p[:2] for p in problems(text.replace("outputs: [a, b]", "outputs: [a, b, c]"))] == [
        ("E206", "a"),
        ("E206", "c"),
        ("E301", "b"),
    ]
