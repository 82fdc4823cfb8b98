"""Load a checkpoint into a network whose architecture may have changed, and say what went where.

:func:`transfer_into` pairs the network's layers with the checkpoint's
(:mod:`archspec.weights.match`), copies every tensor that has the same shape, and
returns a :class:`TransferReport`: per layer, each tensor transferred (from which
key), shape-mismatched (both shapes), new in the network (left at its init), dropped
from the checkpoint, or skipped as asked; and the totals as counts and as fractions of
the parameters. The report's ``problems`` say whether everything asked for
was transferred: a shape-mismatched tensor (E603), nothing transferred at all (E604),
and with ``strict`` any new or dropped tensor (E605).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from archspec.codes import E603, E604, E605
from archspec.diagnostics import Diagnostic, abridge
from archspec.weights.match import LayerTensors, MatchMode, Pair, Shape, count, layers_of, match_layers

if TYPE_CHECKING:
    import torch
    from torch import nn

    from archspec.compiler.graph import Graph

Status = Literal["transferred", "mismatched", "new", "dropped", "skipped"]
STATUSES: tuple[Status, ...] = ("transferred", "mismatched", "new", "dropped", "skipped")
# Past this many, the problems name the first few layers and count the rest.
SHOWN_LAYERS = 5


@dataclass(frozen=True)
class TensorOutcome:
    """One tensor: its key in the network and in the checkpoint (None where it has none there)."""

    status: Status
    key: str | None
    source: str | None
    shape: Shape | None
    source_shape: Shape | None
    parameter: bool = False  # a learned parameter of the network (not a buffer)

    @property
    def numel(self) -> int:
        return count(self.shape if self.shape is not None else self.source_shape or ())


@dataclass(frozen=True)
class LayerOutcome:
    """One layer of the network (or, for a dropped one, of the checkpoint) and its tensors."""

    path: str | None
    kind: str
    source: str | None  # the checkpoint layer it was paired with
    how: str | None  # name, structure, kind (see archspec.weights.match)
    tensors: tuple[TensorOutcome, ...]

    @property
    def status(self) -> str:
        """One word for the layer: a status all its tensors share, else 'partial'."""
        found = {tensor.status for tensor in self.tensors}
        return found.pop() if len(found) == 1 else "partial"


@dataclass(frozen=True)
class TransferReport:
    """What a transfer did, layer by layer, with its totals and its verdict."""

    spec: str
    checkpoint: str
    match: str
    strict: bool
    layers: tuple[LayerOutcome, ...]
    notes: tuple[str, ...] = ()
    skip: tuple[str, ...] = field(default=())

    def tensors(self, status: Status | None = None) -> list[TensorOutcome]:
        every = [tensor for layer in self.layers for tensor in layer.tensors]
        return every if status is None else [tensor for tensor in every if tensor.status == status]

    @property
    def counts(self) -> dict[str, int]:
        """Tensors by status."""
        return {status: len(self.tensors(status)) for status in STATUSES}

    @property
    def parameters(self) -> dict[str, int]:
        """The network's learned parameters (elements) by status, and their total."""
        found = {status: 0 for status in STATUSES if status != "dropped"}
        for tensor in self.tensors():
            if tensor.parameter:
                found[tensor.status] += tensor.numel
        return {**found, "total": sum(found.values())}

    @property
    def checkpoint_values(self) -> dict[str, int]:
        """The checkpoint's elements: how many went into the network, and how many it holds."""
        used = sum(t.numel for t in self.tensors("transferred"))
        held = sum(count(t.source_shape) for t in self.tensors() if t.source_shape is not None)
        return {"used": used, "total": held}

    @property
    def problems(self) -> list[Diagnostic]:
        """Why not everything asked for was transferred (empty: it was)."""
        found = []
        mismatched = [layer for layer in self.layers if any(t.status == "mismatched" for t in layer.tensors)]
        if mismatched:
            found.append(
                Diagnostic(
                    E603,
                    f"the checkpoint's tensors for {_count(len(mismatched), 'layer')} have other shapes "
                    f"than the network's, which keeps its init there ({_mismatch_list(mismatched)})",
                    None,
                    "",
                    "--skip PATTERN leaves a layer changed on purpose at its init (a new head: --skip fc)",
                )
            )
        asked = [t for t in self.tensors() if t.key is not None and t.status != "skipped"]
        if asked and not self.tensors("transferred"):
            held = len([t for t in self.tensors() if t.source is not None and t.status != "skipped"])
            found.append(
                Diagnostic(
                    E604,
                    f"no tensor of the checkpoint fits the network: none of its {held} tensors has "
                    "the name or the place and shape of one of the network's",
                    None,
                    "",
                    "is this a checkpoint of another architecture? `archspec diff SPEC CHECKPOINT` shows "
                    "the two side by side",
                )
            )
        if self.strict:
            new, dropped = self.counts["new"], self.counts["dropped"]
            if new or dropped:
                found.append(
                    Diagnostic(
                        E605,
                        f"--strict: {_count(new, 'tensor')} of the network not in the checkpoint, "
                        f"{_count(dropped, 'tensor')} of the checkpoint not used",
                    )
                )
        return found

    @property
    def ok(self) -> bool:
        return not self.problems


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _mismatch_list(layers: Sequence[LayerOutcome]) -> str:
    shown = []
    for layer in layers[:SHOWN_LAYERS]:
        tensor = next(t for t in layer.tensors if t.status == "mismatched")
        here, there = list(tensor.shape or ()), list(tensor.source_shape or ())
        key = abridge(tensor.key or "", 80, quote=False)  # a checkpoint's key may be hostile
        shown.append(f"{key}: {here} here, {there} in the checkpoint")
    more = len(layers) - SHOWN_LAYERS
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def skipped(path: str, patterns: Sequence[str]) -> bool:
    """A layer the user left out: its path, or a parent's, matches a pattern (``fc``, ``layer4.*``)."""
    parts = path.split(".")
    prefixes = [".".join(parts[: end + 1]) for end in range(len(parts))]
    return any(fnmatch.fnmatchcase(prefix, pattern) for pattern in patterns for prefix in prefixes)


