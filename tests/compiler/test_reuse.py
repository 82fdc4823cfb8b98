"""Reusing inferred block calls: the same graph, the same verdicts, within a compile and
across the compiles of a family's members (archspec sweep)."""

from __future__ import annotations

from dataclasses import replace

import pytest

import archspec
from archspec.compiler import compile_spec
from archspec.compiler.reuse import Reuse, moved
from archspec.diagnostics import SpecError
from archspec.limits import Limits

FAMILY = """\
archspec: 1
name: fam
input: [3, 32, 32]
params:
  d1: {type: int, default: 2}
  d2: {type: int, default: 3}
  w1: {type: int, default: 16}
  w2: {type: int, default: 32}
layers:
  - conv: {out_channels: 16, kernel_size: 3, padding: 1}
  - sequential:
      name: s1
      layers:
        - repeat: {n: =d1, first: [residual: {out_channels: =w1, stride: 2}], layers: [residual: {out_channels: =w1}]}
  - sequential:
      name: s2
      layers:
        - repeat: {n: =d2, first: [residual: {out_channels: =w2, stride: 2}], layers: [residual: {out_channels: =w2}]}
  - global_avgpool
  - flatten
  - linear: {out_features: 10}
"""
MEMBERS = [
    {"d1": 1, "d2": 1, "w1": 16, "w2": 32},
    {"d1": 3, "d2": 2, "w1": 16, "w2": 32},
    {"d1": 2, "d2": 4, "w1": 8, "w2": 32},
    {"d1": 4, "d2": 4, "w1": 16, "w2": 16},
]


def facts(graph: archspec.Graph) -> list[tuple]:
    return [
        (i.path, i.name, i.kind, i.input, i.output, i.own_params, i.own_macs, i.span, i.sources, i.params)
        for i in graph.layers
    ]


def member(spec: archspec.Spec, values: dict) -> archspec.Spec:
    assert spec.family is not None
    return replace(spec, arguments=spec.family.bind(values))


def test_a_member_compiled_with_a_shared_reuse_is_the_member_compiled_alone() -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse()
    for values in MEMBERS * 2:  # the second time round, every call is reused
        shared = compile_spec(member(spec, values), reuse=reuse)
        alone = compile_spec(member(spec, values))
        assert facts(shared) == facts(alone)
        assert shared.num_params == alone.num_params and shared.num_macs == alone.num_macs
    assert reuse.inferred  # it was used


def test_a_copied_call_has_its_own_paths() -> None:
    graph = compile_spec(member(archspec.loads(FAMILY, "fam.yaml"), MEMBERS[1]))
    paths = [layer.path for layer in graph.layers]
    assert len(paths) == len(set(paths))
    assert "s1.2.0.0.conv2" in paths and "s1.1.0.0.conv2" in paths
    first = next(i for i in graph.layers if i.path == "s1.1")
    copy = moved(first, "s1.1", "x.y")
    assert [i.path for i in copy.walk()] == ["x.y" + i.path[len("s1.1") :] for i in first.walk()]


@pytest.mark.parametrize("budget", [12, 25, 40, 47, 60, 70, 86, 87])
def test_the_layer_budget_gives_the_same_verdict_with_a_warm_reuse(budget: int) -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse()
    for values in MEMBERS:  # warm: every call of the last member is known
        compile_spec(member(spec, values), reuse=reuse)

    def verdict(given: Reuse | None) -> object:
        try:
            return len(
                compile_spec(member(spec, MEMBERS[-1]), limits=Limits(max_layers=budget), reuse=given).layers
            )
        except SpecError as error:
            return error.diagnostics

    assert verdict(reuse) == verdict(None)


def test_a_reuse_of_another_family_starts_afresh() -> None:
    reuse = Reuse()
    first = archspec.loads(FAMILY, "fam.yaml")
    compile_spec(member(first, MEMBERS[0]), reuse=reuse)
    other = archspec.loads(FAMILY, "other.yaml")
    graph = compile_spec(member(other, MEMBERS[0]), reuse=reuse)
    assert reuse.blocks is other.blocks
    assert all(i.span is None or i.span.file != "fam.yaml" for i in graph.layers)


def test_a_body_that_does_not_read_in_channels_is_expanded_once_for_every_channel_count() -> None:
    from archspec.compiler.compilation import ANY_CHANNELS

    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse()
    for values in MEMBERS:
        compile_spec(member(spec, values), reuse=reuse)
    keys = list(reuse.bodies)
    # a stride-2 residual always projects: its condition never asks for in_channels
    assert any(channels == ANY_CHANNELS and '"stride": 2' in text for text, channels, _ in keys)
    # a stride-1 one asks (in_channels != out_channels): one body per channel count
    assert all(channels != ANY_CHANNELS for text, channels, _ in keys if '"stride": 1' in text)
    # and the graphs are those compiled alone (the first test), the budgets too
    for values in MEMBERS:
        shared = compile_spec(member(spec, values), reuse=reuse)
        assert facts(shared) == facts(compile_spec(member(spec, values)))


