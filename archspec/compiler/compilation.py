"""The state of one compile and what inference hands back: kept apart from the
inference itself (archspec/compiler/infer.py), which runs on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archspec.compiler.constraints import Constraint
from archspec.compiler.expand import BoundLayer, Budget, layer_budget
from archspec.compiler.graph import LayerInfo
from archspec.compiler.reuse import Inferred
from archspec.diagnostics import Diagnostic
from archspec.frontend.spec import Spec
from archspec.limits import Limits
from archspec.shapes.tensor import TensorShape


class InferenceStopped(Exception):
    """Carries the diagnostic of the first shape error."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class Flow:
    """A list of layers after inference: its layers, its (first) output, the names it
    returns where it is no plain sequence (else empty), and its outputs by name where
    it returns several."""

    layers: tuple[LayerInfo, ...]
    output: TensorShape
    outputs: tuple[str, ...]
    named: dict[str, TensorShape] | None


def is_one_layer(body: tuple[BoundLayer, ...], inputs: tuple[str, ...], outputs: tuple[str, ...]) -> bool:
    """Whether a block call is its body's one layer: that layer reads the block's
    inputs in order and is what the block returns."""
    if len(body) != 1:
        return False
    only = body[0]
    reads = only.written.sources or inputs[:1]
    return tuple(reads) == inputs and outputs in ((), (only.name,))


@dataclass
class Compilation:
    """The state of one compile, shared by its inference and its minimum-size probes,
    never by the process: a service that compiles strangers' specs must not grow,
    and a spec gets one verdict whatever compiled before it, in any thread.

    ``expansions`` holds the block bodies expanded so far, by (block, arguments);
    ``expanded`` counts the layers those expansions made, so that a repeat of a
    repeat stops at the layer budget before it allocates. ``inferred`` holds the
    layers of the block calls inferred so far on concrete shapes, by (block,
    arguments, input shapes), which a call made again copies (compiler/reuse.py). ``constraints`` holds what
    the joins of a symbolic inference require (``H == 2*floor(H/2)``), for the
    valid-size search.
    """

    spec: Spec
    limits: Limits = field(default_factory=Limits)
    expansions: dict[Any, tuple[BoundLayer, ...]] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    inferred: dict[Any, Inferred] = field(default_factory=dict)
    expanded: Budget = field(init=False)

    def __post_init__(self) -> None:
        self.expanded = layer_budget(self.limits.max_layers)
