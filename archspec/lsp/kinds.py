"""The layer kinds a document may call: the registry's primitives."""

from __future__ import annotations

from collections.abc import Mapping

from archspec.frontend.layers import Kind
from archspec.primitives.registry import primitives


def kinds(plugins: bool = True) -> Mapping[str, Kind]:
    """Every registered primitive (``plugins``: with those of installed plugins)."""
    return primitives()
