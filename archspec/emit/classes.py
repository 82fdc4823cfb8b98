"""The allowlist of module classes a ModuleCall may name, derived from the registry.

``archspec.build`` looks classes up here, never with ``getattr`` on spec
text: a class is made only if a registered primitive declares it (its
``classes``), and each declared name is resolved once, in ``torch.nn`` or
among archspec's own classes (``Block``, ``Add``, ``Concat``, emitted into
generated files). torch's classes print as ``nn.<Name>`` in emitted source.
"""

from __future__ import annotations

from torch import nn

from archspec.emit import layers
from archspec.primitives.registry import ARCHSPEC_CLASSES, Primitive, check_class, primitives

_resolved: dict[str, type[nn.Module]] = {}


def resolve(primitive: Primitive) -> dict[str, type[nn.Module]]:
    """The classes ``primitive`` declares, as classes; PrimitiveError for a bad name."""
    found: dict[str, type[nn.Module]] = {}
    for name in primitive.classes:
        check_class(primitive, name, nn)
        if name in primitive.runtime:
            found[name] = primitive.runtime[name]()
        else:
            found[name] = getattr(layers, name) if name in ARCHSPEC_CLASSES else nn.__dict__[name]
    return found


def allowlist() -> dict[str, type[nn.Module]]:
    """Every class any registered primitive may build (resolved again after a registration)."""
    table = primitives()
    declared = {name for primitive in table.values() for name in primitive.classes}
    if declared - _resolved.keys():
        for primitive in table.values():
            _resolved.update(resolve(primitive))
    return _resolved


def module_class(name: str) -> type[nn.Module]:
    """The class a ModuleCall names; it is in the allowlist, since builders are checked."""
    return allowlist()[name]
