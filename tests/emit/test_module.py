"""The built nn.Module: its tree mirrors the spec, its counts match the graph."""

from __future__ import annotations

import textwrap

import torch
from torch import nn

import archspec
from archspec.emit.layers import Add, Block, Concat, Network


def test_module_tree_mirrors_the_spec() -> None:
    net = archspec.build("specs/googlenet.yaml")
    assert isinstance(net, Network)
    assert list(dict(net.named_children())) == ["b1", "b2", "b3", "b4", "b5", "5"]
    inception = net.b3[0]  # a block whose body is one concat is that concat
    assert isinstance(inception, Concat) and list(inception) == ["0", "1", "2", "3"]
    assert isinstance(inception["1"].p2_2, nn.Conv2d) and inception["1"].p2_2.in_channels == 96
    graph = archspec.compile("specs/googlenet.yaml")
    names = dict(net.named_modules())
    assert all(layer.path in names for layer in graph.layers)


def test_build_accepts_a_graph_and_counts_match() -> None:
    graph = archspec.compile("specs/googlenet.yaml")
    net = archspec.build(graph)
    assert sum(p.numel() for p in net.parameters()) == graph.num_params
    with torch.no_grad():
        assert net(torch.randn(2, 1, 96, 96)).shape == (2, 10)


def test_residual_projection_only_when_the_shape_changes() -> None:
    spec = archspec.loads(
        textwrap.dedent(
            """\
            name: r
            input: [8, 9, 9]
            layers:
              - residual: {out_channels: 8}
              - residual: {out_channels: 8, stride: 2}
              - residual: {out_channels: 16}
              - residual: {out_channels: 16, use_1x1conv: true}
            """
        )
    )
    net = archspec.build(spec)
    blocks = list(net.children())
    assert all(isinstance(block, Block) and isinstance(block[0], Add) for block in blocks)
    shortcuts = [type(block[0]["conv3" if "conv3" in block[0] else "1"]).__name__ for block in blocks]
    assert shortcuts == ["Identity", "Conv2d", "Conv2d", "Conv2d"]
    # The main path, then the shortcut, in forward order.
    main = [name for name, _ in blocks[1][0]["0"].named_children()]
    assert main == ["conv1", "bn1", "2", "conv2", "bn2"]
    assert repr(blocks[0]).startswith("Residual(")
    with torch.no_grad():
        assert net.eval()(torch.randn(2, 8, 9, 9)).shape == (2, 16, 5, 5)


def test_min_train_batch_agrees_with_batchnorm_in_training() -> None:
    lenet = archspec.compile("specs/lenet_bn.yaml")
    assert lenet.min_train_batch == 2  # BatchNorm1d after flatten: one value per sample
    assert archspec.compile("specs/resnet18.yaml").min_train_batch == 1
    net = archspec.build(lenet).train()
    net(torch.randn(2, 1, 28, 28))
    try:
        net(torch.randn(1, 1, 28, 28))
    except ValueError as error:
        assert "more than 1 value per channel" in str(error)
    else:
        raise AssertionError("PyTorch trained batchnorm on one value per channel")


def test_symbolic_min_train_batch_is_taken_at_the_smallest_sizes() -> None:
    graph = archspec.compile("specs/resnet18.yaml", input=[1, "H", "W"])
    assert graph.min_sizes == {"H": 1, "W": 1} and graph.min_train_batch == 2
    assert graph.single_value_layers()[0].path == "b1.1"
