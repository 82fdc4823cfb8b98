"""archspec's models against their pydantic twins: the fast path accepts only what pydantic
accepts, and parses it to the same values; every answer of a model is pydantic's."""

from __future__ import annotations

import typing
from typing import Annotated, Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archspec.frontend.blocks import _ANNOTATIONS, _CHECKERS, BlockDecl, ParamDecl
from archspec.frontend.blocktable import prelude
from archspec.frontend.initcall import FUNCTIONS
from archspec.frontend.library import LibraryHeader
from archspec.frontend.model import (
    MISSING,
    PYDANTIC_ATTRIBUTES,
    Field,
    Model,
    ValidationError,
    fast_validate,
    field_validator,
    model_validator,
)
from archspec.frontend.modelcheck import NO
from archspec.frontend.modeltwin import twin
from archspec.frontend.spec import INPUT_DIMS, InputDims, SpecHeader
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.registry import primitives


def _models() -> dict[str, type[Model]]:
    found: dict[str, type[Model]] = {f"primitive {n}": p.params for n, p in primitives().items()}
    found.update({f"block {n}": b.params for n, b in prelude(primitives()).items()})
    found.update({f"init {n}": f.args for n, f in FUNCTIONS.items()})
    found.update(
        {
            "SpecHeader": SpecHeader,
            "BlockDecl": BlockDecl,
            "ParamDecl": ParamDecl,
            "LibraryHeader": LibraryHeader,
        }
    )
    return found


class _Mixed(LayerParams):
    """Unions whose members take one value both (pydantic's smart mode picks): a plugin's."""

    x: int | float = Field(0, description="An int or a float.")
    y: float | int | None = None
    z: Annotated[list[int], Field(max_length=2)] | str = Field("a", description="A list or a word.")


class _Bounded(LayerParams):
    """A model check that a subclass replaces (by its name), and a field check."""

    low: int = 0
    high: int = 1

    @model_validator(mode="after")
    def _ordered(self) -> _Bounded:
        if self.low > self.high:
            raise ValueError("low above high")
        return self

    @field_validator("low")
    @classmethod
    def _small(cls, low: int) -> int:
        if low > 5:
            raise ValueError("low above 5")
        return low


class _Reversed(_Bounded):
    @model_validator(mode="after")
    def _ordered(self) -> _Reversed:
        if self.low < self.high:
            raise ValueError("low below high")
        return self


MODELS = {**_models(), "mixed unions": _Mixed, "checks": _Bounded, "checks replaced": _Reversed}

WORDS = [
    "x",
    "conv1",
    "N",
    "H",
    "same",
    "valid",
    "class",
    "match",
    "__init__",
    "forward",
    "a" * 64,
    "a" * 65,
    "abc\n",
    "1abc",
    "ab-c",
    "\u00e9",
    "x.y",
    "x.0",
    "x.",
    "fan_in",
    "relu",
    "int",
    "float",
    "size",
    "ints",
    "bool",
    "str",
    "nearest",
    "bilinear",
    "row",
    "none",
    "tanh",
    "float32",
    "int64",
    "input",
    "@torchvision/resnet",
    "",
]
NUMBERS = [0, 1, -1, 2, 3, 4, 5, 6, -5, -6, -7, 1023, 1024, 1025, 4096, 4097, 1 << 20, 1 << 24, 1 << 31]
NUMBERS += [(1 << 31) + 1, -(1 << 31) - 1, (1 << 53) + 1, 10**30, 1_000_000, 1_000_001]
FLOATS = [0.0, -0.0, 1.0, 0.5, 0.99, 1e-6, 1.0000001, -2.0, 2.0, float("inf"), float("-inf"), float("nan")]
SCALARS = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(-8, 8),
    st.booleans(),
    st.sampled_from(FLOATS),
    st.floats(-10, 10),
    st.none(),
    st.sampled_from(WORDS),
)


