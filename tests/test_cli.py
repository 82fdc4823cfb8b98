"""The command line: tables, diagnostics, exit codes, and no torch for validate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_compile_with_a_symbolic_input_reports_the_smallest_sizes(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml", "--input", "1xHxW", "--depth", "0"]) == 0
    out = capsys.readouterr().out
    assert "floor((H - 1)/4) + 1" in out and "smallest valid sizes: H >= 1, W >= 1" in out
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
    assert captured.out.strip() == f"{len(SPECS) + 2} files checked: 3 errors in 2"


def test_validate_good_specs_exits_0(capsys) -> None:
    assert main(["validate", *map(str, SPECS)]) == 0
    assert "all valid" in capsys.readouterr().out


def test_validate_runs_where_torch_cannot_be_imported() -> None:
    # sys.modules[name] = None makes every `import torch` fail, as on a machine without it.
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['sympy'] = None\n"
        "from archspec.cli import main; sys.exit(main(['validate', *sys.argv[1:]]))"
    )
    done = subprocess.run([sys.executable, "-c", code, *map(str, SPECS)], capture_output=True, text=True)
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
