"""The architecture diff: aligned layers, so that an insertion, a rename or a removal is
reported as itself and not as every later layer changed."""

from __future__ import annotations

import archspec
from archspec.weights.diff import diff, spec_side

BASE = """
archspec: 1
name: base
input: [3, 16, 16]
layers:
  - conv: {name: stem, out_channels: 8, kernel_size: 3, padding: 1}
  - relu
  - conv: {out_channels: 8, kernel_size: 3, padding: 1}
  - relu
  - flatten
  - linear: {name: head, out_features: 5}
"""


def compare(before: str, after: str):
    return diff(
        spec_side(archspec.compile(archspec.loads(before)), "a"),
        spec_side(archspec.compile(archspec.loads(after)), "b"),
    )


def summary(result) -> list[tuple[str, str]]:
    return [(change.change, change.path) for change in result.changes]


def test_the_same_spec_is_equal() -> None:
    result = compare(BASE, BASE)
    assert result.equal and result.changes == () and result.first_output_difference is None
    assert result.totals["params"][0] == result.totals["params"][1]


def test_an_inserted_layer_does_not_make_the_numbered_ones_after_it_changed() -> None:
    inserted = BASE.replace("  - relu\n  - conv", "  - relu\n  - batchnorm\n  - conv", 1)
    result = compare(BASE, inserted)
    # the unnamed layers after it (2, 3, 4 → 3, 4, 5) are the same layers under new indices
    assert summary(result) == [("added", "2")]
    assert result.first_output_difference is None
    before, after = result.totals["params"]
    assert after - before == 16  # batchnorm(8): weight and bias


def test_a_rename_is_a_rename() -> None:
    result = compare(BASE, BASE.replace("name: stem", "name: entry"))
    assert summary(result) == [("renamed", "entry")]
    assert result.changes[0].before.path == "stem"


def test_a_removed_block_is_listed_once_at_its_top() -> None:
    grouped = BASE.replace(
        "  - flatten\n",
        "  - sequential: {name: extra, layers: [conv: {out_channels: 8, kernel_size: 1}, relu]}\n  - flatten\n",
    )
    result = compare(grouped, BASE)
    assert summary(result) == [("removed", "extra")]
    assert result.changes[0].before.num_params == 8 * 8 + 8


def test_a_wider_conv_changes_it_and_what_follows() -> None:
    result = compare(
        BASE,
        BASE.replace(
            "out_channels: 8, kernel_size: 3, padding: 1}\n  - relu\n  - flatten",
            "out_channels: 16, kernel_size: 3, padding: 1}\n  - relu\n  - flatten",
        ),
    )
    changed = [change.path for change in result.changed("changed")]
    assert changed == ["2", "3", "4", "head"]
    assert result.first_output_difference == "2"
    assert result.changed("changed")[0].fields == ("params", "parameters", "output")


def test_a_changed_input_is_a_difference() -> None:
    result = compare(BASE, BASE.replace("input: [3, 16, 16]", "input: [3, 32, 32]"))
    assert not result.equal
    assert result.input == ("[3, 16, 16]", "[3, 32, 32]")
    assert result.first_output_difference == "stem"
