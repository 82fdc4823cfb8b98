"""The -o writer (archspec.output): refused targets, atomic replacement, clean errors.

Run from the repository root, like the other CLI tests. No real device is
touched: FIFOs, sockets, symlinks and folders under tmp_path stand in for them.
"""

from __future__ import annotations

import ast
import errno
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import archspec
from archspec import output
from archspec.cli import main
from archspec.output import OutputError, input_files, write_output

NIN = Path("specs/nin.yaml")
NIN_SOURCE = Path("tests/emit/golden/nin.py")
RESNET = Path("specs/torchvision/resnet18.yaml")
LIBRARY = Path(archspec.__file__).parent / "library" / "torchvision"  # archspec's own block library
SMALL = "name: n\ninput: [1, 4, 4]\nlayers:\n  - flatten\n"


def compile_to(target: object, spec: Path = NIN) -> int:
    return main(["compile", str(spec), "-o", str(target)])


def only_files(folder: Path) -> list[str]:
    """What is left in a folder: no temporary file may stay behind."""
    return sorted(p.name for p in folder.iterdir())


def test_writes_the_source_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    old = os.umask(0o027)
    try:
        assert compile_to(target) == 0
    finally:
        os.umask(old)
    assert target.read_text() == NIN_SOURCE.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 & ~0o027, not mkstemp's 0o600
    assert only_files(tmp_path) == ["model.py"]


def test_replacing_a_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text("old")
    target.chmod(0o604)
    assert compile_to(target) == 0
    assert target.read_text() == NIN_SOURCE.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))  # the socket file stays after close


def make_folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "kind"),
    [(make_fifo, "a FIFO"), (make_socket, "a socket"), (make_folder, "a directory")],
)
def test_a_target_that_is_not_a_regular_file_is_refused(
    make, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "thing"
    make(target)
    before = target.lstat()
    assert compile_to(target) == 2
    after = target.lstat()
    assert (before.st_ino, stat.S_IFMT(before.st_mode)) == (after.st_ino, stat.S_IFMT(after.st_mode))
    captured = capsys.readouterr()
    assert (
        captured.err
        == f"archspec: error: cannot write {str(target)!r}: it is {kind}; only a regular file is replaced\n"
    )
    assert captured.out == ""  # no report after a refused write
    assert only_files(tmp_path) == ["thing"]


def test_a_symlink_to_a_fifo_is_refused_as_the_fifo(tmp_path: Path, capsys) -> None:
    # A link to /dev/null means the device: refused, not replaced by a file.
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    assert compile_to(tmp_path / "link") == 2
    assert (tmp_path / "link").is_symlink() and stat.S_ISFIFO((tmp_path / "fifo").stat().st_mode)
    assert "it is a FIFO" in capsys.readouterr().err


def test_schema_refuses_the_same_targets(tmp_path: Path, capsys) -> None:
    os.mkfifo(tmp_path / "fifo")
    assert main(["schema", "-o", str(tmp_path / "fifo")]) == 2
    assert main(["schema", "-o", str(tmp_path)]) == 2
    assert main(["schema", "-o", ""]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.rsplit(": ", 1)[-1] for line in err] == [
        "it is a FIFO; only a regular file is replaced",
        "it is a directory; only a regular file is replaced",
        "the output path is empty",
    ]
    assert main(["schema", "-o", str(tmp_path / "schema.json")]) == 0
    assert (tmp_path / "schema.json").read_text() == Path("archspec.schema.json").read_text()


@pytest.mark.parametrize("path", ["", "."])
def test_an_empty_path_or_the_current_folder_is_refused(path: str, capsys) -> None:
    assert compile_to(path) == 2
    err = capsys.readouterr().err
    assert err.startswith("archspec: error: cannot write ") and "Traceback" not in err


def test_a_path_ending_in_a_slash_is_refused(tmp_path: Path, capsys) -> None:
    assert compile_to(f"{tmp_path}/new/") == 2
    assert "the path names a directory" in capsys.readouterr().err
    assert only_files(tmp_path) == []


def test_the_spec_itself_is_never_overwritten(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(SMALL)
    os.link(spec, tmp_path / "hard.yaml")
    (tmp_path / "soft.yaml").symlink_to(spec)
    (tmp_path / "sub").mkdir()
    for target in [
        spec,
        tmp_path / "hard.yaml",
        tmp_path / "soft.yaml",
        tmp_path / "sub" / ".." / "net.yaml",
    ]:
        assert compile_to(target, spec) == 2
        assert "it is an input of this compile" in capsys.readouterr().err
    assert spec.read_text() == SMALL and (tmp_path / "soft.yaml").is_symlink()


def test_the_spec_is_caught_through_a_relative_path(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "net.yaml").write_text(SMALL)
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "net.yaml", "-o", str(tmp_path / "net.yaml")]) == 2
    assert main(["compile", str(tmp_path / "net.yaml"), "-o", "./net.yaml"]) == 2
    assert (tmp_path / "net.yaml").read_text() == SMALL