def _pair_outcome(pair: Pair, kind: str, parameters: set[str]) -> LayerOutcome:
    theirs = dict(pair.checkpoint.tensors)
    tensors = []
    for name, shape in pair.spec.tensors:
        key = pair.spec.key(name)
        if name not in theirs:
            tensors.append(TensorOutcome("new", key, None, shape, None, key in parameters))
            continue
        status: Status = "transferred" if theirs[name] == shape else "mismatched"
        source = pair.checkpoint.key(name)
        tensors.append(TensorOutcome(status, key, source, shape, theirs[name], key in parameters))
    ours = {name for name, _ in pair.spec.tensors}
    for name, shape in pair.checkpoint.tensors:
        if name not in ours:
            tensors.append(TensorOutcome("dropped", None, pair.checkpoint.key(name), None, shape))
    return LayerOutcome(pair.spec.path, kind, pair.checkpoint.path, pair.how, tuple(tensors))


def _alone(layer: LayerTensors, status: Status, kind: str, parameters: set[str], ours: bool) -> LayerOutcome:
    """A layer with no partner: of the network (``ours``: new or skipped) or of the checkpoint."""
    if ours:
        tensors = tuple(
            TensorOutcome(status, layer.key(name), None, shape, None, layer.key(name) in parameters)
            for name, shape in layer.tensors
        )
        return LayerOutcome(layer.path, kind, None, None, tensors)
    tensors = tuple(
        TensorOutcome(status, None, layer.key(name), None, shape) for name, shape in layer.tensors
    )
    return LayerOutcome(None, kind, layer.path, None, tensors)


def plan(
    spec_shapes: Sequence[tuple[str, Shape]],
    checkpoint_shapes: Sequence[tuple[str, Shape]],
    *,
    match: MatchMode = "auto",
    skip: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    parameters: set[str] | None = None,
) -> list[LayerOutcome]:
    """Every layer's outcome, from the keys and shapes alone (nothing is copied).

    ``kinds`` gives a layer's kind by path (the spec's primitive or block, or the module's
    class); ``parameters`` the keys that are learned parameters (not buffers)."""
    kinds = kinds or {}
    parameters = parameters or set()
    ours = layers_of(spec_shapes)
    theirs = layers_of(checkpoint_shapes)
    left_out = [layer for layer in ours if skipped(layer.path, skip)]
    left_out_theirs = [layer for layer in theirs if skipped(layer.path, skip)]
    out_paths, out_theirs = {layer.path for layer in left_out}, {layer.path for layer in left_out_theirs}
    matching = match_layers(
        [layer for layer in ours if layer.path not in out_paths],
        [layer for layer in theirs if layer.path not in out_theirs],
        match,
    )
    by_path: dict[str, LayerOutcome] = {}
    for pair in matching.pairs:
        by_path[pair.spec.path] = _pair_outcome(pair, kinds.get(pair.spec.path, "?"), parameters)
    for layer in matching.new:
        by_path[layer.path] = _alone(layer, "new", kinds.get(layer.path, "?"), parameters, ours=True)
    for layer in left_out:
        by_path[layer.path] = _alone(layer, "skipped", kinds.get(layer.path, "?"), parameters, ours=True)
    outcomes = [by_path[layer.path] for layer in ours]
    outcomes += [_alone(layer, "skipped", "", parameters, ours=False) for layer in left_out_theirs]
    outcomes += [_alone(layer, "dropped", "", parameters, ours=False) for layer in matching.dropped]
    return outcomes


def shapes_of(state: Mapping[str, torch.Tensor]) -> list[tuple[str, Shape]]:
    return [(key, tuple(value.shape)) for key, value in state.items()]


def module_kinds(module: nn.Module, graph: Graph | None) -> dict[str, str]:
    """Each layer's kind by path: the spec's (primitive or block) where a graph is given,
    else the module's class name."""
    found = {path: type(sub).__name__ for path, sub in module.named_modules()}
    if graph is not None:
        found.update({layer.path: layer.kind for layer in graph.layers})
    return found


def transfer_into(
    module: nn.Module,
    tensors: Mapping[str, torch.Tensor],
    *,
    graph: Graph | None = None,
    match: MatchMode = "auto",
    skip: Sequence[str] = (),
    strict: bool = False,
    spec_name: str = "<module>",
    checkpoint_name: str = "<state_dict>",
    notes: Sequence[str] = (),
) -> TransferReport:
    """Copy every tensor that fits into ``module`` (in place) and report on all of them."""
    import torch

    state = module.state_dict()
    outcomes = plan(
        shapes_of(state),
        shapes_of(tensors),
        match=match,
        skip=skip,
        kinds=module_kinds(module, graph),
        parameters={name for name, _ in module.named_parameters()},
    )
    with torch.no_grad():
        for layer in outcomes:
            for tensor in layer.tensors:
                if tensor.status == "transferred" and tensor.key is not None and tensor.source is not None:
                    state[tensor.key].copy_(tensors[tensor.source])
    return TransferReport(
        spec_name, checkpoint_name, match, strict, tuple(outcomes), tuple(notes), tuple(skip)
    )
