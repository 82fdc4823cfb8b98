"""The command line never prints a traceback: every command x hostile inputs.

Every subcommand (validate, compile, compile -o, check, schema, diagram)
runs through ``archspec.cli.main(argv)`` on hostile specs (random bytes,
truncated reference specs, specs with a hostile string in some string
position, missing files, a directory) and hostile option values (--input,
--depth, --format, --samples, -o). The property: the exit code is 0, 1 or 2,
nothing escapes ``main``, and no "Traceback" is printed. ``check`` runs torch,
so it has its own, smaller test. The profiles in conftest.py set the number
of examples.
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from archspec.cli import main

SPECS = [Path("specs/lenet_bn.yaml"), Path("specs/nin.yaml"), Path("specs/resnet18.yaml")]
BLOCK_SPEC = """\
name: net
description: A network with a block.
input: [1, 8, 8]
blocks:
  fire:
    description: Squeeze, then expand.
    params:
      squeeze: int
      label: {type: str, default: "x", description: A label.}
    layers:
      - conv: {name: squeeze, out_channels: =squeeze, kernel_size: 1}
      - relu
layers:
  - fire: {squeeze: 4, label: "y"}
  - flatten
  - linear: {out_features: 10}
"""
RAW = {path: path.read_bytes() for path in SPECS} | {Path("block.yaml"): BLOCK_SPEC.encode()}
TREES = {path: yaml.safe_load(raw) for path, raw in RAW.items()}

HOSTILE_STRINGS = [
    "", " ", "\x00", "\x1b[31m", "\x1b]0;title\x07", "a\u202eb", "\u2066", "\x7f", "\x9b", "\ufeff",
    "a\nb", "a\r\nb", "\t", "\u2028", "'", '"', '"""', "\\", "\\x00", "é", "ｒelu", "N", "_x",
    "model_dump", "__class__", "class", "self", "=__import__('os')", "=1 +", "../../etc/passwd",
    "/dev/zero", "a" * 300, "b" * 5000, "%s%n", "{0}", "-", "--help", "1x8x8",
]  # fmt: skip
INPUTS = [
    "", "0x8x8", "1xNxN", "1x__import__x8", "1xclassx8", "-1", "1x\u00b2x3", "1,,2", "x", ",", "1x2x3x4x5",
    "1x" + "9" * 30, "1x" + "H" * 70, "\x00", "1x\u202ex8", "1xHxW", "1x8x8", "1,28,28",
]  # fmt: skip
COUNTS = [
    "-5",
    "-1",
    "0",
    "1",
    "3",
    "x",
    "",
    "1e3",
    "99999999999999999999",
    "\u0661",
    "+2",
    "+-5",
    "9" * 5000,
]
FORMATS = ["text", "json", "markdown", "github", "mermaid", "dot", "", "x\x1b", "TEXT"]


