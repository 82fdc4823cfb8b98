"""A table of layer kinds of which some are found only when first needed.

The primitives of installed plugins are found by scanning the metadata of every
installed distribution (importlib.metadata), which costs more than the rest of a
small spec's check. A spec that calls only kinds already registered never needs
that scan; :class:`DeferredKinds` runs it the first time a name is not among the
registered kinds, or every name is asked for (a did-you-mean, a completion list),
so that what a lookup answers is what it would answer had the scan run first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar, overload

KindT = TypeVar("KindT")
Other = TypeVar("Other")


class DeferredKinds(Mapping[str, KindT]):
    """The kinds in ``known`` (a live table: ``discover`` registers into it) and those
    ``discover()`` adds, run once, before the first lookup that ``known`` cannot answer."""

    __slots__ = ("_discover", "known")

    def __init__(self, known: Mapping[str, KindT], discover: Callable[[], object]) -> None:
        self.known = known
        self._discover: Callable[[], object] | None = discover

    def complete(self) -> Mapping[str, KindT]:
        """Every kind, the discovered ones included."""
        discover = self._discover
        if discover is not None:
            discover()
            self._discover = None
        return self.known

    def __getitem__(self, name: str) -> KindT:
        found = self.known.get(name)
        return found if found is not None else self.complete()[name]

    @overload
    def get(self, name: str, /) -> KindT | None: ...

    @overload
    def get(self, name: str, /, default: KindT | Other) -> KindT | Other: ...

    def get(self, name: str, /, default: object = None) -> object:
        # Mapping.get's, without its KeyError: the compiler looks a kind up once per layer.
        found = self.known.get(name)
        if found is None and self._discover is not None:
            found = self.complete().get(name)
        return default if found is None else found

    def __contains__(self, name: object) -> bool:
        return name in self.known or name in self.complete()

    def __iter__(self) -> Iterator[str]:
        return iter(self.complete())

    def __len__(self) -> int:
        return len(self.complete())


def registered_now(kinds: Mapping[str, KindT]) -> Mapping[str, KindT]:
    """The kinds of ``kinds`` known without discovering more (all of a plain mapping)."""
    return kinds.known if isinstance(kinds, DeferredKinds) else kinds
