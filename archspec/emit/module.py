"""Build an ``nn.Module`` from a compiled graph, bottom-up through the registry."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from archspec.compiler.graph import Graph, LayerInfo
from archspec.emit.classes import module_class
from archspec.emit.flowsource import learned_fill
from archspec.emit.inplace import child_flags, list_flags, root_flags
from archspec.emit.layers import Dataflow, Network, Step
from archspec.primitives.registry import ModuleCall, lookup


def module_call(layer: LayerInfo, in_place: bool = False) -> ModuleCall:
    """The module of a shaped layer, from its primitive's builder (``in_place``: its list
    lets it overwrite what it reads, archspec.emit.inplace)."""
    primitive = lookup(layer.primitive)
    assert primitive is not None, layer.primitive
    return primitive.module_call(layer.params, layer.input, in_place)


def build_layer(layer: LayerInfo, in_place: bool = False) -> nn.Module:
    if layer.is_dataflow:  # a group whose layers read named tensors
        return dataflow(layer.children, layer.input_names, layer.outputs, layer.block)
    made = module_call(layer, in_place)
    args = made.args
    if made.children:
        parts = zip(layer.children, child_flags(layer), strict=True)
        args = (OrderedDict((child.name, build_layer(child, flag)) for child, flag in parts), *args)
    return module_class(made.cls)(*args, **dict(made.kwargs))


def dataflow(
    layers: Sequence[LayerInfo], inputs: tuple[str, ...], outputs: tuple[str, ...], block: str | None
) -> Dataflow:
    """The module of a list of layers that read named tensors: every layer but a join
    (a merge of named tensors, which is a function of them) is a child module."""
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    parameters: OrderedDict[str, nn.Parameter] = OrderedDict()
    steps: list[Step] = []
    for layer, in_place in zip(layers, list_flags(layers, outputs), strict=True):
        join = None
        if layer.learned:  # an nn.Parameter of this module, read by name
            parameters[layer.name] = learned_tensor(layer)
        elif layer.is_join:
            primitive = lookup(layer.primitive)
            assert primitive is not None and primitive.join is not None, layer.primitive
            join = primitive.join.function(layer.params)
        else:
            modules[layer.name] = build_layer(layer, in_place)
        several = tuple(layer.named_outputs) if layer.named_outputs else ()
        steps.append((layer.name, layer.sources, join, several))
    return Dataflow(modules, tuple(steps), inputs, outputs, block, parameters)


def learned_tensor(layer: LayerInfo) -> nn.Parameter:
    """The ``nn.Parameter`` of a learned tensor: its shape (no batch), every entry its value."""
    import torch

    return nn.Parameter(torch.full(tuple(int(d) for d in layer.output.dims), learned_fill(layer)))


def build_graph(graph: Graph) -> nn.Module:
    """The network: an ``nn.Sequential`` whose children are named as in the spec, or,
    where its layers read named tensors, a :class:`Dataflow`."""
    if graph.is_dataflow:
        return dataflow(graph.roots, tuple(graph.inputs), graph.outputs, None)
    parts = zip(graph.roots, root_flags(graph), strict=True)
    return Network(OrderedDict((layer.name, build_layer(layer, flag)) for layer, flag in parts))
