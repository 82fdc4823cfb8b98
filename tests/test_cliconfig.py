"""The command line's settings: [tool.archspec] (or --config FILE), then --limit, --format, --no-plugins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archspec.cli import main

SPEC = "archspec: 1\nname: n\ninput: [3, 8, 8]\nlayers:\n  - conv: {out_channels: 4, kernel_size: 3}\n  - relu\n  - flatten\n"
BROKEN = SPEC.replace("kernel_size: 3", "kernel_sise: 3")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(SPEC)
    (tmp_path / "broken.yaml").write_text(BROKEN)
    return tmp_path


def test_limit_sets_a_budget(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "net.yaml", "--limit", "max_layers=2"]) == 1
    assert "error[E403]" in capsys.readouterr().err
    assert main(["validate", "net.yaml", "--limit", "max_layers=3"]) == 0


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("max_layers", "write NAME=VALUE"),
        ("max_layer=3", "no budget named 'max_layer' (did you mean 'max_layers'?)"),
        ("max_layers=-1", "max_layers must be a positive int"),
        ("max_layers=lots", "max_layers must be a positive int, got 'lots'"),
    ],
)
def test_a_bad_limit_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], value: str, needle: str
) -> None:
    assert main(["validate", "net.yaml", "--limit", value]) == 2
    assert needle in capsys.readouterr().err


def test_the_nearest_pyproject_sets_format_and_limits(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.archspec]\nformat = "json"\n[tool.archspec.limits]\nmax_layers = 2\n'
    )
    assert main(["validate", "broken.yaml"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in found] == ["E202", "E201"]
    assert main(["validate", "net.yaml", "--limit", "max_layers=10"]) == 0  # the option wins
    assert main(["validate", "net.yaml", "--format", "text"]) == 1
    assert "error[E403]" in capsys.readouterr().err


def test_a_format_a_command_lacks_leaves_its_default(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.archspec]\nformat = "markdown"\n')
    assert main(["compile", "net.yaml"]) == 0
    assert capsys.readouterr().out.startswith("### n\n\n| layer | primitive")
    assert main(["validate", "broken.yaml"]) == 1
    assert "error[E201]" in capsys.readouterr().err  # validate has no markdown: text


def test_a_wrong_setting_stops_every_command_with_its_place(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.archspec]\nformt = "json"\n')
    assert main(["validate", "net.yaml"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml:2:1: error[E702]: [tool.archspec] has no key 'formt'" in err
    assert "did you mean 'format'?" in err


def test_config_file_gives_libraries_and_replaces_the_pyproject(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.archspec]\nformt = "json"\n')  # not read with --config
    (project / "shared").mkdir()
    (project / "shared" / "tiny.yaml").write_text("blocks:\n  tiny:\n    layers: [relu]\n")
    (project / "settings.toml").write_text('plugins = false\nlibraries = {mine = "shared"}\n')
    (project / "uses.yaml").write_text(
        SPEC.replace("layers:\n", "imports: ['@mine/tiny']\nlayers:\n  - tiny\n", 1)
    )
    assert main(["validate", "uses.yaml", "--config", "settings.toml"]) == 0, capsys.readouterr()
    assert main(["validate", "uses.yaml", "--config", "missing.toml"]) == 2
    assert "error[E702]: cannot read missing.toml" in capsys.readouterr().err
