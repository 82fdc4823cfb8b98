"""Hostile paths: whatever the SPEC argument or an import names, a located
diagnostic (E100, E208), never a traceback or a hang (docs/security.md)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.diagnostics import SpecError, abridge
from tests.test_hostile import HEAD, LOCATION, deadline


def bad_path(kind: str, tmp_path: Path) -> str:
    """A SPEC argument that names no readable spec file, of one kind."""
    if kind == "symlink-loop":
        os.symlink("b.yaml", tmp_path / "a.yaml")
        os.symlink("a.yaml", tmp_path / "b.yaml")
        return str(tmp_path / "a.yaml")
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo.yaml")
        return str(tmp_path / "fifo.yaml")
    if kind == "not-utf8":
        (tmp_path / "latin1.yaml").write_bytes("name: réseau\n".encode("latin-1"))
        return str(tmp_path / "latin1.yaml")
    if kind == "unreadable":
        (tmp_path / "locked.yaml").write_text(HEAD + "  - relu\n")
        (tmp_path / "locked.yaml").chmod(0)
        return str(tmp_path / "locked.yaml")
    return {
        "directory": str(tmp_path),
        "missing": str(tmp_path / "missing.yaml"),
        "long-name": str(tmp_path / ("x" * 300 + ".yaml")),
        "nul": str(tmp_path / "a\0b.yaml"),
    }[kind]


PATH_KINDS = {
    "directory": "not a regular file (a directory)",
    "missing": "no such file",
    "symlink-loop": "a loop of symbolic links",
    "long-name": "file name too long",
    "nul": "the path holds a NUL character",
    "fifo": "not a regular file (a FIFO)",
    "not-utf8": "not valid UTF-8",
    "unreadable": "permission denied",
}


@pytest.mark.skipif(not hasattr(signal, "setitimer") or not hasattr(os, "mkfifo"), reason="POSIX only")
@pytest.mark.parametrize("kind", list(PATH_KINDS))
def test_any_spec_path_is_a_located_e100(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = bad_path(kind, tmp_path)
    with deadline(5.0):  # a FIFO used to block in open(), waiting for a writer
        for command in ("validate", "compile", "check", "diagram"):
            assert main([command, path]) == 1, command
            err = capsys.readouterr().err
            assert "Traceback" not in err
            first = LOCATION.match(err)
            assert first is not None, err[:300]
            column = "8" if kind == "not-utf8" else "1"  # invalid UTF-8 points at its byte
            assert (first["file"], first["line"], first["column"], first["code"]) == (
                path.replace("\0", "\\x00"),  # the terminal shows a NUL escaped
                "1",
                column,
                "E100",
            )
            assert PATH_KINDS[kind] in err.splitlines()[0]
        with pytest.raises(SpecError) as caught:
            archspec.validate(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E100" and diagnostic.span == archspec.Span(path, 1, int(column))


@pytest.mark.parametrize("kind", ["symlink-loop", "long-name", "directory", "fifo"])
def test_any_import_path_is_a_located_e208(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = Path(bad_path(kind, tmp_path / "lib" if kind == "directory" else tmp_path))
    spec = tmp_path / "net.yaml"
    spec.write_text(f"name: n\ninput: [1]\nimports: ['{target.name}']\nlayers: [relu]\n")
    if kind == "directory":
        target.mkdir()
    assert main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"{spec}:3:11: error[E208]: import '{abridge(target.name)[1:-1]}")
    assert PATH_KINDS[kind] in err
