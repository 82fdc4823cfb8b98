"""The layer budget (E403) stops repeats and block calls before they allocate."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.limits import Limits


def problem(text: str, limits: Limits | None = None) -> archspec.Diagnostic:
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads(textwrap.dedent(text), "net.yaml"), limits=limits)
    (found,) = caught.value.diagnostics
    return found


def test_nested_repeats_stop_at_the_budget_quickly() -> None:
    found = problem(
        """\
        name: n
        input: [3, 8, 8]
        layers:
          - repeat: {n: 1000000, layers: [repeat: {n: 1000000, layers: [relu]}]}
        """
    )
    assert found.code == "E403" and "10,000 layers" in found.message and found.span.line == 4


def test_a_block_body_counts_at_every_call() -> None:
    text = """\
        name: n
        input: [3, 8, 8]
        blocks:
          wide: {layers: [repeat: {n: 50, layers: [relu]}]}
        layers:
          - repeat: {n: 30, layers: [wide]}
        """
    assert archspec.compile(archspec.loads(textwrap.dedent(text))).num_params == 0
    found = problem(text, Limits(max_layers=1000))
    assert found.code == "E403" and "1,000 layers" in found.message


def test_repeat_counts_are_bounded() -> None:
    found = problem("name: n\ninput: [3]\nlayers:\n  - repeat: {n: 9999999999, layers: [relu]}\n")
    assert found.code == "E200"
