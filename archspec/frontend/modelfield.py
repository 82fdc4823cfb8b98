"""The declarations of archspec's models (archspec/frontend/model.py): ``Field`` and the
constraint markers and validators, spelled as pydantic spells them, so that a model's
twin (modeltwin.py) is declared alike; and the error a model raises."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archspec.frontend.model import Model


class _Missing:
    """The default of a required field."""

    def __repr__(self) -> str:
        return "PydanticUndefined"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# A default of these types is shared between instances; any other is copied, as pydantic does.
IMMUTABLE = (int, float, bool, str, bytes, type(None))


class FieldInfo:
    """One field's declaration: its default, description and constraints (pydantic's
    ``Field(...)`` keywords, kept as given so that the twin is declared alike)."""

    __slots__ = (
        "default",
        "default_factory",
        "description",
        "foreign",
        "json_schema_extra",
        "kwargs",
        "name",
        "owner",
    )

    def __init__(self, kwargs: dict[str, Any], foreign: Any = None) -> None:
        self.kwargs = kwargs
        self.foreign = foreign  # pydantic's own FieldInfo, for a field a plugin declared with it
        self.default = kwargs.get("default", MISSING)
        self.default_factory: Callable[[], Any] | None = kwargs.get("default_factory")
        self.description: str | None = kwargs.get("description")
        self.json_schema_extra: Any = kwargs.get("json_schema_extra")
        self.name = ""
        self.owner: type[Model] | None = None

    @property
    def constraints(self) -> dict[str, Any]:
        """The bounds, lengths and pattern (an unknown one, of a foreign field, included)."""
        return {k: v for k, v in self.kwargs.items() if k in CONSTRAINTS or k == "unknown"}

    def is_required(self) -> bool:
        return self.default is MISSING and self.default_factory is None

    def get_default(self, *, call_default_factory: bool = False) -> Any:
        if self.default_factory is not None:
            return self.default_factory() if call_default_factory else self.default
        if isinstance(self.default, IMMUTABLE):
            return self.default
        return copy.deepcopy(self.default)

    @property
    def annotation(self) -> Any:
        """The field's type as pydantic states it (read from the twin: editors and
        emitted source show it, which the validation path never asks)."""
        from archspec.frontend.modeltwin import twin

        assert self.owner is not None
        return twin(self.owner).model_fields[self.name].annotation

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"Field({given})"


CONSTRAINTS = frozenset({"ge", "gt", "le", "lt", "min_length", "max_length", "pattern", "allow_inf_nan"})
_FIELD_KEYWORDS = CONSTRAINTS | {"default", "default_factory", "description", "json_schema_extra"}


def Field(default: Any = MISSING, **kwargs: Any) -> Any:
    """A field's declaration (pydantic's ``Field`` keywords that archspec uses)."""
    unknown = set(kwargs) - _FIELD_KEYWORDS
    if unknown:
        raise TypeError(f"Field() takes no {', '.join(sorted(unknown))}")
    if default is not MISSING:
        kwargs = {"default": default, **kwargs}
    return FieldInfo(kwargs)


class StringConstraints:
    """pydantic's ``StringConstraints``: a pattern and a length, for ``Annotated[str, …]``."""

    __slots__ = ("kwargs",)

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


class AfterValidator:
    """pydantic's ``AfterValidator``: a function run on the value once its type is checked."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func


class ModelCheck:
    """A ``model_validator(mode="after")``: a method that checks the whole instance."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func


class FieldCheck:
    """A ``field_validator`` (after): a function that checks (and returns) one field's value."""

    def __init__(self, fields: tuple[str, ...], func: Any) -> None:
        self.fields = fields
        self.func = func

    def bind(self, cls: type) -> Callable[[Any], Any]:
        func = self.func
        if isinstance(func, classmethod):
            return func.__get__(None, cls)
        if isinstance(func, staticmethod):
            return func.__func__
        first = next(iter(inspect.signature(func).parameters), None)
        return func.__get__(cls, type(cls)) if first == "cls" else func  # pydantic's rule


def model_validator(*, mode: str) -> Callable[[Callable[[Any], Any]], Any]:
    if mode != "after":
        raise TypeError("archspec's models take after validators only")
    return ModelCheck


def field_validator(*fields: str) -> Callable[[Any], Any]:
    return lambda func: FieldCheck(fields, func)


PYDANTIC_ATTRIBUTES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)
"""The public attributes of pydantic's ``BaseModel``, which no field may shadow in the
twin (a test holds the list to the installed pydantic's); archspec's models have no other."""


class ValidationError(ValueError):
    """A value the model refuses: pydantic's error (from the twin), whose ``errors()``
    archspec/frontend/errors.py turns into located diagnostics."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(error))
        self.error = error

    def errors(self, **kwargs: Any) -> list[Any]:
        return self.error.errors(**kwargs)

    def error_count(self) -> int:
        return self.error.error_count()

    @property
    def title(self) -> str:
        return self.error.title


def foreign_field(value: Any) -> FieldInfo:
    """A plain default, or a field declared with pydantic's own ``Field`` (a plugin's): the
    twin takes that as it is, the fast path reads its keywords (or, where one is unknown
    to it, leaves every value of the field to pydantic)."""
    if value is MISSING:
        return FieldInfo({})
    if type(value).__name__ != "FieldInfo" or not type(value).__module__.startswith("pydantic"):
        return FieldInfo({"default": value})
    kwargs: dict[str, Any] = {}
    for key in ("default", "default_factory", "description", "json_schema_extra"):
        given = getattr(value, key, None)
        if given is not None and repr(given) != "PydanticUndefined":
            kwargs[key] = given
    for meta in getattr(value, "metadata", ()):
        known = [key for key in CONSTRAINTS if getattr(meta, key, None) is not None]
        if not known:
            kwargs["unknown"] = meta  # no constraint the fast path knows: pydantic decides
        kwargs.update({key: getattr(meta, key) for key in known})
    return FieldInfo(kwargs, foreign=value)
