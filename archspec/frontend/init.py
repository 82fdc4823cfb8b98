"""``init:``: how a spec (or a block) initialises its weights, as torchvision's code does.

    init:
      conv: {weight: "kaiming_normal(mode=fan_out, nonlinearity=relu)"}
      batchnorm: {weight: ones, bias: zeros}
      layer*.*.bn2: {weight: zeros}          # ResNet's zero_init_residual

A key that is a primitive's name is a *kind* rule: every layer of that primitive.
Any other key is a *path pattern*, matched against the whole path of a layer
(relative to the spec, or to the block call for a block's rules): segments
separated by dots, where ``*`` inside a segment matches any characters of that
segment (``layer*``, ``*`` alone: any one name) and a segment ``**`` matches
any number of segments, none included (``**.bn3``). Nothing else is special, so
matching is linear in the path and the pattern (no backtracking regex): each
``*`` piece is found with ``str.find`` left to right, each ``**`` run of
segments at its leftmost place. A rule maps tensor names (``weight``, ``bias``)
to calls (archspec.frontend.initcall).

Which rule wins, and the checks against the network, are the compiler's
(archspec.compiler.init); this module reads and validates the text only, with
E212 for anything wrong in it. docs/spec-language.md, "Initialisation".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.codes import E212
from archspec.diagnostics import Diagnostic, Span, abridge
from archspec.frontend.loader import KeyPath, SourceMap
from archspec.frontend.types import NAME_LIMIT

if TYPE_CHECKING:
    # The calls, their argument models and errors (archspec.frontend.initcall) are imported
    # where a rule is read: a spec without init: never needs them.
    from archspec.frontend.initcall import InitCall

MAX_RULES = 64
"""Rules in one ``init:`` section: the compiler checks each layer against each."""
MAX_SEGMENTS = 16
PATTERN_LIMIT = 200
FUNCTION_NAMES = (
    "kaiming_normal",
    "kaiming_uniform",
    "xavier_normal",
    "xavier_uniform",
    "normal",
    "trunc_normal",
    "uniform",
    "constant",
    "zeros",
    "ones",
)
"""The functions a rule may call, in the order of ``initcall.FUNCTIONS`` (which has their
arguments; tests/frontend/test_init.py keeps the two equal): named here for the schema's
description and pattern, which every spec's model carries."""
_SEGMENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*")


@dataclass(frozen=True)
class PathPattern:
    """A layer path pattern: dotted segments, ``*`` within one, ``**`` for any number."""

    text: str
    segments: tuple[str, ...]

    @property
    def literal(self) -> bool:
        """No ``*``: the pattern is one path."""
        return "*" not in self.text

    def matches(self, parts: tuple[str, ...]) -> bool:
        runs = _runs(self.segments)
        if len(runs) == 1:
            return len(parts) == len(runs[0]) and all(map(glob_match, runs[0], parts))
        first, *middle, last = runs
        if len(first) + len(last) > len(parts):
            return False
        end = len(parts) - len(last)
        if not all(map(glob_match, first, parts)) or not all(map(glob_match, last, parts[end:])):
            return False
        at = len(first)
        for run in middle:  # each run at its leftmost place: the rest has the most room
            found = _find_run(run, parts, at, end)
            if found < 0:
                return False
            at = found + len(run)
        return True


def _runs(segments: tuple[str, ...]) -> list[tuple[str, ...]]:
    runs: list[tuple[str, ...]] = [()]
    for segment in segments:
        if segment == "**":
            runs.append(())
        else:
            runs[-1] = (*runs[-1], segment)
    return runs


def _find_run(run: tuple[str, ...], parts: tuple[str, ...], start: int, end: int) -> int:
    for i in range(start, end - len(run) + 1):
        if all(glob_match(s, p) for s, p in zip(run, parts[i : i + len(run)], strict=True)):
            return i
    return -1


def glob_match(segment: str, name: str) -> bool:
    """Whether one segment (with ``*`` for any characters) matches one name."""
    pieces = segment.split("*")
    if len(pieces) == 1:
        return segment == name
    head, *middle, tail = pieces
    if len(head) + len(tail) > len(name) or not name.startswith(head) or not name.endswith(tail):
        return False
    at, end = len(head), len(name) - len(tail)
    for piece in middle:  # leftmost occurrence of each piece: greedy is exact for '*' alone
        found = name.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def parse_pattern(text: str) -> PathPattern:
    """The pattern of a rule key, or CallError (reused for its message and hint)."""
    from archspec.frontend.initcall import CallError

    if len(text) > PATTERN_LIMIT:
        raise CallError(f"a layer pattern is at most {PATTERN_LIMIT} characters, got {len(text)}")
    segments = tuple(text.split("."))
    if len(segments) > MAX_SEGMENTS:
        raise CallError(f"a layer pattern has at most {MAX_SEGMENTS} segments, got {len(segments)}")
    for segment in segments:
        if not segment:
            raise CallError(f"the layer pattern {abridge(text)} has an empty segment", "e.g. layer*.*.bn2")
        if not set(segment) <= _SEGMENT_CHARS:
            raise CallError(
                f"the layer pattern {abridge(text)} holds a character other than letters, digits, _, * and .",
                "a pattern is a layer path (features.0, layer1.0.bn2) with * for any name part",
            )
        if "**" in segment and segment != "**":
            raise CallError(f"in {abridge(text)}, ** must be a whole segment", "e.g. **.bn2")
        if len(segment.replace("*", "")) > NAME_LIMIT:
            raise CallError(f"a segment of {abridge(text)} is longer than any layer name")
    return PathPattern(text, segments)


