"""What an import makes before it is written: layers as a spec lists them, and the calls
of user classes that become blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Layer:
    """One layer of a list: a primitive, a ``sequential`` (with ``layers``), a block call,
    or, until blocks are made, a call of a user class (``instance``)."""

    kind: str
    name: str | None = None
    reads: list[str] | None = None
    """The tensors it reads by name (``from:``); None: the layer before it."""
    params: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    """Each param's default: a value equal to it is left out when written."""
    layers: list[Layer] | None = None
    instance: Instance | None = None


@dataclass
class Instance:
    """A module of a user class (or a nested nn.Sequential without a name), as imported:
    its class, its path in the model and the layers of its forward."""

    cls: type
    path: str
    body: list[Layer]
    inputs: list[str] | None = None
    """Its inputs' names where it is called on a list of tensors (DenseNet's layers)."""


@dataclass
class BlockDef:
    """A block of the written spec: its parameters (name → type) and its layers."""

    name: str
    params: dict[str, str]
    layers: list[Layer]
    source: str
    inputs: list[str] | None = None
    """Where it comes from (the class), for the comment above it."""


def walk(layers: list[Layer]) -> Iterator[Layer]:
    """Every layer, depth first, in document order, into groups and instances' bodies."""
    for layer in layers:
        yield layer
        if layer.layers is not None:
            yield from walk(layer.layers)
        if layer.instance is not None:
            yield from walk(layer.instance.body)
