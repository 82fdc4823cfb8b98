"""multihead_attention against nn.MultiheadAttention (batch_first, need_weights=False)."""

from __future__ import annotations

import pytest
import sympy
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.report import activation_bytes
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    compile_spec,
    expect_rejection,
    layer_spec,
    layers_spec,
)


class TorchAttention(nn.Module):
    """nn.MultiheadAttention as torchvision's ViT calls it: self-attention, no weights."""

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(x, x, x, need_weights=False)[0]


class CrossAttention(nn.Module):
    """Tokens attending to a projection of themselves with other features (kdim = vdim = 6)."""

    def __init__(self) -> None:
        super().__init__()
        self.kv = nn.Linear(8, 6)
        self.attention = nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kv = self.kv(x)
        return self.attention(x, kv, kv, need_weights=False)[0]


def _cross(**given: int) -> dict:
    return {
        "sequential": {
            "name": "g",
            "layers": [
                {"linear": {"name": "kv", "out_features": 6}},
                {
                    "multihead_attention": {
                        "name": "attention",
                        "from": ["input", "kv"],
                        "num_heads": 2,
                        **given,
                    }
                },
            ],
        }
    }


ORACLE_CASES = {
    "multihead_attention": [
        OracleCase({"multihead_attention": {"num_heads": 2}}, (5, 8), ("L", 8), lambda: TorchAttention(8, 2)),
        OracleCase(_cross(kdim=6, vdim=6), (5, 8), ("L", 8)),
    ]
}


@pytest.mark.parametrize("heads", [1, 2, 4])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("tokens", [1, 7])
def test_self_attention_is_torchs(heads: int, bias: bool, tokens: int) -> None:
    spec = layer_spec({"multihead_attention": {"num_heads": heads, "bias": bias}}, (tokens, 8))
    graph = check_agreement(spec, (tokens, 8), lambda: TorchAttention(8, heads, bias))
    assert graph is not None and tuple(graph.output.dims) == (tokens, 8)
    _, module = check_against_torch(spec)
    check_same_function(module, TorchAttention(8, heads, bias), (tokens, 8))


def test_state_dict_keys_are_nn_multiheadattentions() -> None:
    module = archspec.build(compile_spec(layer_spec({"multihead_attention": {"num_heads": 2}}, (5, 8))))
    assert list(module.state_dict()) == [
        "0.in_proj_weight",
        "0.in_proj_bias",
        "0.out_proj.weight",
        "0.out_proj.bias",
    ]
    assert isinstance(module[0], nn.MultiheadAttention) and module[0].batch_first


def test_keys_and_values_from_named_tensors() -> None:
    spec = layer_spec(_cross(kdim=6, vdim=6), (5, 8))
    graph, module = check_against_torch(spec)
    assert graph.num_params == sum(p.numel() for p in CrossAttention().parameters())
    check_same_function(module, CrossAttention(), (5, 8))


def test_keys_of_other_features_need_kdim() -> None:
    diagnostic = expect_rejection(layer_spec(_cross(), (5, 8)), numbers=[6, 8])
    assert diagnostic.hint == "give kdim: 6"
    expect_rejection(layer_spec(_cross(kdim=7, vdim=6), (5, 8)), numbers=[7, 6], field="kdim", code="E302")


def test_num_heads_must_divide_embed_dim() -> None:
    spec = layer_spec({"multihead_attention": {"num_heads": 3}}, (5, 8))
    diagnostic = expect_rejection(spec, numbers=[3, 8], field="num_heads", code="E307")
    assert diagnostic.hint is not None and "1, 2, 4, 8" in diagnostic.hint
    with pytest.raises(AssertionError, match="divisible"):  # torch refuses it too
        nn.MultiheadAttention(8, 3)


def test_maps_are_refused_with_the_way_to_tokens() -> None:
    spec = layer_spec({"multihead_attention": {"num_heads": 2}}, (8, 4, 4))
    diagnostic = expect_rejection(spec, code="E305")
    assert diagnostic.hint is not None and "permute" in diagnostic.hint


def test_more_than_three_tensors_are_refused() -> None:
    layers = [
        {"multihead_attention": {"name": "a", "from": ["input", "input", "input", "input"], "num_heads": 2}}
    ]
    spec = layer_spec({"sequential": {"name": "g", "layers": layers}}, (5, 8))
    diagnostic = expect_rejection(spec, code="E210")
    assert "at most 3" in diagnostic.message


def test_symbolic_tokens_agree_with_torch() -> None:
    layers = [{"linear": {"out_features": 8}}, {"multihead_attention": {"num_heads": 4}}]
    check_symbolic(layers_spec(layers, ("L", 6)), ("L", 6), sizes=(1, 3, 10))


def test_activation_memory_is_quadratic_in_the_tokens() -> None:
    """The h × L × L weights, besides the projections and the output: 4 bytes each."""
    graph = compile_spec(layer_spec({"multihead_attention": {"num_heads": 2}}, ("L", 8)))
    (layer,) = graph.layers
    length = sympy.Symbol("L", integer=True, positive=True)
    memory = sympy.expand(activation_bytes(layer))
    assert memory == 4 * (2 * length**2 + 5 * 8 * length)  # q, k, v, attended and output: 5 L·E
    assert sympy.degree(memory, length) == 2
    concrete = compile_spec(layer_spec({"multihead_attention": {"num_heads": 2}}, (7, 8)))
    assert activation_bytes(concrete.layers[0]) == memory.subs(length, 7)


@pytest.mark.parametrize(("tokens", "given"), [(5, {}), (9, {}), (5, {"kdim": 6, "vdim": 6})])
def test_macs_are_pytorchs_flop_count_halved(tokens: int, given: dict) -> None:
    """On the meta device (as tests/test_costs.py counts), torch runs the attention as
    bmm, which torch.utils.flop_counter counts; the projections are mm and addmm."""
    spec = layer_spec(_cross(**given) if given else {"multihead_attention": {"num_heads": 2}}, (tokens, 8))
    graph = compile_spec(spec)
    with torch.device("meta"):
        module = archspec.build(graph).eval()
        x = torch.empty(1, tokens, 8)
    with FlopCounterMode(display=False) as counter:
        module(x)
    assert counter.get_total_flops() == 2 * graph.num_macs
    e, s = 8, tokens
    kv = 6 if given else 8
    assert graph.layers[-1].num_macs == 2 * tokens * e * e + s * e * 2 * kv + 2 * tokens * s * e


def test_the_built_module_exports_with_a_dynamic_batch() -> None:
    module = archspec.build(
        compile_spec(layer_spec({"multihead_attention": {"num_heads": 2}}, (5, 8)))
    ).eval()
    x = torch.randn(3, 5, 8)
    batch = torch.export.Dim("batch", min=2)
    exported = torch.export.export(module, (x,), dynamic_shapes=({0: batch},))
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(torch.randn(4, 5, 8)).shape, torch.Size([4, 5, 8]))
        torch.testing.assert_close(exported.module()(x), module(x))
