"""Diagnostics as a compiler prints them (source line and caret), as JSON and as GitHub annotations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.diagnostics import Diagnostic, Span
from archspec.render import MAX_LINE_WIDTH, SourceLines, render, render_github, render_text, snippet

TWO_PROBLEMS = """\
name: two
input: [1, 8, 8]
layers:
  - conv: {out_channels: 4, kernel_size: 3, strde: 2}
  - maxpol: {kernel_size: 2}
"""


def write(tmp_path: Path, text: str, name: str = "net.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def caret_column(source_line: str, caret_line: str) -> int:
    """The 1-based column of the source that the caret points at."""
    gutter = source_line.index("| ") + 2
    assert caret_line.index("| ") + 2 == gutter
    return caret_line.index("^") - gutter + 1


def test_text_shows_the_source_line_with_a_caret_under_the_column(tmp_path, capsys) -> None:
    path = write(tmp_path, TWO_PROBLEMS)
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().err.splitlines()
    # Every problem of the file in one run, sorted by position.
    assert lines[0] == f"{path}:4:45: error[E201]: layer 0: unknown key 'strde' for conv"
    assert lines[1] == "   4 |   - conv: {out_channels: 4, kernel_size: 3, strde: 2}"
    assert lines[2] == "     |                                             ^~~~~"
    assert caret_column(lines[1], lines[2]) == 45
    assert lines[3] == "  hint: did you mean 'stride'?"
    assert lines[4] == f"{path}:5:5: error[E203]: layer 1: unknown primitive or block 'maxpol'"
    assert lines[5] == "   5 |   - maxpol: {kernel_size: 2}"
    assert caret_column(lines[5], lines[6]) == 5 and lines[6].endswith("^~~~~~")
    assert lines[7].startswith("  hint: did you mean 'maxpool'")


def test_a_shape_error_points_at_the_parameter(tmp_path) -> None:
    path = write(
        tmp_path, "name: n\ninput: [1, 8, 8]\nlayers:\n  - conv: {out_channels: 4, kernel_size: 9}\n"
    )
    with pytest.raises(archspec.SpecError) as caught:
        archspec.compile(path)
    text = render_text(caught.value.diagnostics[0], SourceLines())
    first, source, caret, hint = text.splitlines()
    assert first.startswith(f"{path}:4:42: error[E301]: layer 0: conv output height would be 0")
    assert source.endswith("kernel_size: 9}") and caret.endswith("^")
    assert caret_column(source, caret) == 42
    assert hint.startswith("  hint: ")


def test_no_source_line_where_there_is_no_file(tmp_path) -> None:
    missing = Diagnostic("E100", "cannot read the file", Span(str(tmp_path / "gone.yaml"), 1, 1))
    assert (
        render_text(missing, SourceLines())
        == f"{tmp_path / 'gone.yaml'}:1:1: error[E100]: cannot read the file"
    )
    nowhere = Diagnostic("E200", "input [0] is not valid", None, "input", "use sizes >= 1")
    assert render_text(nowhere, SourceLines()).splitlines() == [
        "error[E200]: layer input: input [0] is not valid",
        "  hint: use sizes >= 1",
    ]
    # A line past the end of the file (the file changed since): no snippet, no crash.
    short = write(tmp_path, "name: n\n")
    assert len(render_text(Diagnostic("E200", "m", Span(str(short), 9, 1)), SourceLines()).splitlines()) == 1


def test_text_given_for_a_spec_loaded_from_a_string() -> None:
    with pytest.raises(archspec.SpecError) as caught:
        archspec.loads(TWO_PROBLEMS)
    plain = render(caught.value.diagnostics, "text")
    assert "   4 |" not in plain  # "<string>" is no file
    shown = render(caught.value.diagnostics, "text", SourceLines({"<string>": TWO_PROBLEMS}))
    assert "   4 |   - conv: {out_channels: 4, kernel_size: 3, strde: 2}" in shown.splitlines()


def test_only_regular_files_are_read(tmp_path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening a FIFO for reading would block: it must not be opened at all
    assert SourceLines().line(str(fifo), 1) is None
    assert SourceLines().line(str(tmp_path), 1) is None  # a folder


def test_only_the_first_mebibyte_is_read(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 400_000)  # 2 MB
    lines = SourceLines()
    assert lines.line(str(big), 1) == "a: 1"
    assert lines.line(str(big), 300_000) is None  # past the first MiB


def test_lines_are_counted_as_yaml_counts_them(tmp_path) -> None:
    # A form feed is no line break in YAML (str.splitlines would split there).
    path = tmp_path / "ff.yaml"
    path.write_bytes(b"a: 1 \x0c\r\nb: 2\rc: 3\n")
    assert [SourceLines().line(str(path), n) for n in (1, 2, 3)] == ["a: 1 \x0c", "b: 2", "c: 3"]


def test_snippet_makes_control_characters_harmless_and_keeps_the_caret_aligned() -> None:
    shown, caret = snippet("a: \x1b[31mred", 4)
    assert "\x1b" not in shown and shown.startswith("a: \ufffd")
    assert caret == "   ^"
    shown, caret = snippet("\tkey: 1", 2)  # a tab in the line is a tab under it
    assert caret == "\t^~~"
    shown, caret = snippet("名前: 1", 5)  # wide characters take two columns
    assert caret == "      ^"


def test_snippet_cuts_a_long_line_around_the_column() -> None:
    line = "x" * 5000 + " bad" + "y" * 5000
    shown, caret = snippet(line, 5002)
    assert len(shown) <= MAX_LINE_WIDTH + 2 and shown.startswith("…") and shown.endswith("…")
    assert shown[caret.index("^")] == "b"


def test_json_is_a_list_of_located_objects(tmp_path, capsys) -> None:
    path = write(tmp_path, TWO_PROBLEMS)
    good = "specs/nin.yaml"
    assert main(["validate", "--format", "json", good, str(path)]) == 1
    captured = capsys.readouterr()
    found = json.loads(captured.out)  # stdout is the JSON alone
    assert [set(d) for d in found] == [{"code", "message", "file", "line", "column", "path", "hint"}] * 2
    assert found[0] == {
        "code": "E201",
        "message": "unknown key 'strde' for conv",
        "file": str(path),
        "line": 4,
        "column": 45,
        "path": "0",
        "hint": "did you mean 'stride'?",
    }
    assert found[1]["code"] == "E203" and found[1]["line"] == 5
    assert captured.err.strip() == "2 files checked: 2 errors in 1 file"


def test_json_of_valid_files_is_an_empty_list(capsys) -> None:
    assert main(["validate", "--format", "json", "specs/nin.yaml"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_github_annotations(tmp_path, capsys) -> None:
    path = write(tmp_path, TWO_PROBLEMS)
    assert main(["validate", "--format", "github", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"::error file={path},line=4,col=45,title=E201::layer 0: unknown key 'strde' for conv"
        "%0Ahint: did you mean 'stride'?"
    )
    assert out[1].startswith(f"::error file={path},line=5,col=5,title=E203::layer 1: unknown primitive")
    assert out[2] == "1 file checked: 2 errors in 1 file"


def test_github_escapes_what_would_end_a_property_or_the_message() -> None:
    diagnostic = Diagnostic("E100", "100% broken\nline two", Span("a,b:c.yaml", 2, 3))
    assert (
        render_github(diagnostic)
        == "::error file=a%2Cb%3Ac.yaml,line=2,col=3,title=E100::100%25 broken%0Aline two"
    )
    assert (
        render_github(Diagnostic("E200", "bad input", None, "input"))
        == "::error title=E200::layer input: bad input"
    )


def test_compile_formats_its_errors_too(tmp_path, capsys) -> None:
    path = write(tmp_path, TWO_PROBLEMS)
    assert main(["compile", "--format", "json", str(path)]) == 1
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["E201", "E203"]
    assert main(["compile", "--format", "github", str(path)]) == 1
    assert capsys.readouterr().out.startswith("::error file=")
    assert main(["compile", "--format", "markdown", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "   4 |   - conv:" in captured.err


# Run as where torch and sympy are not installed: every import of them fails.
_NO_TORCH = """
import sys
class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("torch", "sympy"):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, _Refuse())
from archspec.cli import main
rc = main(sys.argv[1:])
assert "torch" not in sys.modules and "sympy" not in sys.modules
sys.exit(rc)
"""


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_every_format_works_without_torch_or_sympy(tmp_path, fmt) -> None:
    path = write(tmp_path, TWO_PROBLEMS)
    done = subprocess.run(
        [sys.executable, "-c", _NO_TORCH, "validate", "--format", fmt, "specs/googlenet.yaml", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert (
        "E201" in done.stdout + done.stderr
        and "2 files checked: 2 errors in 1 file" in done.stdout + done.stderr
    )
