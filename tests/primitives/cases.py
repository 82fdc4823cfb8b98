"""Oracle cases: the layers every registered primitive is checked on, by the registry contract.

Each ``tests/primitives/test_<file>.py`` lists its primitives' cases in a
module-level ``ORACLE_CASES = {"name": [OracleCase(...), ...]}``;
``tests/primitives/test_registry.py`` finds them all, refuses a primitive
without one, and runs each against torch (forward hooks on the real module,
and the hand-built module where ``make`` is given) and through ``compile -o``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn


@dataclass(frozen=True)
class OracleCase:
    """``layer`` (a bare name or ``{name: params}``) on one sample of ``dims``;
    ``symbolic`` is the same input with sizes left open (``(3, "H", "W")``),
    where the primitive accepts them; ``make`` builds the equivalent torch module; ``ids``:
    the input is token ids (embedding's)."""

    layer: Any
    dims: tuple[int, ...]
    symbolic: tuple[int | str, ...] | None = None
    make: Callable[[], nn.Module] | None = None
    ids: bool = False  # the input holds token ids (input_dtypes: {input: int64}), ids 0 and 1


def all_cases() -> dict[str, list[OracleCase]]:
    """Every ``ORACLE_CASES`` of the test modules of this folder, by primitive."""
    import tests.primitives as package

    found: dict[str, list[OracleCase]] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("test_"):
            cases = getattr(importlib.import_module(f"tests.primitives.{module.name}"), "ORACLE_CASES", {})
            for name, listed in cases.items():
                found.setdefault(name, []).extend(listed)
    return found
