"""What ``model_dump`` gives for archspec's models (archspec/frontend/model.py), as pydantic
gives it: nested models as dicts, containers copied; and, in JSON mode, a float that is not
finite kept where the field is typed (``float``) but made null where its type is ``Any``
(pydantic's serializer infers those values' types, and writes inf and nan as null)."""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable
from typing import Any

Dump = Callable[[Any], Any]

_PLAIN = frozenset({int, float, bool, str, type(None)})


def dump_value(value: Any, json: bool = False) -> Any:
    """A value as pydantic dumps one of a type it infers (a field of type ``Any``)."""
    kind = type(value)
    if kind in _PLAIN:
        if json and kind is float and not math.isfinite(value):
            return None
        return value
    if kind is list:
        return [dump_value(v, json) for v in value]
    if kind is dict:
        return {k: dump_value(v, json) for k, v in value.items()}
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json" if json else "python")
    return value


def _inferred(value: Any) -> Any:
    return dump_value(value, True)


def _typed(value: Any) -> Any:
    return dump_value(value, False)


def json_dumper(annotation: Any) -> Dump:
    """How a field of type ``annotation`` dumps in JSON mode."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return json_dumper(args[0])
    if annotation is Any:
        return _inferred
    if _is_model(annotation):
        return lambda value: value.model_dump(mode="json")
    if not _needs_json(annotation):
        return _typed  # a typed float keeps inf and nan; models and containers as in Python mode
    if origin is list:
        item = json_dumper(args[0])
        return lambda value: [item(v) for v in value] if type(value) is list else _inferred(value)
    if origin is dict:
        entry = json_dumper(args[1])
        return lambda value: (
            {k: entry(v) for k, v in value.items()} if type(value) is dict else _inferred(value)
        )
    if origin is typing.Union or origin is types.UnionType:
        members = [(_container(m), json_dumper(m)) for m in args]

        def dump(value: Any) -> Any:
            for kind, member in members:
                if kind is type(value):
                    return member(value)
            return _inferred(value) if any(kind is None for kind, _ in members) else _typed(value)

        return dump
    return _inferred


def _container(annotation: Any) -> type | None:
    """The type a union member's values have (list, dict, a model), or None for ``Any``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _container(typing.get_args(annotation)[0])
    if annotation is Any:
        return None
    if _is_model(annotation):
        return annotation
    return origin if origin in (list, dict) else object


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and hasattr(annotation, "model_fields")


def _needs_json(annotation: Any) -> bool:
    """Whether ``annotation`` holds ``Any`` or a model, whose values JSON mode dumps otherwise."""
    if annotation is Any or _is_model(annotation):
        return True
    return any(
        _needs_json(arg)
        for arg in typing.get_args(annotation)
        if isinstance(arg, type | types.GenericAlias) or typing.get_origin(arg) is not None or arg is Any
    )
