"""The one table of primitives: name -> params model, shape rule, builder.

Each file in this package registers its primitives at import; the schema,
the compiler, the emitters and the CLI all dispatch through this table.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.frontend.layers import LayerField
from archspec.frontend.types import LayerParams
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


@dataclass(frozen=True)
class Inferred:
    """What a shape rule returns: the output shape and the layer's own weights.

    ``macs`` counts the layer's own multiply-accumulates for one sample.
    ``batch_statistics`` marks a layer that, in training, normalizes with
    statistics over the batch and spatial positions (batchnorm): PyTorch then
    needs more than one value per channel.
    """

    shape: TensorShape
    num_params: int = 0
    batch_statistics: bool = False
    # Multiply-accumulates per sample (an int, or a sympy expression for a
    # symbolic input). Only conv and linear count them, as torchvision does.
    macs: Any = 0


@dataclass(frozen=True)
class ModuleCall:
    """How to make a layer's module, as data: a class named in the allowlist of
    ``archspec.emit.classes``, with its arguments. ``archspec.build`` calls it;
    ``compile -o`` prints it (``nn.Conv2d(1, 64, kernel_size=7, stride=2)``).
    With ``children``, the built parts (an OrderedDict) come first.
    """

    cls: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    children: bool = False


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()
"""A keyword argument left out of a call: torch's default applies."""


def unless(value: Any, default: Any) -> Any:
    """``value``, or DEFAULT where it equals torch's ``default`` (on every axis, for a tuple)."""
    same = value == default or (isinstance(value, tuple) and all(v == default for v in value))
    return DEFAULT if same else value


def call(cls: str, *args: Any, **kwargs: Any) -> ModuleCall:
    """A ModuleCall; keyword arguments given as DEFAULT are left out."""
    return ModuleCall(cls, args, tuple((k, v) for k, v in kwargs.items() if v is not DEFAULT))


ShapeRule = Callable[[Any, TensorShape, "Context"], Inferred]
Builder = Callable[["LayerInfo"], ModuleCall]


@dataclass(frozen=True)
class Primitive:
    """One layer kind.

    ``infer(params, input, ctx)`` computes the output shape (composites infer
    their parts through the context); ``build(layer)`` says which module makes
    the shaped layer, as a :class:`ModuleCall` (no torch here). ``layer_fields`` are the parameters
    that hold layers (``sequential``'s ``layers``, ``add``'s ``branches``);
    a primitive with them is ``composite``: its rule runs its parts through
    the context, its builder takes the built parts. A splice primitive
    (``repeat``, ``if``) has no module: ``splices(params, groups)`` says which
    groups of layers stand in its place in the parent's sequence.
    ``formula`` is the shape rule (and MACs) in one or two lines, for
    docs/reference.md.
    """

    name: str
    params: type[LayerParams]
    infer: ShapeRule | None
    build: Builder | None
    summary: str
    layer_fields: tuple[LayerField, ...] = ()
    splices: Callable[[Any, dict[str, tuple[Any, ...]]], list[tuple[Any, ...]]] | None = None
    formula: str = ""

    is_block = False  # a class attribute, not a field: blocks are the front end's

    @property
    def splice(self) -> bool:
        return self.splices is not None

    @property
    def composite(self) -> bool:
        return bool(self.layer_fields)


_TABLE: dict[str, Primitive] = {}
_loaded = False


def register(primitive: Primitive) -> Primitive:
    if primitive.name in _TABLE:
        raise ValueError(f"primitive {primitive.name!r} is registered twice")
    _TABLE[primitive.name] = primitive
    return primitive


def primitives() -> dict[str, Primitive]:
    """Every registered primitive, importing this package's modules once."""
    global _loaded
    if not _loaded:
        package = importlib.import_module("archspec.primitives")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name != "registry":
                importlib.import_module(f"archspec.primitives.{module.name}")
        _loaded = True
    return _TABLE


def lookup(name: str) -> Primitive | None:
    return primitives().get(name)
