"""Block libraries: the names ``imports: ["@name/file"]`` can use, and their folders.

A library is a folder of block files under a name. archspec ships some in the
package (``archspec/library/NAME/``, read through :mod:`importlib.resources`
only); users add their own, for one compile:

- ``libraries={"mylib": "path/to/dir"}`` on the API, ``--lib DIR`` on the
  command line (named after the folder: ``--lib blocks/mylib`` is ``@mylib``),
  relative to the current directory;
- a ``[tool.archspec]`` table in the nearest ``pyproject.toml`` above the
  spec (``libraries = {mylib = "blocks/mylib"}``), relative to that file, read
  only when an import names a library that neither of the above gives.

A user library cannot take the name of one of archspec's, so ``@torchvision``
always means the same blocks. Nothing here is global: a :class:`LibrarySet`
lives for one load, and two loads with different libraries do not see each
other's.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archspec.codes import E208
from archspec.diagnostics import Diagnostic, Span, abridge
from archspec.frontend.errors import did_you_mean
from archspec.frontend.paths import PathError, read_regular
from archspec.frontend.types import NAME_LIMIT
from archspec.limits import Limits

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PYPROJECT = "pyproject.toml"
LISTED_NAMES = 20  # an unknown name's hint lists at most this many libraries
LIBRARY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
NAME_RULE = "letters, digits, '_' and '-', starting with a letter"


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a library, or None."""
    if not isinstance(name, str) or not LIBRARY_NAME.match(name):
        return f"{abridge(name)} is not a library name ({NAME_RULE})"
    if len(name) > NAME_LIMIT:
        return f"a library name is at most {NAME_LIMIT} characters, got {abridge(name)}"
    return None


def _package_folder() -> Traversable:
    return resources.files("archspec").joinpath("library")


def packaged_names() -> list[str]:
    """archspec's own libraries: the folders of ``archspec/library/``."""
    try:
        entries = list(_package_folder().iterdir())
    except (OSError, FileNotFoundError):  # pragma: no cover - a broken install
        return []
    return sorted(e.name for e in entries if e.is_dir() and name_problem(e.name) is None)


@dataclass(frozen=True)
class Library:
    """One library: archspec's (``package``, a Traversable) or a user's (``folder``)."""

    name: str
    origin: str
    """Where it was declared, for messages: ``archspec``, ``--lib``, ``libraries=``, a pyproject.toml line."""
    folder: Path | None = None
    package: Traversable | None = None

    def describe(self) -> str:
        if self.package is not None:
            return f"archspec's library {self.name}"
        origin = abridge(self.origin, 60, quote=False)
        return f"the library {self.name} ({abridge(str(self.folder), 60)}, from {origin})"


@dataclass(frozen=True)
class LibraryConfig:
    """The user's libraries for one load: the API's ``libraries=`` (or ``--lib``),
    and whether the nearest pyproject.toml may add more."""

    roots: tuple[tuple[str, str], ...] = ()
    """(name, absolute folder) pairs."""
    pyproject: bool = True
    origin: str = "libraries="

    @classmethod
    def of(
        cls,
        libraries: Mapping[str, str | os.PathLike[str]] | None = None,
        *,
        pyproject: bool = True,
        origin: str = "libraries=",
    ) -> LibraryConfig:
        """Check the names (ValueError) and make the folders absolute (relative to the
        current directory); the folders themselves are checked when an import uses them."""
        if libraries is None:
            return cls(pyproject=pyproject, origin=origin)
        if not isinstance(libraries, Mapping):
            kind = type(libraries).__name__
            raise TypeError(f"libraries must be a mapping of names to folders, got {kind}")
        roots: list[tuple[str, str]] = []
        ours = set(packaged_names())
        for name, folder in libraries.items():
            problem = name_problem(name)
            if problem is not None:
                raise ValueError(problem)
            if name in ours:
                raise ValueError(f"the library name {name!r} is archspec's own; choose another name")
            if not isinstance(folder, str | os.PathLike) or not os.fspath(folder):
                raise ValueError(f"the folder of library {name!r} must be a path, got {abridge(folder)}")
            roots.append((name, os.path.abspath(os.fspath(folder))))
        return cls(tuple(roots), pyproject, origin)


