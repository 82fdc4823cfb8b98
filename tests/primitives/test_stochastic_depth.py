"""stochastic_depth against the real torchvision.ops.StochasticDepth: the same draws for a
seed in training, the identity in eval.

torchvision is imported through tests/torchvision_models.py, whose ``zoo()`` installs
the one workaround its import needs on the CPU build of torch (see that module).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, check_agreement, expect_rejection, layer_spec
from tests.primitives.portable import check_portable
from tests.torchvision_models import zoo


def torchvision_stochastic_depth(p: float, mode: str) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        zoo()  # installs the stand-in module torchvision's import needs here
        from torchvision.ops import StochasticDepth

        return StochasticDepth(p, mode)

    return make


ORACLE_CASES = {
    "stochastic_depth": [
        OracleCase(
            {"stochastic_depth": {"p": 0.2}},
            (3, 4, 5),
            (3, "H", "W"),
            torchvision_stochastic_depth(0.2, "row"),
        ),
        OracleCase(
            {"stochastic_depth": {"p": 0.5, "mode": "batch"}},
            (6,),
            None,
            torchvision_stochastic_depth(0.5, "batch"),
        ),
    ]
}


@pytest.mark.parametrize("dims", [(6,), (3, 4, 5), (2, 3, 2, 2)])
@pytest.mark.parametrize("mode", ["row", "batch"])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_stochastic_depth_is_torchvisions(dims: tuple[int, ...], mode: str, p: float) -> None:
    spec = layer_spec({"stochastic_depth": {"p": p, "mode": mode}}, dims)
    reference = torchvision_stochastic_depth(p, mode)()
    graph = check_agreement(spec, dims, lambda: reference)
    assert graph is not None and tuple(graph.output.dims) == dims and graph.num_params == 0
    _, module = check_against_torch(spec)
    ours = module[0]
    assert repr(ours) == repr(reference)
    x = torch.randn(16, *dims, generator=torch.Generator().manual_seed(1))
    ours.eval(), reference.eval()
    assert torch.equal(ours(x), x)  # eval: the identity, the very tensor
    ours.train(), reference.train()
    for seed in range(5):
        torch.manual_seed(seed)
        got = ours(x)
        torch.manual_seed(seed)
        assert torch.equal(got, reference(x)), (p, mode, seed)
        rows = got.flatten(1).ne(0).any(1)
        if mode == "batch" or p in (0.0, 1.0):
            assert rows.all() or not rows.any()  # all samples kept, or none
        if p == 0.0:
            assert torch.equal(got, x)


def test_row_mode_drops_samples_at_about_p() -> None:
    _, module = check_against_torch(layer_spec({"stochastic_depth": {"p": 0.3}}, (4,)))
    module.train()
    torch.manual_seed(0)
    kept = module(torch.ones(20000, 4))
    dropped = kept.eq(0).all(1).float().mean().item()
    assert abs(dropped - 0.3) < 0.02
    assert torch.allclose(kept[kept.ne(0)], torch.tensor(1 / 0.7))  # survivors scaled by 1 / (1 - p)


@pytest.mark.parametrize(
    ("params", "field"), [({"p": 1.5}, "p"), ({"p": -0.1}, "p"), ({"p": 0.1, "mode": "rows"}, "mode")]
)
def test_stochastic_depth_bad_params(params: dict, field: str) -> None:
    expect_rejection(layer_spec({"stochastic_depth": params}, (3, 4)), field=field, code="E200")
    with pytest.raises(ValueError):  # torchvision refuses them too (at the forward pass)
        reference = torchvision_stochastic_depth(params["p"], params.get("mode", "row"))()
        reference.train()(torch.randn(2, 3, 4))


def test_stochastic_depth_needs_p() -> None:
    expect_rejection(layer_spec("stochastic_depth", (3, 4)), code="E202")


def test_stochastic_depth_is_portable() -> None:
    _, module = check_against_torch(layer_spec({"stochastic_depth": {"p": 0.2}}, (3, 4)))
    check_portable(module, torch.randn(2, 3, 4))
