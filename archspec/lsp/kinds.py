"""The layer kinds a document may call: the registry's primitives, plugins' included."""

from __future__ import annotations

from collections.abc import Mapping

from archspec.frontend.layers import Kind
from archspec.primitives.plugins import kinds as registered


def kinds(plugins: bool = True) -> Mapping[str, Kind]:
    """Every registered primitive (``plugins``: with those of installed plugins)."""
    return registered(plugins)
