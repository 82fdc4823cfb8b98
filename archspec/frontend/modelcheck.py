"""The fast path of archspec's models: a field's type compiled into a plain check.

A check returns the value as pydantic (strict mode) would parse it, or :data:`NO`
where pydantic is to decide: a value of the wrong type or out of bounds, and
every case this module is not sure to treat as pydantic does (a subclass of int,
a float that is not finite, a type or a constraint it does not know). It never
refuses: a NO only sends the value to the pydantic twin (modeltwin.py), whose
answer, an error or a value, is the model's. The checks are made once per model
from its declarations, with closures (no generated source).
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from archspec.frontend.modelfield import AfterValidator, FieldInfo, StringConstraints

NO: Any = object()
"""Not accepted here: pydantic decides."""

Check = Callable[[Any], Any]

_NUMBER_CONSTRAINTS = frozenset({"ge", "gt", "le", "lt", "allow_inf_nan"})
_LENGTH_CONSTRAINTS = frozenset({"min_length", "max_length"})
_STRING_CONSTRAINTS = _LENGTH_CONSTRAINTS | {"pattern"}
# The largest int that a float holds exactly (pydantic turns an int given for a float into one).
_EXACT_FLOAT = 1 << 53


def _never(value: Any) -> Any:
    return NO


def _same(value: Any) -> Any:
    return value


def compile_field(annotation: Any, constraints: dict[str, Any]) -> Check:
    """The check of a field of type ``annotation`` with the field's own ``constraints``."""
    return _compile(annotation, dict(constraints))


def _compile(annotation: Any, constraints: dict[str, Any]) -> Check:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        merged = dict(constraints)
        afters: list[Callable[[Any], Any]] = []
        for meta in annotation.__metadata__:
            if isinstance(meta, FieldInfo | StringConstraints):
                given = meta.constraints if isinstance(meta, FieldInfo) else meta.kwargs
                for key, value in given.items():
                    if key in merged and merged[key] != value:
                        return _never  # two bounds of one kind: pydantic's choice
                    merged[key] = value
            elif isinstance(meta, AfterValidator):
                afters.append(meta.func)
            else:
                return _never
        inner = _compile(annotation.__origin__, merged)
        return _after(inner, afters) if afters else inner
    if origin is typing.Union or origin is types.UnionType:
        return _union(typing.get_args(annotation), constraints)
    if origin is typing.Literal:
        return _never if constraints else _literal(typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation)
        return _list(_compile(item, {}), constraints)
    if origin is dict:
        key, value = typing.get_args(annotation)
        return _dict(_compile(key, {}), _compile(value, {}), constraints)
    if origin is not None:
        return _never
    if annotation is Any:
        return _never if constraints else _same
    if annotation is None or annotation is type(None):
        return _never if constraints else _none
    if annotation is bool:
        return _never if constraints else _bool
    if annotation is int:
        return _number(_int, constraints)
    if annotation is float:
        return _number(_float, constraints)
    if annotation is str:
        return _string(constraints)
    if _is_model(annotation) and not constraints:
        return _model(annotation)
    return _never


def _is_model(annotation: Any) -> bool:
    from archspec.frontend.model import Model  # model.py imports this module

    return isinstance(annotation, type) and issubclass(annotation, Model)


def _after(inner: Check, afters: list[Callable[[Any], Any]]) -> Check:
    def check(value: Any) -> Any:
        value = inner(value)
        if value is NO:
            return NO
        try:
            for func in afters:
                value = func(value)
        except Exception:  # pydantic reports it
            return NO
        return value

    return check


def _union(members: tuple[Any, ...], constraints: dict[str, Any]) -> Check:
    if constraints:
        # pydantic puts a field's constraints on the one member of ``T | None``
        others = [m for m in members if m is not type(None)]
        if len(others) != 1 or len(members) != 2:
            return _never
        checks = [_compile(m, constraints) if m is others[0] else _none for m in members]
    else:
        checks = [_compile(m, {}) for m in members]
    if _overlap(members):
        return _ambiguous(checks)
    # each member takes values of types no other member takes: the one fit is pydantic's,
    # found by the value's type
    by_type: dict[type, Check] = {}
    for member, member_check in zip(members, checks, strict=True):
        for kind in _kinds(member) or ():
            by_type[kind] = member_check

    def check(value: Any) -> Any:
        return by_type.get(type(value), _never)(value)

    return check


def _ambiguous(checks: list[Check]) -> Check:
    """Members that may both take a value (``int | float``): pydantic's smart mode picks
    one by rules of its own, so only a value exactly one member takes is decided here."""

    def check(value: Any) -> Any:
        found = [result for result in (member(value) for member in checks) if result is not NO]
        return found[0] if len(found) == 1 else NO

    return check