@pytest.mark.parametrize("how", ["relative", "library"])
def test_an_imported_block_file_is_never_overwritten(how: str, tmp_path: Path, capsys) -> None:
    blocks = tmp_path / "lib" / "resnet.yaml"
    blocks.parent.mkdir()
    shutil.copy(LIBRARY / "resnet.yaml", blocks)
    spec = tmp_path / "net.yaml"
    target = "lib/resnet.yaml" if how == "relative" else "@lib/resnet"
    spec.write_text(RESNET.read_text().replace('"@torchvision/resnet"', f'"{target}"'))
    before = blocks.read_text()
    assert main(["compile", str(spec), "-o", str(blocks), "--lib", str(tmp_path / "lib")]) == 2
    assert "it is an input of this compile" in capsys.readouterr().err
    assert blocks.read_text() == before


def test_input_files_lists_the_spec_and_its_imports_not_the_prelude() -> None:
    graph = archspec.compile(str(RESNET))
    expected = {str(RESNET), str((LIBRARY / "resnet.yaml").resolve())}  # archspec's library, installed
    assert input_files(graph) == expected
    assert input_files(graph.spec) == expected
    assert input_files(archspec.load(str(NIN))) == {str(NIN)}


def test_the_pyproject_that_names_a_library_is_an_input_too(tmp_path: Path, capsys) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.archspec]\nlibraries = {mine = "lib"}\n')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "act.yaml").write_text("blocks:\n  act: {layers: [relu]}\n")
    spec = tmp_path / "net.yaml"
    spec.write_text('name: n\ninput: [1, 4, 4]\nimports: ["@mine/act"]\nlayers: [act]\n')
    assert input_files(archspec.load(spec)) == {
        str(spec),
        str((tmp_path / "lib" / "act.yaml").resolve()),
        str((tmp_path / "pyproject.toml").resolve()),
    }
    before = (tmp_path / "pyproject.toml").read_text()
    assert compile_to(tmp_path / "pyproject.toml", spec) == 2
    assert "it is an input of this compile" in capsys.readouterr().err
    assert (tmp_path / "pyproject.toml").read_text() == before


def test_a_planted_symlink_is_never_followed(tmp_path: Path) -> None:
    # The old writer used the fixed name .model.py.partial: a link there redirected the write.
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for name in [".model.py.partial", ".model.py.tmp", "model.py.tmp"]:
        (tmp_path / name).symlink_to(victim)
    assert compile_to(tmp_path / "model.py") == 0
    assert victim.read_text() == "precious"
    assert (tmp_path / "model.py").read_text() == NIN_SOURCE.read_text()


def test_a_symlink_target_is_replaced_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.py"
    elsewhere.write_text("keep")
    (tmp_path / "model.py").symlink_to(elsewhere)
    assert compile_to(tmp_path / "model.py") == 0
    assert not (tmp_path / "model.py").is_symlink()
    assert (tmp_path / "model.py").read_text() == NIN_SOURCE.read_text()
    assert elsewhere.read_text() == "keep"


def test_a_missing_folder_is_a_clean_error(tmp_path: Path, capsys) -> None:
    target = tmp_path / "no" / "model.py"
    assert compile_to(target) == 2
    assert (
        capsys.readouterr().err
        == f"archspec: error: cannot write {str(target)!r}: No such file or directory\n"
    )


def test_a_name_too_long_is_a_clean_error(tmp_path: Path, capsys) -> None:
    assert compile_to(tmp_path / ("m" * 300)) == 2
    err = capsys.readouterr().err
    assert err.endswith(": File name too long\n") and "Traceback" not in err
    assert only_files(tmp_path) == []


def test_a_huge_path_is_abridged(tmp_path: Path, capsys) -> None:
    huge = "d/" * 50_000 + "m.py"  # 100 KB
    assert compile_to(tmp_path / huge) == 2
    err = capsys.readouterr().err
    assert len(err) < 300 and "(100" in err and "chars)" in err


