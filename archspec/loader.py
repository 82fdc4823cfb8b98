"""YAML -> plain data + a source map, with the safety rules of a spec file.

The loader walks PyYAML's parse *events* (the C parser when present) and
composes plain Python data itself, so that it can:

- keep file:line:column for every key and value (the source map);
- refuse every explicit tag (``!!python/object``, ``!foo``, even ``!!str``)
  before anything is constructed: nothing a tag names can ever run;
- refuse duplicate keys, naming both lines;
- bound nesting depth and the expanded node count (aliases count once per use,
  which is what stops alias bombs) while composing, before any walk explodes.

Only :class:`~archspec.diagnostics.SpecError` leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archspec.diagnostics import Diagnostic, Span, SpecError, abridge

try:  # the C parser is much faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadLimits:
    """Budgets for one spec file; see docs/security.md."""

    max_bytes: int = 1 << 20
    max_nodes: int = 100_000
    max_depth: int = 64


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of the loaded data came from."""

    file: str
    values: dict[KeyPath, Span] = field(default_factory=dict)
    keys: dict[KeyPath, Span] = field(default_factory=dict)

    def span(self, path: KeyPath, *, key: bool = False) -> Span:
        """The span of ``path``, or of its nearest ancestor that has one."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return Span(self.file, 1, 1)


_MAPPING_TAG = "tag:yaml.org,2002:map"
_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Composer:
    def __init__(self, file: str, limits: LoadLimits) -> None:
        self.file = file
        self.limits = limits
        self.map = SourceMap(file)
        self.nodes = 0
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, code: str, message: str, mark: Any, hint: str | None = None) -> SpecError:
        return SpecError([Diagnostic(code, message, self.span(mark), hint=hint)])

    def span(self, mark: Any) -> Span:
        return Span(self.file, mark.line + 1, mark.column + 1)

    def count(self, n: int, mark: Any) -> None:
        self.nodes += n
        if self.nodes > self.limits.max_nodes:
            raise self.fail(
                "E100",
                f"the document expands to more than {self.limits.max_nodes} nodes",
                mark,
                hint="aliases count once per use; a spec this large is likely an alias bomb",
            )

    def refuse_tag(self, event: Any) -> None:
        # "!" is the non-specific tag PyYAML reports for quoted scalars.
        if event.tag not in (None, "!"):
            raise self.fail(
                "E102",
                f"explicit tag {abridge(event.tag)} is not allowed",
                event.start_mark,
                hint="remove the tag; spec values are plain YAML scalars, lists and mappings",
            )

    def node(self, loader: Any, path: KeyPath, depth: int) -> Any:
        event = loader.get_event()
        if depth > self.limits.max_depth:
            raise self.fail(
                "E100", f"nesting is deeper than {self.limits.max_depth} levels", event.start_mark
            )
        self.map.values[path] = self.span(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise self.fail(
                    "E100",
                    f"alias *{abridge(event.anchor)} is used before its anchor is complete",
                    event.start_mark,
                )
            value, size = self.anchors[event.anchor]
            self.count(size, event.start_mark)
            return value
        self.refuse_tag(event)
        before = self.nodes
        self.count(1, event.start_mark)
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event)
        elif isinstance(event, yaml.SequenceStartEvent):
            value = []
            while not loader.check_event(yaml.SequenceEndEvent):
                value.append(self.node(loader, (*path, len(value)), depth + 1))
            loader.get_event()
        else:
            value = self.mapping(loader, event, path, depth)
        if getattr(event, "anchor", None):
            self.anchors[event.anchor] = (value, self.nodes - before)
        return value

    def scalar(self, event: Any) -> Any:
        tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. an int past Python's digit limit
            raise self.fail(
                "E200",
                f"cannot read the value {abridge(event.value)}: {abridge(str(exc), 80)}",
                event.start_mark,
            ) from None

    def mapping(self, loader: Any, start: Any, path: KeyPath, depth: int) -> dict[Any, Any]:
        value: dict[Any, Any] = {}
        while not loader.check_event(yaml.MappingEndEvent):
            key_event = loader.peek_event()
            if not isinstance(key_event, yaml.ScalarEvent):
                raise self.fail("E100", "mapping keys must be plain scalars", key_event.start_mark)
            self.refuse_tag(key_event)
            loader.get_event()
            key = self.scalar(key_event)
            key_span = self.span(key_event.start_mark)
            if self.resolver.resolve(yaml.ScalarNode, key_event.value, key_event.implicit) == _MERGE_TAG:
                raise self.fail(
                    "E100",
                    "merge keys (<<) are not supported",
                    key_event.start_mark,
                    hint="write the keys out, or define a block",
                )
            if key in value:
                first = self.map.keys[(*path, key)]
                raise self.fail(
                    "E101",
                    f"key {abridge(key)} is given twice: first at line {first.line}, "
                    f"again at line {key_span.line}",
                    key_event.start_mark,
                    hint="remove one of them",
                )
            self.count(1, key_event.start_mark)
            self.map.keys[(*path, key)] = key_span
            value[key] = self.node(loader, (*path, key), depth + 1)
        loader.get_event()
        return value

    def document(self, text: str) -> Any:
        loader = _EventLoader(text)
        try:
            loader.get_event()  # StreamStart
            if loader.check_event(yaml.StreamEndEvent):
                raise SpecError([Diagnostic("E103", "the file is empty", Span(self.file, 1, 1))])
            loader.get_event()  # DocumentStart
            data = self.node(loader, (), 0)
            loader.get_event()  # DocumentEnd
            if not loader.check_event(yaml.StreamEndEvent):
                extra = loader.peek_event()
                raise self.fail(
                    "E103",
                    "the file holds more than one YAML document",
                    extra.start_mark,
                    hint="one spec per file; remove the extra '---' documents",
                )
            return data
        finally:
            loader.dispose()


def load_text(
    text: str | bytes, file: str = "<string>", limits: LoadLimits | None = None
) -> tuple[dict[str, Any], SourceMap]:
    """Parse spec text into plain data and its source map, or raise SpecError."""
    limits = limits or LoadLimits()
    if len(text) > limits.max_bytes:
        raise SpecError(
            [Diagnostic("E100", f"the file is larger than {limits.max_bytes} bytes", Span(file, 1, 1))]
        )
    if isinstance(text, bytes):
        text = _decode(text, file)
    composer = _Composer(file, limits)
    try:
        data = composer.document(text)
    except SpecError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError([Diagnostic("E100", f"invalid YAML: {problem}", span)]) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        message = abridge(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 120)
        raise SpecError([Diagnostic("E100", f"invalid YAML: {message}", Span(file, 1, 1))]) from None
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise SpecError(
            [
                Diagnostic(
                    "E103",
                    f"a spec must be one YAML mapping, got {kind}",
                    composer.map.span(()),
                    hint="start with 'name:', 'input:' and 'layers:' keys",
                )
            ]
        )
    return data, composer.map


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            [Diagnostic("E100", f"the file is not valid UTF-8 (byte {exc.start})", Span(file, line, column))]
        ) from None


def load_file(path: str | Path, limits: LoadLimits | None = None) -> tuple[dict[str, Any], SourceMap]:
    """Read and parse a spec file; unreadable files are a SpecError too."""
    limits = limits or LoadLimits()
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError([Diagnostic("E100", f"cannot read the file: {reason}", Span(name, 1, 1))]) from None
    return load_text(raw, name, limits)
