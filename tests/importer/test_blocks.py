"""Instances of one class that differ in values only become calls of one block."""

from __future__ import annotations

from archspec.importer.blocks import make_blocks, snake
from archspec.importer.tree import Instance, Layer


class Unit:
    pass


def conv(out: int, stride: int) -> Layer:
    return Layer("conv", "conv", None, {"out_channels": out, "stride": stride, "kernel_size": 3}, {})


def call(name: str, out: int, stride: int, extra: list[Layer] = ()) -> Layer:
    body = [conv(out, stride), conv(out, 1), *extra]
    body[1].name = "conv2"
    return Layer("", name, instance=Instance(Unit, name, body))


def test_class_names_become_block_names() -> None:
    assert snake("BasicConv2d") == "basic_conv2d"
    assert snake("InvertedResidual") == "inverted_residual"
    assert snake("_DenseLayer") == "dense_layer"


def test_values_that_vary_together_are_one_parameter() -> None:
    layers = [call("a", 8, 1), call("b", 16, 2)]
    (block,) = make_blocks(layers, set())
    assert block.name == "unit"
    assert block.params == {"out_channels": "int", "stride": "int"}
    assert [layer.params for layer in block.layers] == [
        {"out_channels": "=out_channels", "stride": "=stride", "kernel_size": 3},
        {"out_channels": "=out_channels", "stride": 1, "kernel_size": 3},
    ]
    assert [(layer.kind, layer.params) for layer in layers] == [
        ("unit", {"out_channels": 8, "stride": 1}),
        ("unit", {"out_channels": 16, "stride": 2}),
    ]


def test_instances_of_another_shape_are_another_block_and_taken_names_are_avoided() -> None:
    layers = [call("a", 8, 1), call("b", 8, 1, [Layer("relu")])]
    blocks = make_blocks(layers, {"unit"})
    assert [b.name for b in blocks] == ["unit_block", "unit_block_2"]
    assert blocks[0].params == {}
