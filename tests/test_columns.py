"""Wide tables within a width: shapes and formulas wrap inside their cells (compile --columns)."""

from __future__ import annotations

import pytest

from archspec.cli import main
from archspec.columns import fit_widths, table_lines, wrap_cell


def test_a_cell_wraps_after_a_dim_or_at_a_space() -> None:
    assert wrap_cell("[N, 64, 56, 56]", 20) == ["[N, 64, 56, 56]"]
    assert wrap_cell("[N, 64, floor(H/2) + 1, floor(W/2) + 1]", 24) == [
        "[N, 64, floor(H/2) + 1,",
        "floor(W/2) + 1]",
    ]
    assert wrap_cell("3136*(floor((H - 1)/2) + 1)", 12) == ["3136*(floor(", "(H - 1)/2) +", "1)"]
    assert wrap_cell("x" * 30, 12) == ["x" * 12, "x" * 12, "x" * 6]


def test_widths_shrink_the_wrapping_columns_only() -> None:
    assert fit_widths([5, 10, 40], [False, False, True], 80) == [5, 10, 40]
    assert fit_widths([5, 10, 40, 30], [False, False, True, True], 60) == [5, 10, 20, 19]
    assert fit_widths([5, 10, 40], [False, False, True], 10) == [5, 10, 12]  # never below the minimum


def test_rows_become_several_lines() -> None:
    lines = table_lines(
        [("a", "[N, 64, floor(H/2) + 1, floor(W/2) + 1]", "12")], [1, 24, 3], [False, False, True]
    )
    assert lines == ["a  [N, 64, floor(H/2) + 1,    12", "   floor(W/2) + 1]"]


@pytest.mark.parametrize("columns", [80, 100])
def test_compile_fits_a_symbolic_table_in_the_columns(
    columns: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["compile", "specs/resnet18.yaml", "--input", "1xHxW", "--depth", "1", "--columns", str(columns)]
        )
        == 0
    )
    table = capsys.readouterr().out.split("\n\n")[1].splitlines()
    assert table[0].startswith("layer") and len(table) > 20
    assert max(len(line) for line in table) <= columns
    assert main(["compile", "specs/resnet18.yaml", "--input", "1xHxW", "--depth", "1"]) == 0
    wide = capsys.readouterr().out.split("\n\n")[1].splitlines()
    assert max(len(line) for line in wide) > columns  # without --columns the table is as wide as it is


def test_too_few_columns_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "specs/resnet18.yaml", "--columns", "10"]) == 2
    assert "expected at least 40 columns" in capsys.readouterr().err
