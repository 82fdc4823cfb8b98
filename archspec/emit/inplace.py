"""Which activations run in place: only where overwriting the tensor they read is provably safe.

torchvision writes ``nn.ReLU(inplace=True)``: the activation overwrites the tensor
it reads instead of allocating another, which saves a tensor's memory and a pass
over it (about 2% of a ResNet-50 training step on a CPU). archspec does the same,
in ``archspec.build`` and ``compile -o`` alike, where all of these hold:

1. the layer's primitive declares an in-place keyword (``Primitive.in_place``: its
   in-place backward reads its result, so torch saves no copy of its input) and its
   params allow it (``Primitive.in_place_if``: leaky_relu with a slope >= 0);
2. the tensor it reads is made by a layer of the same list and nothing else reads it:
   no other layer, and it is no output of the list. Never the list's input: the
   caller may still hold it (a residual's identity branch, the user's input);
3. the layer that makes that tensor is a primitive's (not a block call nor a group),
   whose output is a new tensor its backward never reads (``Primitive.overwritable``);
   a merge only of two tensors or more (a merge of one may return it).

The decision reads the list's structure only (the layers' kinds, what each reads,
the list's outputs), never the input sizes: a block's generic class
(``archspec.emit.program``) makes it from the block's body with the same two
predicates, and ``archspec.emit.proof`` checks at every call that the class's
modules, in-place keyword included, are the ones ``archspec.build`` makes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from archspec.compiler.graph import Graph, LayerInfo
from archspec.primitives.registry import Primitive, lookup


def may_run_in_place(primitive: Primitive, params: Any) -> bool:
    """Rule 1: the primitive can overwrite what it reads, with these params."""
    if primitive.in_place is None:
        return False
    return primitive.in_place_if is None or bool(primitive.in_place_if(params))


def overwritable(primitive: Primitive | None, merged: int = 0) -> bool:
    """Rule 3: a layer of ``primitive`` makes a new tensor its backward never reads;
    ``merged``: how many branches or named tensors it merges (0 for no merge)."""
    if primitive is None or not primitive.overwritable:
        return False
    is_merge = primitive.merges_branches or primitive.join is not None
    return merged >= 2 or not is_merge


def list_flags(layers: Sequence[LayerInfo], outputs: Sequence[str] = ()) -> tuple[bool, ...]:
    """For each layer of a list, whether it runs in place. ``outputs``: the names a list
    of layers that read named tensors returns; empty for a plain sequence (each layer
    reads the one before, the first the list's input, and the list returns the last)."""
    if not outputs:
        return tuple(
            index > 0 and _safe(layer, layers[index - 1], read_elsewhere=False)
            for index, layer in enumerate(layers)
        )
    reads = Counter(source for layer in layers for source in layer.sources)
    reads.update(outputs)
    made = {layer.name: layer for layer in layers}
    flags = []
    for layer in layers:
        source = layer.sources[0] if len(layer.sources) == 1 else None
        producer = made.get(source) if source is not None else None
        flags.append(producer is not None and _safe(layer, producer, read_elsewhere=reads[source] > 1))
    return tuple(flags)


def child_flags(layer: LayerInfo) -> tuple[bool, ...]:
    """For each part of a layer, whether it runs in place: the parts of a group (a
    sequence, or a list that reads named tensors) are a list; a merge's branches each
    read the merge's input, so none does."""
    if layer.is_dataflow:
        return list_flags(layer.children, layer.outputs)
    primitive = lookup(layer.primitive)
    if primitive is None or primitive.merges_branches:
        return (False,) * len(layer.children)
    return list_flags(layer.children)


def root_flags(graph: Graph) -> tuple[bool, ...]:
    """For each top-level layer of the network, whether it runs in place."""
    return list_flags(graph.roots, graph.outputs)


def in_place_ids(layer: LayerInfo) -> frozenset[int]:
    """The ``id`` of every layer under ``layer`` (not itself) that runs in place."""
    found: set[int] = set()

    def visit(parent: LayerInfo) -> None:
        for child, flag in zip(parent.children, child_flags(parent), strict=True):
            if flag:
                found.add(id(child))
            visit(child)

    visit(layer)
    return frozenset(found)


def _safe(reader: LayerInfo, producer: LayerInfo, read_elsewhere: bool) -> bool:
    """Rules 1 to 3 for ``reader``, which reads the output of ``producer``, a layer of its list."""
    if read_elsewhere or reader.block is not None or reader.learned or reader.is_join or reader.children:
        return False
    primitive = lookup(reader.primitive)
    if primitive is None or not may_run_in_place(primitive, reader.params):
        return False
    if producer.block is not None or producer.learned or producer.is_dataflow or producer.named_outputs:
        return False
    made_by = lookup(producer.primitive)
    if producer.is_join:
        merged = len(producer.sources)
    elif made_by is not None and made_by.merges_branches:
        merged = len(producer.children)
    else:
        merged = 0
    if made_by is not None and made_by.composite and not made_by.merges_branches:
        return False  # a group: its output is its last layer's
    return overwritable(made_by, merged)
