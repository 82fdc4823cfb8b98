"""A document's lines and positions, as the protocol counts them.

The loader counts lines as YAML does and columns in characters; the protocol
counts columns in UTF-16 code units (its default encoding). A position a
client sends is checked here: one past the end of the document is refused
(:class:`OutOfRange`), and the server answers it with an InvalidParams error.
"""

from __future__ import annotations

import re

from archspec.render import split_lines

WORD = re.compile(r"[A-Za-z0-9_.=@/-]+")


class OutOfRange(ValueError):
    """A position outside the document."""


class Lines:
    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        if not self.lines or text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029")):
            self.lines.append("")  # the line after the last break: where a new line is typed

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, number: int) -> str:
        """Line ``number`` counted from 0; '' past the end."""
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def units(self, number: int, column: int | None = None) -> int:
        """UTF-16 units before character ``column`` (0-based; None: the whole line)."""
        text = self.line(number)
        if column is not None:
            text = text[:column]
        return len(text.encode("utf-16-le")) // 2

    def checked(self, line: int, character: int) -> int:
        """The character index of a client's position, or OutOfRange."""
        if not 0 <= line < len(self.lines) or character < 0 or character > self.units(line):
            raise OutOfRange(
                f"position {line}:{character} is outside the document "
                f"({len(self.lines)} lines; line {line} has {self.units(line)} UTF-16 units)"
            )
        text, units, index = self.line(line), 0, 0
        while index < len(text) and units < character:
            units += 2 if ord(text[index]) > 0xFFFF else 1
            index += 1
        return index

    def word_at(self, line: int, index: int) -> tuple[str, int, int]:
        """The word (name, import path or expression) around character ``index``."""
        text = self.line(line)
        for match in WORD.finditer(text):
            if match.start() <= index <= match.end():
                return match.group(), match.start(), match.end()
        return "", index, index

    def span_end(self, line: int, index: int) -> int:
        """The end of the word that starts at ``index`` (at least one character on)."""
        text = self.line(line)
        match = WORD.match(text, index)
        end = match.end() if match else index + 1
        return min(max(end, index + 1), len(text)) if text else 0
