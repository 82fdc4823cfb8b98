"""shifted_window_attention against torchvision's ShiftedWindowAttention (Swin's W-MSA/SW-MSA)."""

from __future__ import annotations

import pytest
import sympy
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archspec
from archspec.report import activation_bytes
from archspec.shapes.dims import format_dim
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
from tests.torchvision_models import zoo


def torchvision_attention(
    dim: int, window: int | list[int], shift: int | list[int], heads: int, **given: bool
) -> nn.Module:
    zoo()  # the import workaround of tests/torchvision_models.py first
    from torchvision.models.swin_transformer import ShiftedWindowAttention

    def pair(value: int | list[int]) -> list[int]:
        return [value, value] if isinstance(value, int) else list(value)

    return ShiftedWindowAttention(dim, pair(window), pair(shift), heads, **given)


def layer(window: int | list[int], shift: int | list[int], heads: int, **given: object) -> dict:
    return {
        "shifted_window_attention": {"window_size": window, "shift_size": shift, "num_heads": heads, **given}
    }


ORACLE_CASES = {
    "shifted_window_attention": [
        OracleCase(layer(4, 2, 2), (6, 9, 8), ("H", "W", 8), lambda: torchvision_attention(8, 4, 2, 2)),
        OracleCase(layer([2, 3], 0, 1, qkv_bias=False), (4, 6, 4), ("H", "W", 4)),
    ]
}


# (H, W): whole windows, padded ones, a map smaller than the window (no shift), a map
# whose padded side is one window along one axis only (shifted along the other)
SIZES = [(8, 8), (9, 5), (3, 3), (4, 12), (1, 1)]


@pytest.mark.parametrize(("height", "width"), SIZES)
@pytest.mark.parametrize(("window", "shift"), [(4, 0), (4, 2), ([2, 4], [1, 3])])
def test_the_output_is_torchvisions(
    height: int, width: int, window: int | list[int], shift: int | list[int]
) -> None:
    dims = (height, width, 8)
    spec = layer_spec(layer(window, shift, 2), dims)
    graph = check_agreement(spec, dims, lambda: torchvision_attention(8, window, shift, 2))
    assert graph is not None and tuple(graph.output.dims) == dims
    _, module = check_against_torch(spec)
    check_same_function(module, torchvision_attention(8, window, shift, 2), dims)


def test_state_dict_keys_are_torchvisions_with_the_index_buffer() -> None:
    """relative_position_index is a persistent buffer in torchvision: it is in the state_dict,
    after the table and before qkv, and holds torchvision's numbers."""
    module = archspec.build(compile_spec(layer_spec(layer(7, 3, 3), (7, 7, 12))))
    reference = torchvision_attention(12, 7, 3, 3)
    assert list(module.state_dict()) == ["0." + key for key in reference.state_dict()]
    assert list(reference.state_dict())[:2] == ["relative_position_bias_table", "relative_position_index"]
    assert torch.equal(module[0].relative_position_index, reference.relative_position_index)


@pytest.mark.parametrize("given", [{"qkv_bias": False}, {"proj_bias": False}])
def test_without_biases(given: dict) -> None:
    dims = (5, 5, 6)
    graph = check_agreement(
        layer_spec(layer(3, 1, 3, **given), dims), dims, lambda: torchvision_attention(6, 3, 1, 3, **given)
    )
    assert graph is not None


def test_num_heads_must_divide_the_channels() -> None:
    diagnostic = expect_rejection(
        layer_spec(layer(4, 2, 3), (8, 8, 8)), numbers=[3, 8], field="num_heads", code="E307"
    )
    assert diagnostic.hint is not None and "1, 2, 4, 8" in diagnostic.hint


def test_a_shift_of_a_whole_window_is_refused() -> None:
    expect_rejection(layer_spec(layer(4, 4, 2), (8, 8, 8)), numbers=[4], code="E200")


def test_a_channels_first_map_is_refused_with_the_permute() -> None:
    diagnostic = expect_rejection(layers_spec([layer(4, 2, 2)], (8, 4)), code="E305")
    assert diagnostic.hint is not None and "[0, 2, 3, 1]" in diagnostic.hint


def test_symbolic_sides_keep_the_shape() -> None:
    graph = check_symbolic(layer_spec(layer(4, 2, 2), ("H", "W", 8)), ("H", "W", 8), sizes=(1, 3, 5, 9))
    assert [format_dim(d) for d in graph.output.dims] == ["H", "W", "8"]


@pytest.mark.parametrize(("height", "width"), [(8, 8), (9, 5), (3, 3)])
def test_macs_are_pytorchs_flop_count_of_torchvisions_module_halved(height: int, width: int) -> None:
    """On the meta device the attention runs as matmuls, which the counter counts; the
    padded windows count (torchvision computes them)."""
    graph = compile_spec(layer_spec(layer(4, 2, 2), (height, width, 8)))
    with torch.device("meta"):
        reference = torchvision_attention(8, 4, 2, 2).eval()
        x = torch.empty(1, height, width, 8)
    with FlopCounterMode(display=False) as counter:
        reference(x)
    assert counter.get_total_flops() == 2 * graph.num_macs
    tokens = -(-height // 4) * 4 * -(-width // 4) * 4
    assert graph.num_macs == 4 * tokens * 8 * 8 + 2 * tokens * 16 * 8


def test_activation_memory_holds_the_window_attention_weights() -> None:
    """heads × T × wh·ww weights (T the padded tokens), besides q, k, v, the attended
    values and the output: linear in the tokens, the windows being fixed."""
    graph = compile_spec(layer_spec(layer(4, 2, 2), ("H", "W", 8)))
    (attention,) = graph.layers
    h, w = (sympy.Symbol(name, integer=True, positive=True) for name in ("H", "W"))
    tokens = 16 * sympy.floor((h + 3) / 4) * sympy.floor((w + 3) / 4)
    memory = sympy.simplify(activation_bytes(attention) - 4 * (2 * 16 * tokens + 4 * 8 * tokens + 8 * h * w))
    assert memory == 0
    concrete = compile_spec(layer_spec(layer(4, 2, 2), (9, 5, 8)))
    assert activation_bytes(concrete.layers[0]) == 4 * (32 * 96 + 32 * 96 + 8 * 45)


def test_initialize_after_to_empty_gives_builds_weights_and_the_index_back() -> None:
    """The index is a fixed buffer: reset_parameters makes it again (to_empty leaves
    garbage), and draws the table before qkv and proj, in build's order."""
    graph = compile_spec(layer_spec(layer([3, 4], [1, 2], 2), (8, 8, 8)))
    torch.manual_seed(0)
    built = archspec.build(graph)
    empty = archspec.build(graph, device="meta").to_empty(device="cpu")
    torch.manual_seed(0)
    archspec.initialize(empty, graph)
    for (key, ours), theirs in zip(empty.state_dict().items(), built.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs), key
    assert torch.equal(
        built[0].relative_position_index, torchvision_attention(8, [3, 4], [1, 2], 2).relative_position_index
    )
