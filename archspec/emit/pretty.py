"""A small code printer that lays out calls the way ruff format (and black) do.

Expressions are trees of :class:`Call`, :class:`Seq` (list, tuple, dict and
call arguments) and :class:`Raw` text. A tree is printed on one line when it
fits in the line length; else its brackets are split, with the contents on
one indented line when they fit ("hugging"), or one element per line with a
trailing comma. A trailing comment on an element forces the split, as it does
for the formatters. The output is stable: printing it through ``ruff format``
changes nothing (the tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LINE_LENGTH = 88
INDENT = "    "


@dataclass(frozen=True)
class Raw:
    """Code text, printed as is (a name, a literal, an expression)."""

    text: str
    comment: str | None = None


@dataclass(frozen=True)
class Seq:
    """Bracketed elements: ``open`` and ``close`` are "(" ")", "[" "]" or "{" "}"."""

    open: str
    items: tuple[Node, ...]
    close: str
    comment: str | None = None


@dataclass(frozen=True)
class Call:
    """``func(args)``: the arguments are a Seq in parentheses."""

    func: str
    args: tuple[Node, ...] = ()
    comment: str | None = None


@dataclass(frozen=True)
class Pair:
    """``key=value`` in a call, or ``key: value`` in a dict."""

    key: str
    value: Node
    separator: str = "="
    comment: str | None = field(default=None)


Node = Raw | Seq | Call | Pair


_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string_literal(value: str) -> str:
    """A Python string literal that reads back as ``value``, on one line of plain text.

    Every character that is not printable (controls, NUL, bidi overrides,
    zero-width and line-separator characters) is written as an escape, so the
    source shows what the string holds ("Trojan Source"). The quotes are the
    ones ruff format picks: double, unless that needs more escapes.
    """
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for char in value:
        if char in _STRING_ESCAPES or char == quote:
            out.append(_STRING_ESCAPES.get(char, "\\" + char))
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
    return quote + "".join(out) + quote


def literal(value: object) -> str:
    """A Python literal for an int, float, bool, None, str or tuple of them."""
    if isinstance(value, str):
        return _string_literal(value)
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def flat(node: Node) -> str:
    if isinstance(node, Raw):
        return node.text
    if isinstance(node, Pair):
        return f"{node.key}{node.separator}{flat(node.value)}"
    if isinstance(node, Call):
        return node.func + "(" + ", ".join(flat(a) for a in node.args) + ")"
    inner = ", ".join(flat(item) for item in node.items)
    if node.open == "(" and len(node.items) == 1:
        inner += ","
    return node.open + inner + node.close


def _has_comment(node: Node) -> bool:
    if node.comment:
        return True
    if isinstance(node, Pair):
        return _has_comment(node.value)
    items = node.args if isinstance(node, Call) else node.items if isinstance(node, Seq) else ()
    return any(_has_comment(item) for item in items)


def render(node: Node, indent: int = 0, prefix: str = "", suffix: str = "") -> str:
    """``prefix + node + suffix`` at ``indent`` levels, split where it does not fit."""
    pad = INDENT * indent
    one_line = pad + prefix + flat(node) + suffix
    comment = f"  # {node.comment}" if node.comment else ""
    # A trailing comment counts toward the line length, as in ruff format.
    if len(one_line + comment) <= LINE_LENGTH and not _has_comment_inside(node):
        return one_line + comment
    if isinstance(node, Pair):
        return render(node.value, indent, f"{prefix}{node.key}{node.separator}", suffix)
    if isinstance(node, Raw):
        return one_line + comment
    opening, items, closing = _brackets(node)
    head = pad + prefix + opening
    inner_pad = INDENT * (indent + 1)
    hugged = ", ".join(flat(item) for item in items)
    if not any(_has_comment(item) for item in items) and len(inner_pad + hugged) <= LINE_LENGTH:
        tail = "," if isinstance(node, Seq) and node.open == "(" and len(items) == 1 else ""
        return f"{head}\n{inner_pad}{hugged}{tail}\n{pad}{closing}{suffix}{comment}"
    lines = [head]
    lines += [render(item, indent + 1, "", ",") for item in items]
    lines.append(pad + closing + suffix + comment)
    return "\n".join(lines)


def _has_comment_inside(node: Node) -> bool:
    if isinstance(node, Pair):
        return _has_comment(node.value)
    items = node.args if isinstance(node, Call) else node.items if isinstance(node, Seq) else ()
    return any(_has_comment(item) for item in items)


def _brackets(node: Call | Seq) -> tuple[str, tuple[Node, ...], str]:
    if isinstance(node, Call):
        return node.func + "(", node.args, ")"
    return node.open, node.items, node.close
