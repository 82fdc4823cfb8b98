"""YAML -> plain data + a source map, with the safety rules of a spec file.

The loader walks PyYAML's parse *events* (the C parser when present) and
composes plain Python data itself, so that it can:

- keep file:line:column for every key and value (the source map);
- refuse every explicit tag (``!!python/object``, ``!foo``, even ``!!str``)
  before anything is constructed: nothing a tag names can ever run;
- refuse duplicate keys, naming both lines, and keys that are not strings;
- bound the file size before parsing, and nesting depth and the expanded node
  count (an alias counts its whole subtree at every use, which is what stops
  alias bombs) while composing, before anything walks the result;
- refuse recursive aliases, which PyYAML's own composer accepts (it builds a
  list that contains itself, and the first walk of it never ends);
- refuse the YAML 1.1 readings that do not mean what they look like
  (``012`` as 10, ``1:2`` as 62, dates), keys that are not strings (``yes:``
  and ``on:`` are booleans), non-finite floats and integers beyond 64 bits,
  from the raw scalar text, and keep the text of ``yes``/``off`` values for
  the hint of a later type error;
- refuse control characters and bidirectional overrides anywhere in the file,
  and in every decoded key and value (a quoted "\\e" or "\\u202e" escape).

The scalars are read by archspec/frontend/scalars.py, a part of the composer.
Only :class:`~archspec.diagnostics.SpecError` leaves this module.
See docs/security.md for the threat model and the budgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archspec.codes import E100, E101, E102, E103, E105, E400, E401, E402
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.paths import PathError, read_regular
from archspec.frontend.scalars import MERGE_TAG, ScalarReader
from archspec.frontend.text import decode, kind_of, refuse_characters, utf8_size
from archspec.limits import Limits

try:  # the C parser is much faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]
"""(line, column), counting from 1: a pair of ints, which the garbage collector stops
tracking at its first pass, where a Span per node would be one more object it scans at
every full collection for as long as the spec lives (a 10,000-layer spec has ~50,000)."""


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of the loaded data came from.

    ``values`` and ``keys`` hold each path's position; :meth:`span` makes the
    :class:`Span` of one when a message needs it. ``readings`` keeps the raw
    text of the values YAML 1.1 reads as booleans though they are words
    (``yes``, ``off``), so that an error can say why.
    """

    file: str
    values: dict[KeyPath, Position] = field(default_factory=dict)
    keys: dict[KeyPath, Position] = field(default_factory=dict)
    readings: dict[KeyPath, str] = field(default_factory=dict)

    def span(self, path: KeyPath, *, key: bool = False) -> Span:
        """The span of ``path``, or of its nearest ancestor that has one."""
        if key and path in self.keys:
            return Span(self.file, *self.keys[path])
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return Span(self.file, *found)
        return Span(self.file, 1, 1)


_NO_TAG = (None, "!")  # "!": the non-specific tag PyYAML reports for quoted scalars
_ALIAS, _SCALAR, _SEQUENCE = yaml.AliasEvent, yaml.ScalarEvent, yaml.SequenceStartEvent
_SEQUENCE_END, _MAPPING_END = yaml.SequenceEndEvent, yaml.MappingEndEvent


