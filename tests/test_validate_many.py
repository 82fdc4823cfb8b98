"""validate on many files, as pre-commit and CI run it: one call, every problem, one summary.

How fast it is is measured by benchmarks/validate_many.py (about 1,000 files a second
here), not asserted: a timed test would fail on a busy machine for no fault of the code.
"""

from __future__ import annotations

import io
from pathlib import Path

from archspec.cli import _parser, run

SPEC = "name: net{i}\ninput: [3, {size}, {size}]\nlayers:\n  - conv: {{out_channels: {width}, kernel_size: 3, padding: 1}}\n  - relu\n  - maxpool: {{kernel_size: 2}}\n  - residual: {{out_channels: 16, stride: 2}}\n  - global_avgpool\n  - flatten\n  - linear: {{out_features: 10}}\n"


def write_specs(folder: Path, count: int, broken_every: int = 0) -> list[str]:
    paths = []
    for i in range(count):
        text = SPEC.format(i=i, size=16 + i % 13, width=4 + 4 * (i % 3))
        if broken_every and i % broken_every == broken_every - 1:
            text = text.replace("  - relu\n", "  - relux\n")
        path = folder / f"net{i:04d}.yaml"
        path.write_text(text)
        paths.append(str(path))
    return paths


def validate(paths: list[str], *options: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(_parser().parse_args(["validate", *options, *paths]), out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_thousand_valid_files_in_one_call(tmp_path) -> None:
    code, out, err = validate(write_specs(tmp_path, 1000))
    assert (code, out, err) == (0, "1000 files checked: all valid\n", "")


def test_a_thousand_files_report_every_problem_in_file_order(tmp_path) -> None:
    paths = write_specs(tmp_path, 1000, broken_every=50)
    code, out, err = validate(paths)
    assert code == 1 and out == "1000 files checked: 20 errors in 20 files\n"
    firsts = [line for line in err.splitlines() if "error[E203]" in line]
    assert firsts == [
        f"{paths[i]}:5:5: error[E203]: layer 1: unknown primitive or block 'relux'"
        for i in range(49, 1000, 50)
    ]


def test_github_format_on_many_files(tmp_path) -> None:
    code, out, err = validate(write_specs(tmp_path, 200, broken_every=100), "--format", "github")
    lines = out.splitlines()
    assert code == 1 and err == ""
    assert [line.split("::")[1].split(",")[0] for line in lines[:-1]] == [
        f"error file={tmp_path / 'net0099.yaml'}",
        f"error file={tmp_path / 'net0199.yaml'}",
    ]
    assert lines[-1] == "200 files checked: 2 errors in 2 files"
