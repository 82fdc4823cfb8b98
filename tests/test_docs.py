"""The docs match the code: the generated reference, the error catalogue, the README."""

from __future__ import annotations

import re
from pathlib import Path

from archspec.codes import CODES
from archspec.docs import reference_markdown
from archspec.primitives.registry import primitives


def test_reference_is_in_sync_with_the_registry() -> None:
    assert Path("docs/reference.md").read_text() == reference_markdown(), (
        "run: python -m archspec.docs > docs/reference.md"
    )


def test_reference_lists_every_primitive() -> None:
    text = reference_markdown()
    assert all(f"### `{name}`" in text for name in primitives())


def test_error_catalogue_documents_every_code_with_an_example() -> None:
    text = Path("docs/errors.md").read_text()
    documented = re.findall(r"^### (E\d{3}) ", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted(CODES)
    for code in CODES:
        section = text.split(f"### {code} ", 1)[1].split("\n### ", 1)[0]
        assert f"error[{code}]" in section, f"{code} has no example"


def test_readme_quick_start_is_two_commands() -> None:
    readme = Path("README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = block.strip().splitlines()
    assert len(commands) == 2
    assert commands[0].endswith("archspec compile specs/googlenet.yaml")
    assert commands[1].endswith("python -m pytest")
    assert all(command.startswith("pip install torch==2.13.0 && ") for command in commands)


def test_ci_runs_the_readme_test_command() -> None:
    readme = Path("README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    test_command = block.strip().splitlines()[1]
    ci_lines = Path(".ci/run").read_text().splitlines()
    assert test_command in ci_lines
