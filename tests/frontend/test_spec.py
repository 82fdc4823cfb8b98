"""The schema: strict types, unknown keys with hints, every problem in one run."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.diagnostics import SpecError


def problems(text: str) -> list:
    with pytest.raises(SpecError) as caught:
        archspec.loads(textwrap.dedent(text), "spec.yaml")
    return list(caught.value.diagnostics)


def test_a_valid_spec_gives_a_tree_of_layer_nodes() -> None:
    spec = archspec.loads(
        textwrap.dedent(
            """\
            archspec: 1
            name: tiny
            description: two layers
            input: [3, H, 32]
            layers:
              - sequential:
                  name: stem
                  layers:
                    - conv: {out_channels: 8, kernel_size: 3, padding: same}
                    - relu
              - global_avgpool
            """
        )
    )
    assert (spec.name, spec.description, spec.input) == ("tiny", "two layers", (3, "H", 32))
    stem, pool = spec.layers
    assert stem.kind_name == "sequential" and pool.kind_name == "global_avgpool"
    assert [child.kind_name for child in stem.children] == ["conv", "relu"]
    assert stem.children[0].params.padding == "same"
    assert stem.children[0].span.line == 9


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("yes", "expected an integer; got True"),
        ("64.0", "expected an integer; got 64.0"),
        ("'64'", "expected an integer; got '64'"),
        ("0", "must be >= 1; got 0"),
        ("-3", "must be >= 1; got -3"),
    ],
)
def test_ints_are_strict(value: str, fragment: str) -> None:
    (problem,) = problems(
        f"""\
        name: n
        input: [1, 8, 8]
        layers:
          - conv: {{out_channels: {value}, kernel_size: 3}}
        """
    )
    assert problem.code == "E200"
    assert fragment in problem.message
    assert (problem.span.line, problem.path) == (4, "0")


def test_unknown_key_gets_a_did_you_mean_hint_at_its_own_column() -> None:
    (problem,) = problems(
        """\
        name: n
        input: [1, 8, 8]
        layers:
          - conv: {out_channels: 4, kernel_sise: 3, kernel_size: 3}
        """
    )
    assert problem.code == "E201"
    assert problem.hint == "did you mean 'kernel_size'?"
    assert (problem.span.line, problem.span.column) == (4, 29)


def test_unknown_primitive_gets_a_did_you_mean_hint() -> None:
    (problem,) = problems(
        """\
        name: n
        input: [1, 8, 8]
        layers:
          - maxpol: {kernel_size: 2}
        """
    )
    assert problem.code == "E203" and problem.hint == "did you mean 'maxpool'?"


def test_every_problem_of_a_file_is_reported_in_one_run_sorted_by_position() -> None:
    found = problems(
        """\
        name: bad name
        input: [1, 8, 8]
        layers:
          - conv: {out_channels: 4}
          - relux
          - sequential:
              name: group
              layers:
                - dropout: {p: 2}
          - linear: {out_features: 10, bias: 1}
        """
    )
    assert [(p.code, p.span.line, p.path) for p in found] == [
        ("E200", 1, ""),
        ("E202", 4, "0"),
        ("E203", 5, "1"),
        ("E200", 9, "group.0"),
        ("E200", 10, "3"),
    ]


def test_names_must_be_identifiers_and_unique_in_their_scope() -> None:
    found = problems(
        """\
        name: n
        input: [1, 8, 8]
        layers:
          - relu: {name: act}
          - relu: {name: act}
          - relu: {name: forward-pass}
          - relu: {name: class}
        """
    )
    assert [(p.code, p.span.line) for p in found] == [("E205", 5), ("E200", 6), ("E200", 7)]
    assert "first at line 4" in found[0].message
    assert "keyword" in found[2].message


@pytest.mark.parametrize("dims", ["[]", "[1, 2, 3, 4, 5]", "[1, N, W]", "[1, 2.5]", "[true]", "[0, 4]", "3"])
def test_input_dims_are_positive_ints_or_symbol_names(dims: str) -> None:
    (problem,) = problems(
        f"""\
        name: n
        input: {dims}
        layers: [relu]
        """
    )
    assert problem.code == "E200" and problem.span.line == 2


def test_missing_top_level_keys_are_named() -> None:
    found = problems("description: no name, no input, no layers\n")
    assert sorted(p.message for p in found) == [
        "the spec needs 'input'",
        "the spec needs 'layers'",
        "the spec needs 'name'",
    ]


def test_a_layer_must_be_a_name_or_a_one_key_mapping() -> None:
    (problem,) = problems(
        """\
        name: n
        input: [1, 8, 8]
        layers:
          - {conv: {out_channels: 1, kernel_size: 1}, relu: null}
        """
    )
    assert problem.code == "E204"


def test_only_version_1_is_known() -> None:
    (problem,) = problems("archspec: 2\nname: n\ninput: [1]\nlayers: [relu]\n")
    assert problem.code == "E200" and "expected 1" in problem.message
