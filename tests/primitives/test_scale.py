"""scale against ConvNeXt's layer scale: a learned [C, 1, …, 1] tensor, every entry init,
times the input; and a ConvNeXt block in YAML against the real torchvision CNBlock."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    expect_rejection,
    layer_spec,
    layers_spec,
)
from tests.primitives.portable import check_portable
from tests.torchvision_models import zoo


class TorchLayerScale(nn.Module):
    """The layer scale as torchvision's CNBlock holds it: ``torch.ones(dim, 1, 1) * init``
    (here with one 1 per spatial dim), multiplied in."""

    def __init__(self, dims: tuple[int, ...], init: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dims[0], *(1 for _ in dims[1:])) * init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x


ORACLE_CASES = {
    "scale": [
        OracleCase(
            {"scale": {"init": 1.0e-6}}, (4, 3, 5), (4, "H", "W"), lambda: TorchLayerScale((4, 3, 5), 1e-6)
        ),
        OracleCase({"scale": {"init": 0.5}}, (6,), None, lambda: TorchLayerScale((6,), 0.5)),
    ]
}


@pytest.mark.parametrize("dims", [(6,), (3, 7), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("init", [1.0e-6, 0.1, 1.0, -2.0, 0])
def test_scale(dims: tuple[int, ...], init: float) -> None:
    spec = layer_spec({"scale": {"init": init}}, dims)
    graph = check_agreement(spec, dims, lambda: TorchLayerScale(dims, init))
    assert graph is not None and tuple(graph.output.dims) == dims
    assert graph.num_params == dims[0] and graph.num_macs == 0  # as torchvision counts
    _, module = check_against_torch(spec)
    weight = module[0].weight
    assert tuple(weight.shape) == (dims[0], *(1 for _ in dims[1:]))
    # torchvision's initial value, bit for bit: ones times init (float32)
    assert torch.equal(weight, torch.ones(weight.shape) * init)
    check_same_function(module, TorchLayerScale(dims, init), dims)


def test_scale_needs_concrete_channels_and_an_init() -> None:
    expect_rejection(layers_spec([{"scale": {"init": 1.0}}], ("C", 4)), numbers=["C"], code="E303")
    diagnostic = expect_rejection(layer_spec("scale", (3, 4)), code="E202")
    assert "init" in diagnostic.message and diagnostic.hint


def test_yaml_reads_1e_6_as_text_and_says_how_to_write_it() -> None:
    spec = "archspec: 1\nname: s\ninput: [3, 4]\nlayers:\n- scale: {init: 1e-6}\n"
    diagnostic = expect_rejection(spec, field="init", code="E200")
    assert diagnostic.hint and "1.0e-6" in diagnostic.hint


def test_scale_is_portable() -> None:
    _, module = check_against_torch(layer_spec({"scale": {"init": 0.5}}, (3, 4, 5)))
    check_portable(module, torch.randn(2, 3, 4, 5))


CNBLOCK = [
    {
        "add": {
            "branches": [
                [
                    {
                        "sequential": {
                            "name": "body",  # archspec's modules keep "block" for themselves
                            "layers": [
                                {"conv": {"out_channels": 8, "kernel_size": 7, "padding": 3, "groups": 8}},
                                {"permute": {"dims": [0, 2, 3, 1]}},
                                {"layernorm": {"dims": 1, "eps": 1.0e-6}},
                                {"linear": {"out_features": 32}},
                                "gelu",
                                {"linear": {"out_features": 8}},
                                {"permute": {"dims": [0, 3, 1, 2]}},
                            ],
                        }
                    },
                    {"scale": {"name": "layer_scale", "init": 1.0e-6}},
                    {"stochastic_depth": {"name": "stochastic_depth", "p": 0.25}},
                ],
                [],
            ]
        }
    }
]


def test_convnext_block_is_torchvisions_cnblock() -> None:
    """ConvNeXt's CNBlock in YAML: torchvision's parameters, outputs (eval) and draws
    (training, same seed). The state_dict is the same but for the layer scale's key and
    place: torchvision's is ``layer_scale``, a parameter of the block listed before its
    layers; archspec's is a layer's ``weight`` after them (see archspec/primitives/scale.py)."""
    zoo()  # installs the stand-in module torchvision's import needs here
    from torchvision.models.convnext import CNBlock

    reference = CNBlock(8, 1e-6, 0.25)
    graph, module = check_against_torch(layers_spec(CNBLOCK, (8, 6, 5)))
    assert graph.num_params == sum(p.numel() for p in reference.parameters())
    ours, theirs = module.state_dict(), reference.state_dict()
    rename = {key: "0.0." + key.replace("block.", "body.") for key in theirs}
    rename["layer_scale"] = "0.0.layer_scale.weight"
    assert list(ours) == [*(rename[key] for key in theirs if key != "layer_scale"), rename["layer_scale"]]
    assert torch.equal(ours[rename["layer_scale"]], theirs["layer_scale"])  # the init, bit for bit
    torch.manual_seed(0)
    with torch.no_grad():
        for value in theirs.values():
            value.copy_(torch.randn(value.shape))
    module.load_state_dict({rename[key]: value for key, value in theirs.items()})
    x = torch.randn(3, 8, 6, 5)
    module.eval(), reference.eval()
    with torch.no_grad():
        assert torch.equal(module(x), reference(x))
    module.train(), reference.train()
    for seed in range(3):
        torch.manual_seed(seed)
        got = module(x)
        torch.manual_seed(seed)
        assert torch.equal(got, reference(x)), seed
