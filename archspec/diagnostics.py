"""Errors as values: a diagnostic carries a code, a message, where it happened
(file:line:column) and which layer (its path, e.g. ``b3.0.p2_2``).

Stages collect diagnostics; only the public API turns them into a raised
:class:`SpecError`. Rules (shape rules, parameter checks) never see files: they
raise :class:`RuleError` and the driver adds the location.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from archspec.codes import E300

FORMATS = ("text", "json", "github")
"""The forms :mod:`archspec.render` writes diagnostics in: named here, below it, so that the
command line can offer them without importing the renderer before an error needs it."""


@dataclass(frozen=True, order=True)
class Span:
    """A position in a spec file; ``line`` and ``column`` count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a spec, with where it is and, where possible, the fix."""

    code: str
    message: str
    span: Span | None = None
    path: str = ""
    hint: str | None = None

    def render(self) -> str:
        """``file:line:col: error[CODE]: path: message`` then the hint, if any."""
        where = f"{self.span}: " if self.span else ""
        layer = f"layer {self.path}: " if self.path else ""
        text = f"{where}error[{self.code}]: {layer}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int]:
        if self.span is None:
            return ("", 0, 0)
        return (self.span.file, self.span.line, self.span.column)


class SpecError(Exception):
    """The one exception the public API raises for a bad spec.

    ``diagnostics`` holds every problem found, sorted by position.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class RuleError(Exception):
    """Raised by a shape or parameter rule; the driver adds file, line and path.

    ``field`` names the parameter at fault, so the error points at its line.
    """

    def __init__(
        self, message: str, *, code: str = E300, field: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.hint = hint


def check(condition: bool, message: str, **kwargs: str) -> None:
    """One-line rule check in the style of ``torch._check``: raise when false."""
    if not condition:
        raise RuleError(message, **kwargs)


ABRIDGE_LIMIT = 40
"""The default length of a value shown in a message (the escaped text, before the count)."""


def json_text(value: object, indent: int | None = None) -> str:
    """``value`` as JSON that a terminal shows as it parses: printable non-ASCII characters
    stay readable (``→``, ``×``); the rest, which JSON leaves raw (DEL, C1 controls, the
    bidirectional overrides and isolates of "Trojan Source", zero-width and line-separator
    characters), are ``\\uXXXX`` escapes.

    Every machine-readable output (diagnostics, SARIF, reports, sweep rows) goes through
    it: a file name or a checkpoint key can hold such characters, spec text cannot.
    """
    import json
    import re

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    # Only characters outside printable ASCII are looked at: a report is mostly ASCII.
    return re.sub("[^\n -~]", _json_escape, text)


def _json_escape(found: Any) -> str:
    char: str = found.group()
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)  # JSON spells a character past U+FFFF as a surrogate pair
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def abridge(value: object, limit: int = ABRIDGE_LIMIT, *, quote: bool = True) -> str:
    """A value as a message shows it: escaped, and cut so that it never floods the message.

    Every character outside printable ASCII is escaped (``\\n``, ``\\x1b``,
    ``\\u202e``, ``\\uff52``), so that a control character cannot forge a line
    or drive the terminal, a bidi override cannot reorder the text, and a
    full-width look-alike shows as what it is. ``quote=False`` leaves out the
    quotes around a string (for a name or a path inside a sentence). A huge
    int is never converted (``str`` of one past Python's digit limit raises).
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"an int of {value.bit_length()} bits"
    if isinstance(value, str) and not quote:
        text = "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in value)
    else:
        try:
            text = ascii(value)
        except ValueError:  # a huge int inside a list: ascii() of it raises
            return f"<{type(value).__name__} holding a huge int>"
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}…{text[-limit // 4 :]} ({len(text)} chars)"
