"""SizeSet: the canonical closed form of a set of sizes, and how it reads."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archspec.compiler.sizeset import size_set


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        ((1, 1, [0]), "H ≥ 1"),
        ((16, 16, [0]), "H ≥ 16, H divisible by 16"),
        ((3, 2, [1]), "H ≥ 3, H odd"),
        ((2, 2, [0]), "H ≥ 2, H even"),
        ((5, 8, [1, 5]), "H ≥ 5, H ≡ 1 (mod 4)"),  # 1 and 5 modulo 8 are 1 modulo 4
        ((5, 6, [0, 5]), "H ≥ 5, H ≡ 0, 5 (mod 6)"),
        ((None, 1, [], [14, 15]), "H ∈ {14, 15}"),
        ((None, 1, [], [7]), "H = 7"),
        ((None, 1, [], range(224, 256)), "H ∈ {224, …, 255}"),
        ((None, 1, [], [2, 3, 4, 9]), "H ∈ {2, 3, 4, 9}"),
        ((None, 1, []), "no size of H"),
        ((16, 16, [0], [2, 3]), "H ≥ 16, H divisible by 16 (also H ∈ {2, 3})"),
        ((3, 2, [1], [2]), "H ≥ 3, H odd (also H = 2)"),
    ],
)
def test_a_set_reads_as_documented(parts: tuple, text: str) -> None:
    assert str(size_set("H", *parts)) == text


def test_the_canonical_form_takes_in_the_pattern_just_below_the_start() -> None:
    # {14, 15, 16} and every size from 17 on: every size from 14 on
    sizes = size_set("H", 17, 4, [0, 1, 2, 3], [16, 15, 14])
    assert (sizes.start, sizes.period, sizes.residues, sizes.extra) == (14, 1, (0,), ())
    assert size_set("H", 3, 2, [1], [1]).start == 1  # 1 is odd: the pattern starts there
    assert size_set("H", 16, 16, [0], [32, 2]).extra == (2,)  # 32 is in the pattern already


def test_members_minimum_and_json() -> None:
    sizes = size_set("H", 16, 16, [0], [3])
    assert list(itertools.islice(sizes.members(), 4)) == [3, 16, 32, 48]
    assert sizes.minimum == 3 and 3 in sizes and 16 in sizes and 17 not in sizes and "16" not in sizes
    assert sizes.to_json() == {
        "start": 16,
        "period": 16,
        "residues": [0],
        "extra": [3],
        "text": "H ≥ 16, H divisible by 16 (also H = 3)",
    }
    assert list(size_set("H", None, 1, [], [5, 2]).members()) == [2, 5]
    assert size_set("H", None, 1, []).empty and size_set("H", None, 1, []).minimum is None


@given(
    st.integers(1, 40),
    st.integers(1, 24),
    st.sets(st.integers(0, 23), min_size=1),
    st.sets(st.integers(1, 80), max_size=6),
)
def test_the_canonical_form_is_the_same_set(
    start: int, period: int, residues: set[int], extra: set[int]
) -> None:
    sizes = size_set("H", start, period, residues, extra)

    def meant(n: int) -> bool:
        return n in extra or (n >= start and n % period in {r % period for r in residues})

    assert [n for n in range(1, 200) if n in sizes] == [n for n in range(1, 200) if meant(n)]
    assert sizes.period <= period and sizes.start is not None and sizes.start <= max(start, 1) + period
    assert all(
        n not in range(sizes.start, 400) or n % sizes.period not in sizes.residues for n in sizes.extra
    )
    members = list(itertools.islice(sizes.members(), 30))
    assert members == sorted(members) and all(n in sizes for n in members)
    assert members == [n for n in range(1, members[-1] + 1) if n in sizes]
