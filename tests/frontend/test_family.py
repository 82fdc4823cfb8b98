"""Families: a spec with top-level params; alone it is its defaults' member."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

import archspec
from archspec.codes import E500, E501
from archspec.diagnostics import SpecError

FAMILY = """\
archspec: 1
name: fam
input: [3, 32, 32]
params:
  depth: {type: int, default: 2}
  width: {type: int, default: 16}
layers:
  - repeat: {n: =depth, layers: [conv: {out_channels: =width, kernel_size: 3, padding: 1}, relu]}
  - global_avgpool
  - flatten
  - linear: {out_features: =width * 2}
"""


def errors(text: str) -> list:
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads(textwrap.dedent(text), "fam.yaml"))
    return list(caught.value.diagnostics)


def test_a_family_alone_is_its_defaults() -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    assert spec.family is not None and spec.family.names == ("depth", "width")
    assert spec.arguments == {"depth": 2, "width": 16}
    graph = archspec.compile(spec)
    assert graph.output_shape[1:] == (32,)
    convs = [layer for layer in graph.layers if layer.primitive == "conv"]
    assert len(convs) == 2 and all(c.params.out_channels == 16 for c in convs)


def test_a_member_binds_its_values_without_parsing_again() -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    assert spec.family is not None
    member = replace(spec, arguments=spec.family.bind({"depth": 3, "width": 8}))
    graph = archspec.compile(member)
    written = archspec.compile(archspec.loads(FAMILY.replace("default: 2", "default: 3").replace("16", "8")))
    assert graph.num_params == written.num_params
    assert graph.num_macs == written.num_macs
    assert graph.output_shape == written.output_shape


def test_a_parameter_without_default_makes_the_family_alone_an_error() -> None:
    found = errors(FAMILY.replace("depth: {type: int, default: 2}", "depth: int"))
    assert [d.code for d in found] == [E500]
    assert "'depth' has no default" in found[0].message
    assert found[0].span is not None and found[0].span.line == 5
    assert "archspec sweep" in (found[0].hint or "")


def test_a_sweep_column_cannot_be_a_parameter() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.loads(FAMILY.replace("width: {type: int, default: 16}", "macs: {type: int, default: 16}"))
    assert caught.value.diagnostics[0].code == E500
    assert "cannot be called 'macs'" in caught.value.diagnostics[0].message


def test_a_default_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(SpecError) as caught:
        archspec.loads(FAMILY.replace("default: 16", "default: wide"))
    assert caught.value.diagnostics[0].code == E500
    assert "default of 'width' is not of type int" in caught.value.diagnostics[0].message


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"depth": 2, "widht": 8}, "no parameter 'widht'"),
        ({"depth": 2.5}, "'depth' cannot be 2.5"),
        ({"depth": "2"}, "'depth' cannot be '2'"),
    ],
)
def test_a_member_value_that_does_not_fit_is_e501(values: dict, message: str) -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    assert spec.family is not None
    with pytest.raises(SpecError) as caught:
        spec.family.bind(values)
    assert caught.value.diagnostics[0].code == E501
    assert message in caught.value.diagnostics[0].message


def test_an_expression_of_an_unknown_name_lists_the_family_parameters() -> None:
    found = errors(FAMILY.replace("=width * 2", "=widht * 2"))
    assert found[0].code == "E206" and "did you mean 'width'" in found[0].message


def test_a_spec_without_params_is_no_family() -> None:
    spec = archspec.loads(FAMILY.split("params:")[0] + "layers:\n  - relu\n")
    assert spec.family is None and spec.arguments == {}
