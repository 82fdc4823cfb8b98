"""A model's fields resolved and its checks compiled, once, on first use: the plan by
which archspec/frontend/model.py validates a mapping fast and dumps an instance."""

from __future__ import annotations

import builtins
import inspect
import sys
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archspec.frontend.modelcheck import NO, compile_field
from archspec.frontend.modeldump import json_dumper
from archspec.frontend.modelfield import IMMUTABLE, FieldCheck, FieldInfo, ModelCheck

if TYPE_CHECKING:
    from archspec.frontend.model import Model


class Plan:
    """A model's fields, resolved and compiled: how to validate a mapping fast."""

    __slots__ = (
        "by_name",
        "checks",
        "dumpers",
        "fields",
        "fresh",
        "hints",
        "model_checks",
        "required",
        "template",
    )

    def __init__(self, cls: type[Model]) -> None:
        hints: dict[str, Any] = {}
        for klass in cls.__mro__:
            if "__declared__" in klass.__dict__:
                hints = {**field_types(klass), **hints}
        self.hints = hints
        self.dumpers: dict[str, Callable[[Any], Any]] | None = None
        self.fields: dict[str, FieldInfo] = {}
        for klass in reversed(cls.__mro__):
            for name, declared in klass.__dict__.get("__declared__", {}).items():
                info = FieldInfo(_merged(declared.kwargs, hints[name]), declared.foreign)
                info.name, info.owner = name, cls
                self.fields[name] = info
        self.by_name = {
            name: compile_field(hints[name], info.constraints) for name, info in self.fields.items()
        }
        # Every field in order, with its default where that is shared (an int, a string …):
        # a given value replaces it in place, so the instance's fields stay in their order.
        self.template = {
            name: info.default if isinstance(info.default, IMMUTABLE) and info.default_factory is None else NO
            for name, info in self.fields.items()
        }
        self.required = tuple(name for name, info in self.fields.items() if info.is_required())
        self.fresh = tuple(
            (name, info)
            for name, info in self.fields.items()
            if self.template[name] is NO and not info.is_required()
        )
        field_checks: dict[str, list[Callable[[Any], Any]]] = {}
        self.model_checks: list[Callable[[Any], Any]] = []
        named: dict[str, ModelCheck | FieldCheck] = {}  # a subclass's check replaces its namesake
        for klass in reversed(cls.__mro__):
            named.update(klass.__dict__.get("__checks__", {}))
        for check in named.values():
            if isinstance(check, ModelCheck):
                self.model_checks.append(check.func)
            else:
                for name in check.fields:
                    field_checks.setdefault(name, []).append(check.bind(cls))
        self.checks = field_checks

    def json_dumpers(self) -> dict[str, Callable[[Any], Any]]:
        """How each field dumps in JSON mode (made on first need: only a few callers ask)."""
        if self.dumpers is None:
            self.dumpers = {name: json_dumper(self.hints[name]) for name in self.fields}
        return self.dumpers


def field_types(klass: type) -> dict[str, Any]:
    """The types of the fields ``klass`` itself declares, resolved once (the annotations are
    text: ``from __future__ import annotations``). A bare name is looked up in the module; a
    longer one is resolved by ``typing.get_type_hints``, on the annotations of this class only."""
    found = klass.__dict__.get("__field_types__")
    if found is not None:
        return found
    declared = klass.__dict__.get("__declared__", {})
    written = inspect.get_annotations(klass)
    scope = vars(sys.modules[klass.__module__])
    found, rest = {}, {}
    for name in declared:
        annotation = written[name]
        if not isinstance(annotation, str):
            found[name] = annotation
        elif annotation.isidentifier() and annotation in scope:
            found[name] = scope[annotation]
        elif annotation.isidentifier() and annotation in vars(builtins):
            found[name] = vars(builtins)[annotation]
        else:
            rest[name] = annotation
    if rest:
        alone = type(klass.__name__, (), {"__annotations__": rest, "__module__": klass.__module__})
        found.update(typing.get_type_hints(alone, include_extras=True))
    type.__setattr__(klass, "__field_types__", found)
    return found


def _merged(kwargs: dict[str, Any], hint: Any) -> dict[str, Any]:
    """A field's keywords with those of ``Annotated[T, Field(...)]`` under them (pydantic
    merges a top-level Annotated field's description and constraints into the field)."""
    if typing.get_origin(hint) is not typing.Annotated:
        return kwargs
    merged: dict[str, Any] = {}
    for meta in hint.__metadata__:
        if isinstance(meta, FieldInfo):
            merged.update(meta.kwargs)
    return {**merged, **kwargs}


def plan_of(cls: type) -> Plan:
    plan = cls.__dict__.get("__plan__")
    if plan is None:
        plan = Plan(cls)  # type: ignore[arg-type]
        type.__setattr__(cls, "__plan__", plan)
    return plan
