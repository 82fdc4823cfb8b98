"""The characters of a spec file: UTF-8 decoding, forbidden characters, positions.

A spec is plain text: control characters and the bidirectional overrides
that make displayed text differ from parsed text ("Trojan Source") are
refused before YAML sees them, with their line and column.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Any

from archspec.codes import E100, E106
from archspec.diagnostics import Diagnostic, Span, SpecError

TAG = "tag:yaml.org,2002:"

_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # YAML's line breaks; \r\n counts once
# Characters a spec file cannot hold: what YAML calls non-printable (C0/C1
# controls, DEL, surrogates, U+FFFE/FFFF) and the bidirectional embeddings,
# overrides and isolates that let displayed text differ from parsed text
# ("Trojan Source", CVE-2021-42574). Listed as they are, not as the complement of
# YAML's printable set: the same characters (tests/frontend/test_text.py checks every
# code point), but a negated class reaching U+10FFFF costs ~2 ms to compile in every
# process, and its search is slower.
_FORBIDDEN_CHARACTER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def escaped(char: str) -> str:
    """A character as ``'\\u202e' (U+202E RIGHT-TO-LEFT OVERRIDE)``, safe to print."""
    code = ord(char)
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    name = unicodedata.name(char, "")
    return f"'{escape}' (U+{code:04X}{' ' + name if name else ''})"


def position(text: str, index: int) -> tuple[int, int]:
    """Line and column (from 1) of ``text[index]``, counting line breaks as YAML does."""
    line, start = 1, 0
    for found in _BREAKS.finditer(text, 0, index):
        line, start = line + 1, found.end()
    return line, index - start + 1


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` that a spec cannot hold, or None."""
    found = _FORBIDDEN_CHARACTER.search(text)
    return None if found is None else found.group()


def character_diagnostic(char: str, span: Span, *, in_value: bool = False) -> Diagnostic:
    """E106 for ``char``; ``in_value``: it was written as a YAML escape (``"\\u202e"``, ``"\\e"``)."""
    bidi = "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069"
    why = (
        "it can make the text a reviewer sees differ from the text archspec reads"
        if bidi
        else "spec text holds no control characters: they would reach generated source and terminals"
        if in_value
        else "YAML allows no control characters or lone surrogates"
    )
    where = "a string holds, through a YAML escape," if in_value else "the file holds"
    hint = (
        "delete it; names are ASCII identifiers and text needs no direction overrides"
        if bidi
        else "delete it; a spec is plain text"
    )
    if in_value:
        # The escape would otherwise carry the character into generated source,
        # the terminal and Markdown, past the check on the file's characters.
        escape = escaped(char).split()[0]
        hint = f"remove the escape {escape} from the string; " + hint.removeprefix("delete it; ")
    return Diagnostic(E106, f"{where} the character {escaped(char)}: {why}", span, hint=hint)


def refuse_characters(text: str, file: str) -> None:
    found = _FORBIDDEN_CHARACTER.search(text)
    if found is None:
        return
    line, column = position(text, found.start())
    raise SpecError([character_diagnostic(found.group(), Span(file, line, column))])


def wide_encoding(raw: bytes) -> str | None:
    """ "UTF-16" or "UTF-32" when ``raw`` looks like one: a byte-order mark, or
    (without one) NUL bytes in most places of one or more byte positions of each
    unit, as the high bytes of ASCII text are. UTF-8 text of a spec holds no NUL
    at all, so this never mistakes a spec for UTF-16."""
    for mark, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16's: FF FE 00 00 starts with FF FE
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if raw.startswith(mark):
            return name
    sample = raw[:4096]
    if len(sample) < 8 or 0 not in sample:
        return None
    # which of the four byte positions (offset mod 4) are mostly NUL
    mostly = [r for r in range(4) if sample[r::4].count(0) * 2 >= len(sample[r::4])]
    if mostly in ([1, 3], [0, 2]):  # every other byte: UTF-16, little- or big-endian
        return "UTF-16"
    if mostly in ([1, 2, 3], [0, 1, 2]):  # three bytes of four: UTF-32
        return "UTF-32"
    return None


def decode(raw: bytes, file: str) -> str:
    wide = wide_encoding(raw)
    if wide is not None:  # before UTF-8 decoding: UTF-16 of ASCII text is valid UTF-8, full of NULs
        raise SpecError(
            [
                Diagnostic(
                    E100,
                    f"the file is not UTF-8 (it looks like {wide}); save it as UTF-8",
                    Span(file, 1, 1),
                    hint="most editors can save a file again as UTF-8 ('Save with Encoding')",
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8-sig")
        line, column = position(before, len(before))
        raise SpecError(
            [
                Diagnostic(
                    E100,
                    f"the file is not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})",
                    Span(file, line, column),
                    hint="save the spec as UTF-8",
                )
            ]
        ) from None


# YAML 1.1 readings of plain scalars that a reader (and YAML 1.2, which editors
# use) would not expect: 012 is 10, 1:2 is 62. Refused, with a hint to quote.
OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def surprise(tag: str, text: str) -> tuple[str, str] | None:
    """How YAML 1.1 reads a plain scalar that does not mean what it looks like, and the fix."""
    if tag == TAG + "int" and OCTAL.match(text):
        decimal = ("-" if text.startswith("-") else "") + (text.lstrip("+-").lstrip("0_") or "0")
        return "an octal number", f"write {decimal} for a decimal number"
    if tag in (TAG + "int", TAG + "float") and SEXAGESIMAL.match(text):
        return "a base-60 number", "write the number in decimal"
    if tag == TAG + "timestamp":
        return "a date", "a spec holds no dates"
    return None


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def kind_of(value: Any, *, article: bool = False) -> str:
    """What YAML made of a value, for a message: "a string", "an integer" …"""
    names = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
    name = names.get(type(value), type(value).__name__)
    if not article or value is None:
        return name
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
