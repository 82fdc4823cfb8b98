"""The state of one compile and what inference hands back: kept apart from the
inference itself (archspec/compiler/infer.py), which runs on them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from archspec.compiler.constraints import Constraint
from archspec.compiler.expand import BlockScope, BoundLayer, Budget, expand, layer_budget
from archspec.compiler.graph import LayerInfo
from archspec.compiler.reuse import Inferred, Reuse
from archspec.diagnostics import Diagnostic
from archspec.frontend.blocks import Block
from archspec.frontend.spec import Spec
from archspec.limits import Limits
from archspec.shapes.symbolic import Mul
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.tails import Replayed


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


def is_concrete_shape(shape: TensorShape) -> bool:
    """Whether every dim of ``shape`` is an int (no generator: inference asks at every layer)."""
    return set(map(type, shape.dims)) <= _INT_ONLY


_INT_ONLY = {int}


ANY_CHANNELS = "any"
"""The in_channels of the key of a block body that does not read them."""


class _Reads(BlockScope):
    """A block body's names (its arguments and ``in_channels``), noting whether the body's
    expressions asked for ``in_channels`` (expressions read names with ``in`` and ``[]``)."""

    channels = False

    def __contains__(self, name: object) -> bool:
        if name == IN_CHANNELS:
            self.channels = True
        return super().__contains__(name)

    def __getitem__(self, name: str) -> Any:
        if name == IN_CHANNELS:
            self.channels = True
        return super().__getitem__(name)


IN_CHANNELS = "in_channels"


@dataclass
class Compilation:
    """The state of one compile, shared by its inference and its minimum-size probes,
    never by the process: a service that compiles strangers' specs must not grow,
    and a spec gets one verdict whatever compiled before it, in any thread.

    ``reuse`` holds the block bodies expanded so far, by (block, arguments), and the
    layers of the block calls inferred on concrete shapes, by (block, arguments, input
    shapes), which a call made again copies (compiler/reuse.py); a sweep shares it
    between the compiles of a family's members. ``expanded`` counts the layers the
    expansions of this compile made, so that a repeat of a repeat stops at the layer
    budget before it allocates; ``paid`` holds the bodies it counted, and ``used`` the
    keys of the bodies its calls used, in order. ``constraints`` holds what the joins
    of a symbolic inference require (``H == 2*floor(H/2)``), for the valid-size search.
    ``dims`` holds each symbolic dim the layers output, once: equal sizes of different
    layers are then one object, which later operations, the report's sums and printing
    meet by identity (each distinct dim is printed once); so are the symbolic shapes and
    MAC counts of the layers (``shapes``, and ``dims`` again): a deep symbolic graph then
    holds a few objects per distinct size, not per layer, for the collector to scan.
    """

    spec: Spec
    limits: Limits = field(default_factory=Limits)
    reuse: Reuse = field(default_factory=Reuse)
    constraints: list[Constraint] = field(default_factory=list)
    # Every independent problem of the spec's own layers (infer.py's flow, recover=True).
    problems: list[Diagnostic] = field(default_factory=list)
    expanded: Budget = field(init=False)
    paid: set[Any] = field(default_factory=set)
    used: list[Any] = field(default_factory=list)
    dims: dict[Any, Any] = field(default_factory=dict)
    shapes: dict[TensorShape, TensorShape] = field(default_factory=dict)
    met: dict[int, TensorShape] = field(default_factory=dict)  # the shapes of ``shapes``, by id
    # What rules computed from symbolic dims, for the next layer that asks the same (RuleContext.memo)
    memo: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.expanded = layer_budget(self.limits.max_layers)
        self.reuse.serve(self.spec.blocks)

    def body(self, key: Any, block: Block, env: BlockScope) -> tuple[BoundLayer, ...]:
        """The block's body expanded with ``env``: made once per key, and counted once
        per compile against the layer budget, as if this compile had made it. ``key`` is
        (arguments, in_channels, block); a body that does not read ``in_channels`` (a
        ResNet block of stride 2 always projects) is kept under :data:`ANY_CHANNELS`, one
        for every channel count."""
        text, _, name = key
        free = (text, ANY_CHANNELS, name)
        if free in self.reuse.bodies:
            key = free
        known = self.reuse.bodies.get(key)
        fits = known is not None and self.expanded.used + known[1] <= self.expanded.limit
        if known is not None and key not in self.paid and fits:
            self.expanded.spend(known[1])
            self.paid.add(key)
        elif known is None or key not in self.paid:  # expand, and raise where the budget is crossed
            before = self.expanded.used
            reads = _Reads(env, channels_known=env.channels_known)
            layers = expand(self.spec, block.layers, reads, self.expanded, memo=self.reuse.params)
            if not reads.channels:
                key = free
            known = self.reuse.bodies[key] = (layers, self.expanded.used - before)
            self.paid.add(key)
        self.used.append(key)
        return known[0]

    def replay(self, known: Inferred | Replayed, layers: Budget) -> bool:
        """Spend what inferring the call of ``known`` again would (its layers on
        ``layers``; the bodies this compile has not counted), unless that crosses a
        budget: then the caller infers it, and meets the error where it arises."""
        if not known.bodies:  # a layer of a primitive, or a group of them: its layers only
            if layers.used + known.layers > layers.limit:
                return False
            layers.used += known.layers
            return True
        unpaid = [key for key in known.bodies if key not in self.paid]
        cost = sum(self.reuse.bodies[key][1] for key in unpaid)
        if layers.used + known.layers > layers.limit or self.expanded.used + cost > self.expanded.limit:
            return False
        layers.spend(known.layers)
        self.expanded.spend(cost)
        self.paid.update(unpaid)
        self.used.extend(known.bodies)
        return True

    def shared(self, shape: TensorShape) -> TensorShape:
        """``shape`` with each symbolic dim replaced by the equal one met first."""
        if self.met.get(id(shape)) is shape:  # a layer that passes its input on (relu)
            return shape
        if all(type(d) is int for d in shape.dims):
            return shape
        known = self.shapes.get(shape)  # most layers make a shape met before: its dims are shared
        if known is not None:
            return known
        dims = tuple(d if type(d) is int else self.dims.setdefault(d, d) for d in shape.dims)
        if any(a is not b for a, b in zip(dims, shape.dims, strict=True)):
            shape = replace(shape, dims=dims)  # every other field (batched, integer) kept
        shape = self.shapes.setdefault(shape, shape)
        self.met[id(shape)] = shape  # held by the dict: the id is not reused while it lives
        return shape

    def share(self, value: Any) -> Any:
        """A count (MACs) with the dims it multiplies replaced by the shared ones, and
        itself the equal count met first."""
        if type(value) is not Mul:
            return value
        known = self.dims.get(value)
        if known is not None:
            return known
        if any(self.dims.get(base) is not base for base in value.factors):
            value = Mul(value.coeff, {self.dims.get(base, base): e for base, e in value.factors.items()})
        return self.dims.setdefault(value, value)
