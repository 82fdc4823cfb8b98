"""parameter: a learned tensor of the module that runs the list (ConvNeXt's layer scale)."""

from __future__ import annotations

import torch
from torch import nn

import archspec
from archspec.check import check_spec
from archspec.emit.source import emit_source
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, expect_rejection, layers_spec


def _scaled(shape: list[int], init: float = 0.5) -> dict:
    """A group that scales a 1x1 conv of its input by a learned tensor, and adds the input."""
    return {
        "sequential": {
            "name": "g",
            "layers": [
                {"parameter": {"name": "layer_scale", "shape": shape, "init": init}},
                {"conv": {"name": "block", "out_channels": shape[0], "kernel_size": 1}},
                {"mul": {"name": "scaled", "from": ["layer_scale", "block"]}},
                {"add": {"from": ["input", "scaled"]}},
            ],
        }
    }


ORACLE_CASES = {
    "parameter": [
        OracleCase(_scaled([3, 1, 1]), (3, 5, 4), (3, "H", "W")),
        OracleCase(_scaled([4]), (4, 3, 4)),  # [C] broadcasts on the last dim, as torch aligns it
    ],
}


class CNBlockLike(nn.Module):
    """torchvision's CNBlock, its block a 1x1 conv: the layer scale is the block's own."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(3, 3, 1))
        self.layer_scale = nn.Parameter(torch.ones(3, 1, 1) * 0.25)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return input + self.layer_scale * self.block(input)


def _block_spec() -> str:
    return """
name: cn_net
input: [3, 5, 5]
blocks:
  cn:
    params:
      layer_scale: {type: float, default: 0.25}
    layers:
      - parameter: {name: layer_scale, shape: [=in_channels, 1, 1], init: =layer_scale}
      - sequential:
          name: block
          layers:
            - conv: {out_channels: =in_channels, kernel_size: 1}
      - mul: {name: scaled, from: [layer_scale, block]}
      - add: {from: [input, scaled]}
layers:
  - cn: {name: b}
"""


def test_keys_order_values_and_outputs_are_torchvision_s() -> None:
    graph, built = check_against_torch(_block_spec())
    reference = CNBlockLike()
    assert [k for k in built.state_dict()] == ["b." + k for k in reference.state_dict()]
    assert next(iter(built.state_dict())) == "b.layer_scale"
    assert torch.equal(built.state_dict()["b.layer_scale"], reference.layer_scale.detach())
    assert isinstance(built.get_parameter("b.layer_scale"), nn.Parameter)
    assert graph.num_params == sum(p.numel() for p in reference.parameters()) == 15
    reference.load_state_dict({k[2:]: v for k, v in built.state_dict().items()}, strict=True)
    x = torch.randn(2, 3, 5, 5)
    with torch.no_grad():
        assert torch.equal(built.eval()(x), reference.eval()(x))


def test_compile_o_writes_the_parameter_on_the_module(tmp_path) -> None:
    graph = archspec.compile(archspec.loads(_block_spec()))
    source = emit_source(graph)
    assert "self.layer_scale = nn.Parameter(torch.full((3, 1, 1), 0.25))" in source
    assert "self.layer_scale * block" in source


def test_check_compares_the_learned_tensor() -> None:
    runs = check_spec(archspec.loads(_block_spec()))
    assert runs and all(run.ok for run in runs)


def test_it_trains_and_compiles() -> None:
    built = archspec.build(archspec.compile(archspec.loads(_block_spec())))
    built(torch.randn(2, 3, 5, 5)).sum().backward()
    assert built.get_parameter("b.layer_scale").grad is not None
    compiled = torch.compile(built, fullgraph=True, backend="eager")
    assert compiled(torch.randn(2, 3, 5, 5)).shape == (2, 3, 5, 5)


def _rejected(layers: list, **kwargs):  # type: ignore[no-untyped-def]
    return expect_rejection(
        layers_spec([{"sequential": {"name": "g", "layers": layers}}], (3, 4, 4)), **kwargs
    )


PARAM = {"parameter": {"name": "ls", "shape": [3, 1, 1], "init": 1.0}}


def test_from_on_a_parameter_is_refused() -> None:
    found = _rejected(
        [
            {"parameter": {"name": "ls", "from": "input", "shape": [3], "init": 1.0}},
            {"mul": {"from": ["ls", "input"]}},
        ],
        code="E210",
        path="g.ls",
    )
    assert "reads no tensor" in found.message


def test_a_layer_that_needs_a_batch_cannot_read_it() -> None:
    found = _rejected([PARAM, {"relu": {"from": "ls"}}], code="E210", numbers=(3,))
    assert "no batch" in found.message and found.hint and "mul" in found.hint


def test_a_block_call_cannot_read_it() -> None:
    text = """
name: n
input: [3, 4, 4]
blocks:
  two:
    layers: [relu, relu]
layers:
  - sequential:
      name: g
      layers:
        - parameter: {name: ls, shape: [3, 1, 1], init: 1.0}
        - two: {from: ls}
"""
    assert "no batch" in expect_rejection(text, code="E210").message


def test_a_list_cannot_return_it() -> None:
    text = layers_spec([{"conv": {"name": "c", "out_channels": 3, "kernel_size": 1}}, PARAM], (3, 4, 4))
    text += "outputs: [c, ls]\n"
    found = expect_rejection(text, code="E210")
    assert "'ls' is a learned tensor" in found.message


def test_one_nobody_reads_is_refused() -> None:
    """In a plain chain, the parameter stands beside the sequence: unread, it is an error."""
    found = _rejected([PARAM, "relu"], code="E211", path="g.ls")
    assert "never used" in found.message


def test_it_is_no_branch() -> None:
    found = _rejected([{"add": {"branches": [[], [PARAM]]}}], code="E210")
    assert "reads no tensor" in found.message


def test_concat_refuses_it() -> None:
    _rejected([PARAM, {"concat": {"from": ["ls", "input"]}}], code="E305", numbers=(3,))


def test_a_shape_that_does_not_broadcast_is_refused_with_both_sizes() -> None:
    _rejected(
        [{"parameter": {"name": "ls", "shape": [5, 1, 1], "init": 1.0}}, {"mul": {"from": ["ls", "input"]}}],
        numbers=(5, 3),
    )


def test_more_dims_than_the_batched_tensor_is_refused() -> None:
    _rejected(
        [
            {"parameter": {"name": "ls", "shape": [2, 3, 1, 1], "init": 1.0}},
            {"mul": {"from": ["ls", "input"]}},
        ],
        code="E305",
    )


def test_it_needs_a_name_and_a_bounded_shape() -> None:
    _rejected([{"parameter": {"shape": [3], "init": 1.0}}, {"mul": {"from": ["0", "input"]}}], code="E202")
    _rejected(
        [
            {"parameter": {"name": "ls", "shape": [65536, 65536], "init": 1.0}},
            {"mul": {"from": ["ls", "input"]}},
        ],
        code="E300",
        field="shape",
    )
    _rejected([{"parameter": {"name": "ls", "shape": [0], "init": 1.0}}, {"mul": {"from": ["ls", "input"]}}])
