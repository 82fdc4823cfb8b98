"""specs/text_classifier.yaml against a hand-written PyTorch module: embedding, two
nn.TransformerEncoderLayer, mean pooling over the tokens, a linear."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import archspec

SPEC = Path(__file__).resolve().parent.parent / "specs" / "text_classifier.yaml"


class TextClassifier(nn.Module):
    """What the spec says, written as one would in PyTorch."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(1000, 64)
        layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.classifier = nn.Linear(64, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(self.embedding(ids))
        return self.classifier(tokens.mean(dim=1))


@pytest.fixture(scope="module")
def pair() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    return archspec.build(SPEC).eval(), TextClassifier().eval()


def test_the_state_dict_is_pytorchs_by_name(pair: tuple[nn.Module, nn.Module]) -> None:
    """The keys are PyTorch's; the order differs inside a layer, whose modules archspec
    registers in the order they run (nn.TransformerEncoderLayer makes its norms after its
    linears)."""
    ours, reference = pair
    assert sorted(ours.state_dict()) == sorted(reference.state_dict())
    assert next(iter(ours.state_dict())) == "embedding.weight"


def test_outputs_equal_pytorchs(pair: tuple[nn.Module, nn.Module]) -> None:
    ours, reference = pair
    ours.load_state_dict(reference.state_dict(), strict=True)
    for length in (1, 7, 30):
        ids = torch.randint(0, 1000, (3, length), generator=torch.Generator().manual_seed(length))
        with torch.no_grad():
            torch.testing.assert_close(ours(ids), reference(ids), rtol=1e-5, atol=1e-5)


def test_parameters_shapes_and_costs() -> None:
    graph = archspec.compile(SPEC)
    assert graph.num_params == sum(p.numel() for p in TextClassifier().parameters()) == 131_269
    assert str(graph.valid_sizes["L"]) == "L ≥ 1"
    at_seven = archspec.compile(SPEC, input=[7])
    # per layer: projections 4·L·64², attention 2·L²·64, feed-forward 2·L·64·128; the head 64·5
    assert at_seven.num_macs == 2 * (4 * 7 * 64 * 64 + 2 * 7 * 7 * 64 + 2 * 7 * 64 * 128) + 64 * 5
