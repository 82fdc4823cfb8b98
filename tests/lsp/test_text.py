"""Positions as the protocol counts them: UTF-16 units, checked against the document."""

from __future__ import annotations

import pytest

from archspec.lsp.text import Lines, OutOfRange


def test_columns_count_utf16_units() -> None:
    lines = Lines("name: n\ndescription: ẞ and 𝄞 here\n  - conv: {out_channels: 8}\n")
    assert lines.units(1) == len("description: ẞ and 𝄞 here") + 1  # 𝄞 takes two units
    assert lines.checked(1, lines.units(1)) == len(lines.line(1))
    assert lines.checked(1, 21) == 20  # past the 𝄞: one character less than units
    assert lines.word_at(2, 6) == ("conv", 4, 8)


def test_the_line_after_the_last_break_is_in_the_document() -> None:
    assert Lines("name: n\nlayers: []\n").checked(2, 0) == 0


@pytest.mark.parametrize(("line", "character"), [(3, 0), (2, 1), (-1, 0), (0, 8), (0, -1)])
def test_a_position_outside_the_document_is_refused(line: int, character: int) -> None:
    with pytest.raises(OutOfRange, match="outside the document"):
        Lines("name: n\nlayers: []\n").checked(line, character)
