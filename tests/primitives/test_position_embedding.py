"""position_embedding: a learned embedding of a fixed length added to tokens."""

from __future__ import annotations

import torch

import archspec
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, compile_spec, expect_rejection, layers_spec


def _embedded(positions: int, features: int = 6) -> dict:
    """A group that projects its tokens and adds a learned position embedding."""
    return {
        "sequential": {
            "name": "g",
            "layers": [
                {"parameter": {"name": "pos_embedding", "shape": [1, positions, features], "init": 0.25}},
                {"linear": {"name": "proj", "out_features": features}},
                {"position_embedding": {"from": ["proj", "pos_embedding"]}},
            ],
        }
    }


ORACLE_CASES = {"position_embedding": [OracleCase(_embedded(5), (5, 4))]}

# conv1d windows of 4, stride 4, as tokens: floor(L/4) of them
PATCHES = [
    {"conv": {"out_channels": 6, "kernel_size": 4, "stride": 4}},
    {"permute": {"dims": [0, 2, 1]}},
]


def test_the_embedding_is_added_to_every_sample() -> None:
    graph, module = check_against_torch(layers_spec([_embedded(5)], (5, 4)))
    assert tuple(graph.output.dims) == (5, 6)
    assert next(iter(module.state_dict())) == "g.pos_embedding"
    x = torch.randn(3, 5, 4)
    with torch.no_grad():
        projected = module.g.proj(x)
        torch.testing.assert_close(module(x), projected + 0.25)


def test_the_valid_sizes_are_exactly_those_that_make_the_length() -> None:
    """floor(L/4) = 7 tokens: L from 28 to 31, and no other size."""
    graph = compile_spec(layers_spec([*PATCHES, _embedded(7)], (2, "L")))
    assert str(graph.valid_sizes["L"]) == "L ∈ {28, …, 31}"
    assert graph.min_sizes == {"L": 28}
    for size in (27, 28, 31, 32):
        ok = 28 <= size <= 31
        if ok:
            check_against_torch(layers_spec([*PATCHES, _embedded(7)], (2, size)))
        else:
            expect_rejection(
                layers_spec([*PATCHES, _embedded(7)], (2, size)), code="E308", numbers=[7, size // 4]
            )


def test_a_length_no_size_makes_is_refused_at_the_layer() -> None:
    """2·floor(L/4) tokens are even: 7 is never reached."""
    layers = [*PATCHES, {"reshape": {"shape": [-1, 3]}}, _embedded(7, 3)]
    diagnostic = expect_rejection(layers_spec(layers, (2, "L")), code="E306", numbers=[7])
    assert diagnostic.path == "g.2"  # the position_embedding layer


def test_a_wrong_length_names_the_sizes_and_the_fix() -> None:
    diagnostic = expect_rejection(layers_spec([_embedded(9)], (5, 4)), numbers=[9, 5], code="E308")
    assert diagnostic.hint is not None and "[1, 5, 6]" in diagnostic.hint
    assert archspec.loads(layers_spec([_embedded(9)], (5, 4)))  # a shape problem, not a value one


def test_an_embedding_of_other_features_is_refused() -> None:
    layers = [
        {"parameter": {"name": "pos", "shape": [1, 5, 3], "init": 0.0}},
        {"position_embedding": {"from": ["input", "pos"]}},
    ]
    expect_rejection(layers_spec([{"sequential": {"name": "g", "layers": layers}}], (5, 4)), code="E310")


def test_a_wrong_concrete_size_says_which_sizes_would_work() -> None:
    diagnostic = expect_rejection(
        layers_spec([*PATCHES, _embedded(7)], (2, 40)), code="E308", numbers=[7, 10]
    )
    assert diagnostic.hint is not None
    assert diagnostic.hint.endswith("the input sizes that work, for 2xL: L ∈ {28, …, 31}")
