"""Budgets for one compile, from the bytes of a spec to its shaped graph.

One object sets them all: the loader reads the size, node and depth budgets,
the compiler the layer, parameter, activation and work budgets. See
docs/security.md for what each one stops and the measured costs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Budgets for one spec, from its bytes to its compiled graph; see docs/security.md.

    The defaults fit any reasonable network; :meth:`strict` is the preset for
    services that compile specs written by other people.
    """

    max_bytes: int = 1 << 20
    """File size in bytes (each imported file too), checked before parsing."""
    max_nodes: int = 100_000
    """YAML nodes after alias expansion: an alias counts its anchor's whole subtree."""
    max_depth: int = 64
    """Nesting of lists and mappings."""
    max_layers: int = 10_000
    """Layers after block and repeat expansion (checked by the compiler)."""
    max_params: int = 1_000_000_000
    """Total parameters, from the inferred shapes."""
    max_activation: int = 1 << 31
    """Elements of the largest tensor of one sample (batch 1), for a concrete input."""
    max_symbolic_dims: int = 5_000
    """Symbolic dims the shape rules compute in one inference (each costs tens of
    microseconds, against a few for an int, and every one feeds the valid-size search)."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{item.name} must be a positive int, got {value!r}")

    @classmethod
    def strict(cls) -> Limits:
        """Tighter budgets for services: every spec in ``specs/`` still fits."""
        return cls(
            max_bytes=256 << 10,
            max_nodes=20_000,
            max_depth=32,
            max_layers=2_000,
            max_params=200_000_000,
            max_activation=1 << 26,
            max_symbolic_dims=1_000,
        )
