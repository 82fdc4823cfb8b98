"""How a splice (``repeat``, ``if``) stands for other layers: the control facts of its
primitive (``Primitive.control``), which the expander splices with and the emitter
writes as a ``for`` loop or an ``if`` statement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Choice", "Control", "Loop"]


@dataclass(frozen=True)
class Loop:
    """A splice that stands for ``count`` copies of its ``body`` layers (``repeat``);
    ``first``, where given, replaces the first copy; where the params' ``prefix`` field
    holds a name, each copy (one layer) is named ``prefix`` + its number, counted from
    the ``start`` field. Emitted as a ``for`` loop."""

    count: str
    body: str
    first: str | None = None
    prefix: str | None = None
    start: str | None = None

    def splices(self, params: Any, groups: dict[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        body = groups.get(self.body, ())
        first = (groups.get(self.first) if self.first else None) or body
        copies = [first, *[body] * (getattr(params, self.count) - 1)]
        prefix = getattr(params, self.prefix, None) if self.prefix else None
        if prefix is None:
            return copies
        start = getattr(params, self.start, 1) if self.start else 1
        if any(len(copy) != 1 for copy in copies):
            raise ValueError(
                f"{self.prefix} names each copy: a copy must be one layer (a block call or a group)"
            )
        return [
            tuple(_renamed(node, f"{prefix}{start + i}") for node in copy) for i, copy in enumerate(copies)
        ]


def _renamed(node: Any, name: str) -> Any:
    """A parsed layer with another name (its raw params and, where validated, its params)."""
    params = node.params.model_copy(update={"name": name}) if node.params is not None else None
    return replace(node, raw={**node.raw, "name": name}, params=params)


@dataclass(frozen=True)
class Choice:
    """A splice that stands for its ``then`` layers where ``test`` holds, else its
    ``otherwise`` layers (``if``). Emitted as an ``if`` statement."""

    test: str
    then: str
    otherwise: str

    def splices(self, params: Any, groups: dict[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [groups.get(self.then if getattr(params, self.test) else self.otherwise, ())]


Control = Loop | Choice
