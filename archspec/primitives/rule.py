"""What a shape rule sees and returns: the compiler's context (``RuleContext``), the
rule's result (``Inferred``), and the declaration of how a rule refuses sizes.
(registry.py re-exports each: a primitive module imports its facts there.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from archspec.shapes.tensor import TensorShape


class RuleContext(Protocol):
    """What a composite's shape rule may ask of the compiler while it runs.

    ``memo``: the compile's memo of what rules compute from symbolic dims (a window's
    output, a product), which the next layer that asks the same finds there; symbolic dims
    are kept one object per value in a compile, so a key holds them by identity (and its
    entry holds them, so that an id is never reused while it is a key)."""

    memo: dict[Any, Any]

    def run_layers(self, field: str, x: TensorShape) -> TensorShape: ...

    def run_branches(self, x: TensorShape) -> tuple[list[TensorShape], list[str]]: ...

    def reads(self) -> tuple[TensorShape, ...]:
        """Every tensor the layer reads, in order (its input first)."""
        ...

    def equate(self, a: Any, b: Any, where: str, *, broadcast: bool = False) -> Any:
        """A join needs ``a == b``, two symbolic sizes equal for some input sizes only
        (``where`` says which branches give what): the compiler records it and returns
        the size to go on with. Never called with two ints."""
        ...


@dataclass(frozen=True)
class Inferred:
    """What a shape rule returns: the output shape and the layer's own weights.

    ``macs`` counts the layer's own multiply-accumulates for one sample.
    ``batch_statistics`` marks a layer that, in training, normalizes with
    statistics over the batch and spatial positions (batchnorm): PyTorch then
    needs more than one value per channel.
    """

    shape: TensorShape
    num_params: int = 0
    batch_statistics: bool = False
    # A layer that makes several tensors (split): each, in order; ``shape`` is the first.
    # They are read by name as ``layer.0``, ``layer.1`` …
    outputs: tuple[TensorShape, ...] = ()
    # Multiply-accumulates per sample (an int, or a symbolic expression for a
    # symbolic input). Only layers that multiply by weights count them (conv, conv_transpose,
    # linear), as torchvision does.
    macs: Any = 0
    # Elements of the tensors the layer computes besides its output, per sample (an int or a
    # formula): attention's projections and its heads × L × S weights. The report's
    # activation memory and the activation budget count them.
    workspace: Any = 0


ShapeRule = Callable[[Any, TensorShape, RuleContext], Inferred]
SizeRefusal = Callable[[Any, TensorShape], bool]
"""``refuses_only_empty(params, input)``: see :class:`Primitive`."""


def on_any_input(params: Any, x: TensorShape) -> bool:
    """A ``refuses_only_empty`` that holds for every layer of the primitive."""
    return True
