"""One version: the package's, the CLI's (--version) and pyproject.toml's; the package is typed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import archspec
from archspec.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_version_is_the_same_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    project = tomllib.loads(Path("pyproject.toml").read_text())
    assert archspec.__version__ == project["project"]["version"]
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"archspec {archspec.__version__}\n"
    assert f"## {archspec.__version__}" in Path("CHANGELOG.md").read_text()


def test_the_package_says_it_is_typed() -> None:
    assert (Path(archspec.__file__).parent / "py.typed").is_file()
    data = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["archspec"]
    assert "py.typed" in data
