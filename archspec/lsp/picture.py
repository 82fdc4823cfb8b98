"""A text picture of what an editor shows: the inlay hints at the ends of the lines,
and the hover of one line under it. docs/editors.md holds one, which
tests/lsp/test_picture.py renders again, so the page cannot drift from the server."""

from __future__ import annotations

from archspec.lsp.analysis import analyze
from archspec.lsp.answers import hint_label, hover
from archspec.lsp.kinds import kinds
from archspec.lsp.text import Lines
from archspec.render import split_lines


def picture(text: str, hover_line: int, file: str = "net.yaml") -> str:
    """``text`` with each layer line's hint after it, then the hover of ``hover_line`` (0-based)."""
    table = kinds()
    analysis = analyze(text, file, table)
    lines = Lines(text)
    shown = []
    for number, line in enumerate(split_lines(text)):
        layers = analysis.layers_on(number + 1)
        shown.append(f"{line}  {hint_label(layers)}" if layers else line)
    found = hover(analysis, lines, hover_line, len(lines.line(hover_line)) // 2, table)
    if found is not None:
        width = max(len(line) for line in shown)
        shown.append("")
        shown.append(f"hover on line {hover_line + 1}:")
        shown.append("┌" + "─" * (width - 1))
        body = found.contents.value if hasattr(found.contents, "value") else str(found.contents)
        shown += [f"│ {row}" if row else "│" for row in body.splitlines()]
        shown.append("└" + "─" * (width - 1))
    return "\n".join(shown) + "\n"
