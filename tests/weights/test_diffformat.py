"""The architecture diff's three forms."""

from __future__ import annotations

import json

import archspec
from archspec.weights.diff import diff, spec_side
from archspec.weights.diffformat import format_diff
from tests.weights.test_diff import BASE


def compared(after: str, before: str = BASE):
    return diff(
        spec_side(archspec.compile(archspec.loads(before)), "a.yaml"),
        spec_side(archspec.compile(archspec.loads(after)), "b.yaml"),
    )


def test_text_of_a_rename_and_a_wider_head() -> None:
    text = format_diff(
        compared(BASE.replace("name: stem", "name: entry").replace("out_features: 5", "out_features: 7"))
    )
    assert text.splitlines() == [
        "diff: a.yaml -> b.yaml",
        "renamed (1):",
        "  > stem -> entry (conv)",
        "changed (1):",
        "  ~ head (linear): params out_features 5 -> 7; parameters 10,245 -> 14,343; output [5] -> [7]",
        "first layer whose output shape differs: head",
        "parameters: 11,053 -> 15,151 (+4,098)",
        "MACs: 212,992 -> 217,088 (+4,096)",
        "activations: 32.79 kB -> 32.8 kB (+8 B)",
        "different: 0 added, 0 removed, 1 renamed, 1 changed",
    ]


def test_symbolic_totals_that_cancel_are_zero() -> None:
    symbolic = BASE.replace("input: [3, 16, 16]", "input: [3, H, W]").replace(
        "  - flatten\n  - linear: {name: head, out_features: 5}\n", ""
    )
    text = format_diff(compared(symbolic, symbolic))
    assert "MACs: " in text and "(±0)" in text and text.endswith("the same architecture\n")
    data = json.loads(format_diff(compared(symbolic, symbolic), "json"))
    assert data["equal"] and data["totals"]["macs"]["before"] == data["totals"]["macs"]["after"]
    assert "H" in data["totals"]["macs"]["before"]


def test_markdown_is_a_list_and_a_table() -> None:
    text = format_diff(compared(BASE.replace("out_features: 5", "out_features: 7")), "markdown")
    lines = text.splitlines()
    assert lines[0] == "### Architecture diff: a.yaml → b.yaml"
    assert (
        "  - ~ head (linear): params out\\_features 5 -> 7; parameters 10,245 -> 14,343; output \\[5] -> \\[7]"
        in lines
    )
    assert "| parameters | 11,053 | 15,151 | +4,098 |" in lines