class _Composer(ScalarReader):
    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.map = SourceMap(file)
        self.nodes = 0
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, code: str, message: str, mark: Any, hint: str | None = None) -> SpecError:
        return SpecError([Diagnostic(code, message, self.span(mark), hint=hint)])

    def span(self, mark: Any) -> Span:
        return Span(self.file, mark.line + 1, mark.column + 1)

    def count(self, n: int, mark: Any) -> None:
        self.nodes += n
        if self.nodes > self.limits.max_nodes:
            raise self.too_many(mark)

    def too_many(self, mark: Any) -> SpecError:
        return self.fail(
            E401,
            f"the document expands to more than {self.limits.max_nodes:,} YAML nodes",
            mark,
            hint="an alias counts its anchor's whole subtree at every use; a spec this large is "
            "likely an alias bomb (or raise Limits.max_nodes, see docs/security.md)",
        )

    def refuse_tag(self, event: Any) -> None:
        # "!" is the non-specific tag PyYAML reports for quoted scalars; aliases have no tag.
        if getattr(event, "tag", None) not in (None, "!"):
            raise self.fail(
                E102,
                f"explicit tag {abridge(event.tag, 80)} is not allowed",
                event.start_mark,
                hint="remove the tag; spec values are plain YAML scalars, lists and mappings",
            )

    def node(self, loader: Any, path: KeyPath, depth: int) -> Any:
        event = loader.get_event()
        if depth > self.limits.max_depth:
            raise self.fail(
                E402,
                f"nesting is deeper than {self.limits.max_depth} levels",
                event.start_mark,
                hint="no spec needs this; raise Limits.max_depth if one does (docs/security.md)",
            )
        mark = event.start_mark
        self.map.values[path] = (mark.line + 1, mark.column + 1)
        kind: type[object] = type(event)  # the parser's own classes: no subclasses to ask isinstance about
        if kind is _ALIAS:
            return self.alias(event)
        if event.tag not in _NO_TAG:
            self.refuse_tag(event)
        anchor = event.anchor
        if anchor is not None:  # a later anchor of the same name replaces the earlier one
            self.anchors.pop(anchor, None)
            self.open_anchors.add(anchor)
        before = self.nodes
        self.nodes = before + 1  # count(1), inline: every node passes here
        if self.nodes > self.limits.max_nodes:
            raise self.too_many(mark)
        if kind is _SCALAR:
            value = self.scalar(event, path)
        elif kind is _SEQUENCE:
            value = []
            while type(loader.peek_event()) is not _SEQUENCE_END:
                value.append(self.node(loader, (*path, len(value)), depth + 1))
            loader.get_event()
        else:
            value = self.mapping(loader, path, depth)
        if anchor is not None:
            self.open_anchors.discard(anchor)
            self.anchors[anchor] = (value, self.nodes - before)
        return value

    def alias(self, event: Any) -> Any:
        name = abridge(event.anchor, quote=False)
        if event.anchor in self.open_anchors:
            raise self.fail(
                E100,
                f"alias *{name} is inside the node its anchor names (a recursive alias)",
                event.start_mark,
                hint="a spec is a tree: an alias may only repeat a node that is complete",
            )
        if event.anchor not in self.anchors:
            raise self.fail(E100, f"alias *{name} has no anchor &{name} before it", event.start_mark)
        value, size = self.anchors[event.anchor]
        self.count(size, event.start_mark)
        return value

    def mapping(self, loader: Any, path: KeyPath, depth: int) -> dict[Any, Any]:
        value: dict[Any, Any] = {}
        keys = self.map.keys
        while True:
            key_event = loader.peek_event()
            if type(key_event) is _MAPPING_END:
                break
            self.refuse_tag(key_event)  # first: a tagged key is refused as a tag, whatever its kind
            if type(key_event) is not _SCALAR:
                raise self.fail(
                    E105,
                    "a mapping key must be a plain string, not a list, a mapping or an alias",
                    key_event.start_mark,
                )
            loader.get_event()
            tag = self.resolver.resolve(yaml.ScalarNode, key_event.value, key_event.implicit)
            if tag == MERGE_TAG:
                raise self.fail(
                    E100,
                    "merge keys (<<) are not supported",
                    key_event.start_mark,
                    hint="write the keys out, or define a block",
                )
            key = self.scalar(key_event, None, tag)
            key_at = (key_event.start_mark.line + 1, key_event.start_mark.column + 1)
            if not isinstance(key, str):
                raise self.fail(
                    E105,
                    f"a mapping key must be a string; YAML 1.1 reads {abridge(key_event.value)} as "
                    f"{kind_of(key, article=True)}",
                    key_event.start_mark,
                    hint=f"quote it ({abridge(key_event.value)}: …) if you mean it as a name",
                )
            at = (*path, key)
            if key in value:
                first_line, _ = keys[at]
                raise self.fail(
                    E101,
                    f"key {abridge(key)} is given twice: first at line {first_line}, "
                    f"again at line {key_at[0]}",
                    key_event.start_mark,
                    hint="remove one of them",
                )
            self.nodes += 1  # count(1), inline
            if self.nodes > self.limits.max_nodes:
                raise self.too_many(key_event.start_mark)
            if key_event.anchor is not None:  # &k name: … lets *k repeat the key's text
                self.anchors[key_event.anchor] = (key, 1)
            keys[at] = key_at
            value[key] = self.node(loader, at, depth + 1)
        loader.get_event()
        return value

    def document(self, text: str) -> Any:
        loader = _EventLoader(text)
        try:
            loader.get_event()  # StreamStart
            if loader.check_event(yaml.StreamEndEvent):
                raise SpecError(
                    [
                        Diagnostic(
                            E103,
                            "the file is empty (or holds only comments)",
                            Span(self.file, 1, 1),
                            hint="start with 'name:', 'input:' and 'layers:' keys",
                        )
                    ]
                )
            loader.get_event()  # DocumentStart
            data = self.node(loader, (), 0)
            loader.get_event()  # DocumentEnd
            if not loader.check_event(yaml.StreamEndEvent):
                extra = loader.peek_event()
                raise self.fail(
                    E103,
                    "the file holds more than one YAML document",
                    extra.start_mark,
                    hint="one spec per file; remove the extra '---' documents",
                )
            return data
        finally:
            loader.dispose()


