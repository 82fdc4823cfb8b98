"""How a layer's module is made, as data: the class and its arguments that ``archspec.build``
calls and ``compile -o`` prints, with torch's defaults left out (and remembered)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModuleCall:
    """How to make a layer's module, as data: a class named in the allowlist of
    ``archspec.emit.classes``, with its arguments. ``archspec.build`` calls it;
    ``compile -o`` prints it (``nn.Conv2d(1, 64, kernel_size=7, stride=2)``).
    With ``children``, the built parts (an OrderedDict) come first.
    """

    cls: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    children: bool = False
    defaults: tuple[tuple[str, Any], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Omittable:
    """A keyword argument with torch's default: left out of the call where it equals it."""

    value: Any
    default: Any
    axes: int | None = None

    @property
    def omitted(self) -> bool:
        value, default = self.value, self.default
        if not isinstance(value, tuple):
            return value == default
        # One entry per axis, all the default: torch's default. A tuple of another length is
        # kept, so that PyTorch sees (and refuses) what the spec wrote.
        right_length = self.axes is None or len(value) == self.axes
        return right_length and all(v == default for v in value)


def unless(value: Any, default: Any, axes: int | None = None) -> Omittable:
    """``value`` as a keyword argument, left out where it equals torch's ``default``
    (on each of ``axes`` axes, for a tuple)."""
    return Omittable(value, default, axes)


def call(cls: str, *args: Any, **kwargs: Any) -> ModuleCall:
    """A ModuleCall; an :func:`unless` argument equal to its default is left out
    (and its default kept, so that two calls can be compared whatever was left out)."""
    kept, defaults = [], []
    for key, value in kwargs.items():
        if isinstance(value, Omittable):
            defaults.append((key, value.default))
            if value.omitted:
                continue
            value = value.value
        kept.append((key, value))
    return ModuleCall(cls, args, tuple(kept), defaults=tuple(defaults))
