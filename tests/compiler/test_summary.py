"""Summary compiles (a sweep's rows): the figures of the full compile, without its graph,
and no answer wherever only the full compile can give it."""

from __future__ import annotations

import itertools

import pytest

import archspec
from archspec.compiler.reuse import Reuse
from archspec.compiler.summary import BYTES_PER_ELEMENT, compile_summary
from archspec.limits import Limits
from archspec.report import BYTES_PER_ELEMENT as REPORTED_BYTES
from tests.compiler.summaries import full, member, summarized
from tests.sweep.family import STAGES as FAMILY

MEMBERS = [
    {"d1": d1, "d2": d2, "w1": w1, "w2": w2, "g": g}
    for d1, d2, w1, w2, g in itertools.product((1, 3), (1, 2, 4), (8, 16), (16, 24), (1, 3))
]


def test_the_bytes_per_element_are_the_reports() -> None:
    assert BYTES_PER_ELEMENT == REPORTED_BYTES


def test_a_summary_has_the_figures_of_the_full_compile_member_after_member() -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse(shallow=True)
    answered = broken = 0
    for values in MEMBERS * 2:  # the second time round, every call is one made before
        alone = full(member(spec, values))
        got = summarized(member(spec, values), reuse)
        assert got == alone, values  # None for a broken member (groups 3 does not divide)
        answered += alone is not None
        broken += alone is None
    assert answered > broken > 0
    assert reuse.totals and reuse.inferred and reuse.tails and reuse.layers


@pytest.mark.parametrize(
    "limits",
    [
        Limits(max_params=40_000),
        Limits(max_activation=3 * 32 * 32 - 1),
        Limits(max_activation=16 * 32 * 32),  # the largest output, just within
        Limits(max_layers=60),
    ],
)
def test_a_member_over_a_budget_gets_no_answer_and_one_within_gets_the_figures(limits: Limits) -> None:
    spec = archspec.loads(FAMILY, "fam.yaml")
    reuse = Reuse(shallow=True)
    for values in MEMBERS[::3] * 2:
        alone = full(member(spec, values), limits)
        got = summarized(member(spec, values), reuse, limits)
        assert got == alone, values


def test_symbolic_input_init_rules_and_several_inputs_are_left_to_the_full_compile() -> None:
    spec = member(archspec.loads(FAMILY, "fam.yaml"), MEMBERS[0])
    assert compile_summary(spec, (3, "H", "W"), None, Reuse(shallow=True)) is None
    assert compile_summary(spec, (3, 32, 32), None, Reuse(shallow=True)) is not None
    with_init = FAMILY.replace("layers:\n  - conv", "init:\n  conv: {weight: zeros}\nlayers:\n  - conv", 1)
    assert (
        compile_summary(
            member(archspec.loads(with_init, "i.yaml"), MEMBERS[0]), None, None, Reuse(shallow=True)
        )
        is None
    )


def test_a_plain_reuse_gives_no_summary() -> None:
    spec = member(archspec.loads(FAMILY, "fam.yaml"), MEMBERS[0])
    with pytest.raises(AssertionError):
        compile_summary(spec, None, None, Reuse())