def load_text(
    text: str | bytes, file: str = "<string>", limits: Limits | None = None
) -> tuple[dict[str, Any], SourceMap]:
    """Parse spec text into plain data and its source map, or raise SpecError."""
    limits = limits or Limits()
    size = len(text) if isinstance(text, bytes) or len(text) > limits.max_bytes else utf8_size(text)
    if size > limits.max_bytes:
        raise SpecError(
            [
                Diagnostic(
                    E400,
                    f"the file is larger than {limits.max_bytes:,} bytes",
                    Span(file, 1, 1),
                    hint="raise Limits.max_bytes if a spec really is this large (docs/security.md)",
                )
            ]
        )
    if isinstance(text, bytes):
        text = decode(text, file)
    refuse_characters(text, file)
    composer = _Composer(file, limits)
    try:
        data = composer.document(text)
    except SpecError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # libyaml's own limit (1,000), where it is built in
            raise SpecError(
                [Diagnostic(E402, f"nesting is deeper than {limits.max_depth} levels", span)]
            ) from None
        message = f"invalid YAML: {abridge(problem, 200, quote=False)}"
        hint = None
        if mark is not None and text[mark.index : mark.index + 1] in ("@", "`"):
            # '@' and '`' are reserved in YAML: a library import must be quoted.
            hint = "YAML reserves '@' and '`' at the start of a value: quote it, e.g. \"@torchvision/resnet\""
        raise SpecError([Diagnostic(E100, message, span, hint=hint)]) from None
    except (yaml.YAMLError, RecursionError, ValueError, MemoryError) as exc:
        message = abridge(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 120)
        raise SpecError([Diagnostic(E100, f"invalid YAML: {message}", Span(file, 1, 1))]) from None
    if not isinstance(data, dict):
        kind = kind_of(data)
        raise SpecError(
            [
                Diagnostic(
                    E103,
                    f"a spec must be one YAML mapping, got {kind}",
                    composer.map.span(()),
                    hint="start with 'name:', 'input:' and 'layers:' keys",
                )
            ]
        )
    return data, composer.map


def load_file(path: str | Path, limits: Limits | None = None) -> tuple[dict[str, Any], SourceMap]:
    """Read and parse a spec file; a path that cannot be read is a SpecError too.

    Only a regular file is read (a directory, a FIFO or a device is refused
    before it is opened), and at most ``max_bytes + 1`` bytes of it, so a huge
    file costs no more than the budget.
    """
    limits = limits or Limits()
    name = str(path)
    try:
        raw = read_regular(path, limits.max_bytes + 1)
    except PathError as error:
        raise SpecError(
            [Diagnostic(E100, f"cannot read the file: {error.reason}", Span(name, 1, 1))]
        ) from None
    return load_text(raw, name, limits)
