"""archspec's own declarative models: strict, frozen, no extra keys, and no pydantic to import.

A params model (a primitive's, a block call's, the spec's header) is declared as
pydantic would have it::

    class ConvParams(LayerParams):
        out_channels: PositiveInt = Field(description="Output channels.")

and behaves as the pydantic model (``ConfigDict(extra="forbid", strict=True,
frozen=True)``) it stands for: the same accepted values, the same parsed values
and the same API (``model_validate``, ``model_dump``, ``model_fields`` …).
Validation takes two paths. A fast one (archspec/frontend/modelcheck.py) checks
the declarations with plain Python closures and only ever accepts; whatever it
would refuse, or is not sure of, goes to the model's pydantic twin
(archspec/frontend/modeltwin.py), built from the same declarations on first
need, so that every error is pydantic's own, as the error translation expects.
pydantic is then imported only for a bad value, a JSON Schema or a model's
annotations, never on the path of a valid spec: it costs more start-up time than
the whole ``archspec validate`` of a spec otherwise takes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from archspec.frontend.modelcheck import NO, compile_field
from archspec.frontend.modeldump import dump_value
from archspec.frontend.modelfield import (
    MISSING,
    PYDANTIC_ATTRIBUTES,
    AfterValidator,
    Field,
    FieldCheck,
    FieldInfo,
    ModelCheck,
    StringConstraints,
    ValidationError,
    field_validator,
    foreign_field,
    model_validator,
)
from archspec.frontend.modelplan import Plan, plan_of

__all__ = [  # the declarations are modelfield.py's; models import them from here
    "MISSING",
    "PYDANTIC_ATTRIBUTES",
    "AfterValidator",
    "Field",
    "FieldInfo",
    "Model",
    "StringConstraints",
    "ValidationError",
    "ValueChecker",
    "create_model",
    "field_validator",
    "model_validator",
]

if TYPE_CHECKING:  # Python 3.10 has neither in typing; at run time the transform is only a mark
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda cls: cls


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Field,))
class _ModelType(type):
    """Collects a model's fields as its class is made; checks them on first use."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        declared: dict[str, FieldInfo] = {}
        checks: dict[str, ModelCheck | FieldCheck] = {}
        for key, value in list(namespace.items()):
            if isinstance(value, (ModelCheck, FieldCheck)):
                checks[key] = value
        for key, annotation in namespace.get("__annotations__", {}).items():
            if key.startswith("_") or "ClassVar" in str(annotation):
                continue
            value = namespace.pop(key, MISSING)
            declared[key] = value if isinstance(value, FieldInfo) else foreign_field(value)
        namespace["__declared__"] = declared
        namespace["__checks__"] = checks
        namespace.setdefault("__slots__", ())
        return super().__new__(mcs, name, bases, namespace)

    @property
    def model_fields(cls) -> dict[str, FieldInfo]:
        return plan_of(cls).fields  # type: ignore[arg-type]


def fast_validate(cls: type[Model], data: Any) -> Any:
    """An instance of ``cls`` from ``data``, or NO where pydantic is to decide."""
    if type(data) is not dict:
        return NO
    plan = cls.__dict__.get("__plan__") or plan_of(cls)
    by_name = plan.by_name
    given: dict[str, Any] = {}
    for key, value in data.items():
        check = by_name.get(key)
        if check is None:  # an extra key
            return NO
        value = check(value)
        if value is NO:
            return NO
        given[key] = value
    if plan.checks:
        for name, funcs in plan.checks.items():
            if name in given:
                for func in funcs:
                    try:
                        given[name] = func(given[name])
                    except Exception:  # pydantic reports it
                        return NO
    for name in plan.required:
        if name not in given:
            return NO
    values = plan.template.copy()
    values.update(given)
    for name, info in plan.fresh:
        if name not in given:
            values[name] = info.get_default(call_default_factory=True)
    instance = object.__new__(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, set(given))
    for func in plan.model_checks:
        try:
            func(instance)
        except Exception:  # pydantic reports it
            return NO
    return instance


def new_instance(cls: type[Model], values: dict[str, Any], given: set[str]) -> Any:
    instance = object.__new__(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, given)
    return instance


