"""A text table within a number of columns: wide cells (symbolic shapes, formulas)
wrap onto lines of their own row, at ', ' and ' ', instead of running past the edge.

The columns that cannot wrap (a layer's path, its kind, a count) keep their width;
the others share what is left, each at least :data:`MIN_WIDTH`, the narrowest
first given all it needs. A table that fits is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

GAP = 2  # spaces between two columns
MIN_WIDTH = 12


def wrap_cell(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken after ', ' or at ' '
    where it can be, else inside a word."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        comma = rest.rfind(", ", 0, width - 1) + 2  # a whole dim per line where one fits
        cut = comma if comma >= width // 2 else rest.rfind(" ", 0, width + 1) + 1
        if cut <= 0:
            cut = width
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*lines, rest] if rest else lines


def fit_widths(natural: Sequence[int], wrappable: Sequence[bool], columns: int) -> list[int]:
    """The width of each column so that the table fits ``columns`` where it can."""
    widths = list(natural)
    total = sum(widths) + GAP * (len(widths) - 1)
    if total <= columns:
        return widths
    room = columns - (total - sum(w for w, wraps in zip(widths, wrappable, strict=True) if wraps))
    open_columns = sorted((w, i) for i, (w, wraps) in enumerate(zip(widths, wrappable, strict=True)) if wraps)
    for position, (width, index) in enumerate(open_columns):
        share = max(room // (len(open_columns) - position), MIN_WIDTH)
        widths[index] = min(width, share)
        room -= widths[index]
    return widths


def table_lines(rows: Sequence[Sequence[str]], widths: Sequence[int], right: Sequence[bool]) -> list[str]:
    """Each row as one line or more (its wrapped cells), padded to ``widths``."""
    lines = []
    for row in rows:
        cells = [wrap_cell(cell, width) for cell, width in zip(row, widths, strict=True)]
        for number in range(max(len(cell) for cell in cells)):
            parts = []
            for cell, width, to_right in zip(cells, widths, right, strict=True):
                text = cell[number] if number < len(cell) else ""
                parts.append(text.rjust(width) if to_right else text.ljust(width))
            lines.append((" " * GAP).join(parts).rstrip())
    return lines
