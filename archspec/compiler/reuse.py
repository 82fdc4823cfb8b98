"""Reusing what a compile inferred: a block call made again with the same arguments on
the same (concrete) input shapes gives the same layers, under another path.

A ResNet stage calls one block with one set of arguments on one input shape
for every block after its first; inferring it again gives the same shapes,
weights and MACs, layer for layer. The compile keeps each call's layers once
(:class:`Inferred`, in ``Compilation.inferred``) and copies them under the new
call's path (:func:`moved`), which costs a dict copy per layer instead of a
shape rule, a params model and a frozen dataclass's ``__init__``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.compiler.graph import LayerInfo


@dataclass(frozen=True)
class Inferred:
    """A block call's layer as first inferred at ``path``, and how many layers of the
    layer budget its inference spent (a copy spends as many)."""

    info: LayerInfo
    path: str
    layers: int


def evolve(info: LayerInfo, **changes: Any) -> LayerInfo:
    """``dataclasses.replace`` for a LayerInfo, without its ``__init__`` (which checks
    nothing: the fields are set as given)."""
    made = object.__new__(LayerInfo)
    fields = made.__dict__
    fields.update(info.__dict__)
    fields.update(changes)
    return made


def moved(info: LayerInfo, old: str, new: str) -> LayerInfo:
    """``info`` and its subtree with the path prefix ``old`` replaced by ``new``."""
    made = object.__new__(LayerInfo)
    fields = made.__dict__
    fields.update(info.__dict__)
    fields["path"] = new + info.path[len(old) :]
    if info.children:
        fields["children"] = tuple([moved(child, old, new) for child in info.children])
    return made
