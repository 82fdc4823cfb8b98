"""What changed between two architectures: two specs, or a spec and a checkpoint.

Layers are compared by path (archspec's layer paths are stable: ``layer4.2.conv3``).
For two specs, each compiled at its own input, a layer is *changed* where its kind,
its parameters (as the spec wrote them), its own parameter count or its output shape
differ; the totals compared are the parameters, the MACs and the activation memory
(archspec.report's counts), and the *first layer whose output shape differs* is, in
the second spec's order, the first layer of both whose output shape is not the same.
A checkpoint knows no kinds, parameters or shapes of outputs, only its tensors: against
one, layers are compared by their tensors' names and shapes, and the totals are the
state_dict's values (parameters and buffers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archspec.report import totals
from archspec.shapes.dims import format_shape
from archspec.weights.match import LayerTensors, Shape, count, layers_of
from archspec.weights.transfer import shapes_of

if TYPE_CHECKING:
    from archspec.compiler.graph import Graph, LayerInfo
    from archspec.weights.checkpoint import Checkpoint

# The totals compared, in order; a checkpoint has only values.
TOTALS = ("params", "macs", "activation_bytes", "values")


@dataclass(frozen=True)
class LayerView:
    """One layer as one side shows it; for a checkpoint, ``kind``, ``params`` and ``output`` are None."""

    path: str
    kind: str | None
    params: dict[str, Any] | None
    output: str | None
    own_params: int | None
    tensors: tuple[tuple[str, Shape], ...] = ()

    def differences(self, other: LayerView, by_tensors: bool) -> tuple[str, ...]:
        """The fields that differ: kind, params, parameters and output, or the tensors."""
        if by_tensors:
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
    path: str
    change: str  # added, removed, changed
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
    model = layer.args if layer.block is not None else layer.params
    return model.model_dump(mode="json") if model is not None else {}


def _spec_tensors(graph: Graph) -> tuple[tuple[str, Shape], ...]:
    """The state_dict's keys and shapes, from a module built on the meta device (no memory)."""
    import torch

    from archspec.emit.module import build_graph

    with torch.device("meta"):
        module = build_graph(graph)
    return tuple(shapes_of(module.state_dict()))


def _views(side: Side, by_tensors: bool) -> dict[str, LayerView]:
    if by_tensors:
        tensors = side.tensors if side.tensors is not None else _spec_tensors(side.graph)  # type: ignore[arg-type]
        return {layer.path: _tensor_view(layer) for layer in layers_of(tensors)}
    assert side.graph is not None
    return {
        layer.path: LayerView(
            layer.path, layer.kind, _params(layer), format_shape(layer.output_shape[1:]), layer.own_params
        )
        for layer in side.graph.layers
    }


def _tensor_view(layer: LayerTensors) -> LayerView:
    return LayerView(layer.path, None, None, None, None, layer.tensors)


def _totals(side: Side, views: dict[str, LayerView], by_tensors: bool) -> dict[str, Any]:
    found: dict[str, Any] = dict.fromkeys(TOTALS)
    if by_tensors:
        found["values"] = sum(count(shape) for view in views.values() for _, shape in view.tensors)
    if side.graph is not None:
        counted = totals(side.graph)
        found.update(
            params=counted["params"], macs=counted["macs"], activation_bytes=counted["activation_bytes"]
        )
    return found


def diff(before: Side, after: Side) -> ArchitectureDiff:
    """Compare two sides layer by layer (see the module's docstring)."""
    by_tensors = not (before.is_spec and after.is_spec)
    old, new = _views(before, by_tensors), _views(after, by_tensors)
    changes = []
    for path, view in new.items():
        if path not in old:
            changes.append(LayerChange(path, "added", None, view))
        else:
            fields = old[path].differences(view, by_tensors)
            if fields:
                changes.append(LayerChange(path, "changed", old[path], view, fields))
    changes += [LayerChange(path, "removed", view, None) for path, view in old.items() if path not in new]
    first = next(
        (
            path
            for path, view in new.items()
            if path in old and view.output is not None and old[path].output != view.output
        ),
        None,
    )
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
