"""class_token: learned tokens (a parameter) prepended to tokens, as torchvision's ViT does."""

from __future__ import annotations

import torch
from torch import nn

from archspec.emit.source import emit_source
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_symbolic,
    compile_spec,
    expect_rejection,
    layers_spec,
)


def _prepended(shape: list[int]) -> dict:
    """A group that projects its tokens and prepends a learned token to them."""
    return {
        "sequential": {
            "name": "g",
            "layers": [
                {"parameter": {"name": "class_token", "shape": shape, "init": 0.5}},
                {"linear": {"name": "proj", "out_features": shape[-1]}},
                {"class_token": {"from": ["class_token", "proj"]}},
            ],
        }
    }


ORACLE_CASES = {"class_token": [OracleCase(_prepended([1, 1, 6]), (5, 4), ("L", 4))]}


class Prepend(nn.Module):
    """torchvision's VisionTransformer.forward, its class token part, written out."""

    def __init__(self) -> None:
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, 6))
        self.proj = nn.Linear(4, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)


def test_the_token_comes_first_once_per_sample() -> None:
    spec = layers_spec([_prepended([1, 1, 6])], (5, 4))
    graph, module = check_against_torch(spec)
    assert tuple(graph.output.dims) == (6, 6)
    assert list(module.state_dict()) == ["g.class_token", "g.proj.weight", "g.proj.bias"]
    reference = Prepend()
    reference.load_state_dict({k.removeprefix("g."): v for k, v in module.state_dict().items()})
    x = torch.randn(3, 5, 4)
    with torch.no_grad():
        torch.testing.assert_close(module(x), reference(x))
        assert torch.equal(module(x)[:, 0], torch.full((3, 6), 0.5))


def test_several_tokens_and_a_symbolic_length() -> None:
    graph = check_symbolic(layers_spec([_prepended([1, 2, 6])], ("L", 4)), ("L", 4), sizes=(1, 4))
    assert str(graph.output.dims[0]) == "L + 2"


def test_compile_o_writes_the_expand_and_cat() -> None:
    source = emit_source(compile_spec(layers_spec([_prepended([1, 1, 6])], (5, 4))))
    assert "[self.class_token.expand(proj.shape[0], -1, -1), proj], dim=1" in source


def test_a_token_of_other_features_is_refused() -> None:
    layers = [
        {"parameter": {"name": "class_token", "shape": [1, 1, 5], "init": 0.0}},
        {"linear": {"name": "proj", "out_features": 6}},
        {"class_token": {"from": ["class_token", "proj"]}},
    ]
    diagnostic = expect_rejection(
        layers_spec([{"sequential": {"name": "g", "layers": layers}}], (5, 4)), code="E310"
    )
    assert "[1, K, 6]" in diagnostic.message and diagnostic.hint == "give the parameter shape: [1, K, 6]"


def test_reading_one_tensor_is_refused() -> None:
    diagnostic = expect_rejection(layers_spec(["class_token"], (5, 4)), code="E310")
    assert "two tensors" in diagnostic.message


def test_maps_are_refused() -> None:
    layers = [
        {"parameter": {"name": "class_token", "shape": [1, 1, 4], "init": 0.0}},
        {"class_token": {"from": ["class_token", "input"]}},
    ]
    spec = layers_spec([{"sequential": {"name": "g", "layers": layers}}], (4, 3, 3))
    diagnostic = expect_rejection(spec, code="E310")
    assert diagnostic.hint is not None and "permute" in diagnostic.hint
