"""Token shapes [N, L, D]: the layers that act on the last dim do so as in PyTorch, and
flatten/permute/reshape turn feature maps into tokens and back, with a symbolic L."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.oracle import check_against_torch, check_same_function, check_symbolic, layers_spec

# The layers of a transformer's MLP and norms, on tokens [L, D] (one sample).
TOKEN_LAYERS = [
    ({"layernorm": {"dims": 1, "eps": 1.0e-6}}, lambda: nn.LayerNorm(8, eps=1e-6)),
    ({"linear": {"out_features": 12}}, lambda: nn.Linear(8, 12)),
    ("gelu", nn.GELU),
    ("relu", nn.ReLU),
    ({"dropout": {"p": 0.1}}, lambda: nn.Dropout(0.1)),
    ({"softmax": {"dim": -1}}, lambda: nn.Softmax(dim=-1)),
]


@pytest.mark.parametrize(("layer", "make"), TOKEN_LAYERS, ids=lambda v: str(v)[:30])
@pytest.mark.parametrize("tokens", [1, 5, 197])
def test_token_layers_act_on_the_last_dim(layer: object, make: object, tokens: int) -> None:
    spec = layers_spec([layer], (tokens, 8))
    graph, module = check_against_torch(spec)
    reference = make()  # type: ignore[operator]
    (only,) = graph.layers
    assert only.output.dims[0] == tokens  # the sequence length is untouched
    assert only.output.dims[-1] == (12 if "linear" in str(layer) else 8)
    check_same_function(module[0] if isinstance(module, nn.Sequential) else module, reference, (tokens, 8))


PATCHIFY = [
    {"conv": {"out_channels": 8, "kernel_size": 16, "stride": 16}},
    {"flatten": {"start_dim": 2}},
    {"permute": {"dims": [0, 2, 1]}},
]


class Patchify(nn.Module):
    """torchvision's ViT _process_input, without its size assertion: a strided conv, the
    map flattened and made tokens [N, h·w, D]."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=16, stride=16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        n, d, h, w = y.shape
        return y.reshape(n, d, h * w).permute(0, 2, 1)


def test_maps_become_tokens_with_a_symbolic_length() -> None:
    spec = layers_spec(
        [*PATCHIFY, {"layernorm": {"dims": 1}}, {"linear": {"out_features": 4}}], (3, "H", "W")
    )
    graph = check_symbolic(spec, (3, "H", "W"), sizes=(16, 31, 48))
    assert graph.min_sizes == {"H": 16, "W": 16}
    tokens = str(graph.layers[2].output.dims[0])
    assert tokens == "floor(H/16)*floor(W/16)", tokens
    assert [str(d) for d in graph.output.dims] == ["floor(H/16)*floor(W/16)", "4"]


def test_patchify_is_torchvisions_process_input() -> None:
    spec = layers_spec(PATCHIFY, (3, 64, 48))
    graph, module = check_against_torch(spec)
    assert tuple(graph.output.dims) == (12, 8)
    reference = Patchify()
    reference.conv.load_state_dict(module[0].state_dict())
    check_same_function(module, reference, (3, 64, 48))


@pytest.mark.parametrize(
    "back", [{"unflatten": {"dim": 2, "unflattened_size": [4, 3]}}, {"reshape": {"shape": [8, 4, 3]}}]
)
def test_tokens_become_a_map_again(back: dict) -> None:
    layers = [*PATCHIFY, {"permute": {"dims": [0, 2, 1]}}, back]
    graph, _ = check_against_torch(layers_spec(layers, (3, 64, 48)))
    assert tuple(graph.output.dims) == (8, 4, 3)
