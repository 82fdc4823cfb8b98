"""Torch modules and calls to archspec primitives, by the facts the primitives give
(their ``classes`` and ``from_torch``): no table of names here.

Every module read is checked: the primitive's module is built again from the params
read, on the same input, and its hyperparameters (the module's plain attributes, less
those the primitive says change no output) must equal the original's. What differs is
what the primitive cannot express, and is reported, never approximated.
"""

from __future__ import annotations

import operator
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from archspec.emit.classes import module_class
from archspec.frontend.model import ValidationError
from archspec.primitives.reads import CallReader, ModuleReader, Then, TorchCall, Unreadable
from archspec.primitives.registry import Primitive, primitives
from archspec.shapes.tensor import TensorShape

# The roots a primitive's function names start from (``torch.flatten``, ``operator.add``);
# another library's (``torchvision.ops.stochastic_depth``) only where the user's code has
# imported it: a primitive's facts never make the importer import anything.
_ROOTS: Mapping[str, Any] = {"torch": torch, "operator": operator}
_METHOD = "torch.Tensor."


@dataclass
class Readers:
    """The registry's reading facts, resolved once per import."""

    by_class: dict[type, list[tuple[Primitive, ModuleReader]]] = field(default_factory=dict)
    foreign: set[type] = field(default_factory=set)
    tensors: list[tuple[Primitive, Any]] = field(default_factory=list)
    """The primitives a module's own tensor reads as (``parameter``)."""
    """Classes of other libraries (torchvision's): built again as archspec's own class."""
    by_function: dict[Any, list[tuple[Primitive, CallReader]]] = field(default_factory=dict)
    by_method: dict[str, list[tuple[Primitive, CallReader]]] = field(default_factory=dict)
    wrapped: tuple[Any, ...] = ()
    """Other libraries' Python functions a primitive reads (torchvision's channel_shuffle):
    fx records a call of each instead of tracing into it."""


def resolve(qualified: str) -> Any:
    """The function a primitive names (``torch.nn.functional.relu``), or None where this
    torch has none."""
    root, *parts = qualified.split(".")
    found = _ROOTS.get(root, sys.modules.get(root))
    for part in parts:
        found = getattr(found, part, None)
    return found


def readers() -> Readers:
    table = Readers()
    for primitive in primitives().values():
        reads = primitive.from_torch
        if reads is None:
            continue
        if reads.module is not None:
            for name in primitive.classes:
                cls = nn.__dict__.get(name)
                if isinstance(cls, type):
                    table.by_class.setdefault(cls, []).append((primitive, reads.module))
        for qualified, reader in reads.foreign.items():
            if isinstance(cls := resolve(qualified), type):
                table.by_class.setdefault(cls, []).append((primitive, reader))
                table.foreign.add(cls)
        if reads.tensor is not None:
            table.tensors.append((primitive, reads.tensor))
        for qualified, reader in reads.calls.items():
            if qualified.startswith(_METHOD):
                table.by_method.setdefault(qualified.removeprefix(_METHOD), []).append((primitive, reader))
            elif (function := resolve(qualified)) is not None:
                table.by_function.setdefault(function, []).append((primitive, reader))
    table.wrapped = tuple(
        function
        for function in table.by_function
        if isinstance(function, types.FunctionType) and function.__module__.split(".")[0] not in _ROOTS
    )
    return table


def full_params(primitive: Primitive, read: dict[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The params model of what was read, every param's value and every param's default
    (the inferred sizes and the name left out). Unreadable where the model refuses it."""
    try:
        model = primitive.params.model_validate(read)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise Unreadable(f"{primitive.name} takes no such params ({problems})") from None
    values, defaults = {}, {}
    for key, info in type(model).model_fields.items():
        if key == "name" or (info.json_schema_extra or {}).get("inferred"):  # type: ignore[union-attr]
            continue
        values[key] = getattr(model, key)
        defaults[key] = info.default
    return model, values, defaults


def _same_sizes(value: Any) -> Any:
    """torch's modules repeat an int per axis (``_pair(1)`` is ``(1, 1)``): both are one size."""
    if isinstance(value, tuple | list) and value and all(type(v) is int and v == value[0] for v in value):
        return value[0]
    return value


def _attributes(module: nn.Module, ignored: tuple[str, ...]) -> dict[str, Any]:
    return {
        key: _same_sizes(value)
        for key, value in vars(module).items()
        if not key.startswith("_") and key != "training" and key not in ignored
    }


def read_module(
    primitive: Primitive,
    reader: ModuleReader,
    module: nn.Module,
    shape: tuple[int, ...],
    foreign: bool = False,
) -> tuple[dict, dict]:
    """The params (values, defaults) of ``module`` as ``primitive`` (by ``reader``), checked
    by building the primitive's module again on the same input (``shape``, batch included):
    the same class (archspec's own, for another library's ``foreign`` one) and the same
    hyperparameters."""
    assert primitive.from_torch is not None
    read = reader(module)
    model, values, defaults = full_params(primitive, read)
    made = primitive.module_call(model, TensorShape(tuple(shape[1:])))
    again = module_class(made.cls)(*made.args, **dict(made.kwargs))
    if type(again) is not type(module) and not foreign:
        raise Unreadable(f"{primitive.name} builds {type(again).__name__} here")
    ignored = primitive.from_torch.ignored
    mine, theirs = _attributes(again, ignored), _attributes(module, ignored)
    differ = [k for k in sorted(theirs.keys() | mine.keys()) if theirs.get(k) != mine.get(k)]
    if differ:
        shown = ", ".join(f"{k}={theirs.get(k)!r} (archspec's: {mine.get(k)!r})" for k in differ)
        raise Unreadable(f"{primitive.name} cannot set {shown}")
    return values, defaults


def read_call(
    candidates: list[tuple[Primitive, CallReader]], call: TorchCall
) -> list[tuple[Primitive, dict, dict]] | list[str]:
    """The layers of the first primitive that reads the call (itself, then any it says
    follow: :class:`Then`), each with its values and defaults; or why none reads it."""
    why = []
    for primitive, reader in candidates:
        try:
            read = reader(call)
            steps = [(primitive, read)]
            if isinstance(read, Then):
                steps = [(primitive, read.params), *read.layers]
            layers = []
            for kind, params in steps:
                found = primitives()[kind] if isinstance(kind, str) else kind
                _, values, defaults = full_params(found, params)
                layers.append((found, values, defaults))
        except Unreadable as error:
            why.append(f"{primitive.name}: {error}")
            continue
        return layers
    return why
