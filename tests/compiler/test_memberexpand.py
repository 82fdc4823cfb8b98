"""Expanding a family's members (compiler/memberexpand.py): a top-level layer expanded
before with the same values of the names it reads is taken again, and every member
compiles as it does alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

import archspec
from archspec.compiler import compile_spec
from archspec.compiler.infer import Compilation, expand_spec
from archspec.compiler.reuse import Reuse
from archspec.diagnostics import SpecError
from archspec.limits import Limits

CHOICE = """\
archspec: 1
name: choice
input: [3, 16, 16]
params:
  wide: {type: bool, default: false}
  a: {type: int, default: 4}
  b: {type: int, default: 8}
  d: {type: int, default: 2}
layers:
  - conv: {out_channels: "=b if wide else a", kernel_size: 3, padding: 1}
  - repeat: {n: =d, layers: [conv: {out_channels: =a, kernel_size: 3, padding: 1}, relu]}
  - global_avgpool
"""


def member(spec: archspec.Spec, values: dict) -> archspec.Spec:
    assert spec.family is not None
    return replace(spec, arguments=spec.family.bind(values))


def facts(graph: archspec.Graph) -> list[tuple]:
    return [
        (i.path, i.kind, i.input, i.output, i.own_params, i.own_macs, i.span, i.params) for i in graph.layers
    ]


def verdict(spec: archspec.Spec, reuse: Reuse | None, limits: Limits | None = None) -> object:
    try:
        return facts(compile_spec(spec, limits=limits, reuse=reuse))
    except SpecError as error:
        return [d.render() for d in error.diagnostics]


MEMBERS = [
    {"wide": False, "a": 4, "b": 8, "d": 2},
    {"wide": False, "a": 4, "b": 16, "d": 2},  # b unread: the first layer as before
    {"wide": True, "a": 4, "b": 16, "d": 3},
    {"wide": True, "a": 6, "b": 16, "d": 3},  # a unread by the first layer
    {"wide": 1, "a": 4, "b": 8, "d": 2},  # rejected by the strict bool: the member's error
    {"wide": False, "a": 4, "b": 8, "d": 2},
]


def test_a_member_compiles_as_it_does_alone_with_the_expansions_of_the_others() -> None:
    spec = archspec.loads(CHOICE, "choice.yaml")
    reuse = Reuse()
    for values in MEMBERS * 2:
        try:
            bound = member(spec, values)
        except SpecError:
            continue
        assert verdict(bound, reuse) == verdict(bound, None), values


def test_a_layer_is_expanded_once_for_the_values_of_the_names_it_reads() -> None:
    spec = archspec.loads(CHOICE, "choice.yaml")
    reuse = Reuse()
    first = expand_spec(member(spec, MEMBERS[0]), Compilation(spec, reuse=reuse))
    again = expand_spec(member(spec, MEMBERS[1]), Compilation(spec, reuse=reuse))
    assert again[0] is first[0]  # the same bound layer: b is not read where wide is false
    wide = expand_spec(member(spec, MEMBERS[2]), Compilation(spec, reuse=reuse))
    assert wide[0] is not first[0] and wide[0].params.out_channels == 16


@pytest.mark.parametrize("max_layers", range(2, 12))
def test_an_expansion_taken_again_spends_the_layer_budget_as_it_did(max_layers: int) -> None:
    spec = archspec.loads(CHOICE, "choice.yaml")
    reuse = Reuse()
    limits = Limits(max_layers=max_layers)
    for values in [MEMBERS[0], MEMBERS[2], MEMBERS[0], MEMBERS[3], MEMBERS[2]]:
        bound = member(spec, values)
        assert verdict(bound, reuse, limits) == verdict(bound, None, limits), values
