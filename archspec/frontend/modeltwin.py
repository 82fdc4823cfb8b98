"""The pydantic twin of an archspec model: the same declarations, made a pydantic model.

The fast path (modelcheck.py) only accepts; everything else is validated by the
twin, so every error is pydantic's own, and the twin answers for what only pydantic
knows: the JSON Schema, a field's annotation. It is built on first need and kept
on the model's class. This module is the one that imports pydantic.
"""

from __future__ import annotations

import functools
import operator
import threading
import types
import typing
from typing import Any

import pydantic

from archspec.frontend.model import (
    AfterValidator,
    FieldInfo,
    Model,
    ModelCheck,
    StringConstraints,
    ValidationError,
    new_instance,
)
from archspec.frontend.modelplan import field_types

_LOCK = threading.RLock()
_CONFIG = pydantic.ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def twin(model: type[Model]) -> type[pydantic.BaseModel]:
    """The pydantic model declared as ``model`` is."""
    made = model.__dict__.get("__twin__")
    if made is not None:
        return made
    with _LOCK:
        made = model.__dict__.get("__twin__")
        if made is None:
            made = _make(model)
            type.__setattr__(model, "__twin__", made)
    return made


def _make(model: type[Model]) -> type[pydantic.BaseModel]:
    (base,) = model.__bases__
    parent = pydantic.BaseModel if base is Model else twin(base)
    hints = field_types(model)
    namespace: dict[str, Any] = {
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__dict__.get("__doc__"),
        "__annotations__": {name: translate(hints[name]) for name in model.__dict__["__declared__"]},
    }
    if base is Model:
        namespace["model_config"] = _CONFIG
    for name, declared in model.__dict__["__declared__"].items():
        if declared.kwargs or declared.foreign is not None:
            namespace[name] = _field(declared)
    for name, check in model.__dict__["__checks__"].items():
        if isinstance(check, ModelCheck):
            namespace[name] = pydantic.model_validator(mode="after")(check.func)
        else:
            namespace[name] = pydantic.field_validator(*check.fields)(check.func)
    metaclass: Any = type(pydantic.BaseModel)
    made = metaclass(model.__name__, (parent,), namespace)
    type.__setattr__(made, "__archspec_model__", model)
    return made


def _field(declared: FieldInfo) -> Any:
    if declared.foreign is not None:
        return declared.foreign
    kwargs = dict(declared.kwargs)
    if "default" in kwargs:
        return pydantic.Field(kwargs.pop("default"), **kwargs)
    return pydantic.Field(**kwargs)


def translate(annotation: Any) -> Any:
    """``annotation`` with archspec's markers and models as pydantic's (the same object
    where it holds none, so that a twin's annotations read as the model's)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base = translate(annotation.__origin__)
        metadata = [_marker(meta) for meta in annotation.__metadata__]
        return typing.Annotated[(base, *metadata)]  # type: ignore[valid-type]
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return twin(annotation)
    args = typing.get_args(annotation)
    if not args or origin is typing.Literal:
        return annotation
    translated = tuple(translate(arg) for arg in args)
    if all(new is old for new, old in zip(translated, args, strict=True)):
        return annotation
    if origin is types.UnionType:
        return functools.reduce(operator.or_, translated)
    if origin is typing.Union:
        return typing.Union[translated]  # type: ignore[valid-type]  # noqa: UP007 - kept a typing.Union
    if origin in (list, dict):
        return types.GenericAlias(origin, translated)
    raise TypeError(f"archspec's models take no {annotation!r}")


def _marker(meta: Any) -> Any:
    if isinstance(meta, FieldInfo):
        return _field(meta)
    if isinstance(meta, StringConstraints):
        return pydantic.StringConstraints(**meta.kwargs)
    if isinstance(meta, AfterValidator):
        return pydantic.AfterValidator(meta.func)
    return meta


def validate_with_twin(model: type[Model], data: Any) -> Any:
    """``data`` validated by pydantic: an instance of ``model``, or ValidationError."""
    try:
        valid = twin(model).model_validate(data)
    except pydantic.ValidationError as error:
        raise ValidationError(error) from None
    return own(valid)


def validate_value(annotation: Any, value: Any) -> Any:
    """A value validated by pydantic against a type, strictly (a TypeAdapter)."""
    try:
        valid = pydantic.TypeAdapter(translate(annotation)).validate_python(value, strict=True)
    except pydantic.ValidationError as error:
        raise ValidationError(error) from None
    return _own_value(valid)


def own(valid: pydantic.BaseModel) -> Model:
    """The archspec instance of a twin's instance."""
    model = type(valid).__archspec_model__  # type: ignore[attr-defined]
    values = {name: _own_value(getattr(valid, name)) for name in type(valid).model_fields}
    return new_instance(model, values, set(valid.model_fields_set))


def _own_value(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return own(value)
    if isinstance(value, list):
        return [_own_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _own_value(v) for k, v in value.items()}
    return value
