"""Layer matching, on keys and shapes alone: by name, by the alignment of signatures, by kind in gaps."""

from __future__ import annotations

from typing import get_args

import pytest

from archspec.weights import MATCH_MODES
from archspec.weights.match import LayerTensors, MatchMode, align, layers_of, match_layers, monotone_chain

CONV = (("weight", (8, 3, 3, 3)), ("bias", (8,)))
BN = (
    ("weight", (8,)),
    ("bias", (8,)),
    ("running_mean", (8,)),
    ("running_var", (8,)),
    ("num_batches_tracked", ()),
)
HEAD = (("weight", (10, 8)), ("bias", (10,)))


def layers(*named: tuple[str, tuple[tuple[str, tuple[int, ...]], ...]]) -> list[LayerTensors]:
    return [LayerTensors(path, tensors) for path, tensors in named]


def pairs(matching) -> list[tuple[str, str, str]]:
    return [(p.spec.path, p.checkpoint.path, p.how) for p in matching.pairs]


def test_layers_of_groups_keys_by_prefix_in_first_seen_order() -> None:
    found = layers_of([("a.0.weight", (2, 2)), ("a.0.bias", (2,)), ("b.weight", (3,)), ("scale", (1,))])
    assert [(layer.path, [name for name, _ in layer.tensors]) for layer in found] == [
        ("a.0", ["weight", "bias"]),
        ("b", ["weight"]),
        ("", ["scale"]),
    ]
    assert found[2].key("scale") == "scale"
    assert found[0].key("bias") == "a.0.bias"


def test_the_same_network_pairs_every_layer_by_name() -> None:
    net = layers(("conv", CONV), ("bn", BN), ("fc", HEAD))
    result = match_layers(net, net)
    assert pairs(result) == [("conv", "conv", "name"), ("bn", "bn", "name"), ("fc", "fc", "name")]
    assert result.new == result.dropped == ()


def test_a_rename_and_an_inserted_layer_line_up_by_structure() -> None:
    old = layers(("features.conv", CONV), ("features.bn", BN), ("fc", HEAD))
    inserted = (("weight", (8, 8, 1, 1)),)
    new = layers(("stem.conv", CONV), ("stem.bn", BN), ("extra", inserted), ("head", HEAD))
    for mode in ("structure", "auto"):
        result = match_layers(new, old, mode)
        assert pairs(result) == [
            ("stem.conv", "features.conv", "structure"),
            ("stem.bn", "features.bn", "structure"),
            ("head", "fc", "structure"),
        ]
        assert [layer.path for layer in result.new] == ["extra"]
        assert result.dropped == ()
    # by name alone, nothing lines up
    by_name = match_layers(new, old, "name")
    assert by_name.pairs == ()
    assert len(by_name.new) == 4 and len(by_name.dropped) == 3


def test_an_insertion_into_a_numbered_sequence_does_not_shift_the_rest() -> None:
    """d2l's nn.Sequential names layers by index: a layer inserted at 1 renames every later one."""
    old = layers(("0", CONV), ("1", BN), ("3", HEAD))
    new = layers(("0", CONV), ("1", (("weight", (8, 8, 1, 1)),)), ("2", BN), ("4", HEAD))
    result = match_layers(new, old, "auto")
    assert pairs(result) == [("0", "0", "name"), ("2", "1", "structure"), ("4", "3", "structure")]
    assert [layer.path for layer in result.new] == ["1"]


def test_a_changed_head_is_paired_by_name_and_its_shapes_differ() -> None:
    old = layers(("conv", CONV), ("fc", HEAD))
    new = layers(("conv", CONV), ("fc", (("weight", (4, 8)), ("bias", (4,)))))
    for mode in ("auto", "name"):
        assert pairs(match_layers(new, old, mode)) == [("conv", "conv", "name"), ("fc", "fc", "name")]