def values_for(annotation: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``annotation``'s type (bounds and patterns not heeded) and beside it."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return values_for(args[0], depth)
    if depth > 2:
        return SCALARS
    if origin is typing.Union or origin is __import__("types").UnionType:
        return st.one_of(*(values_for(a, depth + 1) for a in args))
    if origin is typing.Literal:
        return st.one_of(st.sampled_from(args), SCALARS)
    if origin is list:
        return st.one_of(st.lists(values_for(args[0], depth + 1), max_size=6), SCALARS)
    if origin is dict:
        keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=3))
        return st.one_of(st.dictionaries(keys, values_for(args[1], depth + 1), max_size=3), SCALARS)
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return st.one_of(model_data(annotation, depth + 1), SCALARS)
    if annotation is Any:
        return st.one_of(
            SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(st.sampled_from(WORDS), SCALARS)
        )
    return SCALARS


def model_data(model: type[Model], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(model, include_extras=True)
    fields = {name: values_for(hints[name], depth) for name in model.model_fields}
    extra = st.dictionaries(st.sampled_from(["nme", "extra", "kernel", "0"]), SCALARS, max_size=1)
    optional = st.fixed_dictionaries({}, optional=fields)
    return st.builds(lambda given, more: {**given, **more}, optional, st.one_of(st.just({}), extra))


def plain(errors: list[Any]) -> str:
    """Errors as text: the exception a validator raised is compared by its words."""
    return repr(errors)


def _pydantic(model: type[Model], data: Any) -> Any:
    try:
        return twin(model).model_validate(data)
    except pydantic.ValidationError as error:
        return error


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_fast_path_accepts_only_what_pydantic_accepts(name: str, data: st.DataObject) -> None:
    model = MODELS[name]
    value = data.draw(model_data(model))
    fast = fast_validate(model, value)
    expected = _pydantic(model, value)
    if fast is not NO:
        assert not isinstance(expected, pydantic.ValidationError), f"{name} accepts {value!r}: {expected}"
        assert repr(fast.model_dump()) == repr(expected.model_dump())
        assert fast.model_fields_set == expected.model_fields_set
    try:
        got = model.model_validate(value)
    except ValidationError as error:
        assert isinstance(expected, pydantic.ValidationError), f"{name} refuses {value!r}"
        assert plain(error.errors(include_url=False)) == plain(expected.errors(include_url=False))
    else:
        assert not isinstance(expected, pydantic.ValidationError), f"{name} accepts {value!r}"
        assert repr(got.model_dump()) == repr(expected.model_dump())
        assert repr(got.model_dump(mode="json")) == repr(expected.model_dump(mode="json"))
        assert got.model_fields_set == expected.model_fields_set


VALID = {
    "primitive conv": {"out_channels": 8, "kernel_size": [3, 3], "padding": "same"},
    "primitive batchnorm": {"momentum": None, "eps": 1e-3},
    "primitive dropout": {"p": 1},
    "primitive linear": {"out_features": 10, "name": "fc"},
    "primitive permute": {"dims": [0, 2, 3, 1]},
    "primitive select": {"index": 0},
    "primitive reshape": {"shape": [-1, 4]},
    "SpecHeader": {"name": "net", "input": [3, "H", "W"], "layers": ["relu"], "params": {"w": "int"}},
    "BlockDecl": {"params": {"a": {"type": "int", "default": 3}}, "layers": ["relu"]},
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_values_take_the_fast_path(name: str) -> None:
    model = MODELS[name]
    fast = fast_validate(model, VALID[name])
    assert fast is not NO
    assert repr(fast) == repr(model.model_validate(VALID[name]))
    assert repr(fast.model_dump()) == repr(twin(model).model_validate(VALID[name]).model_dump())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_fields_are_the_twins(name: str) -> None:
    model = MODELS[name]
    theirs = twin(model).model_fields
    assert list(model.model_fields) == list(theirs)
    for key, info in model.model_fields.items():
        other = theirs[key]
        assert info.description == other.description, key
        assert info.is_required() == other.is_required(), key
        assert info.json_schema_extra == other.json_schema_extra, key
        assert info.default_factory is other.default_factory, key
        default = None if other.default is pydantic_core_undefined() else other.default
        assert repr(info.default if info.default is not MISSING else None) == repr(default), key
        assert repr(info.get_default()) == repr(other.get_default()), key
        assert info.annotation == other.annotation, key


def pydantic_core_undefined() -> Any:
    from pydantic_core import PydanticUndefined

    return PydanticUndefined


def test_the_attributes_no_parameter_may_shadow_are_pydantics() -> None:
    public = {n for n in dir(pydantic.BaseModel) if not n.startswith("_")}
    assert public == PYDANTIC_ATTRIBUTES
    own = {n for n in dir(LayerParams) if not n.startswith("_")}
    assert own <= PYDANTIC_ATTRIBUTES


@given(value=values_for(InputDims))
@settings(max_examples=200, deadline=None)
def test_the_input_dims_checker_is_pydantics_type_adapter(value: Any) -> None:
    adapter = pydantic.TypeAdapter(twin_annotation(InputDims))
    try:
        expected = adapter.validate_python(value, strict=True)
    except pydantic.ValidationError as error:
        with pytest.raises(ValidationError) as caught:
            INPUT_DIMS.validate_python(value)
        assert plain(caught.value.errors(include_url=False)) == plain(error.errors(include_url=False))
    else:
        assert repr(INPUT_DIMS.validate_python(value)) == repr(expected)


@pytest.mark.parametrize("kind", sorted(_ANNOTATIONS))
@given(value=SCALARS | st.lists(SCALARS, max_size=3))
@settings(max_examples=50, deadline=None)
def test_a_block_parameters_type_is_checked_as_pydantic_does(kind: str, value: Any) -> None:
    adapter = pydantic.TypeAdapter(_ANNOTATIONS[kind])
    try:
        expected = repr(adapter.validate_python(value, strict=True))
    except pydantic.ValidationError:
        expected = "refused"
    try:
        got = repr(_CHECKERS[kind].validate_python(value))
    except ValidationError:
        got = "refused"
    assert got == expected


def twin_annotation(annotation: Any) -> Any:
    from archspec.frontend.modeltwin import translate

    return translate(annotation)


class _Plugin(LayerParams):
    """A plugin's params, declared with pydantic's own Field."""

    times: PositiveInt = pydantic.Field(2, le=8, description="How many.")
    mode: str = Field("a", description="Which.")


def test_a_field_declared_with_pydantics_field_is_taken_as_is() -> None:
    assert _Plugin.model_fields["times"].description == "How many."
    assert _Plugin.model_validate({"times": 8}).times == 8
    with pytest.raises(ValidationError):
        _Plugin.model_validate({"times": 9})
    assert _Plugin.model_json_schema()["properties"]["times"]["maximum"] == 8


def test_instances_behave_as_pydantics() -> None:
    model = MODELS["primitive conv"]
    conv = model.model_validate({"out_channels": 8, "kernel_size": 3})
    assert conv == model.model_validate({"out_channels": 8, "kernel_size": 3})
    assert conv != model.model_validate({"out_channels": 9, "kernel_size": 3})
    assert hash(conv) == hash(model.model_validate({"out_channels": 8, "kernel_size": 3}))
    assert conv.model_dump(exclude={"name"}) == {k: v for k, v in conv.model_dump().items() if k != "name"}
    renamed = conv.model_copy(update={"name": "c1"})
    assert renamed.name == "c1" and renamed.model_fields_set == {"out_channels", "kernel_size", "name"}
    built = model.model_construct(out_channels=4, kernel_size=1)
    assert built.stride == 1 and built.model_fields_set == {"out_channels", "kernel_size"}
    mirror = twin(model).model_validate({"out_channels": 8, "kernel_size": 3})
    assert repr(conv) == repr(mirror) and str(conv) == str(mirror)
    with pytest.raises(TypeError):
        conv.out_channels = 9  # type: ignore[misc]
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(conv)) == conv
    assert copy.deepcopy(conv) == conv


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (_Mixed, {"x": float("inf"), "y": float("nan")}),
        (ParamDecl, {"type": "float", "default": float("inf")}),
        (
            SpecHeader,
            {"name": "n", "layers": ["relu"], "params": {"w": {"type": "float", "default": float("nan")}}},
        ),
    ],
)
def test_json_dumps_keep_a_typed_inf_and_null_an_inferred_one(
    model: type[Model], data: dict[str, Any]
) -> None:
    expected = twin(model).model_validate(data).model_dump(mode="json")
    assert repr(model.model_validate(data).model_dump(mode="json")) == repr(expected)
