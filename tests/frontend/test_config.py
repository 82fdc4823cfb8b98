"""[tool.archspec]: every setting read, every wrong one located with a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from archspec.diagnostics import SpecError
from archspec.frontend.config import ToolConfig, read_config
from archspec.limits import Limits


def write(tmp_path: Path, text: str, name: str = "pyproject.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.archspec]\nformat = "json"\nplugins = false\n'
        'libraries = {mylib = "blocks"}\n\n[tool.archspec.limits]\nmax_layers = 20\n',
    )
    config = read_config(path, whole_file=False)
    assert config.format == "json" and config.plugins is False
    assert config.limits == {"max_layers": 20}
    assert config.libraries == (("mylib", str(tmp_path / "blocks")),)
    assert config.limits_with({"max_depth": 8}) == Limits(max_layers=20, max_depth=8)
    assert config.limits_with({"max_layers": 5}) == Limits(max_layers=5)


def test_a_file_without_tool_is_the_table_itself(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, "format = 'github'\n[limits]\nmax_bytes = 4096\n", "archspec.toml"))
    assert (config.format, config.limits) == ("github", {"max_bytes": 4096})


def test_a_pyproject_without_the_table_says_nothing(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, '[project]\nname = "x"\n'), whole_file=False)
    assert config == ToolConfig(str(tmp_path / "pyproject.toml"))
    assert config.limits_with({}) is None


@pytest.mark.parametrize(
    ("text", "code", "line", "needle", "hint"),
    [
        (
            "[tool.archspec]\nformt = 'json'\n",
            "E702",
            2,
            "[tool.archspec] has no key 'formt'",
            "did you mean 'format'?",
        ),
        (
            "[tool.archspec]\nformat = 'yaml'\n",
            "E702",
            2,
            "format must be one of text, json, markdown, github",
            None,
        ),
        (
            "[tool.archspec.limits]\nmax_layer = 3\n",
            "E702",
            2,
            "no budget named 'max_layer'",
            "did you mean 'max_layers'?",
        ),
        (
            "[tool.archspec.limits]\nmax_layers = 0\n",
            "E702",
            2,
            "max_layers must be a positive int, got 0",
            None,
        ),
        (
            "[tool.archspec]\nlimits = 3\n",
            "E702",
            2,
            "limits must be a table",
            "limits = {max_layers = 2000}",
        ),
        ("[tool.archspec]\nplugins = 'no'\n", "E702", 2, "plugins must be true or false", None),
        ("[tool.archspec\n", "E702", 1, "pyproject.toml is not valid TOML", None),
    ],
)
def test_a_wrong_setting_is_located(
    tmp_path: Path, text: str, code: str, line: int, needle: str, hint: str | None
) -> None:
    with pytest.raises(SpecError) as error:
        read_config(write(tmp_path, text), whole_file=False)
    (found,) = error.value.diagnostics
    assert (found.code, found.span.line) == (code, line)
    assert needle in found.message
    if hint is not None:
        assert found.hint is not None and hint in found.hint