def test_a_parent_that_is_a_file_is_a_clean_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert compile_to(tmp_path / "file" / "m.py") == 2
    assert capsys.readouterr().err.endswith(": Not a directory\n")


def fail_with(code: int):
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("function", "code"),
    [
        ("write", errno.ENOSPC),  # /dev/full, a full disk
        ("fsync", errno.EIO),
        ("replace", errno.EROFS),
        ("fchmod", errno.EPERM),
    ],
)
def test_a_write_error_leaves_the_old_file_and_no_temporary(
    function: str, code: int, tmp_path: Path, monkeypatch, capsys
) -> None:
    target = tmp_path / "model.py"
    target.write_text("old")
    monkeypatch.setattr(output.os, function, fail_with(code))
    assert compile_to(target) == 2
    monkeypatch.undo()
    assert capsys.readouterr().err == f"archspec: error: cannot write {str(target)!r}: {os.strerror(code)}\n"
    assert target.read_text() == "old"
    assert only_files(tmp_path) == ["model.py"]


def test_a_short_write_is_completed(tmp_path: Path, monkeypatch) -> None:
    real = os.write
    monkeypatch.setattr(output.os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    write_output(str(tmp_path / "out.txt"), "a longer text than seven bytes, é")
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "a longer text than seven bytes, é"


def test_a_folder_we_cannot_create_in_is_a_clean_error(tmp_path: Path, monkeypatch) -> None:
    # Root ignores permission bits, so EACCES is simulated where mkstemp creates the file.
    monkeypatch.setattr(output.tempfile, "mkstemp", fail_with(errno.EACCES))
    with pytest.raises(OutputError, match=r"cannot write '.*m\.py': Permission denied$"):
        write_output(str(tmp_path / "m.py"), "x")


def test_an_interrupt_removes_the_temporary(tmp_path: Path, monkeypatch) -> None:
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_output(str(tmp_path / "m.py"), "x")
    assert only_files(tmp_path) == []


def test_a_folder_that_cannot_be_synced_is_fine(tmp_path: Path, monkeypatch) -> None:
    real = os.fsync
    calls: list[int] = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 1:  # the folder: EINVAL on filesystems that cannot sync one
            raise OSError(errno.EINVAL, "Invalid argument")
        real(fd)

    monkeypatch.setattr(output.os, "fsync", fsync)
    write_output(str(tmp_path / "m.py"), "x")
    assert len(calls) == 2 and (tmp_path / "m.py").read_text() == "x"


@pytest.mark.slow
def test_concurrent_writers_publish_one_complete_file(tmp_path: Path) -> None:
    expected = NIN_SOURCE.read_text()
    target = tmp_path / "model.py"
    env = {**os.environ, "PYTHONPATH": str(Path(archspec.__file__).parent.parent)}
    command = [sys.executable, "-m", "archspec", "compile", str(NIN), "-o", str(target)]
    for _round in range(3):
        writers = [
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(8)
        ]
        for writer in writers:
            _, err = writer.communicate(timeout=120)
            assert writer.returncode in (0, 2), err
            assert writer.returncode == 0 or err.startswith("archspec: error: cannot write "), err
        text = target.read_text()
        ast.parse(text)
        assert text == expected
        assert only_files(tmp_path) == ["model.py"]


def test_the_writer_imports_neither_torch_nor_sympy() -> None:
    code = "import sys, archspec.output; print(sorted({'torch', 'sympy'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(Path(archspec.__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_an_imported_file_without_blocks_is_an_input_too(tmp_path: Path, capsys) -> None:
    """A block file that only imports others (or holds no blocks) is read by the compile."""
    (tmp_path / "relay.yaml").write_text("imports: [real.yaml]\nblocks: {}\n")
    (tmp_path / "real.yaml").write_text("blocks:\n  act: {layers: [relu]}\n")
    spec = tmp_path / "net.yaml"
    spec.write_text("name: net\ninput: [3, 8, 8]\nimports: [relay.yaml]\nlayers: [act]\n")
    before = (tmp_path / "relay.yaml").read_text()
    assert compile_to(tmp_path / "relay.yaml", spec) == 2
    assert "it is an input of this compile" in capsys.readouterr().err
    assert (tmp_path / "relay.yaml").read_text() == before
