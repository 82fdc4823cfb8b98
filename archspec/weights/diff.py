"""What changed between two architectures: two specs, or a spec and a checkpoint.

The two layer sequences are aligned as the weight transfer aligns them
(:func:`archspec.weights.match.align`): the longest common subsequence of identical
layers, preferring the same paths, so that a layer inserted before the others does not
make every later unnamed layer (``layer1.0.10``, named by its index) look changed. What
is left is paired by path, then by kind between two aligned layers: those pairs are
*changed*; the rest is *added* or *removed* (a subtree once, at its top). A layer the
spec named that lines up with one of another name is *renamed*.

For two specs, each compiled at its own input, a layer is identical when its kind, its
parameters (as the spec wrote them), its own parameter count and its output shape are;
the totals compared are the parameters, the MACs and the activation memory
(archspec.report's counts), and the *first layer whose output shape differs* is, in the
second spec's order, the first paired layer whose output shape is not the same. A
checkpoint knows no kinds, parameters or output shapes, only tensors: against one,
layers are compared by their tensors' names and shapes, and the total compared is the
state_dict's values (parameters and buffers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.report import totals
from archspec.shapes.dims import format_shape
from archspec.weights.match import Shape, align, count, layers_of, monotone_chain
from archspec.weights.transfer import shapes_of

if TYPE_CHECKING:
    from archspec.compiler.graph import Graph, LayerInfo
    from archspec.weights.checkpoint import Checkpoint

# The totals compared, in order; a checkpoint has only values.
TOTALS = ("params", "macs", "activation_bytes", "values")
CHANGES = ("added", "removed", "renamed", "changed")


@dataclass(frozen=True)
class LayerView:
    """One layer as one side shows it; for a checkpoint, ``kind``, ``params`` and ``output`` are None."""

    path: str
    kind: str | None
    params: dict[str, Any] | None
    output: str | None
    own_params: int | None
    num_params: int | None = None
    tensors: tuple[tuple[str, Shape], ...] = ()

    @property
    def identity(self) -> tuple[Any, ...]:
        """What must be equal for two layers to be the same layer (the path aside)."""
        if self.kind is None:
            return tuple(sorted(self.tensors))
        return (self.kind, repr(self.params), self.own_params, self.output)

    @property
    def shape_kind(self) -> Any:
        """What must be equal for two layers to be paired as one layer changed."""
        return self.kind if self.kind is not None else tuple(sorted((n, len(s)) for n, s in self.tensors))

    @property
    def named(self) -> bool:
        """The spec named it (its path's last part is no index)."""
        return not self.path.rpartition(".")[2].isdigit()

    def differences(self, other: LayerView) -> tuple[str, ...]:
        """The fields that differ: kind, params, parameters and output, or the tensors."""
        if self.kind is None or other.kind is None:
            return ("tensors",) if sorted(self.tensors) != sorted(other.tensors) else ()
        fields = (
            ("kind", self.kind, other.kind),
            ("params", self.params, other.params),
            ("parameters", self.own_params, other.own_params),
            ("output", self.output, other.output),
        )
        return tuple(name for name, mine, theirs in fields if mine != theirs)


@dataclass(frozen=True)
class LayerChange:
    """``path`` is the layer's in the second side (the first's for a removed one)."""

    path: str
    change: str  # added, removed, renamed, changed
    before: LayerView | None
    after: LayerView | None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Side:
    """One operand: a compiled spec, or a checkpoint's tensors."""

    name: str
    graph: Graph | None = None
    tensors: tuple[tuple[str, Shape], ...] | None = None

    @property
    def is_spec(self) -> bool:
        return self.graph is not None


@dataclass(frozen=True)
class ArchitectureDiff:
    before: str
    after: str
    by_tensors: bool  # a checkpoint is one side: layers compared by their tensors
    input: tuple[str | None, str | None]
    changes: tuple[LayerChange, ...]
    totals: dict[str, tuple[Any, Any]]  # name -> (before, after); None where a side cannot tell
    first_output_difference: str | None

    @property
    def equal(self) -> bool:
        # Against a checkpoint, which has no input, the tensors alone decide.
        return not self.changes and (self.by_tensors or self.input[0] == self.input[1])

    def changed(self, kind: str) -> list[LayerChange]:
        return [change for change in self.changes if change.change == kind]


def spec_side(graph: Graph, name: str) -> Side:
    return Side(name, graph=graph)


def checkpoint_side(checkpoint: Checkpoint) -> Side:
    return Side(checkpoint.path, tensors=tuple(shapes_of(checkpoint.tensors)))


def _params(layer: LayerInfo) -> dict[str, Any]:
    """The parameters as the spec wrote them; the name is the path's, compared apart."""
    model = layer.args if layer.block is not None else layer.params
    dumped = model.model_dump(mode="json") if model is not None else {}
    return {key: value for key, value in dumped.items() if key not in ("name", "from")}


def _spec_tensors(graph: Graph) -> tuple[tuple[str, Shape], ...]:
    """The state_dict's keys and shapes, from a module built on the meta device (no memory)."""
    import torch

    from archspec.emit.module import build_graph

    with torch.device("meta"):
        module = build_graph(graph)
    return tuple(shapes_of(module.state_dict()))


def _views(side: Side, by_tensors: bool) -> list[LayerView]:
    if by_tensors:
        tensors = side.tensors if side.tensors is not None else _spec_tensors(side.graph)  # type: ignore[arg-type]
        return [
            LayerView(layer.path, None, None, None, None, layer.numel, layer.tensors)
            for layer in layers_of(tensors)
        ]
    assert side.graph is not None
    return [
        LayerView(
            layer.path,
            layer.kind,
            _params(layer),
            format_shape(layer.output_shape[1:]),
            layer.own_params,
            layer.num_params,
        )
        for layer in side.graph.layers
    ]


def _totals(side: Side, views: list[LayerView], by_tensors: bool) -> dict[str, Any]:
    found: dict[str, Any] = dict.fromkeys(TOTALS)
    if by_tensors:
        found["values"] = sum(count(shape) for view in views for _, shape in view.tensors)
    if side.graph is not None:
        counted = totals(side.graph)
        found.update(
            params=counted["params"], macs=counted["macs"], activation_bytes=counted["activation_bytes"]
        )
    return found


def pair_layers(old: list[LayerView], new: list[LayerView]) -> dict[int, int]:
    """new index -> old index: identical layers aligned, then the rest by path, then by kind in gaps."""
    pairs = {b: a for a, b in align(old, new, lambda view: view.identity)}
    taken = set(pairs.values())
    old_by_path = {view.path: a for a, view in enumerate(old) if a not in taken}
    for b, view in enumerate(new):
        a = old_by_path.get(view.path)
        if b not in pairs and a is not None:
            pairs[b] = a
            taken.add(a)
    # Between two paired layers (in both orders), what is left pairs by kind.
    chain = [(-1, -1), *monotone_chain(sorted(pairs.items())), (len(new), len(old))]
    for (low_b, low_a), (high_b, high_a) in itertools.pairwise(chain):
        left = [a for a in range(low_a + 1, high_a) if a not in taken]
        right = [b for b in range(low_b + 1, high_b) if b not in pairs]
        for a, b in align([old[a] for a in left], [new[b] for b in right], lambda view: view.shape_kind):
            pairs[right[b]] = left[a]
    return pairs


def _tops(views: list[LayerView]) -> list[LayerView]:
    """The layers whose parent is not in the list: a subtree added once, at its top."""
    paths = {view.path for view in views}
    return [view for view in views if not any(view.path.startswith(p + ".") for p in paths)]


def diff(before: Side, after: Side) -> ArchitectureDiff:
    """Compare two sides layer by layer (see the module's docstring)."""
    by_tensors = not (before.is_spec and after.is_spec)
    old, new = _views(before, by_tensors), _views(after, by_tensors)
    pairs = pair_layers(old, new)
    changes = []
    first = None
    for b, view in enumerate(new):
        if b not in pairs:
            continue
        previous = old[pairs[b]]
        fields = previous.differences(view)
        if fields:
            changes.append(LayerChange(view.path, "changed", previous, view, fields))
        elif previous.path != view.path and (previous.named or view.named):
            changes.append(LayerChange(view.path, "renamed", previous, view))
        if first is None and view.output is not None and previous.output != view.output:
            first = view.path
    paired_old = set(pairs.values())
    added = _tops([view for b, view in enumerate(new) if b not in pairs])
    removed = _tops([view for a, view in enumerate(old) if a not in paired_old])
    changes = [
        *(LayerChange(view.path, "added", None, view) for view in added),
        *(LayerChange(view.path, "removed", view, None) for view in removed),
        *changes,
    ]
    old_totals, new_totals = _totals(before, old, by_tensors), _totals(after, new, by_tensors)
    return ArchitectureDiff(
        before.name,
        after.name,
        by_tensors,
        (_input(before), _input(after)),
        tuple(changes),
        {name: (old_totals[name], new_totals[name]) for name in TOTALS},
        first,
    )


def _input(side: Side) -> str | None:
    return format_shape(side.graph.input_shape[1:]) if side.graph is not None else None
