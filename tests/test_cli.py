"""The command line: tables, diagnostics, exit codes, and no torch for validate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import archspec
from archspec.cli import main

SPECS = sorted(Path("specs").glob("*.yaml"))


def test_compile_prints_the_seed_shapes_and_totals(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml", "--depth", "0"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()]
    # layer, primitive, output shape, params; then MACs and activations (tests/test_costs.py)
    assert ["b1", "sequential", "[N,", "64,", "24,", "24]", "3,200", "7,225,344", "1.327", "MB"] in rows
    assert ["b5", "sequential", "[N,", "1024]", "2,487,536", "22,367,232", "295.6", "kB"] in rows
    assert "b3.0" not in out  # --depth 0 keeps the top level only
    assert "parameters: 5,977,530" in out and "output: [N, 10]" in out


def test_compile_shows_nested_layers_by_default(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml"]) == 0
    out = capsys.readouterr().out
    assert "b3.0.1.p2_2" in out


def test_compile_with_a_symbolic_input_reports_the_valid_sizes(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml", "--input", "1xHxW", "--depth", "0"]) == 0
    out = capsys.readouterr().out
    assert "floor((H - 1)/4) + 1" in out and "valid sizes: H ≥ 1; W ≥ 1" in out
    assert main(["compile", "specs/googlenet.yaml", "--input", "1,96,96", "--depth", "0"]) == 0


def test_invalid_spec_exits_1_with_located_diagnostics(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninput: [1, 8, 8]\nlayers:\n  - conv: {out_channels: 4, kernel_size: 9}\n")
    assert main(["compile", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:4:42: error[E301]: layer 0: conv output height would be 0")


@pytest.mark.parametrize(
    "argv", [[], ["frobnicate"], ["compile"], ["compile", "specs/googlenet.yaml", "--input", "1xx3"]]
)
def test_usage_errors_exit_2(argv, capsys) -> None:
    assert main(argv) == 2


def test_help_exits_0(capsys) -> None:
    assert main(["--help"]) == 0
    assert "compile" in capsys.readouterr().out


def test_validate_many_files_reports_each_problem_and_a_summary(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninput: [1, 8, 8]\nlayers:\n  - relux\n  - conv: {kernel_size: 3}\n")
    missing = tmp_path / "missing.yaml"
    assert main(["validate", *map(str, SPECS), str(bad), str(missing)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert f"{bad}:4:5: error[E203]: layer 0: unknown primitive or block 'relux'" in lines
    assert f"{bad}:5:5: error[E202]: layer 1: conv needs 'out_channels'" in lines
    assert any(line.startswith(f"{missing}:1:1: error[E100]: cannot read") for line in lines)
    assert captured.out.strip() == f"{len(SPECS) + 2} files checked: 3 errors in 2 files"


def test_validate_good_specs_exits_0(capsys) -> None:
    assert main(["validate", *map(str, SPECS)]) == 0
    assert "all valid" in capsys.readouterr().out


def _symbolic(path: Path) -> bool:
    """The spec leaves a size open: the U-Net's [1, H, W], the text classifier's [L]."""
    return any(isinstance(d, str) for d in archspec.load(path).input)


@pytest.mark.parametrize("blocked", ["torch", "sympy"])
def test_validate_runs_where_torch_cannot_be_imported(blocked: str) -> None:
    """Without torch, every spec validates; without sympy too, symbolic inputs included
    (the U-Net's [1, H, W], the text classifier's token ids [L]): symbolic dims are
    archspec's own expressions."""
    # sys.modules[name] = None makes every `import name` fail, as on a machine without it.
    code = (
        f"import sys; sys.modules['torch'] = None; sys.modules[{blocked!r}] = None\n"
        "from archspec.cli import main; sys.exit(main(['validate', *sys.argv[1:]]))"
    )
    specs = list(SPECS)
    assert any(_symbolic(p) for p in specs)
    done = subprocess.run([sys.executable, "-c", code, *map(str, specs)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "all valid" in done.stdout


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archspec", "validate", "specs/googlenet.yaml"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "1 file checked: all valid" in done.stdout


def test_non_ascii_digits_in_input_are_a_usage_error_not_a_crash(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml", "--input", "1x\u00b2x3"]) == 2


def test_a_huge_int_in_a_message_is_abridged() -> None:
    from archspec.diagnostics import abridge

    assert abridge(10**5000) == f"an int of {(10**5000).bit_length()} bits"


PYDANTIC_NAMES = ["_x", "model_dump", "model_validate", "model_config", "json", "__x"]


@pytest.mark.parametrize("name", PYDANTIC_NAMES)
@pytest.mark.parametrize("command", ["validate", "compile-o"])
def test_a_block_parameter_pydantic_cannot_hold_is_e207(name, command, tmp_path, capsys) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(
        f"name: net\ninput: [1, 8, 8]\nblocks:\n  b:\n    params: {{{name}: int}}\n"
        f"    layers: [relu]\nlayers:\n  - b: {{{name}: 1}}\n"
    )
    out = tmp_path / "model.py"
    argv = ["validate", str(spec)] if command == "validate" else ["compile", str(spec), "-o", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{spec}:5:14: error[E207]: block b: a parameter cannot be called '{name}'" in err
    assert "pydantic model" in err and "hint: rename it, e.g. '" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("dims", "reason"),
    [
        ("0x8x8", "dims must be positive ints or symbol names, got 0"),
        ("1xNxN", "'N' is the batch symbol"),
        ("1x__import__x8", "'__import__' is a dunder name"),
        ("1xclassx8", "'class' is a Python keyword"),
        ("1x2x3x4x5", "give 1 to 4 dims after the batch"),
        ("1x" + "H" * 65, "a symbol name is at most 64 characters"),
    ],
)
@pytest.mark.parametrize("command", ["compile", "diagram"])
def test_a_bad_input_override_is_a_usage_error_with_the_reason(dims, reason, command, capsys) -> None:
    assert main([command, "specs/lenet_bn.yaml", "--input", dims]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archspec: error: --input '") and reason in err
    assert "pydantic" not in err and "http" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["compile", "specs/lenet_bn.yaml", "--depth", "-5"],
        ["diagram", "specs/lenet_bn.yaml", "--depth", "-1"],
        ["check", "specs/lenet_bn.yaml", "--samples", "-5"],
        ["compile", "specs/lenet_bn.yaml", "--depth", "x"],
        ["check", "specs/lenet_bn.yaml", "--sizes", "0x8x8"],
    ],
)
def test_negative_counts_are_usage_errors(argv, capsys) -> None:
    assert main(argv) == 2
    assert "expected an int >= 0" in capsys.readouterr().err or argv[2] == "--sizes"


def test_a_closed_pipe_ends_quietly() -> None:
    done = subprocess.run(
        f"{sys.executable} -m archspec schema | head -c 10", shell=True, capture_output=True, text=True
    )
    assert done.stdout == '{\n  "$sche' and done.stderr == ""
    # The reader gone before the first write: the write fails for certain.
    process = subprocess.Popen(
        [sys.executable, "-m", "archspec", "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait() == 141 and err == b""


TWO_INPUTS = """\
name: two
inputs:
  image: [3, 16, 16]
  mask: [1, 16, 16]
outputs: [feat, both]
layers:
  - conv: {name: feat, out_channels: 4, kernel_size: 3, padding: 1}
  - concat: {name: both, from: [feat, mask]}
"""


def test_compile_takes_each_input_by_name_and_prints_every_output(tmp_path, capsys) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(TWO_INPUTS)
    assert main(["compile", str(path), "--input", "image=3x8x6", "--input", "mask=1x8x6"]) == 0
    out = capsys.readouterr().out
    assert "(image)" in out and "(mask)" in out and "concat ← feat, mask" in out
    assert "outputs: feat [N, 4, 8, 6], both [N, 5, 8, 6]" in out
    assert main(["compile", str(path), "--input", "3x8x6"]) == 1
    assert "give the dims of each by name" in capsys.readouterr().err
    assert main(["compile", str(path), "--input", "image=3x8x6", "--input", "3x8x6"]) == 2
    assert main(["compile", str(path), "--input", "image=3x8x6", "--input", "image=3x8x6"]) == 2
    assert main(["check", str(path)]) == 0
    assert "every layer's shape agrees" in capsys.readouterr().out


LIB_SPEC = 'name: n\ninput: [3, 8, 8]\nimports: ["@{name}/stem"]\nlayers: [stem: {{w: 4}}]\n'
STEM = "blocks:\n  stem:\n    params: {w: int}\n    layers: [conv: {out_channels: =w, kernel_size: 3}]\n"


@pytest.mark.parametrize("command", ["compile", "validate", "check", "diagram"])
def test_every_command_that_loads_specs_takes_lib(command: str, tmp_path, capsys) -> None:
    (tmp_path / "blocks" / "mine").mkdir(parents=True)
    (tmp_path / "blocks" / "mine" / "stem.yaml").write_text(STEM)
    spec = tmp_path / "net.yaml"
    spec.write_text(LIB_SPEC.format(name="mine"))
    assert main([command, str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:3:11: error[E208]: import '@mine/stem': unknown library 'mine'" in err
    assert main([command, str(spec), "--lib", str(tmp_path / "blocks" / "mine")]) == 0
    capsys.readouterr()
    spec.write_text(LIB_SPEC.format(name="other"))  # NAME=DIR chooses the name
    assert main([command, str(spec), "--lib", f"other={tmp_path / 'blocks' / 'mine'}"]) == 0


def test_the_cli_reads_the_nearest_pyproject_and_lib_wins_over_it(tmp_path, capsys, monkeypatch) -> None:
    for name, width in (("a", 4), ("b", 6)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "stem.yaml").write_text(STEM.replace("=w", str(width)))
    (tmp_path / "pyproject.toml").write_text('[tool.archspec]\nlibraries = {mine = "a"}\n')
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "net.yaml"
    spec.write_text(LIB_SPEC.format(name="mine"))
    monkeypatch.chdir(tmp_path / "b")  # the pyproject is found from the spec, not from here
    assert main(["compile", str(spec), "--depth", "0"]) == 0
    assert "output: [N, 4, 6, 6]" in capsys.readouterr().out
    assert main(["compile", str(spec), "--depth", "0", "--lib", f"mine={tmp_path / 'b'}"]) == 0
    assert "output: [N, 6, 6, 6]" in capsys.readouterr().out