class Model(metaclass=_ModelType):
    """A frozen, strict model with no extra keys (pydantic's ``BaseModel`` with
    ``extra="forbid", strict=True, frozen=True``)."""

    __slots__ = ("__dict__", "__model_fields_set__")
    __model_fields_set__: set[str]
    __plan__: ClassVar[Plan | None] = None
    model_config: ClassVar[dict[str, Any]] = {"extra": "forbid", "strict": True, "frozen": True}
    model_fields: ClassVar[dict[str, FieldInfo]]

    def __init__(self, **data: Any) -> None:
        valid = type(self).model_validate(data)
        object.__setattr__(self, "__dict__", vars(valid))
        object.__setattr__(self, "__model_fields_set__", valid.__model_fields_set__)

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        instance = fast_validate(cls, obj)
        if instance is NO:
            if isinstance(obj, cls):
                return obj  # pydantic's default: an instance is not validated again
            from archspec.frontend.modeltwin import validate_with_twin

            instance = validate_with_twin(cls, obj)
        return instance

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        fields = plan_of(cls).fields
        given = {name: values[name] for name in fields if name in values}
        full = {
            name: given[name] if name in given else info.get_default(call_default_factory=True)
            for name, info in fields.items()
        }
        return new_instance(cls, full, set(given) if _fields_set is None else set(_fields_set))

    @classmethod
    def model_json_schema(cls, **kwargs: Any) -> dict[str, Any]:
        from archspec.frontend.modeltwin import twin

        return twin(cls).model_json_schema(**kwargs)

    @property
    def model_fields_set(self) -> set[str]:
        return self.__model_fields_set__

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        values = copy.deepcopy(vars(self)) if deep else dict(vars(self))
        given = set(self.__model_fields_set__)
        if update:
            values.update(update)
            given |= set(update)
        return new_instance(type(self), values, given)

    def model_dump(
        self,
        *,
        mode: str = "python",
        include: Any = None,
        exclude: Any = None,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        if mode == "json":
            dumpers = plan_of(type(self)).json_dumpers()
            return {
                name: dumpers[name](value)
                for name, value in vars(self).items()
                if (include is None or name in include)
                and (exclude is None or name not in exclude)
                and not (exclude_none and value is None)
            }
        return {
            name: dump_value(value)
            for name, value in vars(self).items()
            if (include is None or name in include)
            and (exclude is None or name not in exclude)
            and not (exclude_none and value is None)
        }

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"{type(self).__name__} is frozen: its '{name}' cannot be set")

    def __delattr__(self, name: str) -> None:
        raise TypeError(f"{type(self).__name__} is frozen: its '{name}' cannot be deleted")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), *vars(self).values()))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        yield from vars(self).items()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in vars(self).items())

    def __getstate__(self) -> tuple[dict[str, Any], set[str]]:
        return vars(self), self.__model_fields_set__

    def __setstate__(self, state: tuple[dict[str, Any], set[str]]) -> None:
        object.__setattr__(self, "__dict__", dict(state[0]))
        object.__setattr__(self, "__model_fields_set__", set(state[1]))

    def __copy__(self) -> Self:
        return new_instance(type(self), dict(vars(self)), set(self.__model_fields_set__))

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return new_instance(type(self), copy.deepcopy(vars(self), memo), set(self.__model_fields_set__))


def create_model(
    name: str, *, __base__: type[Model], __module__: str, **fields: tuple[Any, Any]
) -> type[Model]:
    """A model made at run time (a block's parameters), as pydantic's ``create_model``."""
    namespace: dict[str, Any] = {"__module__": __module__, "__qualname__": name}
    annotations: dict[str, Any] = {}
    for field_name, (annotation, declared) in fields.items():
        annotations[field_name] = annotation
        namespace[field_name] = declared
    namespace["__annotations__"] = annotations
    return _ModelType(name, (__base__,), namespace)


class ValueChecker:
    """Validates one value against a type (pydantic's ``TypeAdapter``, strict)."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation
        self._check: Callable[[Any], Any] | None = None

    def validate_python(self, value: Any) -> Any:
        if self._check is None:
            self._check = compile_field(self.annotation, {})
        result = self._check(value)
        if result is NO:
            from archspec.frontend.modeltwin import validate_value

            result = validate_value(self.annotation, value)
        return result


# The instance's storage, set past the frozen __setattr__.
_set_dict = Model.__dict__["__dict__"].__set__
_set_fields_set = Model.__dict__["__model_fields_set__"].__set__
