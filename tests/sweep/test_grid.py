"""Grid files: lists, ranges and distributions; every combination, or a seeded sample."""

from __future__ import annotations

import pytest

import archspec
from archspec.codes import E502
from archspec.diagnostics import SpecError
from archspec.sweep.grid import loads_grid

from .family import FAMILY


def family():  # type: ignore[no-untyped-def]
    spec = archspec.loads(FAMILY, "fam.yaml")
    assert spec.family is not None
    return spec.family


def test_every_combination_in_file_order_the_last_varying_fastest() -> None:
    grid = loads_grid("depth: [1, 2]\nwidth: {start: 8, stop: 24, step: 8}\n", family())
    assert grid.size() == 6
    assert list(grid.members()) == [{"depth": d, "width": w} for d in (1, 2) for w in (8, 16, 24)]


def test_a_range_includes_its_stop_where_reached_and_float_ranges_round() -> None:
    grid = loads_grid("depth: {start: 1, stop: 6, step: 2}\n", family())
    assert [m["depth"] for m in grid.members()] == [1, 3, 5]
    from archspec.sweep.grid import _range

    assert _range(0.25, 1.0, 0.25) == [0.25, 0.5, 0.75, 1.0]


def test_one_value_choice_and_uniform_int_enumerate() -> None:
    grid = loads_grid("depth: {uniform_int: [1, 3]}\nwidth: {choice: [8, 32]}\ngroups: 2\n", family())
    assert grid.size() == 6
    assert {m["groups"] for m in grid.members()} == {2}


def test_a_log_uniform_cannot_be_enumerated() -> None:
    grid = loads_grid("width: {log_uniform: [8, 64], multiple_of: 8}\n", family())
    with pytest.raises(SpecError) as caught:
        list(grid.members())
    assert caught.value.diagnostics[0].code == E502
    assert "--sample" in (caught.value.diagnostics[0].hint or "")


def test_a_sample_is_the_same_for_the_same_seed_and_stays_in_range() -> None:
    text = "depth: {uniform_int: [1, 4]}\nwidth: {log_uniform: [8, 512], multiple_of: 8}\ngroups: [1, 2]\n"
    first = list(loads_grid(text, family()).sample(200, seed=7))
    again = list(loads_grid(text, family()).sample(200, seed=7))
    other = list(loads_grid(text, family()).sample(200, seed=8))
    assert first == again and first != other
    assert all(1 <= m["depth"] <= 4 and m["groups"] in (1, 2) for m in first)
    assert all(m["width"] % 8 == 0 and 8 <= m["width"] <= 512 for m in first)
    assert len({m["width"] for m in first}) > 10  # it does spread


def test_log_uniform_draws_are_uniform_in_the_logarithm() -> None:
    import math

    draws = [
        m["width"] for m in loads_grid("width: {log_uniform: [1.0, 10000.0]}\n", family()).sample(4000, 1)
    ]
    below_100 = sum(1 for w in draws if w < 100)
    assert math.isclose(below_100 / len(draws), 0.5, abs_tol=0.05)  # half the log range


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("depht: [1, 2]\n", "the family has no parameter 'depht'", 1),
        ("depth: []\n", "an empty list", 1),
        ("depth: {start: 1, stop: 4}\n", "a range {start, stop, step}", 1),
        ("depth: {start: 4, stop: 1, step: 1}\n", "below its start", 1),
        ("depth: {start: 1, stop: 4, step: 0}\n", "step must be positive", 1),
        ("width: [8]\ndepth: {uniform_int: [1]}\n", "uniform_int takes [low, high]", 2),
        ("depth: {log_uniform: [0, 4]}\n", "low > 0", 1),
        ("depth: {choice: [1], start: 1}\n", "choice takes no start", 1),
        ("depth: {choice: [1], uniform_int: [1, 2]}\n", "a mapping of values", 1),
        ("- 1\n", "a mapping of parameters", 1),
    ],
)
def test_a_wrong_grid_is_e502_at_its_line(text: str, message: str, line: int) -> None:
    with pytest.raises(SpecError) as caught:
        loads_grid(text, family(), "grid.yaml")
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == E502 and message in diagnostic.message, diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == line
    assert diagnostic.span.file == "grid.yaml"


def test_a_parameter_without_default_needs_values_in_the_grid() -> None:
    spec = archspec.loads(FAMILY.replace("depth: {type: int, default: 2}", "depth: int"), "fam.yaml")
    assert spec.family is not None
    with pytest.raises(SpecError) as caught:
        loads_grid("width: [8]\n", spec.family)
    assert "no values for depth, which has no default" in caught.value.diagnostics[0].message
