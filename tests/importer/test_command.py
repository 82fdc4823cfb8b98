"""archspec import on the command line: a spec written on success; on bad input a clear
error, exit 1, and nothing written (an existing file is left as it was)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import archspec
from archspec.cli import main

USER_MODULE = textwrap.dedent(
    """
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            x = torch.relu(self.conv(x))
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


    def broken():
        raise RuntimeError("no weights here")


    class Branchy(nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x
            return -x


    not_callable = 3
    """
)


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A user's module importable from the current folder, under a name of its own."""
    name = f"usernets_{tmp_path.name}"
    (tmp_path / f"{name}.py").write_text(USER_MODULE)
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["import", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_user_module_is_written_as_a_spec(user_module: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, f"{user_module}:Net", "--input", "1x8x8", "-o", "net.yaml")
    assert (code, err) == (0, "")
    assert out == f"wrote net.yaml: {user_module}:Net on 1x8x8 inputs\n"
    text = Path("net.yaml").read_text()
    assert f"# Written by `archspec import {user_module}:Net`" in text
    assert archspec.compile(archspec.loads(text)).num_params == 4 * 9 + 4 + 4 * 2 + 2


@pytest.mark.parametrize(
    ("target", "code", "says"),
    [
        ("usernets", "E620", "is not of the form MODULE:FACTORY"),
        ("a.b:c:d", "E620", "is not of the form MODULE:FACTORY"),
        ("no_such_module_here:Net", "E620", "no module 'no_such_module_here' can be imported"),
        ("{mod}:Missing", "E620", "has no attribute 'Missing'"),
        ("{mod}:not_callable", "E620", "is a int, not a callable"),
        ("{mod}:broken", "E621", "broken() raised RuntimeError: no weights here"),
        ("{mod}:Branchy", "E622", "torch.fx cannot trace the forward of Branchy"),
    ],
)
def test_bad_input_is_an_error_and_nothing_is_written(
    user_module: str, capsys: pytest.CaptureFixture[str], target: str, code: str, says: str
) -> None:
    Path("old.yaml").write_text("kept\n")
    exit_code, out, err = run(capsys, target.format(mod=user_module), "--input", "1x8x8", "-o", "out.yaml")
    assert exit_code == 1 and out == ""
    assert f"error[{code}]" in err and says in err
    assert not Path("out.yaml").exists()
    exit_code, _, _ = run(capsys, target.format(mod=user_module), "--input", "1x8x8", "-o", "old.yaml")
    assert exit_code == 1 and Path("old.yaml").read_text() == "kept\n"


def test_an_input_the_module_does_not_take_is_an_error(
    user_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, f"{user_module}:Net", "--input", "3x8x8", "-o", "net.yaml")
    assert code == 1 and "error[E624]" in err and "on an input of shape [2, 3, 8, 8]" in err
    assert not Path("net.yaml").exists()


def test_a_bad_input_option_is_a_usage_error(user_module: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, f"{user_module}:Net", "--input", "1xHx8", "-o", "net.yaml")
    assert code == 2 and "--input" in err and not Path("net.yaml").exists()


def test_the_help_says_that_it_runs_the_users_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--help"]) == 0
    assert "runs its code" in " ".join(capsys.readouterr().out.split())