def string_positions(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], bool]]:
    """(path, is_key) for every string value and every mapping key of a tree."""
    found: list[tuple[tuple[Any, ...], bool]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.append(((*prefix, key), True))
            found += string_positions(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += string_positions(value, (*prefix, index))
    elif isinstance(tree, str):
        found.append((prefix, False))
    return found


def replaced(tree: Any, path: tuple[Any, ...], is_key: bool, text: str) -> Any:
    tree = copy.deepcopy(tree)
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    if is_key:  # keep the order of the keys
        items = [(text if k == path[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
    else:
        parent[path[-1]] = text
    return tree


@st.composite
def hostile_specs(draw: st.DrawFn) -> bytes | str:
    """Spec file content, or a marker for what is not a spec file ("missing", "directory")."""
    kind = draw(st.sampled_from(["bytes", "truncated", "string", "string", "string", "other"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    path = draw(st.sampled_from(sorted(RAW)))
    if kind == "truncated":
        raw = RAW[path]
        return raw[: draw(st.integers(0, len(raw)))]
    if kind == "other":
        return draw(st.sampled_from(["missing", "directory", "devnull", "valid"]))
    tree = TREES[path]
    where, is_key = draw(st.sampled_from(string_positions(tree)))
    tree = replaced(tree, where, is_key, draw(st.sampled_from(HOSTILE_STRINGS)))
    # allow_unicode=False writes YAML escapes ("\e", "\u202e"): the decoded-string checks
    text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=draw(st.booleans()), width=100)
    return text.encode("utf-8", "surrogatepass")


def spec_path(folder: Path, spec: bytes | str) -> str:
    if spec == "missing":
        return str(folder / "missing.yaml")
    if spec == "directory":
        return str(folder)
    if spec == "devnull":
        return "/dev/null"
    if spec == "valid":
        return "specs/lenet_bn.yaml"
    assert isinstance(spec, bytes)
    target = folder / "spec.yaml"
    target.write_bytes(spec)
    return str(target)


def outputs(folder: Path) -> list[str]:
    # Never a path outside the folder: compile -o replaces its target (run as root, even /dev/null).
    return [str(folder / "model.py"), str(folder), str(folder / "no" / "such" / "dir.py"), ""]


@st.composite
def options(draw: st.DrawFn, command: str, folder: Path) -> list[str]:
    """Some of the command's options, with hostile values."""
    offered: dict[str, list[str]] = {
        "validate": {"--format": FORMATS},
        "compile": {"--input": INPUTS, "--depth": COUNTS, "--format": FORMATS},
        "compile -o": {"--input": INPUTS, "--depth": COUNTS, "--format": FORMATS, "-o": outputs(folder)},
        "diagram": {"--input": INPUTS, "--depth": COUNTS, "--format": FORMATS},
        "schema": {"-o": outputs(folder)},
        "check": {"--samples": COUNTS, "--sizes": INPUTS},
    }[command]
    argv: list[str] = []
    for option, values in offered.items():
        if (option == "-o" and command == "compile -o") or draw(st.booleans()):
            argv += [option, draw(st.sampled_from(values))]
    return argv


def run(argv: list[str]) -> tuple[int, str]:
    """main(argv) with stdout and stderr captured; an exception escaping it fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue() + err.getvalue()


def never_a_traceback(argv: list[str]) -> None:
    code, text = run(argv)
    assert code in (0, 1, 2), (argv, code, text[-2000:])
    assert "Traceback" not in text, (argv, text[-2000:])


@settings(max_examples=4 * settings.default.max_examples)  # cheap: no torch
@given(
    st.sampled_from(["validate", "compile", "compile -o", "schema", "diagram"]), hostile_specs(), st.data()
)
def test_every_command_on_hostile_input(command: str, spec: bytes | str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        argv = [command.split()[0]]
        if command != "schema":
            argv.append(spec_path(folder, spec))
        argv += data.draw(options(command, folder))
        never_a_traceback(argv)


# check runs torch: a few examples (a fifth of the profile's), mostly invalid specs that stop early
@settings(max_examples=max(12, settings.default.max_examples // 5))
@given(hostile_specs(), st.data())
def test_check_on_hostile_input(spec: bytes | str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        argv = ["check", spec_path(folder, spec), *data.draw(options("check", folder))]
        if "--samples" not in argv:
            argv += ["--samples", "0"]  # keep the forward passes few
        never_a_traceback(argv)


ARGUMENTS = [s for s in HOSTILE_STRINGS if not s.startswith(("/", "."))]  # no real file is named


@given(
    st.lists(
        st.sampled_from([*ARGUMENTS, "compile", "validate", "diagram", "-o", "--input", "--depth"]),
        max_size=5,
    )
)
def test_hostile_argument_lists(argv: list[str]) -> None:
    never_a_traceback(argv)


SWEEP_STRINGS = ["\x00", "\x1b[31m", "a\u202eb", "a\nb", "\t", '"""', "\\", "model_dump", "_x", "a" * 300]


@pytest.mark.parametrize(
    ("path", "where", "is_key"),
    [
        (path, where, is_key)
        for path in (Path("block.yaml"), SPECS[0])
        for where, is_key in string_positions(TREES[path])
    ],
    ids=lambda value: str(value) if not isinstance(value, tuple) else ".".join(map(str, value)),
)
def test_a_hostile_string_in_every_position(path: Path, where: tuple[Any, ...], is_key: bool) -> None:
    """Each string position (keys too) of a spec with a block, with the strings that broke things."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for text in SWEEP_STRINGS:
            for unicode in (False, True):
                tree = replaced(TREES[path], where, is_key, text)
                dumped = yaml.safe_dump(tree, sort_keys=False, allow_unicode=unicode, width=100)
                spec = spec_path(folder, dumped.encode("utf-8", "surrogatepass"))
                never_a_traceback(["validate", spec])
                never_a_traceback(["compile", spec, "-o", str(folder / "model.py"), "--format", "markdown"])
