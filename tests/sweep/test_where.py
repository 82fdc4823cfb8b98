"""--where: archspec's expression language over a row's columns."""

from __future__ import annotations

import pytest

from archspec.codes import E503
from archspec.diagnostics import SpecError
from archspec.sweep.where import Where

COLUMNS = ("member", "depth", "params", "macs", "activations", "output", "valid_sizes")


def row(**values: object) -> dict:
    return {
        "member": 0,
        "depth": 2,
        "params": 5_000_000,
        "macs": 3 * 10**8,
        "activations": 1,
        "output": "[N, 10]",
        "valid_sizes": None,
        "error": None,
        **values,
    }


def test_a_compute_budget_keeps_the_members_within_it() -> None:
    where = Where("macs < 4e8 and params < 6e6", COLUMNS)
    assert where.keeps(row())
    assert not where.keeps(row(macs=5 * 10**8))
    assert not where.keeps(row(params=7_000_000))
    assert Where("depth >= 3 or not (macs > 1e8)", COLUMNS).keeps(row()) is False
    assert Where("output == '[N, 10]'", COLUMNS).keeps(row())


def test_a_broken_member_is_always_kept() -> None:
    assert Where("macs < 1", COLUMNS).keeps(row(macs=None, params=None, error="x.yaml:1:1: error[E300]: …"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mcas < 4e8", "no column 'mcas'"),
        ("macs <", "invalid expression"),
        ("__import__('os')", "only min, max"),
        ("macs.real > 1", "attribute is not allowed"),
        ("x" * 300, "longer than 200"),
    ],
)
def test_a_bad_filter_is_refused_before_the_sweep(text: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        Where(text, COLUMNS)
    assert caught.value.diagnostics[0].code == E503
    assert message in caught.value.diagnostics[0].message


def test_a_filter_that_gives_no_truth_value_or_cannot_compare_is_e503() -> None:
    with pytest.raises(SpecError, match="not true or false"):
        Where("macs + 1", COLUMNS).keeps(row())
    with pytest.raises(SpecError) as caught:
        Where("output < 3", COLUMNS).keeps(row())
    assert caught.value.diagnostics[0].code == E503


def test_the_filter_keeps_the_expression_language_bounds() -> None:
    with pytest.raises(SpecError) as caught:
        Where("10 ** 10 ** 18 > macs", COLUMNS).keeps(row())
    assert caught.value.diagnostics[0].code == E503
