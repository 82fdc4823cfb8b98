"""Primitives from installed packages: the entry-point group ``archspec.primitives``.

A distribution declares, in its pyproject.toml::

    [project.entry-points."archspec.primitives"]
    cbam = "archspec_cbam:CBAM"

where ``archspec_cbam.CBAM`` is a :class:`~archspec.primitives.registry.Primitive`
named ``cbam`` (or a function of no arguments that returns one). archspec loads
each entry point once per process, the first time the table of kinds with plugins
is asked for a name that no primitive registered so far has, or for every name
(a spec that calls only built-in primitives never scans the installed
distributions), and adds the primitive with the public :func:`register`, which
checks it.
Plugins come only from installed distributions (importlib.metadata), never from
a spec: a spec can name a primitive, not a module.

A plugin that raises at import, names a primitive another already has (or a block of
archspec's prelude), or breaks
the contract (not a Primitive, a name other than its entry point's, a params model
that is no LayerParams, what :func:`register` refuses) is kept aside as broken,
with the reason: ``archspec primitives`` lists it, and specs that do not use it
validate as if it were not installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from archspec.frontend.blocktable import prelude_names
from archspec.frontend.kindtable import DeferredKinds
from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Primitive, PrimitiveError, primitives, register

if TYPE_CHECKING:
    from importlib import metadata

GROUP = "archspec.primitives"
BUILTIN = "archspec"


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point whose primitive is not registered, and why."""

    name: str
    distribution: str
    target: str
    reason: str


@dataclass
class Plugins:
    """The plugins loaded in this process: where each primitive came from, and the broken ones."""

    origins: dict[str, str] = field(default_factory=dict[str, str])
    """Primitive name -> the distribution that provides it (a plugin's only)."""
    broken: list[BrokenPlugin] = field(default_factory=list[BrokenPlugin])


_loaded: Plugins | None = None  # the table is one per process: plugins register into it once


def load_plugins() -> Plugins:
    """Register every installed plugin's primitive (once per process); what happened."""
    global _loaded
    if _loaded is None:
        primitives()  # the built-ins first: a plugin may not take their names
        # nor those of the prelude's blocks (parsed against the built-ins alone: blocktable.prelude)
        blocks = prelude_names().keys()
        found = Plugins()
        for entry in sorted(_entry_points(), key=lambda e: (e.name, e.value)):
            _load(entry, found, blocks)
        _loaded = found
    return _loaded


def _entry_points() -> list[metadata.EntryPoint]:
    from importlib import metadata  # here: it imports zipfile, csv, email…, and most runs never scan

    try:
        return list(metadata.entry_points(group=GROUP))
    except Exception:  # a distribution with unreadable metadata: no plugins rather than no archspec
        return []


def _load(entry: metadata.EntryPoint, found: Plugins, blocks: Set[str]) -> None:
    distribution = entry.dist.name if entry.dist is not None else "(unknown distribution)"

    def broken(reason: str) -> None:
        found.broken.append(BrokenPlugin(entry.name, distribution, entry.value, reason))

    try:
        made = entry.load()
        if callable(made) and not isinstance(made, Primitive):
            made = made()
    except Exception as error:  # the plugin's own code: whatever it raises, it is that plugin's fault
        broken(f"raised at import: {type(error).__name__}: {str(error)[:200]}")
        return
    if not isinstance(made, Primitive):
        broken(f"{entry.value} is a {type(made).__name__}, not an archspec Primitive")
        return
    if made.name != entry.name:
        broken(f"the entry point is named {entry.name!r} but its primitive {made.name!r}")
        return
    params = cast(object, made.params)  # a plugin's object: checked, not trusted
    if not (isinstance(params, type) and issubclass(params, LayerParams)):
        broken("its params model is not a subclass of archspec.frontend.types.LayerParams")
        return
    if made.name in found.origins or made.name in primitives() or made.name in blocks:
        owner = found.origins.get(made.name, BUILTIN)
        broken(f"the primitive name {made.name!r} is taken (by {owner})")
        return
    try:
        register(made)
    except PrimitiveError as error:
        broken(f"breaks the primitive contract: {error}")
        return
    found.origins[made.name] = distribution


def kinds(plugins: bool = True) -> Mapping[str, Primitive]:
    """The primitives a spec may use: the built-ins and, with ``plugins``, the plugins',
    loaded when the table is first asked for a name it does not have yet, or for all."""
    table = primitives()
    if plugins:
        return DeferredKinds(table, load_plugins)
    foreign = _loaded.origins if _loaded is not None else {}
    return {name: primitive for name, primitive in table.items() if name not in foreign}


def origin(name: str) -> str:
    """Where a primitive comes from: its plugin's distribution, ``archspec`` for the
    built-ins, else the top-level module that registered it (``register`` called by hand)."""
    found = _loaded.origins.get(name) if _loaded is not None else None
    if found is not None:
        return found
    primitive = primitives().get(name)
    rule = (primitive.infer or primitive.build) if primitive is not None else None
    module = getattr(rule, "__module__", None) or BUILTIN
    return BUILTIN if module.split(".")[0] == BUILTIN else f"module {module.split('.')[0]}"
