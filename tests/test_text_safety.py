"""Spec text is safe wherever it lands: messages, the terminal, Markdown, generated source.

The loader refuses control and bidi characters in the file and in decoded
strings (tests/frontend/test_loader.py); every output escapes them anyway,
for text that reaches it another way (a Spec built in Python, a file name).
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import archspec
from archspec.cli import main
from archspec.diagnostics import ABRIDGE_LIMIT, Diagnostic, Span, SpecError, abridge, json_text
from archspec.emit.pretty import literal
from archspec.emit.pycode import docstring_text
from archspec.frontend.types import NAME_LIMIT
from archspec.render import render
from archspec.report import report

HOSTILE = 'a\x1b[31mred\x00nul\u202eevil\u2066\ttab\nline\r\u2028sep\x85\x7f\u200b\'"""\\'
BLOCK_WITH_A_STR = """\
name: net
input: [1, 8, 8]
blocks:
  b:
    params: {s: {type: str, default: "a"}}
    layers: [relu]
layers:
  - b: {s: %s}
"""


def hostile_text(text: str) -> bool:
    """Whether text holds a character that could drive a terminal or reorder a line."""
    return any(not c.isprintable() and c != "\n" for c in text)


@given(st.text())
def test_literal_reads_back_and_is_one_printable_line(value: str) -> None:
    text = literal(value)
    assert ast.literal_eval(text) == value
    assert text.isprintable()  # no newline, no control, no bidi: one plain line of source


@pytest.mark.parametrize("value", [HOSTILE, "x\ny", '"', "'", "\\", "\ud800", "\U000e0001"])
def test_literal_of_a_hostile_string(value: str) -> None:
    text = literal(value)
    assert ast.literal_eval(text) == value and text.isprintable()


@given(st.text())
def test_docstring_text_is_one_printable_line_that_cannot_close_the_docstring(value: str) -> None:
    text = docstring_text(value)
    assert text.isprintable() and '"' not in text and "\\" not in text
    assert ast.literal_eval(f'"""{text} """') == f"{text} "


def test_docstring_text_names_what_it_dropped() -> None:
    assert docstring_text("a\x00b\u202ec\td\ne") == "aU+0000bU+202Ec d e"


@given(st.one_of(st.text(), st.integers(), st.lists(st.text(max_size=5))))
def test_abridge_is_escaped_and_bounded(value: object) -> None:
    for shown in (abridge(value), abridge(value, quote=False) if isinstance(value, str) else abridge(value)):
        assert shown.replace("…", "").isascii() and shown.isprintable()
        assert len(shown) <= ABRIDGE_LIMIT + len(" (999999 chars)")


def test_abridge_cuts_and_escapes() -> None:
    assert abridge("a\u202eb") == "'a\\u202eb'"
    assert abridge("a\nb", quote=False) == "a\\nb"
    assert abridge("\uff52elu") == "'\\uff52elu'"  # a full-width look-alike shows as what it is
    assert abridge("x" * 1000) == f"'{'x' * 19}…{'x' * 9}' (1002 chars)"
    assert abridge(10**5000).startswith("an int of")
    assert abridge([10**5000]) == "<list holding a huge int>"


def hostile_spec() -> archspec.Spec:
    """A Spec whose description holds what the loader refuses: built in Python."""
    spec = archspec.load("specs/lenet_bn.yaml")
    return dataclasses.replace(spec, description=HOSTILE + " [link](http://x) <b>html</b> `code`")


@pytest.mark.parametrize("format", ["text", "markdown"])
def test_the_report_escapes_a_hostile_description(format: str) -> None:
    text = report(archspec.compile(hostile_spec()), format)
    assert not hostile_text(text)
    line = next(line for line in text.splitlines() if "red" in line)
    assert "nul" in line and "line" in line  # the description stays on one line
    if format == "markdown":
        assert "\\[link]" in line and "\\<b>" in line and "\\`code" in line


def test_generated_source_escapes_a_hostile_description() -> None:
    from archspec.emit.source import emit_source

    source = emit_source(archspec.compile(hostile_spec()))
    ast.parse(source)
    assert not hostile_text(source)


def test_diagnostics_escape_a_hostile_file_name_and_message() -> None:
    diagnostic = Diagnostic("E100", "bad \x1b[2J\u202e", Span("net\x1b].yaml", 1, 1), hint="x\x00y")
    for format in ("text", "github"):
        assert not hostile_text(render([diagnostic], format))