@dataclass
class LibrarySet:
    """The libraries one load may import from; the pyproject is read at most once,
    and only when a name is not found otherwise."""

    config: LibraryConfig
    start: Path | None
    """Where the search for pyproject.toml starts (the spec's folder), or None."""
    limits: Limits | None = None
    problems: list[Diagnostic] = field(default_factory=list)
    """What is wrong with the pyproject's table, once."""
    read: list[str] = field(default_factory=list)
    """The pyproject.toml read, if any: an input of the compile."""
    _fixed: dict[str, Library] | None = None
    _project: dict[str, Library] | None = None

    def _known(self) -> dict[str, Library]:
        if self._fixed is None:
            folder = _package_folder()
            self._fixed = {
                name: Library(name, "archspec", package=folder.joinpath(name)) for name in packaged_names()
            }
            for name, root in self.config.roots:
                self._fixed[name] = Library(name, self.config.origin, folder=Path(root))
        return self._fixed

    def find(self, name: str) -> Library | None:
        return self._known().get(name) or self.project().get(name)

    def names(self) -> list[str]:
        return [*self._known(), *self.project()]

    def project(self) -> dict[str, Library]:
        """The libraries of ``[tool.archspec]`` in the nearest pyproject.toml (read once)."""
        if self._project is None:
            self._project = {}
            path = nearest_pyproject(self.start) if self.config.pyproject else None
            if path is not None:
                self.read.append(str(path))
                self._project = _read_pyproject(path, self._known(), self.limits, self.problems)
        return self._project

    def pyproject_failed(self) -> bool:
        return bool(self.problems)


def nearest_pyproject(start: Path | None) -> Path | None:
    """The first regular file named pyproject.toml in ``start`` or a folder above it."""
    if start is None:
        return None
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        try:
            if candidate.is_file():
                return candidate
        except (OSError, ValueError):  # a folder that cannot be searched
            return None
    return None


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


TOOL_KEYS = ("libraries", "limits", "format", "plugins")
"""The keys of ``[tool.archspec]``: the libraries here, the rest in config.py."""


