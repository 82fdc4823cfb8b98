"""Paths that come from outside: the spec file argument and ``imports:`` entries.

A path can be anything: hold a NUL (``"a\\0b.yaml"`` is valid YAML), be longer
than the system allows, be a loop of symbolic links, name a directory, a FIFO
or a device. ``os`` and ``pathlib`` answer these with OSError, ValueError or
(``Path.resolve`` before Python 3.13) RuntimeError; here each becomes a
:class:`PathError` with a short reason, which the caller turns into a located
diagnostic (E100 for the spec, E208 for an import). Only regular files are
ever read, and a FIFO is never opened for a blocking read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# Opening a FIFO for reading blocks until a writer comes; with O_NONBLOCK it
# returns at once, and fstat then refuses it. (O_NONBLOCK does not exist on Windows.)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class PathError(Exception):
    """A path that cannot be read as a spec or block file; ``reason`` says why,
    ``hint`` (if any) how to fix it."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def reason_of(error: BaseException) -> str:
    """What went wrong with a path, in a few words."""
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, RuntimeError) or (isinstance(error, OSError) and error.errno == errno.ELOOP):
        return "a loop of symbolic links"
    if isinstance(error, OSError):
        return (error.strerror or type(error).__name__).lower()
    if "null" in str(error):  # ValueError: embedded null byte
        return "the path holds a NUL character"
    return "not a valid path"


def resolved(path: Path) -> Path:
    """``path`` made absolute with every symbolic link followed; PathError if it cannot be."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError) as error:
        raise PathError(reason_of(error)) from None


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def check_regular(path: Path | str) -> None:
    """PathError unless ``path`` (links followed) is a regular file."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError) as error:
        raise PathError(reason_of(error)) from None
    kind = _kind(mode)
    if kind is not None:
        raise PathError(f"not a regular file ({kind})")


def read_regular(path: Path | str, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file; PathError for anything else.

    The file is checked before it is opened (a device is never opened) and
    again on the open descriptor, in case it was swapped for a FIFO in between.
    """
    check_regular(path)
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError) as error:
        raise PathError(reason_of(error)) from None
    with os.fdopen(descriptor, "rb") as handle:
        try:
            kind = _kind(os.fstat(descriptor).st_mode)
            if kind is not None:
                raise PathError(f"not a regular file ({kind})")
            os.set_blocking(descriptor, True)
            return handle.read(limit)
        except OSError as error:  # EIO, EISDIR on odd file systems
            raise PathError(reason_of(error)) from None


def spec_file(file: str) -> Path | None:
    """The spec's path as given, if it names a regular file (not ``<string>``)."""
    try:
        check_regular(file)
    except PathError:
        return None
    return Path(file)


def import_root(spec: Path | None) -> Path | None:
    """The folder imports are confined to: the folder of the spec as given
    (a spec reached through a symbolic link imports the link's siblings), or
    the current directory for spec text; None if that cannot be resolved."""
    try:
        return resolved(spec.parent if spec is not None else Path.cwd())
    except (PathError, OSError):  # Path.cwd(): the current directory was removed
        return None