def test_compile_o_writes_a_newline_in_a_str_argument_as_an_escape(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(BLOCK_WITH_A_STR % '"x\\ny\\t\\"q\\"\\\\ \\u00e9"')
    target = tmp_path / "model.py"
    assert main(["compile", str(spec), "-o", str(target)]) == 0
    source = target.read_text()
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.keyword) and n.arg == "s"]
    assert [ast.literal_eval(k.value) for k in calls] == ['x\ny\t"q"\\ \u00e9']
    assert not hostile_text(source)


@pytest.mark.parametrize("command", ["validate", "compile"])
@pytest.mark.parametrize("escape", ["\\0", "\\e", "\\u202e", "\\x9b"])
def test_an_escaped_control_character_in_a_description_is_refused(
    command: str, escape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(f'name: net\ndescription: "a{escape}b"\ninput: [1, 8, 8]\nlayers: [relu]\n')
    argv = [command, str(spec)] + (["-o", str(tmp_path / "model.py")] if command == "compile" else [])
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "error[E106]" in err and ":2:14:" in err and not hostile_text(err)
    assert not (tmp_path / "model.py").exists()


def messages(text: str) -> list[str]:
    try:
        archspec.compile(archspec.loads(text))
    except SpecError as error:
        return [d.render() for d in error.diagnostics]
    raise AssertionError("the spec is valid")


def test_a_huge_layer_name_is_not_echoed() -> None:
    name = "a" * 300_000
    found = messages(f"name: net\ninput: [1, 8, 8]\nlayers:\n  - relu: {{name: {name}}}\n")
    assert found and all(len(m) < 600 for m in found)
    assert f"at most {NAME_LIMIT} characters" in found[0]


def test_a_huge_str_argument_is_not_echoed() -> None:
    found = messages(
        BLOCK_WITH_A_STR.replace("[relu]", "[{conv: {out_channels: =s, kernel_size: 1}}]") % ("b" * 500_000)
    )
    assert found and all(len(m) < 600 for m in found)


@pytest.mark.parametrize("length", [NAME_LIMIT + 1, 200_000])
def test_a_block_name_has_the_name_limit(length: int) -> None:
    name = "c" * length
    found = messages(
        f"name: net\ninput: [1, 8, 8]\nblocks:\n  ? {name}\n  : layers: [relu]\nlayers: [relu]\n"
    )
    assert len(found) == 1 and "E207" in found[0] and f"at most {NAME_LIMIT} characters" in found[0]
    assert ":4:5:" in found[0] and len(found[0]) < 300


def test_a_block_name_at_the_limit_is_fine() -> None:
    name = "c" * NAME_LIMIT
    archspec.loads(f"name: net\ninput: [1, 8, 8]\nblocks:\n  {name}:\n    layers: [relu]\nlayers: [{name}]\n")


@pytest.mark.parametrize(
    "text",
    [
        f"name: {'n' * (NAME_LIMIT + 1)}\ninput: [1, 8, 8]\nlayers: [relu]\n",
        f"name: net\ninput: [1, {'H' * (NAME_LIMIT + 1)}]\nlayers: [relu]\n",
        "name: net\ninput: [1, 8, 8]\nblocks:\n  b:\n    params: {%s: int}\n    layers: [relu]\nlayers: [relu]\n"
        % ("p" * (NAME_LIMIT + 1)),
    ],
    ids=["spec-name", "symbol", "block-parameter"],
)
def test_every_name_has_the_name_limit(text: str) -> None:
    found = messages(text)
    assert f"at most {NAME_LIMIT} characters" in found[0]


@given(st.text())
def test_json_text_reads_back_and_shows_no_character_a_terminal_acts_on(value: str) -> None:
    text = json_text({"value": value, "list": [value]}, indent=2)
    assert json.loads(text) == {"value": value, "list": [value]}
    assert not hostile_text(text)


def test_json_text_keeps_printable_unicode_readable() -> None:
    assert json_text("[N, 64, H × W] → ok") == '"[N, 64, H × W] → ok"'


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_a_file_name_with_a_bidi_override_is_escaped_in_machine_readable_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    name = "a\u202eb.yaml"
    (tmp_path / name).write_text("name: x\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--format", fmt, name]) == 1
    out = capsys.readouterr().out
    assert "a\\u202eb.yaml" in out and not hostile_text(out)