@dataclass(frozen=True)
class InitRule:
    """One rule: a primitive (``kind``) or a path ``pattern``, and a call per tensor.

    ``key`` is the key as written; ``span`` where it is, ``spans`` where each tensor's call is.
    """

    key: str
    kind: str | None
    pattern: PathPattern | None
    tensors: tuple[tuple[str, InitCall], ...]
    span: Span
    spans: tuple[Span, ...] = ()

    def span_of(self, tensor: str) -> Span:
        names = [name for name, _ in self.tensors]
        return self.spans[names.index(tensor)] if tensor in names and self.spans else self.span


@dataclass(frozen=True)
class InitRules:
    """An ``init:`` section: its rules in the order written (later path rules win)."""

    rules: tuple[InitRule, ...] = ()
    span: Span | None = None

    def __bool__(self) -> bool:
        return bool(self.rules)


NO_RULES = InitRules()


def parse_init(
    raw: Any,
    base: KeyPath,
    source: SourceMap,
    is_primitive: Callable[[str], bool],
    problems: list[Diagnostic],
) -> InitRules:
    """The rules of the ``init:`` at ``base`` (None: no rules); E212 for each problem."""
    if raw is None:
        return NO_RULES
    span = source.span(base)
    if not isinstance(raw, dict):
        problems.append(
            Diagnostic(
                E212,
                f"init must be a mapping of rules, got {abridge(raw)}",
                span,
                hint="init: {conv: {weight: kaiming_normal, bias: zeros}, fc: {weight: normal(std=0.01)}}",
            )
        )
        return NO_RULES
    if len(raw) > MAX_RULES:
        problems.append(Diagnostic(E212, f"init has {len(raw)} rules; at most {MAX_RULES} are allowed", span))
        return NO_RULES
    rules = []
    for key, body in raw.items():
        rule = _rule(str(key), body, (*base, key), source, is_primitive, problems)
        if rule is not None:
            rules.append(rule)
    return InitRules(tuple(rules), span)


def _rule(
    key: str,
    body: Any,
    where: KeyPath,
    source: SourceMap,
    is_primitive: Callable[[str], bool],
    problems: list[Diagnostic],
) -> InitRule | None:
    from archspec.frontend.initcall import CallError, parse_call

    key_span = source.span(where, key=True)
    kind, pattern = (key, None) if is_primitive(key) else (None, None)
    if kind is None:
        try:
            pattern = parse_pattern(key)
        except CallError as error:
            problems.append(Diagnostic(E212, error.message, key_span, hint=error.hint))
            return None
    if not isinstance(body, dict) or not body:
        problems.append(
            Diagnostic(
                E212,
                f"the rule {abridge(key)} must map tensors to functions, got {abridge(body)}",
                source.span(where),
                hint=f"{abridge(key, quote=False)}: {{weight: normal(std=0.01), bias: zeros}}",
            )
        )
        return None
    tensors, spans, failed = [], [], False
    for tensor, text in body.items():
        at = (*where, tensor)
        name = str(tensor)
        if not (name.isidentifier() and name.isascii() and len(name) <= NAME_LIMIT):
            problems.append(
                Diagnostic(
                    E212,
                    f"a tensor name must be an identifier (weight, bias), got {abridge(tensor)}",
                    source.span(at, key=True),
                )
            )
            failed = True
            continue
        try:
            call = parse_call(text)
        except CallError as error:
            message = f"{abridge(key, quote=False)}.{name}: {error.message}"
            problems.append(Diagnostic(E212, message, source.span(at), hint=error.hint))
            failed = True
            continue
        tensors.append((name, call))
        spans.append(source.span(at))
    if failed:
        return None
    return InitRule(key, kind, pattern, tuple(tensors), key_span, tuple(spans))


INIT_DESCRIPTION = (
    "How the weights start (default: PyTorch's init). Rules by primitive (conv, batchnorm, linear …) "
    "or by layer path pattern (fc, layer*.*.bn2, **.proj: * within a name, ** for any number of "
    "names), each mapping tensors (weight, bias) to a function: "
    + ", ".join(FUNCTION_NAMES)
    + "; e.g. kaiming_normal(mode=fan_out, nonlinearity=relu) or normal(std=0.01)."
)
INIT_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "maxProperties": MAX_RULES,
    "propertyNames": {"pattern": r"^(\*\*|[A-Za-z0-9_*]+)(\.(\*\*|[A-Za-z0-9_*]+))*$"},
    "additionalProperties": {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "additionalProperties": {
            "type": "string",
            "pattern": r"^\s*(" + "|".join(FUNCTION_NAMES) + r")\s*(\(.*\))?\s*$",
            "maxLength": 200,
        },
    },
}
"""The JSON Schema of an ``init:`` section, for editors (the loader checks more)."""
