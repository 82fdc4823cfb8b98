"""The console examples of the docs are what archspec prints, the spec files they use are
valid, and every primitive's shape formula is in docs/reference.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from archspec.cli import main
from archspec.primitives.registry import primitives

DOCS = Path("docs").resolve()


def console_examples(page: Path) -> list[tuple[str, str]]:
    """(command, expected output) of every ``$ archspec …`` in the page's console blocks."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.DOTALL):
        for chunk in ("\n" + block).split("\n$ ")[1:]:
            command, _, output = chunk.partition("\n")
            found.append((command, output))
    return found


def test_getting_started_examples_are_what_archspec_prints(tmp_path, monkeypatch, capsys) -> None:
    page = DOCS / "getting-started.md"
    text = page.read_text()
    spec = text.split("Save this as `mynet.yaml`:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    Path("mynet.yaml").write_text(spec)
    # broken.yaml is mynet.yaml with the two typos the page shows
    broken = spec.replace("padding: 1}", "paddin: 1}").replace("stride: 2}", "stride: 2, out_channel: 3}")
    Path("broken.yaml").write_text(broken)
    examples = console_examples(page)
    assert len(examples) >= 5
    for command, expected in examples:
        argv = shlex.split(command)
        assert argv[0] == "archspec"
        main(argv[1:])
        captured = capsys.readouterr()
        # a terminal shows the diagnostics (stderr) before the summary (stdout)
        assert captured.err + captured.out == expected, command


@pytest.mark.parametrize("name", sorted(primitives()))
def test_every_primitive_has_its_shape_formula_in_the_reference(name: str) -> None:
    primitive = primitives()[name]
    assert primitive.formula, f"register {name} with a formula= (see docs/adding-a-primitive.md)"
    text = (DOCS / "reference.md").read_text()
    section = text.split(f"### `{name}`\n", 1)[1].split("\n### ", 1)[0]
    assert "Shape: " in section


def test_the_adding_a_primitive_walk_through_shows_the_real_files() -> None:
    """The page walks through pixel_shuffle; its code blocks are the files as they are
    (the files' own tests, and the registry contract, run them)."""
    page = (DOCS / "adding-a-primitive.md").read_text()
    module, test = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert module == Path("archspec/primitives/pixel_shuffle.py").read_text()
    assert test == Path("tests/primitives/test_pixel_shuffle.py").read_text()