def test_a_layer_bound_to_values_it_had_before_has_the_same_params() -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse()
    first = compile_spec(member(spec, MEMBERS[0]), reuse=reuse)
    again = compile_spec(member(spec, {**MEMBERS[0], "d2": 2}), reuse=reuse)
    call, same = (next(i for i in g.layers if i.path == "s2.0") for g in (first, again))
    assert call.args is same.args  # one validation, one object
    other = compile_spec(member(spec, {**MEMBERS[0], "w2": 16}), reuse=reuse)
    changed = next(i for i in other.layers if i.path == "s2.0")
    assert changed.args is not call.args and changed.args.out_channels == 16


def test_values_equal_but_of_other_types_are_validated_each() -> None:
    # True == 1 and hash(True) == hash(1): the params of one are not those of the other
    text = """\
archspec: 1
name: typed
input: [3, 8, 8]
params:
  c: {type: bool, default: true}
layers:
  - conv: {out_channels: 4, kernel_size: 1, bias: "=true if c else 1"}
"""
    spec = archspec.loads(text, "typed.yaml")

    def verdict(values: dict, reuse: Reuse | None) -> object:
        try:
            return facts(compile_spec(member(spec, values), reuse=reuse))
        except SpecError as error:
            return error.diagnostics

    reuse = Reuse()
    for values in ({"c": True}, {"c": False}, {"c": True}):
        assert verdict(values, reuse) == verdict(values, None)


def test_past_its_bound_a_reuse_drops_its_older_calls_and_keeps_the_verdicts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import archspec.compiler.reuse as reuse_module

    monkeypatch.setattr(reuse_module, "MAX_ENTRIES", 24)
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse()
    sizes = []
    for values in MEMBERS * 3:
        shared = compile_spec(member(spec, values), reuse=reuse)
        assert facts(shared) == facts(compile_spec(member(spec, values)))
        sizes.append((len(reuse.inferred) + len(reuse.bodies) + len(reuse._arguments), len(reuse.params)))
    assert max(calls for calls, _ in sizes) <= 2 * 24  # what one compile adds past the bound, at most
    assert max(params for _, params in sizes) <= 2 * 24
    assert reuse.bodies  # the bodies the calls name stay (a quarter of the bound)


def test_a_list_valued_parameter_is_bound_without_the_memo() -> None:
    text = """\
archspec: 1
name: listed
input: [3, 8, 8]
params:
  k: {type: ints, default: [3, 3]}
layers:
  - conv: {out_channels: 4, kernel_size: =k}
"""
    spec = archspec.loads(text, "listed.yaml")
    reuse = Reuse()
    for values in ({"k": [3, 3]}, {"k": [1, 3]}, {"k": [3, 3]}):
        assert facts(compile_spec(member(spec, values), reuse=reuse)) == facts(
            compile_spec(member(spec, values))
        )


def test_the_totals_of_a_dropped_call_go_with_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import archspec.compiler.reuse as reuse_module
    from archspec.compiler.summary import compile_summary

    monkeypatch.setattr(reuse_module, "MAX_ENTRIES", 24)
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse(shallow=True)
    for values in MEMBERS * 3:
        assert compile_summary(member(spec, values), None, None, reuse) is not None
        # each total is a call's, kept no longer than the call (it holds the call's layers),
        # which the Reuse keeps as an inferred call, or in a list's tail (compiler/tails.py)
        # or a layer of a member's own list that it keeps
        kept = {id(known.info.children) for known in reuse.inferred.values()}
        held = [info for tail in reuse.tails.values() for info in tail.infos]
        held += [known.info for known in reuse.layers.values()]
        kept |= {id(layer.children) for info in held for layer in info.walk()}
        assert set(reuse.totals) <= kept


def test_past_its_bound_a_shallow_reuse_drops_its_older_tails_and_expansions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import archspec.compiler.reuse as reuse_module
    from archspec.compiler.summary import compile_summary

    monkeypatch.setattr(reuse_module, "MAX_ENTRIES", 4)
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse(shallow=True)
    alone = [compile_summary(member(spec, values), None, None, Reuse(shallow=True)) for values in MEMBERS]
    for _ in range(3):
        for values, expected in zip(MEMBERS, alone, strict=True):
            assert compile_summary(member(spec, values), None, None, reuse) == expected
            # the bound, and what one compile of this family adds past it at most (4 lists'
            # tails: the two stages and the blocks' first branches; 10 expanded layers)
            assert len(reuse.tails) <= 4 + 4 and len(reuse.expansions) <= 4 + 10
