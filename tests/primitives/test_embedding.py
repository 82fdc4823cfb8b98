"""embedding against nn.Embedding: token ids (an int64 input) to vectors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archspec
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    compile_spec,
    expect_rejection,
    layer_spec,
    layers_spec,
)

ORACLE_CASES = {
    "embedding": [
        OracleCase({"embedding": {"num_embeddings": 10, "embedding_dim": 6}}, (5,), ("L",), ids=True),
        OracleCase(
            {"embedding": {"num_embeddings": 4, "embedding_dim": 3, "padding_idx": 0}}, (2, 3), ids=True
        ),
    ]
}


@pytest.mark.parametrize("dims", [(1,), (7,), (2, 3)])
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_is_torchs(dims: tuple[int, ...], padding_idx: int | None) -> None:
    params = {"num_embeddings": 10, "embedding_dim": 6}
    if padding_idx is not None:
        params["padding_idx"] = padding_idx
    graph, module = check_against_torch(layer_spec({"embedding": params}, dims, ids=True))
    assert tuple(graph.output.dims) == (*dims, 6)
    assert graph.num_params == 60 and graph.num_macs == 0
    reference = nn.Embedding(10, 6, padding_idx=padding_idx)
    reference.load_state_dict({k.removeprefix("0."): v for k, v in module.state_dict().items()})
    ids = torch.randint(0, 10, (3, *dims))
    with torch.no_grad():
        assert torch.equal(module(ids), reference(ids))


def test_the_input_dtype_is_declared_and_a_float_input_refused() -> None:
    diagnostic = expect_rejection(
        layer_spec({"embedding": {"num_embeddings": 10, "embedding_dim": 6}}, (5,)), code="E312"
    )
    assert diagnostic.hint is not None and "input_dtypes: {input: int64}" in diagnostic.hint
    with pytest.raises(RuntimeError):  # nn.Embedding refuses float indices too
        nn.Embedding(10, 6)(torch.randn(2, 5))


@pytest.mark.parametrize(
    "layout",
    [["flatten"], [{"reshape": {"shape": [24]}}], [{"permute": {"dims": [0, 2, 1]}}, "flatten"]],
    ids=str,
)
def test_token_ids_stay_ids_through_layout_layers(layout: list) -> None:
    """A layout layer keeps token ids integers, as PyTorch does: an embedding after it
    reads them (it was refused, E312, as if they had become floats)."""
    embedding = {"embedding": {"num_embeddings": 10, "embedding_dim": 8}}
    graph = archspec.compile(archspec.loads(layers_spec([*layout, embedding], (4, 6), ids=True)))
    ids = torch.randint(0, 10, (2, 4, 6))
    with torch.no_grad():
        assert tuple(archspec.build(graph)(ids).shape) == (2, 24, 8) == (2, *graph.output_shape[1:])


def test_a_layer_torch_computes_on_floats_only_refuses_token_ids() -> None:
    diagnostic = expect_rejection(layers_spec([{"linear": {"out_features": 3}}], (5,), ids=True), code="E312")
    assert "linear reads integers" in diagnostic.message and "embedding" in (diagnostic.hint or "")
    with pytest.raises(RuntimeError):  # torch refuses too
        nn.Linear(5, 3)(torch.randint(0, 10, (2, 5)))


def test_input_dtypes_name_inputs() -> None:
    spec = layers_spec([{"embedding": {"num_embeddings": 10, "embedding_dim": 6}}], (5,))
    spec = spec.replace("input: [5]", "input: [5]\ninput_dtypes: {tokens: int64}")
    expect_rejection_at_load = pytest.raises(archspec.SpecError, match="no input")
    with expect_rejection_at_load:
        archspec.loads(spec)


def test_padding_idx_must_be_an_id() -> None:
    spec = layer_spec(
        {"embedding": {"num_embeddings": 4, "embedding_dim": 3, "padding_idx": 4}}, (5,), ids=True
    )
    with pytest.raises(archspec.SpecError, match="padding_idx 4"):
        archspec.loads(spec)


def test_a_symbolic_length() -> None:
    graph = compile_spec(
        layer_spec({"embedding": {"num_embeddings": 10, "embedding_dim": 6}}, ("L",), ids=True)
    )
    assert [str(d) for d in graph.output.dims] == ["L", "6"] and graph.min_sizes == {"L": 1}