def _overlap(members: tuple[Any, ...]) -> bool:
    seen: set[type] = set()
    for member in members:
        kinds = _kinds(member)
        if kinds is None or kinds & seen:
            return True
        seen |= kinds
    return False


_SIMPLE_KINDS: dict[type, frozenset[type]] = {
    bool: frozenset({bool}),
    int: frozenset({int}),
    float: frozenset({float, int}),  # an int is taken for a float
    str: frozenset({str}),
    type(None): frozenset({type(None)}),
}


def _kinds(annotation: Any) -> frozenset[type] | None:
    """The Python types a member's check takes (None: any, or not known)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _kinds(args[0])
    if origin is typing.Union or origin is types.UnionType:
        parts = [_kinds(a) for a in args]
        return None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
    if origin is typing.Literal:
        return frozenset(type(a) for a in args)
    if origin in (list, dict):
        return frozenset({origin})
    if annotation is None:
        return _SIMPLE_KINDS[type(None)]
    if isinstance(annotation, type) and annotation in _SIMPLE_KINDS:
        return _SIMPLE_KINDS[annotation]
    if _is_model(annotation):
        return frozenset({dict})
    return None


def _literal(choices: tuple[Any, ...]) -> Check:
    def check(value: Any) -> Any:
        kind = type(value)
        for choice in choices:
            if kind is type(choice) and value == choice:
                return choice
        return NO

    return check


def _none(value: Any) -> Any:
    return None if value is None else NO


def _bool(value: Any) -> Any:
    return value if type(value) is bool else NO


def _int(value: Any) -> Any:
    return value if type(value) is int else NO


def _float(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else NO
    if kind is int and -_EXACT_FLOAT <= value <= _EXACT_FLOAT:
        return float(value)
    return NO


def _number(parse: Check, constraints: dict[str, Any]) -> Check:
    if not constraints.keys() <= _NUMBER_CONSTRAINTS:
        return _never
    bounds = [(key, constraints[key]) for key in ("ge", "gt", "le", "lt") if key in constraints]
    if not bounds:
        return parse
    ge, gt = constraints.get("ge"), constraints.get("gt")
    le, lt = constraints.get("le"), constraints.get("lt")

    def check(value: Any) -> Any:
        if type(value) is not int or parse is not _int:  # an int for an int: the usual case
            value = parse(value)
            if value is NO:
                return NO
        if (
            (ge is not None and not value >= ge)
            or (gt is not None and not value > gt)
            or (le is not None and not value <= le)
            or (lt is not None and not value < lt)
        ):
            return NO
        return value

    return check


def _string(constraints: dict[str, Any]) -> Check:
    if not constraints.keys() <= _STRING_CONSTRAINTS:
        return _never
    least, most = constraints.get("min_length", 0), constraints.get("max_length")
    pattern = constraints.get("pattern")
    search: Callable[[str], Any] | None = None
    if pattern is not None:
        # pydantic's regex engine (Rust's) ends a match at '$' only at the end of the text,
        # where Python's also allows one before a final newline: '\Z' is the Rust '$'.
        if not pattern.endswith("$") or "$" in pattern[:-1] or pattern.endswith("\\$"):
            return _never
        search = re.compile(pattern[:-1] + r"\Z").search

    def check(value: Any) -> Any:
        if type(value) is not str:
            return NO
        size = len(value)
        if size < least or (most is not None and size > most):
            return NO
        if search is not None and search(value) is None:
            return NO
        return value

    return check


def _lengths(constraints: dict[str, Any]) -> tuple[int, int | None] | None:
    if not constraints.keys() <= _LENGTH_CONSTRAINTS:
        return None
    return constraints.get("min_length", 0), constraints.get("max_length")


def _list(item: Check, constraints: dict[str, Any]) -> Check:
    lengths = _lengths(constraints)
    if lengths is None:
        return _never
    least, most = lengths

    def check(value: Any) -> Any:
        if type(value) is not list:
            return NO
        size = len(value)
        if size < least or (most is not None and size > most):
            return NO
        result = []
        for entry in value:
            entry = item(entry)
            if entry is NO:
                return NO
            result.append(entry)
        return result

    return check


def _dict(key_check: Check, value_check: Check, constraints: dict[str, Any]) -> Check:
    lengths = _lengths(constraints)
    if lengths is None:
        return _never
    least, most = lengths

    def check(value: Any) -> Any:
        if type(value) is not dict:
            return NO
        size = len(value)
        if size < least or (most is not None and size > most):
            return NO
        result = {}
        for key, entry in value.items():
            key = key_check(key)
            entry = value_check(entry)
            if key is NO or entry is NO:
                return NO
            result[key] = entry
        return result

    return check


def _model(model: type) -> Check:
    from archspec.frontend.model import fast_validate

    return lambda value: fast_validate(model, value)  # type: ignore[arg-type]