def read_tool_table(
    path: Path,
    limits: Limits | None,
    problems: list[Diagnostic],
    *,
    whole_file: bool = False,
    code: str = E208,
) -> tuple[dict[str, Any], str, int] | None:
    """The ``[tool.archspec]`` table of a TOML file, its text and the table's line;
    None where there is none (``whole_file``: a file without ``[tool]`` is the table
    itself) or where the file is wrong, which adds a located problem (``code``)
    to ``problems``; so does every unknown key of the table, with a did-you-mean."""
    file = str(path)
    budget = (limits or Limits()).max_bytes

    def fail(message: str, line: int = 1, column: int = 1, hint: str | None = None) -> None:
        problems.append(Diagnostic(code, message, Span(file, line, column), hint=hint))

    name = path.name
    try:
        raw = read_regular(path, budget + 1)
    except PathError as error:
        return fail(f"cannot read {name}: {error.reason}")
    if len(raw) > budget:
        return fail(f"{name} is larger than {budget:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - raw.rfind(b"\n", 0, error.start)
        bad = raw[error.start : error.start + 1]
        return fail(f"{name} is not valid UTF-8 (byte {error.start}: {bad!r})", line, column)
    if sys.version_info >= (3, 11):  # imported here: most specs have no pyproject.toml above them
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = _TOML_POSITION.search(str(error))
        line, column = (int(where[1]), int(where[2])) if where else (1, 1)
        reason = _TOML_POSITION.sub("", str(error)).strip()
        return fail(f"{name} is not valid TOML: {abridge(reason, 120, quote=False)}", line, column)
    except (RecursionError, ValueError, MemoryError):
        return fail(f"{name} cannot be parsed (nested too deeply)")
    tool = data.get("tool")
    if whole_file and tool is None:
        table: Any = data
        header = 1
    else:
        table = tool.get("archspec") if isinstance(tool, dict) else None
        if table is None:
            return None
        header = line_of(text, r"^\s*\[\s*tool\s*\.\s*archspec\b|^\s*archspec\s*=")
    if not isinstance(table, dict):
        return fail("[tool.archspec] must be a table", header)
    for key in table:
        if key not in TOOL_KEYS:
            line = line_of(text, rf"^\s*{toml_key(key)}\s*=", header)
            fail(
                f"[tool.archspec] has no key {abridge(key)}",
                line,
                hint=did_you_mean(key, list(TOOL_KEYS)) or f"the keys: {', '.join(TOOL_KEYS)}",
            )
    return table, text, header


def _read_pyproject(
    path: Path, known: Mapping[str, Library], limits: Limits | None, problems: list[Diagnostic]
) -> dict[str, Library]:
    """The libraries the file declares; every problem in it is a located E208."""
    file = str(path)

    def fail(message: str, line: int = 1, column: int = 1, hint: str | None = None) -> dict[str, Library]:
        problems.append(Diagnostic(E208, message, Span(file, line, column), hint=hint))
        return {}

    found_table = read_tool_table(path, limits, problems)
    if found_table is None:
        return {}
    table, text, header = found_table
    found: dict[str, Library] = {}
    libraries = table.get("libraries", {})
    where = line_of(text, r"^\s*libraries\s*[=.]|^\s*\[\s*tool\s*\.\s*archspec\s*\.\s*libraries\b", header)
    if not isinstance(libraries, dict):
        return fail(
            "[tool.archspec] libraries must be a table of names to folders",
            where,
            hint='libraries = {mylib = "path/to/folder"}',
        )
    for name, folder in libraries.items():
        line = line_of(text, rf"(^\s*|[{{,.]\s*){toml_key(name)}\s*=", where)
        problem = name_problem(name)
        if problem is None and name in known:
            if known[name].package is None:
                continue  # --lib or libraries= gives it: they win
            problem = f"the library name {abridge(name)} is archspec's own; choose another name"
        if problem is None and (not isinstance(folder, str) or not folder or "\0" in folder):
            problem = f"the folder of library {name} must be a path (a string), got {abridge(folder)}"
        if problem is not None:
            fail(f"[tool.archspec] libraries: {problem}", line)
            continue
        found[name] = Library(name, f"{file}:{line}", folder=path.parent / folder)
    return found


def toml_key(name: str) -> str:
    """A pattern for a TOML key as written: bare or quoted."""
    word = re.escape(name)
    return rf"(?:{word}|\"{word}\"|'{word}')"


def line_of(text: str, pattern: str, after: int = 1) -> int:
    """The first line at or after ``after`` that matches (best effort: 1 if none)."""
    regex = re.compile(pattern)
    lines = text.splitlines()
    for number in range(after, len(lines) + 1):
        if regex.search(lines[number - 1]):
            return number
    return after


def library_hint(name: str, known: Iterable[str], pyproject_failed: bool) -> str:
    """The hint for an unknown library name: the closest one, and all of them."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    listed = ", ".join(f"@{abridge(n, 40, quote=False)}" for n in names[:LISTED_NAMES]) or "none"
    if len(names) > LISTED_NAMES:
        listed += f" and {len(names) - LISTED_NAMES:,} more"
    text = f"did you mean '@{close[0]}'? " if close else ""
    text += f"known libraries: {listed}; "
    if pyproject_failed:
        return text + f"[tool.archspec] in {PYPROJECT} could not be read (see its error)"
    return text + f"add one with --lib DIR, libraries= or [tool.archspec] in {PYPROJECT}"
