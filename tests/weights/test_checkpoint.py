"""Reading checkpoints safely (nothing in one is ever run) and writing them whole or not at all."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from archspec.diagnostics import SpecError
from archspec.output import OutputError
from archspec.weights.checkpoint import load_checkpoint, looks_like_checkpoint, save_state_dict, state_dict_of

STATE = {"conv.weight": torch.randn(4, 3, 3, 3), "conv.bias": torch.randn(4)}


class CreatesAFile:
    """A pickle payload: unpickling it calls open(path, 'w'), which creates the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def code(path: Path) -> str:
    with pytest.raises(SpecError) as caught:
        load_checkpoint(path)
    assert len(caught.value.diagnostics) == 1
    return caught.value.diagnostics[0].code


def message(path: Path) -> str:
    with pytest.raises(SpecError) as caught:
        load_checkpoint(path)
    return caught.value.diagnostics[0].message + " " + (caught.value.diagnostics[0].hint or "")


def test_a_state_dict_saved_by_torch_is_read(tmp_path: Path) -> None:
    torch.save(STATE, tmp_path / "w.pt")
    checkpoint = load_checkpoint(tmp_path / "w.pt")
    assert list(checkpoint.tensors) == list(STATE)
    assert all(torch.equal(checkpoint.tensors[k], v) for k, v in STATE.items())
    assert checkpoint.notes == []


def test_safetensors_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "w.safetensors"
    save_state_dict(str(target), STATE)
    assert looks_like_checkpoint(str(target))
    checkpoint = load_checkpoint(target)
    assert sorted(checkpoint.tensors) == sorted(STATE)
    assert all(torch.equal(checkpoint.tensors[k], v) for k, v in STATE.items())


def test_a_training_checkpoint_gives_its_state_dict_and_says_so(tmp_path: Path) -> None:
    torch.save({"epoch": 3, "model_state_dict": STATE, "optimizer": {"lr": 0.1}}, tmp_path / "c.pt")
    checkpoint = load_checkpoint(tmp_path / "c.pt")
    assert list(checkpoint.tensors) == list(STATE)
    assert checkpoint.notes == ["the state_dict is the checkpoint's 'model_state_dict' entry"]


def test_data_parallel_prefixes_are_left_out(tmp_path: Path) -> None:
    torch.save({f"module.{k}": v for k, v in STATE.items()}, tmp_path / "dp.pt")
    checkpoint = load_checkpoint(tmp_path / "dp.pt")
    assert list(checkpoint.tensors) == list(STATE)
    assert "module." in checkpoint.notes[0]


def test_a_pickle_with_a_code_payload_is_refused_and_never_run(tmp_path: Path) -> None:
    created = tmp_path / "created-by-the-payload"
    torch.save({"conv.weight": torch.zeros(2), "evil": CreatesAFile(created)}, tmp_path / "evil.pt")
    assert code(tmp_path / "evil.pt") == "E601"
    text = message(tmp_path / "evil.pt")
    assert "open" in text and "run code" in text and "weights_only" in text
    assert not created.exists()


def test_a_plain_pickle_with_a_code_payload_is_refused_and_never_run(tmp_path: Path) -> None:
    created = tmp_path / "created-by-the-payload"
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"w": CreatesAFile(created)}, protocol=protocol))
        assert code(tmp_path / "evil.pkl") == "E601"
        assert not created.exists()


def test_the_payload_does_create_the_file_when_unpickled_unsafely(tmp_path: Path) -> None:
    """The control: the payload is real, so the tests above show archspec refusing it."""
    created = tmp_path / "created-by-the-payload"
    pickle.loads(pickle.dumps(CreatesAFile(created))).close()
    assert created.exists()


def test_a_truncated_checkpoint_is_an_error(tmp_path: Path) -> None:
    torch.save(STATE, tmp_path / "w.pt")
    data = (tmp_path / "w.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    assert code(tmp_path / "cut.pt") == "E600"
    assert "truncated or corrupt" in message(tmp_path / "cut.pt")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a checkpoint at all", b"\x80\x02garbage", b"PK\x03\x04" + b"\0" * 40],
    ids=["empty", "text", "bad-pickle", "bad-zip"],
)
def test_a_corrupt_checkpoint_is_an_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.pt").write_bytes(content)
    assert code(tmp_path / "bad.pt") == "E600"


def test_a_damaged_safetensors_file_is_an_error(tmp_path: Path) -> None:
    save_state_dict(str(tmp_path / "w.safetensors"), STATE)
    data = (tmp_path / "w.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-10])
    assert code(tmp_path / "cut.safetensors") == "E600"


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    assert code(tmp_path / "nowhere.pt") == "E600"


def test_a_non_tensor_entry_is_an_error_that_names_it(tmp_path: Path) -> None:
    torch.save({**STATE, "conv.note": "hello"}, tmp_path / "w.pt")
    assert code(tmp_path / "w.pt") == "E602"
    assert "'conv.note' is a str, not a tensor" in message(tmp_path / "w.pt")


@pytest.mark.parametrize("loaded", [[torch.zeros(1)], {}, {1: torch.zeros(1)}, torch.zeros(3)])
def test_what_is_no_state_dict_is_an_error(loaded: object) -> None:
    with pytest.raises(SpecError) as caught:
        state_dict_of("x.pt", loaded)
    assert caught.value.diagnostics[0].code == "E602"


def test_a_refused_target_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "folder.pt").mkdir()
    with pytest.raises(OutputError, match="a directory"):
        save_state_dict(str(tmp_path / "folder.pt"), STATE)
    assert sorted(os.listdir(tmp_path)) == ["folder.pt"]
    assert os.listdir(tmp_path / "folder.pt") == []


def test_a_foreign_safetensors_file_is_read_in_natural_key_order(tmp_path: Path) -> None:
    """safetensors keeps no key order; archspec's own files record it, others are sorted
    naturally (2 before 10), which is the module order of a numbered nn.Sequential."""
    from safetensors.torch import save_file

    state = {f"{i}.weight": torch.zeros(i + 1) for i in (10, 2, 0)}
    save_file(state, str(tmp_path / "foreign.safetensors"))
    checkpoint = load_checkpoint(tmp_path / "foreign.safetensors")
    assert list(checkpoint.tensors) == ["0.weight", "2.weight", "10.weight"]
    assert "natural key order" in checkpoint.notes[0]
    save_state_dict(str(tmp_path / "ours.safetensors"), state)
    ours = load_checkpoint(tmp_path / "ours.safetensors")
    assert list(ours.tensors) == list(state) and ours.notes == []


@pytest.mark.parametrize(
    ("tensor", "kind"),
    [
        (torch.eye(3).to_sparse(), "sparse_coo"),
        (torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.quint8), "quantized"),
        (torch.empty(3, device="meta"), "meta"),
    ],
)
def test_a_tensor_that_is_not_dense_is_refused(tensor: torch.Tensor, kind: str) -> None:
    with pytest.raises(SpecError) as caught:
        state_dict_of("x.pt", {"w": tensor})
    assert caught.value.diagnostics[0].code == "E602"
    assert f"is a {kind} tensor" in caught.value.diagnostics[0].message
