"""``archspec weights`` and ``archspec diff`` from the command line: exit codes, formats, and
nothing written unless everything asked for was transferred."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archspec.cli import main
from archspec.weights.checkpoint import load_checkpoint
from tests import d2l
from tests.weights.test_checkpoint import CreatesAFile

LENET = "specs/lenet_bn.yaml"


@pytest.fixture
def lenet_checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "lenet.pt"
    torch.save(d2l.lenet_bn().state_dict(), path)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.out, captured.err


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_weights_writes_the_spec_state_dict(tmp_path, capsys, lenet_checkpoint, suffix) -> None:
    out = tmp_path / f"out{suffix}"
    code, text, _ = run(capsys, "weights", LENET, str(lenet_checkpoint), "-o", str(out))
    assert code == 0
    assert "tensors: 30 transferred, 0 shape-mismatched, 0 new in the spec, 0 dropped" in text
    assert text.rstrip().endswith("ok: everything asked for was transferred")
    written = load_checkpoint(out).tensors
    theirs = torch.load(lenet_checkpoint, weights_only=True)
    assert [tuple(v.shape) for v in written.values()] == [tuple(v.shape) for v in theirs.values()]
    assert all(torch.equal(a, b) for a, b in zip(written.values(), theirs.values(), strict=True))
    assert sorted(os.listdir(tmp_path)) == sorted(["lenet.pt", out.name])  # no temporary file left


def test_json_and_markdown_reports(capsys, lenet_checkpoint) -> None:
    code, text, _ = run(
        capsys, "weights", LENET, str(lenet_checkpoint), "--format", "json", "--match", "structure"
    )
    report = json.loads(text)
    assert code == 0 and report["ok"] and report["match"] == "structure"
    assert report["totals"]["tensors"]["transferred"] == 30
    assert report["layers"][0]["tensors"][0] == {
        "status": "transferred",
        "key": "0.weight",
        "source": "0.weight",
        "shape": [6, 1, 5, 5],
        "source_shape": [6, 1, 5, 5],
        "parameter": True,
    }
    code, text, _ = run(capsys, "weights", LENET, str(lenet_checkpoint), "--format", "markdown")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert code == 0 and rows[0] == "| layer | kind | status | from | details |"
    assert all(row.count(" | ") == 4 for row in rows)
    assert len(rows) == 2 + 9  # header, rule, the nine layers with weights


def bad_inputs(tmp_path: Path, lenet_checkpoint: Path) -> dict[str, Path]:
    data = lenet_checkpoint.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "corrupt.pt").write_bytes(b"\x00" * 64)
    torch.save({"0.weight": CreatesAFile(tmp_path / "payload-ran")}, tmp_path / "payload.pt")
    torch.save({**torch.load(lenet_checkpoint, weights_only=True), "epoch": 3}, tmp_path / "non-tensor.pt")
    torch.manual_seed(0)
    torch.save(d2l.nin().state_dict(), tmp_path / "other-architecture.pt")
    return {path.stem: path for path in tmp_path.glob("*.pt") if path != lenet_checkpoint}


def test_bad_checkpoints_exit_1_with_nothing_written(tmp_path, capsys, lenet_checkpoint) -> None:
    expected = {
        "truncated": "E600",
        "corrupt": "E600",
        "payload": "E601",
        "non-tensor": "E602",
        "other-architecture": "E604",
    }
    inputs = bad_inputs(tmp_path, lenet_checkpoint)
    assert sorted(inputs) == sorted(expected)
    for name, path in inputs.items():
        out = tmp_path / "out" / "weights.pt"
        out.parent.mkdir(exist_ok=True)
        code, text, err = run(capsys, "weights", LENET, str(path), "-o", str(out))
        assert code == 1, name
        assert f"error[{expected[name]}]" in err + text, name
        assert os.listdir(out.parent) == [], name
    assert not (tmp_path / "payload-ran").exists()


def test_another_architecture_is_a_report_not_a_traceback(tmp_path, capsys, lenet_checkpoint) -> None:
    path = bad_inputs(tmp_path, lenet_checkpoint)["other-architecture"]
    code, text, _ = run(capsys, "weights", LENET, str(path))
    assert code == 1
    assert "tensors: 0 transferred" in text
    assert "no tensor of the checkpoint fits the network" in text
    assert "not ok" in text


def test_strict_fails_on_a_new_or_dropped_tensor(tmp_path, capsys, lenet_checkpoint) -> None:
    state = torch.load(lenet_checkpoint, weights_only=True)
    state["extra.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "more.pt")
    out = tmp_path / "out.pt"
    assert run(capsys, "weights", LENET, str(tmp_path / "more.pt"), "-o", str(out))[0] == 0
    assert out.exists()
    out.unlink()
    code, text, _ = run(capsys, "weights", LENET, str(tmp_path / "more.pt"), "--strict", "-o", str(out))
    assert code == 1 and "error[E605]" in text and "1 tensor of the checkpoint not used" in text
    assert not out.exists()


def test_usage_errors_exit_2(tmp_path, capsys, lenet_checkpoint) -> None:
    assert run(capsys, "weights", LENET, str(lenet_checkpoint), "-o", str(tmp_path / "out.txt"))[0] == 2
    assert run(capsys, "weights", LENET, str(lenet_checkpoint), "--match", "fuzzy")[0] == 2
    (tmp_path / "dir.pt").mkdir()
    code, _, err = run(capsys, "weights", LENET, str(lenet_checkpoint), "-o", str(tmp_path / "dir.pt"))
    assert code == 2 and "a directory" in err


def test_an_invalid_spec_exits_1(tmp_path, capsys, lenet_checkpoint) -> None:
    (tmp_path / "bad.yaml").write_text("archspec: 1\nname: bad\ninput: [1, 8, 8]\nlayers: [nonsense]\n")
    code, _, err = run(capsys, "weights", str(tmp_path / "bad.yaml"), str(lenet_checkpoint))
    assert code == 1 and "error[E203]" in err


# --- diff -------------------------------------------------------------------------------


def test_diff_of_equal_specs_exits_0(capsys) -> None:
    code, text, _ = run(capsys, "diff", "specs/torchvision/resnet50.yaml", "specs/torchvision/resnet50.yaml")
    assert code == 0
    assert text.rstrip().endswith("the same architecture")


def test_diff_of_a_changed_head_exits_1_at_fc(capsys) -> None:
    argv = ("diff", "specs/torchvision/resnet50.yaml", "specs/examples/resnet50_10class.yaml")
    code, text, _ = run(capsys, *argv)
    assert code == 1
    assert (
        "~ fc (linear): params out_features 1000 -> 10; parameters 2,049,000 -> 20,490; output [1000] -> [10]"
        in text
    )
    assert "first layer whose output shape differs: fc" in text
    assert "parameters: 25,557,032 -> 23,528,522 (-2,028,510)" in text
    code, text, _ = run(capsys, *argv, "--format", "json")
    result = json.loads(text)
    assert code == 1 and not result["equal"]
    assert result["first_output_difference"] == "fc"
    assert [(c["path"], c["change"], c["fields"]) for c in result["changes"]] == [
        ("fc", "changed", ["params", "parameters", "output"])
    ]
    assert result["totals"]["params"] == {"before": 25_557_032, "after": 23_528_522}
    code, text, _ = run(capsys, *argv, "--format", "markdown")
    assert code == 1
    assert text.startswith(
        "### Architecture diff: specs/torchvision/resnet50.yaml → specs/examples/resnet50\\_10class.yaml"
    )
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert table[:2] == ["| total | before | after | change |", "| --- | ---: | ---: | ---: |"]
    assert table[2] == "| parameters | 25,557,032 | 23,528,522 | -2,028,510 |"
    assert all(row.count(" | ") == 3 for row in table)


def test_diff_of_a_spec_and_its_checkpoint(tmp_path, capsys, lenet_checkpoint) -> None:
    code, text, _ = run(capsys, "diff", LENET, str(lenet_checkpoint))
    assert code == 0 and "(by tensors)" in text and text.rstrip().endswith("the same architecture")
    code, text, _ = run(capsys, "diff", "specs/nin.yaml", str(lenet_checkpoint), "--format", "json")
    assert code == 1 and not json.loads(text)["equal"]


def test_diff_errors_exit_2(tmp_path, capsys, lenet_checkpoint) -> None:
    (tmp_path / "cut.pt").write_bytes(b"PK\x03\x04" + b"\0" * 10)
    assert run(capsys, "diff", LENET, str(tmp_path / "cut.pt"))[0] == 2
    assert run(capsys, "diff", LENET, str(tmp_path / "missing.yaml"))[0] == 2


def test_the_diff_example_of_the_docs_is_what_archspec_prints(capsys) -> None:
    command = "archspec diff specs/torchvision/resnet50.yaml specs/examples/resnet50_10class.yaml"
    page = Path("docs/weights.md").read_text()
    block = page.split(f"    $ {command}\n", 1)[1].split("\n\n", 1)[0]
    expected = "".join(line[4:] + "\n" for line in block.splitlines())
    assert run(capsys, *command.split()[1:])[1] == expected


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_damaged_checkpoint_is_never_a_traceback(data: st.DataObject) -> None:
    """Random bytes, a cut, or flipped bytes of a real checkpoint: exit 1 or a transfer,
    never a traceback, and nothing written unless the exit is 0."""
    torch.manual_seed(0)
    buffer = io.BytesIO()
    torch.save(d2l.lenet_bn().state_dict(), buffer)
    original = buffer.getvalue()
    damage = data.draw(st.sampled_from(["random", "cut", "flip"]))
    if damage == "random":
        content = data.draw(st.binary(max_size=512))
    elif damage == "cut":
        content = original[: data.draw(st.integers(0, len(original) - 1))]
    else:
        flipped = bytearray(original)
        for _ in range(data.draw(st.integers(1, 8))):
            flipped[data.draw(st.integers(0, len(original) - 1))] ^= data.draw(st.integers(1, 255))
        content = bytes(flipped)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "damaged.pt").write_bytes(content)
        out = Path(folder) / "out.pt"
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["weights", LENET, str(Path(folder) / "damaged.pt"), "-o", str(out)])
        assert code in (0, 1)
        assert "Traceback" not in stdout.getvalue() + stderr.getvalue()
        assert out.exists() == (code == 0)


@pytest.mark.parametrize("format", ["text", "markdown", "json"])
def test_a_hostile_key_cannot_drive_the_terminal(tmp_path, capsys, lenet_checkpoint, format) -> None:
    state = torch.load(lenet_checkpoint, weights_only=True)
    state["x\x1b[2J\u202e|*.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "hostile.pt")
    code, text, err = run(capsys, "weights", LENET, str(tmp_path / "hostile.pt"), "--format", format)
    assert code == 0
    assert "\x1b" not in text + err and "\u202e" not in text + err
    if format == "json":
        dropped = [layer for layer in json.loads(text)["layers"] if layer["status"] == "dropped"]
        assert dropped[0]["source"] == "x\x1b[2J\u202e|*"


def test_diff_of_two_specs_runs_where_torch_cannot_be_imported(tmp_path) -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from archspec.cli import main; sys.exit(main(['diff', *sys.argv[1:]]))"
    )
    specs = ["specs/torchvision/resnet50.yaml", "specs/examples/resnet50_10class.yaml"]
    done = subprocess.run([sys.executable, "-c", code, *specs], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "first layer whose output shape differs: fc" in done.stdout
    torch.save({"w": torch.zeros(1)}, tmp_path / "w.pt")
    done = subprocess.run(
        [sys.executable, "-c", code, specs[0], str(tmp_path / "w.pt")], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "reads a checkpoint with PyTorch, which cannot be imported" in done.stderr
    assert "Traceback" not in done.stderr


def test_with_json_the_errors_are_json_on_stdout(tmp_path, capsys) -> None:
    (tmp_path / "cut.pt").write_bytes(b"PK\x03\x04" + b"\0" * 10)
    for argv, expected in (
        (["weights", LENET, str(tmp_path / "cut.pt")], 1),
        (["diff", LENET, str(tmp_path / "cut.pt")], 2),
    ):
        code, text, _ = run(capsys, *argv, "--format", "json")
        assert code == expected
        assert [d["code"] for d in json.loads(text)] == ["E600"]


def test_weights_and_diff_take_lib(tmp_path, capsys) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "stem.yaml").write_text(
        "blocks:\n  stem:\n    params: {w: int}\n    layers: [conv: {out_channels: =w, kernel_size: 3}]\n"
    )
    spec = tmp_path / "net.yaml"
    spec.write_text('name: n\ninput: [3, 8, 8]\nimports: ["@mine/stem"]\nlayers: [stem: {w: 4}]\n')
    torch.save({"0.weight": torch.zeros(4, 3, 3, 3), "0.bias": torch.zeros(4)}, tmp_path / "w.pt")
    lib = ["--lib", str(tmp_path / "mine")]
    assert run(capsys, "weights", str(spec), str(tmp_path / "w.pt"))[0] == 1  # unknown library
    assert run(capsys, "weights", str(spec), str(tmp_path / "w.pt"), *lib)[0] == 0
    assert run(capsys, "diff", str(spec), str(spec))[0] == 2
    assert run(capsys, "diff", str(spec), str(spec), *lib)[0] == 0
    assert run(capsys, "diff", str(spec), str(tmp_path / "w.pt"), *lib)[0] == 0
