"""Errors as values: a diagnostic carries a code, a message, where it happened
(file:line:column) and which layer (its path, e.g. ``b3.0.p2_2``).

Stages collect diagnostics; only the public API turns them into a raised
:class:`SpecError`. Rules (shape rules, parameter checks) never see files: they
raise :class:`RuleError` and the driver adds the location.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """A position in a spec file; ``line`` and ``column`` count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# Stable codes: the catalogue in docs/errors.md documents each one.
CODES = {
    "E100": "the file cannot be read or is not valid YAML",
    "E101": "a key is given twice in one mapping",
    "E102": "an explicit YAML tag (tags could name code; archspec refuses them all)",
    "E103": "the document is not one YAML mapping",
    "E104": "a plain YAML value that YAML 1.1 reads otherwise than it looks (012, 1:2, a date)",
    "E105": "a mapping key is not a string (yes:, on:, 1:, ~:, a list)",
    "E106": "a character a spec file cannot hold (control characters, bidi overrides)",
    "E200": "a value has the wrong type or is out of range",
    "E201": "an unknown key",
    "E202": "a required key is missing",
    "E203": "an unknown primitive",
    "E204": "a layer is neither a primitive name nor a one-key mapping",
    "E205": "a name is used twice in one scope",
    "E206": "an expression cannot be parsed or evaluated",
    "E207": "a block definition is wrong (a shadowed name, a cycle, a bad parameter)",
    "E208": "an import cannot be resolved (missing, outside the spec's folder, a cycle)",
    "E209": "compile -o cannot write this spec as Python (a name clash, an unsupported layout)",
    "E300": "a shape does not fit the layer",
    "E301": "a dimension falls below 1",
    "E302": "a given input (in_channels, in_features, num_features) disagrees with the inferred one",
    "E303": "a layer needs a concrete size where the input is symbolic",
    "E304": "no size of an input symbol makes the network valid",
    "E305": "the input has the wrong number of dims for the layer",
    "E400": "the file is larger than the byte budget (Limits.max_bytes)",
    "E401": "the document expands past the node budget, as alias bombs do (Limits.max_nodes)",
    "E402": "lists and mappings nest deeper than the depth budget (Limits.max_depth)",
    "E403": "more layers after block and repeat expansion than the budget (Limits.max_layers)",
    "E404": "more parameters than the budget (Limits.max_params)",
    "E405": "a tensor of one sample larger than the budget (Limits.max_activation)",
}


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
        self, message: str, *, code: str = "E300", field: str | None = None, hint: str | None = None
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
