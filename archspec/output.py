"""Write a generated file (``compile -o``, ``schema -o``, ``weights -o``): the whole file or nothing.

The target is checked first: it must be a regular file or not exist yet (never
a device, FIFO, socket or directory), and it must not be one of the compile's
inputs. The text then goes to a temporary file created exclusively in the
target's folder, which is flushed to disk and renamed over the target, so a
reader — or another writer — sees the old file or the new one, never a part.
No torch, no sympy: the CLI's ``schema`` imports this too.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

from archspec.diagnostics import abridge
from archspec.frontend.library import PRELUDE_FILE

if TYPE_CHECKING:
    from archspec.compiler.graph import Graph
    from archspec.frontend.spec import Spec

# Enough of a path to recognise it; a 100 KB path must not flood the terminal.
SHOWN_PATH = 120


class OutputError(Exception):
    """The target was refused or could not be written; the message says why."""


def shown(path: str) -> str:
    """A path as a message shows it: quoted, escaped and abridged."""
    return abridge(path, SHOWN_PATH)


def input_files(source: Graph | Spec) -> set[str]:
    """The files a compile read: the spec and every file it imports (not the prelude)."""
    spec = getattr(source, "spec", source)
    files = {spec.source.file, *spec.blocks.imported}
    files.update(block.source.file for block in spec.blocks.blocks.values())
    files.discard(PRELUDE_FILE)
    return files


def write_output(path: str, text: str, inputs: Iterable[str] = ()) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically; raise OutputError, never OSError."""
    write_bytes(path, text.encode("utf-8"), inputs)


def write_bytes(path: str, data: bytes, inputs: Iterable[str] = ()) -> None:
    """Replace ``path`` with ``data`` atomically (a checkpoint); raise OutputError, never OSError."""
    mode = check_target(path, inputs)
    try:
        _replace(path, data, mode)
    except OSError as error:
        raise OutputError(f"cannot write {shown(path)}: {_reason(error)}") from None


def check_target(path: str, inputs: Iterable[str] = ()) -> int:
    """Refuse a target that is not a regular file or is an input; return the mode to give it."""
    if not path:
        raise OutputError("cannot write '': the output path is empty")
    if "\0" in path:
        raise OutputError(f"cannot write {shown(path)}: the path contains a NUL byte")
    if not os.path.basename(path):  # "out/": a folder, whether or not it exists
        raise OutputError(f"cannot write {shown(path)}: the path names a directory")
    try:
        # stat follows a symlink: a link to /dev/null means the device, so it is refused too.
        status = os.stat(path)
    except FileNotFoundError:
        return 0o666 & ~_umask()  # what open() would give a new file
    except OSError as error:  # ENAMETOOLONG, ENOTDIR, ELOOP, EACCES on the folder
        raise OutputError(f"cannot write {shown(path)}: {_reason(error)}") from None
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(
            f"cannot write {shown(path)}: it is {_kind(status.st_mode)}; only a regular file is replaced"
        )
    for source in inputs:
        if _same_file(path, status, source):
            raise OutputError(
                f"cannot write {shown(path)}: it is an input of this compile ({shown(source)}); "
                "choose another output file"
            )
    return stat.S_IMODE(status.st_mode)


def _same_file(path: str, status: os.stat_result, source: str) -> bool:
    # Both tests: the paths catch a symlink, the inode a hard link or a bind mount.
    if os.path.realpath(path) == os.path.realpath(source):
        return True
    try:
        other = os.stat(source)
    except (OSError, ValueError):
        return False
    return (status.st_dev, status.st_ino) == (other.st_dev, other.st_ino)


def _replace(path: str, data: bytes, mode: int) -> None:
    folder = os.path.dirname(path) or "."
    # mkstemp: an unpredictable name, O_CREAT | O_EXCL, so a planted symlink is never
    # followed, and each concurrent writer has its own file. A short prefix keeps a
    # long target name from making the temporary name too long.
    handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)[:32]}.", suffix=".tmp", dir=folder)
    try:
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked
                view = view[os.write(handle, view) :]
            os.fchmod(handle, mode)  # mkstemp makes 0o600
            os.fsync(handle)
        finally:
            os.close(handle)
        # Replaces a symlink at path itself, never the file it points to.
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Make the rename durable where the system allows a folder to be fsynced."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        handle = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:  # EINVAL: some filesystems cannot sync a folder; the file is written
        pass
    finally:
        os.close(handle)


def _umask() -> int:
    # Reading /proc avoids os.umask's set-and-restore, which races other threads.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