def test_a_renamed_and_resized_head_pairs_by_kind_between_aligned_layers() -> None:
    old = layers(("conv", CONV), ("fc", HEAD))
    new = layers(("conv", CONV), ("classifier", (("weight", (4, 8)), ("bias", (4,)))))
    result = match_layers(new, old, "auto")
    assert pairs(result) == [("conv", "conv", "name"), ("classifier", "fc", "kind")]
    assert match_layers(new, old, "name").dropped[0].path == "fc"


def test_kind_pairing_stays_inside_its_gap() -> None:
    """A new linear after the last aligned layer never pairs with a dropped linear before it."""
    old = layers(("a", HEAD), ("conv", CONV))
    new = layers(("conv", CONV), ("b", (("weight", (4, 8)), ("bias", (4,)))))
    result = match_layers(new, old, "structure")
    assert pairs(result) == [("conv", "conv", "structure")]
    assert [layer.path for layer in result.new] == ["b"]
    assert [layer.path for layer in result.dropped] == ["a"]


def test_identical_blocks_keep_their_names_when_one_is_removed() -> None:
    old = layers(("b0", CONV), ("b1", CONV), ("b2", CONV))
    new = layers(("b0", CONV), ("b2", CONV))
    result = match_layers(new, old, "structure")
    assert pairs(result) == [("b0", "b0", "structure"), ("b2", "b2", "structure")]
    assert [layer.path for layer in result.dropped] == ["b1"]


def test_align_is_a_longest_common_subsequence() -> None:
    left = layers(*((str(i), ((k, (1,)),)) for i, k in enumerate("abcbdab")))
    right = layers(*((str(i), ((k, (1,)),)) for i, k in enumerate("bdcaba")))
    found = align(left, right, lambda layer: layer.tensors)
    assert len(found) == 4  # the textbook LCS of ABCBDAB and BDCABA
    assert all(left[i].tensors == right[j].tensors for i, j in found)
    assert [i for i, _ in found] == sorted(i for i, _ in found)
    assert [j for _, j in found] == sorted(j for _, j in found)


def test_monotone_chain_is_the_longest_increasing_run() -> None:
    assert monotone_chain([(0, 0), (1, 5), (2, 1), (3, 2), (4, 3)]) == [(0, 0), (2, 1), (3, 2), (4, 3)]
    assert monotone_chain([]) == []


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="match must be one of auto, name, structure"):
        match_layers([], [], "fuzzy")  # type: ignore[arg-type]


def test_a_common_head_and_tail_pair_without_the_table() -> None:
    net = layers(*((f"b{i}", CONV) for i in range(50)))
    longer = [*net[:20], LayerTensors("extra", HEAD), *net[20:]]
    found = align(net, longer, lambda layer: layer.signature)
    assert found == [*((i, i) for i in range(20)), *((i, i + 1) for i in range(20, 50))]


def test_past_the_table_budget_a_greedy_alignment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import archspec.weights.match as match

    monkeypatch.setattr(match, "MAX_ALIGN_CELLS", 4)
    old = layers(("x", HEAD), ("a", CONV), ("b", BN), ("c", HEAD))
    new = layers(("a2", CONV), ("y", CONV), ("b2", BN), ("c2", HEAD))
    assert align(new, old, lambda layer: layer.signature) == [(0, 1), (2, 2), (3, 3)]


def test_a_batchnorm_without_its_counter_still_lines_up() -> None:
    """Checkpoints from before PyTorch 0.4.1 have no num_batches_tracked."""
    old_bn = tuple(t for t in BN if t[0] != "num_batches_tracked")
    old = layers(("0", CONV), ("1", old_bn))
    new = layers(("conv", CONV), ("bn", BN))
    assert pairs(match_layers(new, old, "structure")) == [
        ("conv", "0", "structure"),
        ("bn", "1", "structure"),
    ]


def test_the_command_line_offers_every_match_mode() -> None:
    """The modes are named twice: as the matcher's type, and for the command line's choices
    (in archspec.weights, so that building the parser never imports the matcher)."""
    assert get_args(MatchMode) == MATCH_MODES
