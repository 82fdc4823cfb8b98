"""Calls of one user class become calls of one block, with parameters where the calls
differ only in values.

The instances of a class are grouped by the shape of their bodies (the same layers, names
and wiring, values of the same types); each group is one block. A value that is the same
in every instance of the group is written in the block; one that varies is a parameter
(values that vary together, such as a conv's and the next conv's out_channels, share
one), named after the param it sets. Inner classes are made blocks first, so that an
outer body compares its inner calls by their arguments.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from archspec.importer.tree import BlockDef, Instance, Layer, walk
from archspec.primitives.activation import IDENTITY

# Names a block parameter cannot take: the reserved ones, and the expression functions.
RESERVED = frozenset(
    {
        "name",
        "in_channels",
        "min",
        "max",
        "abs",
        "int",
        "round",
        "floor",
        "ceil",
        "log",
        "make_divisible",
        "math",
        "true",
        "false",
        "none",
    }
)


def snake(name: str) -> str:
    """``BasicConv2d`` → ``basic_conv2d``, ``InvertedResidual`` → ``inverted_residual``."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.lstrip("_"))
    text = re.sub(r"[^A-Za-z0-9_]", "_", text).lower()
    return text if text and not text[0].isdigit() else f"block_{text}"


def _kind_of(value: Any) -> str:
    """A value's type as a block parameter sees it (ints and lists of ints both sizes)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int) or (isinstance(value, list) and all(type(v) is int for v in value)):
        return "size"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return repr(value)  # None, mixed lists: such a value is part of the shape


def signature(layers: list[Layer]) -> tuple[Any, ...]:
    return tuple(
        (
            layer.kind,
            layer.name,
            tuple(layer.reads) if layer.reads is not None else None,
            tuple((key, _kind_of(value)) for key, value in layer.params.items()),
            signature(layer.layers) if layer.layers is not None else None,
        )
        for layer in layers
    )


def _positions(layers: list[Layer], prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    for index, layer in enumerate(layers):
        found += [(*prefix, index, key) for key in layer.params]
        if layer.layers is not None:
            found += _positions(layer.layers, (*prefix, index, "layers"))
    return found


def _at(layers: list[Layer], position: tuple[Any, ...]) -> tuple[Layer, str]:
    layer = layers[position[0]]
    if position[1] == "layers" and len(position) > 2:
        assert layer.layers is not None
        return _at(layer.layers, position[2:])
    return layer, position[1]


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _param_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(type(v) is int for v in values):
        return "int"
    if all(isinstance(v, list) for v in values):
        return "ints"
    return {"size": "size", "float": "float", "str": "str"}[_kind_of(values[0])]


def _label(layer: Layer, index: int) -> str:
    return layer.name or f"{layer.kind}{index}"


def parameterize(name: str, bodies: list[list[Layer]], source: str) -> tuple[BlockDef, list[dict[str, Any]]]:
    """The block made of the bodies (the first one's layers, with ``=param`` where the
    bodies differ) and each body's arguments."""
    first = bodies[0]
    groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for position in _positions(first):
        values = tuple(_frozen(getattr_at(body, position)) for body in bodies)
        if len(set(map(repr, values))) > 1:
            groups.setdefault(values, []).append(position)
    fields = [positions[0][-1] for positions in groups.values()]
    params: dict[str, str] = {}
    args: list[dict[str, Any]] = [{} for _ in bodies]
    for (values, positions), field in zip(groups.items(), fields, strict=True):
        layer, key = _at(first, positions[0])
        label = field if fields.count(field) == 1 else f"{_label(layer, positions[0][-2])}_{field}"
        while label in RESERVED or keyword.iskeyword(label) or label in params:
            label += "_"
        params[label] = _param_type([getattr_at(body, positions[0]) for body in bodies])
        for position in positions:
            layer, key = _at(first, position)
            layer.params[key] = f"={label}"
            layer.defaults.pop(key, None)
        for arg, value in zip(args, values, strict=True):
            arg[label] = list(value) if isinstance(value, tuple) else value
    layers = first if len(first) > 1 else [*first, Layer(IDENTITY)]  # one layer would *be* the call
    return BlockDef(name, params, layers, source), args


def getattr_at(layers: list[Layer], position: tuple[Any, ...]) -> Any:
    layer, key = _at(layers, position)
    return layer.params[key]


def _height(instance: Instance) -> int:
    inner = [layer.instance for layer in walk(instance.body) if layer.instance is not None]
    return 1 + max((_height(i) for i in inner), default=0)


def make_blocks(layers: list[Layer], taken: set[str]) -> list[BlockDef]:
    """Turn every call of a user class in ``layers`` into a block call; the blocks, in the
    order their classes first appear. ``taken``: the names a block cannot have."""
    calls = [layer for layer in walk(layers) if layer.instance is not None]
    seen = {id(layer): index for index, layer in enumerate(calls)}
    by_height: dict[int, list[Layer]] = {}
    for layer in calls:
        assert layer.instance is not None
        by_height.setdefault(_height(layer.instance), []).append(layer)
    made: list[tuple[int, BlockDef]] = []
    used = set(taken)
    for height in sorted(by_height):
        groups: dict[tuple[Any, ...], list[Layer]] = {}
        for layer in by_height[height]:
            assert layer.instance is not None
            key = (layer.instance.cls, tuple(layer.instance.inputs or ()), signature(layer.instance.body))
            groups.setdefault(key, []).append(layer)
        for (cls, inputs, _), group in groups.items():
            base = snake(cls.__name__)
            base = base if base not in taken else f"{base}_block"  # a primitive's or the prelude's
            name, count = base, 1
            while name in used:
                count += 1
                name = f"{base}_{count}"
            used.add(name)
            bodies = [layer.instance.body for layer in group if layer.instance is not None]
            block, args = parameterize(name, bodies, f"{cls.__module__}.{cls.__qualname__}")
            block.inputs = list(inputs) or None
            first_seen = min(seen[id(layer)] for layer in group)
            made.append((first_seen, block))
            for layer, arg in zip(group, args, strict=True):
                layer.kind, layer.params, layer.defaults, layer.instance = name, arg, {}, None
    return [block for _, block in sorted(made, key=lambda pair: pair[0])]
