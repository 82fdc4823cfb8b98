"""Hostile paths: whatever the SPEC argument or an import names, a located
diagnostic (E100, E208), never a traceback or a hang (docs/security.md)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Block libraries: "@name/file" stays inside the library's folder, whatever it names,
# and a hostile --lib or pyproject.toml is a usage error or a located E208.

EVIL = "blocks:\n  evil: {layers: [relu]}\n"


def library(tmp_path: Path) -> Path:
    """tmp_path/lib, a library with one good file; tmp_path/outside.yaml next to it."""
    (tmp_path / "lib" / "sub").mkdir(parents=True)
    (tmp_path / "lib" / "ok.yaml").write_text("blocks: {}\n")
    (tmp_path / "outside.yaml").write_text(EVIL)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.yaml").write_text(EVIL)
    os.symlink(tmp_path / "outside.yaml", tmp_path / "lib" / "link.yaml")
    os.symlink(tmp_path / "elsewhere", tmp_path / "lib" / "dirlink")
    return tmp_path / "lib"


ESCAPES = [
    "@mylib/../../etc/passwd",
    "@mylib/../outside",
    "@mylib//etc/passwd",
    "@mylib/sub/../../outside",
    "@mylib/./../outside",
    "@mylib/link",  # a symlink to a file outside
    "@mylib/dirlink/x",  # through a symlink to a folder outside
]


@pytest.mark.parametrize("target", ESCAPES)
def test_no_library_import_leaves_its_library(target: str, tmp_path: Path, capsys) -> None:
    lib = library(tmp_path)
    spec = tmp_path / "net.yaml"
    spec.write_text(f'name: n\ninput: [1]\nimports: ["{target}"]\nlayers: [evil]\n')
    assert main(["validate", str(spec), "--lib", f"mylib={lib}"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"{spec}:3:11: error[E208]: import '{target}' leaves the library mylib ("), err
    with pytest.raises(SpecError) as caught:
        archspec.validate(spec, libraries={"mylib": lib})
    first = caught.value.diagnostics[0]
    assert first.code == "E208" and first.span == archspec.Span(str(spec), 3, 11)
    assert [d.code for d in caught.value.diagnostics] == ["E208", "E203"]  # evil was never defined


def test_a_library_reached_through_a_symlink_is_confined_to_the_folder_it_names(tmp_path: Path) -> None:
    real = library(tmp_path)
    os.symlink(real, tmp_path / "alias")
    spec = tmp_path / "net.yaml"
    spec.write_text('name: n\ninput: [1]\nimports: ["@mylib/ok"]\nlayers: [relu]\n')
    assert archspec.validate(spec, libraries={"mylib": tmp_path / "alias"}) is not None
    spec.write_text('name: n\ninput: [1]\nimports: ["@mylib/link"]\nlayers: [relu]\n')
    with pytest.raises(SpecError, match="leaves the library mylib"):
        archspec.validate(spec, libraries={"mylib": tmp_path / "alias"})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
@pytest.mark.parametrize("kind", ["symlink-loop", "long-name", "directory", "fifo"])
def test_any_library_path_is_a_located_e208(kind: str, tmp_path: Path, capsys) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    if kind == "directory":
        (lib / "folder.yaml").mkdir()
        name = "folder"
    else:
        name = Path(bad_path(kind, lib)).name.removesuffix(".yaml")
    spec = tmp_path / "net.yaml"
    spec.write_text(f'name: n\ninput: [1]\nimports: ["@lib/{name}"]\nlayers: [relu]\n')
    with deadline(5.0):
        assert main(["validate", str(spec), "--lib", str(lib)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"{spec}:3:11: error[E208]: import '{abridge('@lib/' + name)[1:-1]}"), err
    assert PATH_KINDS[kind] in err


def hostile_lib(kind: str, tmp_path: Path) -> str:
    """A --lib argument that names no usable library, of one kind."""
    (tmp_path / "file").write_text("")
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
    if kind == "symlink-loop":
        os.symlink("b", tmp_path / "a")
        os.symlink("a", tmp_path / "b")
    return {
        "missing": str(tmp_path / "missing"),
        "file": str(tmp_path / "file"),
        "fifo": str(tmp_path / "fifo"),
        "symlink-loop": str(tmp_path / "a"),
        "nul": str(tmp_path / "a\0b"),
        "long-name": str(tmp_path / ("x" * 300)),
        "bad-name": str(tmp_path / "my lib"),
        "named-badly": f"2x={tmp_path}",
        "archspecs-own": f"torchvision={tmp_path}",
        "empty": "",
    }[kind]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
@pytest.mark.parametrize(
    "kind",
    [
        *("missing", "file", "fifo", "symlink-loop", "nul", "long-name"),
        *("bad-name", "named-badly", "archspecs-own", "empty"),
    ],
)
def test_a_hostile_lib_option_is_a_usage_error(kind: str, tmp_path: Path, capsys) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("name: n\ninput: [1]\nlayers: [relu]\n")
    (tmp_path / "my lib").mkdir()
    value = hostile_lib(kind, tmp_path)
    with deadline(5.0):
        for command in ("validate", "compile", "check", "diagram"):
            assert main([command, str(spec), "--lib", value]) == 2, command
            err = capsys.readouterr().err
            assert err.startswith("archspec: error: --lib") and "Traceback" not in err, err
            assert len(err) < 300


def test_two_libraries_of_one_name_are_a_usage_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "a" / "lib").mkdir(parents=True)
    (tmp_path / "b" / "lib").mkdir(parents=True)
    spec = tmp_path / "net.yaml"
    spec.write_text("name: n\ninput: [1]\nlayers: [relu]\n")
    assert (
        main(["validate", str(spec), "--lib", str(tmp_path / "a/lib"), "--lib", str(tmp_path / "b/lib")]) == 2
    )
    assert "two libraries named lib" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
@pytest.mark.parametrize("kind", ["fifo", "symlink-loop", "directory", "unreadable", "not-utf8", "huge"])
def test_a_hostile_pyproject_is_skipped_or_a_located_e208(kind: str, tmp_path: Path, capsys) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    pyproject = tmp_path / "pyproject.toml"
    if kind == "fifo":
        os.mkfifo(pyproject)
    elif kind == "symlink-loop":
        os.symlink("pyproject.toml", pyproject)
    elif kind == "directory":
        pyproject.mkdir()
    elif kind == "not-utf8":
        pyproject.write_bytes(b"[tool.archspec]\n# r\xe9seau\n")
    elif kind == "huge":
        pyproject.write_text("# " + "x" * (2 << 20) + "\n")
    else:
        pyproject.write_text('[tool.archspec]\nlibraries = {mine = "lib"}\n')
        pyproject.chmod(0)
    spec = tmp_path / "net.yaml"
    spec.write_text('name: n\ninput: [1]\nimports: ["@mine/x"]\nlayers: [relu]\n')
    with deadline(5.0):
        assert main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    first = LOCATION.match(err)
    assert first is not None, err
    if kind in ("fifo", "symlink-loop", "directory"):  # not a regular file: not a pyproject
        assert (first["file"], first["line"]) == (str(spec), "3")
        assert "unknown library 'mine'" in err
    else:  # the import (unknown library), then the pyproject's problem (sorted by file)
        located = [m for m in map(LOCATION.match, err.splitlines()) if m is not None]
        assert [(m["file"], m["line"], m["code"]) for m in located] == [
            (str(spec), "3", "E208"),
            (str(pyproject), "2" if kind == "not-utf8" else "1", "E208"),
        ]
        assert {
            "unreadable": "cannot read pyproject.toml: permission denied",
            "not-utf8": "pyproject.toml:2:4: error[E208]: pyproject.toml is not valid UTF-8 (byte 19: b'\\xe9')",
            "huge": "pyproject.toml is larger than 1,048,576 bytes",
        }[kind] in err


@settings(max_examples=200)
@given(
    prefix=st.sampled_from(["@mylib/", "@torchvision/", "@", "@mylib/sub/", "@torchvision/../", ""]),
    rest=st.lists(st.sampled_from([*"ab./@-_ ~*:\\", "é", "\uff0e", "x" * 200]), max_size=12).map("".join),
)
def test_any_import_string_is_a_spec_error_at_most(prefix: str, rest: str) -> None:
    """Whatever a (library) import names, loading gives a spec or a located SpecError."""
    text = json.dumps(prefix + rest)
    spec = f"name: n\ninput: [1]\nimports: [{text}]\nlayers: [relu]\n"
    try:
        archspec.loads(spec, libraries={"mylib": FUZZ_LIBRARY}, pyproject=False)
    except SpecError as error:
        assert all(d.span is not None and d.span.line >= 1 for d in error.diagnostics)


FUZZ_LIBRARY = str(Path(__file__).resolve().parent.parent / "archspec" / "library" / "torchvision")
