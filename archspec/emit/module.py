"""Build an ``nn.Module`` from a compiled graph, bottom-up through the registry."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from archspec.compiler.graph import Graph, LayerInfo
from archspec.emit.classes import module_class
from archspec.emit.layers import Network
from archspec.primitives.registry import ModuleCall, lookup


def module_call(layer: LayerInfo) -> ModuleCall:
    """The module of a shaped layer, from its primitive's builder."""
    primitive = lookup(layer.primitive)
    assert primitive is not None, layer.primitive
    return primitive.module_call(layer.params, layer.input)


def build_layer(layer: LayerInfo) -> nn.Module:
    made = module_call(layer)
    args = made.args
    if made.children:
        args = (OrderedDict((child.name, build_layer(child)) for child in layer.children), *args)
    return module_class(made.cls)(*args, **dict(made.kwargs))


def build_graph(graph: Graph) -> Network:
    """The network: an ``nn.Sequential`` whose children are named as in the spec."""
    return Network(OrderedDict((layer.name, build_layer(layer)) for layer in graph.roots))
