"""add, mul and concat: branches on one input, against the same sums, products and cats in torch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archspec
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, check_same_function, expect_rejection, layers_spec

ORACLE_CASES = {
    "add": [
        OracleCase(
            {"add": {"branches": [[], [{"conv": {"out_channels": 3, "kernel_size": 3, "padding": 1}}]]}},
            (3, 5, 4),
            (3, "H", "W"),
        )
    ],
    "mul": [
        OracleCase(
            {
                "mul": {
                    "branches": [
                        [],
                        ["global_avgpool", {"conv": {"out_channels": 3, "kernel_size": 1}}, "sigmoid"],
                    ]
                }
            },
            (3, 5, 4),
            (3, "H", "W"),
        )
    ],
    "concat": [
        OracleCase(
            {"concat": {"branches": [[{"conv": {"out_channels": 2, "kernel_size": 1}}], ["relu"]]}},
            (3, 5, 4),
            (3, "H", "W"),
        )
    ],
}


CONV = {"conv": {"out_channels": 4, "kernel_size": 3, "padding": 1}}


class TorchAdd(nn.Module):
    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [branch(x) for branch in self.branches]
        return sum(outputs[1:], outputs[0])


class TorchMul(TorchAdd):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        product = self.branches[0](x)
        for branch in self.branches[1:]:
            product = product * branch(x)
        return product


class TorchConcat(TorchAdd):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


@pytest.mark.parametrize("dims", [(4, 9), (4, 7, 6), (4, 3, 5, 4)])
def test_add_with_an_identity_branch(dims: tuple[int, ...]) -> None:
    spec = layers_spec([{"add": {"branches": [[CONV, "relu", CONV], []]}}], dims)
    graph, module = check_against_torch(spec)
    assert tuple(graph.output.dims) == dims
    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[len(dims) - 1]
    reference = TorchAdd(
        nn.Sequential(conv(4, 4, 3, padding=1), nn.ReLU(), conv(4, 4, 3, padding=1)), nn.Identity()
    )
    check_same_function(module, reference, dims)


@pytest.mark.parametrize("dims", [(3, 11, 8), (2, 1, 1)])
def test_concat_sums_channels(dims: tuple[int, ...]) -> None:
    branches = [
        [],
        [{"conv": {"out_channels": 5, "kernel_size": 1}}],
        [{"maxpool": {"kernel_size": 3, "stride": 1, "padding": 1}}],
    ]
    graph, module = check_against_torch(layers_spec([{"concat": {"branches": branches}}], dims))
    assert tuple(graph.output.dims) == (dims[0] * 2 + 5, *dims[1:])
    assert list(module[0]) == ["0", "1", "2"]
    reference = TorchConcat(nn.Identity(), nn.Conv2d(dims[0], 5, 1), nn.MaxPool2d(3, 1, 1))
    check_same_function(module, reference, dims)


def test_a_named_one_layer_branch_is_named_after_it() -> None:
    branches = [[{"conv": {"name": "main", "out_channels": 3, "kernel_size": 1}}], []]
    _, module = check_against_torch(layers_spec([{"add": {"branches": branches}}], (3, 4, 4)))
    assert list(module[0]) == ["main", "1"]


def test_branches_that_cannot_be_added_name_both_shapes() -> None:
    spec = layers_spec(
        [{"add": {"branches": [[{"conv": {"out_channels": 4, "kernel_size": 3}}], []]}}], (3, 8, 8)
    )
    diagnostic = expect_rejection(spec, numbers=(4, 6, 3, 8), path="0")
    assert "branch 0 gives [N, 4, 6, 6] but branch 1 gives [N, 3, 8, 8]" in diagnostic.message


def test_branches_that_cannot_be_concatenated_name_both_shapes() -> None:
    branches = [
        [{"conv": {"out_channels": 4, "kernel_size": 3}}],
        [{"conv": {"out_channels": 4, "kernel_size": 1}}],
    ]
    diagnostic = expect_rejection(layers_spec([{"concat": {"branches": branches}}], (3, 8, 8)), path="0")
    assert "branch 0 gives [N, 4, 6, 6] but branch 1 gives [N, 4, 8, 8]" in diagnostic.message


def test_symbolic_branches_agree_at_the_sizes_the_valid_set_gives() -> None:
    # floor(H/2) meets H only where it is 1 and broadcasts: H in {2, 3} (tests/compiler/test_validsizes.py)
    spec = layers_spec([{"add": {"branches": [[{"maxpool": {"kernel_size": 2}}], []]}}], (3, "H", "W"))
    assert str(archspec.compile(archspec.loads(spec)).valid_sizes["H"]) == "H ∈ {2, 3}"
    check_against_torch(spec, (3, 3, 2))
    concat = layers_spec([{"concat": {"branches": [[{"maxpool": {"kernel_size": 2}}], []]}}], (3, "H", "W"))
    expect_rejection(concat, path="0", code="E306", numbers=("floor(H/2)",))
    same = layers_spec(
        [{"add": {"branches": [[{"conv": {"out_channels": 3, "kernel_size": 3, "padding": "same"}}], []]}}],
        (3, "H", "W"),
    )
    graph, _ = check_against_torch(same, (3, 5, 7))
    assert tuple(graph.output.dims) == (3, 5, 7)


def test_at_least_two_branches() -> None:
    expect_rejection(layers_spec([{"add": {"branches": [[]]}}], (3, 4, 4)), code="E200")


SQUEEZE = [
    "global_avgpool",
    {"conv": {"out_channels": 2, "kernel_size": 1}},
    "relu",
    {"conv": {"out_channels": 8, "kernel_size": 1}},
    "sigmoid",
]


@pytest.mark.parametrize("dims", [(8, 9), (8, 5, 4), (8, 3, 2, 2)])
def test_mul_is_squeeze_excitation(dims: tuple[int, ...]) -> None:
    """x times a [C, 1, …] gate: the gate broadcasts over the positions, as in torch."""
    graph, module = check_against_torch(layers_spec([{"mul": {"branches": [[], SQUEEZE]}}], dims))
    assert tuple(graph.output.dims) == dims
    assert graph.num_params == 8 * 2 + 2 + 2 * 8 + 8
    n = len(dims) - 1
    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[n]
    pool = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}[n]
    gate = nn.Sequential(pool(1), conv(8, 2, 1), nn.ReLU(), conv(2, 8, 1), nn.Sigmoid())
    check_same_function(module, TorchMul(nn.Identity(), gate), dims)


@pytest.mark.parametrize("merge", ["add", "mul"])
def test_a_pooled_branch_broadcasts_in_add_and_mul(merge: str) -> None:
    graph, module = check_against_torch(
        layers_spec([{merge: {"branches": [[], ["global_maxpool"]]}}], (3, 4, 5))
    )
    assert tuple(graph.output.dims) == (3, 4, 5)
    reference = (TorchAdd if merge == "add" else TorchMul)(nn.Identity(), nn.AdaptiveMaxPool2d(1))
    check_same_function(module, reference, (3, 4, 5))


def test_shapes_that_do_not_broadcast_name_both_dims() -> None:
    spec = layers_spec(
        [{"mul": {"branches": [[], [{"conv": {"out_channels": 2, "kernel_size": 1}}]]}}], (3, 4, 4)
    )
    diagnostic = expect_rejection(spec, numbers=(3, 2))
    assert "3 and 2 do not broadcast" in diagnostic.message and "gate" in (diagnostic.hint or "")


def test_a_symbolic_size_broadcasts_only_with_one() -> None:
    pooled = layers_spec([{"mul": {"branches": [[], ["global_avgpool"]]}}], (3, "H", "W"))
    assert str(archspec.compile(archspec.loads(pooled)).output) == "[N, 3, H, W]"
    check_against_torch(pooled, (3, 6, 7))
    up = {"upsample": {"scale_factor": 2}}
    padded = [{"conv": {"out_channels": 3, "kernel_size": 1, "padding": 1}}, up]
    never = layers_spec([{"add": {"branches": [[up], padded]}}], (3, "H", "W"))  # 2H and 2H + 4, never 1
    expect_rejection(never, numbers=["2*H", "2*H + 4"], code="E306")


def test_a_network_with_archspecs_own_classes_pickles() -> None:
    """torch.save of a whole built network: Mul is made inside a factory, yet pickle finds
    it as archspec.primitives.merge.Mul (the module hands it out by name)."""
    import io

    graph = archspec.compile(archspec.loads(layers_spec([{"mul": {"branches": [[], SQUEEZE]}}], (8, 4, 4))))
    net = archspec.build(graph).eval()
    buffer = io.BytesIO()
    torch.save(net, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False).eval()
    x = torch.randn(2, 8, 4, 4)
    with torch.no_grad():
        assert torch.equal(loaded(x), net(x))


def test_branches_of_different_ranks_do_not_broadcast_the_batch() -> None:
    """[N, 1, H] + flatten → [N, H]: PyTorch would broadcast the batch against a size
    ([N, N, H]), which no shape of archspec's can state: refused, as a rank problem."""
    diagnostic = expect_rejection(
        layers_spec([{"add": {"branches": [[], ["flatten"]]}}], (1, 5)), code="E305"
    )
    assert "different ranks" in diagnostic.message
