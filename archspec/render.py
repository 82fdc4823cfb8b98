"""Diagnostics for people, for programs and for GitHub Actions.

``text`` is what a compiler prints: the located first line, the source line
with a caret under the column, then the hint::

    net.yaml:4:29: error[E201]: layer 0: unknown key 'kernel_sise' for conv
        4 |   - conv: {out_channels: 8, kernel_sise: 3}
          |                             ^~~~~~~~~~~
      hint: did you mean 'kernel_size'?

``json`` is a list of objects (code, message, file, line, column, path,
hint); ``github`` is one ``::error`` workflow command per diagnostic, which
GitHub Actions shows as an annotation on the file and line.

The source line is read at render time, from the file the span names: only a
regular file, and only its first :data:`MAX_SOURCE_BYTES` bytes (the size a
spec may have). A spec loaded from a string shows its lines when the text is
given (``SourceLines({"<string>": text})``).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping

from archspec.diagnostics import FORMATS as FORMATS  # re-exported: the renderer's formats
from archspec.diagnostics import Diagnostic, json_text

MAX_SOURCE_BYTES = 1 << 20  # the loader's limit: a larger file is an error at line 1
MAX_LINE_WIDTH = 120  # a longer source line is shown as a window around the column
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.=")
# The line breaks of YAML (and so of the loader's line numbers): \r\n counts once.
_BREAKS = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """Lines as YAML counts them (``str.splitlines`` would also split on form feeds)."""
    lines = _BREAKS.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


class SourceLines:
    """The lines of the files diagnostics point into, read once each, on demand."""

    def __init__(self, texts: Mapping[str, str] | None = None) -> None:
        self._lines: dict[str, list[str] | None] = {
            name: split_lines(text) for name, text in (texts or {}).items()
        }

    def line(self, file: str, number: int) -> str | None:
        if file not in self._lines:
            self._lines[file] = _read_lines(file)
        lines = self._lines[file]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def _read_lines(file: str) -> list[str] | None:
    """A regular file's lines, or None (a pipe, a device, a missing or unreadable file)."""
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            return None
        with open(file, "rb") as handle:
            raw = handle.read(MAX_SOURCE_BYTES)
    except (OSError, ValueError):
        return None
    return split_lines(raw.decode("utf-8-sig", errors="replace"))


def escape_controls(text: str) -> str:
    """``text`` with every character that is not printable escaped (``\\x1b``,
    ``\\u202e``, ``\\n``): nothing written to a terminal can move the cursor,
    change colours or reorder what follows."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def one_line(text: str) -> str:
    """Free text (a description) for one line: whitespace runs become a space, the rest as
    :func:`escape_controls`."""
    return escape_controls(" ".join(text.split()))


def _printable(char: str) -> str:
    """The character, or U+FFFD for a control or format character (no terminal escapes)."""
    if char == "\t":
        return char
    return "\ufffd" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char


def _pad(char: str) -> str:
    """What goes under ``char`` in the caret line so that the caret lines up."""
    if char == "\t":
        return "\t"
    return "  " if unicodedata.east_asian_width(char) in ("W", "F") else " "


def snippet(line: str, column: int) -> tuple[str, str]:
    """The source line as shown (cut to a window around the column, made safe)
    and the caret line under it: ``^`` at the column, ``~`` under the rest of
    the word there."""
    index = max(0, min(column - 1, len(line)))
    start, end = 0, len(line)
    if len(line) > MAX_LINE_WIDTH:
        start = max(0, min(index - MAX_LINE_WIDTH // 2, len(line) - MAX_LINE_WIDTH))
        end = start + MAX_LINE_WIDTH
    shown = "".join(_printable(c) for c in line[start:end])
    prefix = "…" if start else ""
    caret_prefix = (" " if start else "") + "".join(_pad(c) for c in shown[: index - start])
    word = 1
    if index < end and line[index] in _WORD:
        while index + word < end and line[index + word] in _WORD:
            word += 1
    caret = "^" + "~" * (word - 1)
    return prefix + shown + ("…" if end < len(line) else ""), caret_prefix + caret


def render_text(diagnostic: Diagnostic, sources: SourceLines | None = None) -> str:
    """``file:line:col: error[CODE]: layer PATH: message``, the source line and caret, the hint."""
    first, _, hint = diagnostic.render().partition("\n")
    # Messages escape the spec text they quote; this also covers a file name and any
    # text a caller put in a Diagnostic.
    first, hint = escape_controls(first), "\n".join(escape_controls(line) for line in hint.splitlines())
    lines = [first]
    span = diagnostic.span
    source = sources.line(span.file, span.line) if sources is not None and span is not None else None
    if span is not None and source is not None:
        shown, caret = snippet(source, span.column)
        gutter = max(4, len(str(span.line)))
        lines.append(f"{span.line:>{gutter}} | {shown}".rstrip())
        lines.append(f"{'':>{gutter}} | {caret}")
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def as_dict(diagnostic: Diagnostic) -> dict[str, object]:
    """The JSON form: file, line and column are null where the problem has no place."""
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "message": diagnostic.message,
        "file": span.file if span else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "path": diagnostic.path,
        "hint": diagnostic.hint,
    }


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping (actions/toolkit, command.ts: escapeData).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostic: Diagnostic) -> str:
    """``::error file=F,line=L,col=C,title=CODE::layer PATH: message`` (hint on a second line)."""
    span = diagnostic.span
    properties = []
    if span is not None:
        properties += [
            f"file={_escape_property(escape_controls(span.file))}",
            f"line={span.line}",
            f"col={span.column}",
        ]
    properties.append(f"title={_escape_property(diagnostic.code)}")
    layer = f"layer {diagnostic.path}: " if diagnostic.path else ""
    message = f"{layer}{diagnostic.message}"
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    message = "\n".join(escape_controls(line) for line in message.split("\n"))  # %0A: lines of the annotation
    return f"::error {','.join(properties)}::{_escape_data(message)}"


def render(diagnostics: Iterable[Diagnostic], format: str, sources: SourceLines | None = None) -> str:
    """Every diagnostic in one format, ending in a newline (``[]`` for no JSON diagnostics)."""
    items = list(diagnostics)
    if format == "json":
        return json_text([as_dict(d) for d in items], indent=2) + "\n"
    if format == "github":
        return "".join(render_github(d) + "\n" for d in items)
    if format != "text":
        raise ValueError(f"unknown diagnostics format {format!r}; expected one of {FORMATS}")
    sources = sources if sources is not None else SourceLines()
    return "".join(render_text(d, sources) + "\n" for d in items)
