"""How ``archspec import`` reads PyTorch code as a primitive: the facts a primitive gives
about the torch modules and functions that compute it (its :class:`Reads`).

A primitive that has a module says how to read that module's hyperparameters back into
its params (``Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2))`` → ``{out_channels: 64,
kernel_size: 7, stride: 2}``), and which functions and tensor methods compute it
(``torch.flatten``, ``torch.Tensor.relu``, ``operator.add``), each with a reader of the
call's arguments. No torch here: a reader looks at attributes and plain values; the
importer (``archspec/importer/``) resolves the names and checks every module it reads by
building the primitive's module again and comparing the two.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Unreadable(Exception):
    """The module or call does something the primitive cannot express; the message
    says what (``padding_mode='reflect'``), so that the import can report it."""


class _Marker:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


TENSOR = _Marker("<tensor>")
"""Stands in a :class:`TorchCall`'s arguments for a tensor the call reads."""
BATCH = _Marker("x.size(0)")
"""Stands in a :class:`TorchCall`'s arguments for the batch size read from a tensor
(``x.view(x.size(0), -1)``)."""


@dataclass(frozen=True)
class TorchCall:
    """A call of a torch function or tensor method as a reader sees it: the arguments
    (a tensor read is :data:`TENSOR`, the batch size :data:`BATCH`, a list of tensors a
    list of :data:`TENSOR`) and the rank of its first tensor, batch included."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    rank: int

    def arg(self, index: int, name: str, default: Any) -> Any:
        """The argument at ``index`` or named ``name``, else ``default``."""
        if index < len(self.args):
            return self.args[index]
        return self.kwargs.get(name, default)

    def only(self, *names: str) -> None:
        """Refuse a keyword argument other than ``names``."""
        extra = sorted(set(self.kwargs) - set(names))
        if extra:
            raise Unreadable(f"the argument{'s' * (len(extra) > 1)} {', '.join(extra)}")


@dataclass(frozen=True)
class Then:
    """What a call reader returns where one call is this primitive followed by others
    (``x.mean([2, 3])`` is a global pool, then a flatten): its own params, and each
    later layer as (primitive name, params), in order."""

    params: dict[str, Any]
    layers: tuple[tuple[str, dict[str, Any]], ...]


ModuleReader = Callable[[Any], dict[str, Any]]
CallReader = Callable[[TorchCall], "dict[str, Any] | Then"]


@dataclass(frozen=True)
class Reads:
    """What ``archspec import`` needs of a primitive.

    - ``module(m)``: the params of a module ``m`` of one of the primitive's ``classes``
      (torch.nn's, that exact class), as a dict; raises :class:`Unreadable` for what the
      params cannot hold;
    - ``calls``: the functions and tensor methods that compute the primitive, by their
      qualified names (``torch.flatten``, ``torch.nn.functional.relu``,
      ``torch.Tensor.flatten``, ``operator.add``), each with a reader of the call;
    - ``ignored``: attributes of the module that change no output (``inplace``), which
      the importer's check (the module built again from the params against the
      original) leaves out;
    - ``foreign``: module classes of other libraries, by qualified name
      (``torchvision.ops.StochasticDepth``), each with its reader: looked up only where
      that library is already imported (by the user's code), never imported for it;
    - ``tensor(shape, value)``: for a learned tensor a module holds itself (``self.scale``),
      the params of this primitive, from its shape and its one value (None where its
      entries differ).
    """

    module: ModuleReader | None = None
    calls: Mapping[str, CallReader] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    foreign: Mapping[str, ModuleReader] = field(default_factory=dict)
    tensor: Callable[[tuple[int, ...], float | None], dict[str, Any]] | None = None


def compact(value: Any) -> Any:
    """A size as a spec writes it: an int for a tuple whose entries are all one int
    (``(3, 3)`` → 3), a list for any other tuple, the value itself otherwise."""
    if isinstance(value, tuple | list):
        if value and all(v == value[0] for v in value) and isinstance(value[0], int):
            return value[0]
        return list(value)
    return value


def no_params(*allowed: str) -> CallReader:
    """The reader of a call with one tensor and no params (``F.relu(x, inplace=True)``):
    an argument other than ``allowed`` (which change no output; by name, or by position
    after the tensor in this order) is refused."""

    def read(c: TorchCall) -> dict[str, Any]:
        if len(c.args) > 1 + len(allowed):
            raise Unreadable(f"the arguments {c.args[1 + len(allowed) :]!r}")
        c.only(*allowed)
        return {}

    return read
