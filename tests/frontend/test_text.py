"""The characters a spec file cannot hold (archspec/frontend/text.py)."""

from __future__ import annotations

from yaml.reader import Reader

from archspec.frontend.text import forbidden_character

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))
BIDI_CONTROLS = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def forbidden_in(text: str, chunk: int = 256) -> set[str]:
    """Every character of ``text`` that forbidden_character finds, a chunk at a time."""
    pieces = (text[start : start + chunk] for start in range(0, len(text), chunk))
    return {
        char for piece in pieces if forbidden_character(piece) for char in piece if forbidden_character(char)
    }


def test_forbidden_are_what_yaml_cannot_print_and_the_bidirectional_controls() -> None:
    """Every code point, against PyYAML's own set of non-printable characters: the list
    archspec spells out is exactly that set and the bidirectional controls."""
    not_printable = set(Reader.NON_PRINTABLE.findall(EVERY_CHARACTER))
    assert "\x00" in not_printable and "\ud800" in not_printable and "\t" not in not_printable
    assert forbidden_in(EVERY_CHARACTER) == not_printable | BIDI_CONTROLS


def test_printable_text_has_none() -> None:
    assert forbidden_character("name: caf\u00e9 \U0001f600\n\tlayers: []\r\n") is None
    assert forbidden_character("a\u202eb") == "\u202e"
