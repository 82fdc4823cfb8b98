"""Where blocks come from: the prelude, imported block files, and the spec itself.

The prelude (``prelude.yaml`` in this package) defines the built-in composites
(vgg_block, nin_block, inception, residual) with the same mechanism users
get. ``imports: ["@torchvision/resnet"]`` loads the block file ``resnet.yaml``
of a block library (archspec's own, or a user's: see roots.py), confined to
that library's folder; ``imports: [blocks/mine.yaml]`` loads a block file by
path relative to the importing file, confined to the folder tree of the spec
being compiled (or, in a library's file, to the library). Cycles are detected
across both; a block file holds only ``blocks:`` (and ``imports:``).
"""

from __future__ import annotations

import difflib
import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any

from archspec.codes import E208
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.blocktable import (
    PRELUDE_FILE as PRELUDE_FILE,  # re-exported: where the compiler and the emitters import it
)
from archspec.frontend.blocktable import BlockTable, add_blocks, check_cycles, prelude_names
from archspec.frontend.blocktable import prelude as prelude
from archspec.frontend.errors import validation_diagnostics
from archspec.frontend.layers import Kind
from archspec.frontend.loader import SourceMap, load_text
from archspec.frontend.model import Field, Model, ValidationError
from archspec.frontend.paths import (
    PathError,
    check_regular,
    import_root,
    read_regular,
    reason_of,
    resolved,
    spec_file,
)
from archspec.frontend.roots import Library, LibraryConfig, LibrarySet, library_hint, name_problem
from archspec.limits import Limits

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


class LibraryHeader(Model):
    """The keys of a block file."""

    archspec: int = Field(1, description="The spec format version.")
    description: str | None = Field(None, description="What the blocks are.")
    imports: list[str] = Field(default_factory=list, description="Block files this one uses.")
    blocks: dict[str, Any] = Field(default_factory=dict, description="The blocks, by name.")


def builtin_names(kinds: Mapping[str, Kind]) -> set[str]:
    return set(kinds) | set(prelude_names())


def collect_blocks(
    data: dict[str, Any],
    source: SourceMap,
    problems: list[Diagnostic],
    limits: Limits | None,
    kinds: Mapping[str, Kind],
    libraries: LibraryConfig | None = None,
) -> BlockTable:
    """The prelude, the spec's imports (recursively) and its own blocks.

    ``libraries`` are the user's block libraries for this load (besides
    archspec's own); by default, those of the nearest pyproject.toml.
    """
    table = BlockTable(kinds, with_prelude=True)  # its blocks parsed in when first called
    origin = spec_file(source.file)  # None for text (loads): imports resolve from the current folder
    root = import_root(origin)
    found = LibrarySet(libraries or LibraryConfig(), root, limits)
    loader = _Imports(_Root(root), found, limits, table, problems)
    itself = loader.start(origin)
    loader.imports(data.get("imports"), source, itself[0] if itself else None, itself)
    problems.extend(found.problems)
    table.imported = frozenset(loader.read | set(found.read))
    blocks = data.get("blocks")
    if isinstance(blocks, dict):
        add_blocks(blocks, source, table, problems, builtin_names(kinds))
    check_cycles(table, problems)
    return table


def is_block_file(data: dict[str, Any]) -> bool:
    """A block file (what ``imports:`` loads) has blocks and no layers or input."""
    return "blocks" in data and "layers" not in data and "input" not in data


def check_block_file(
    data: dict[str, Any],
    source: SourceMap,
    kinds: Mapping[str, Kind],
    limits: Limits | None = None,
    libraries: LibraryConfig | None = None,
) -> BlockTable:
    """Validate a block file on its own (for ``archspec validate``); raises SpecError."""
    problems: list[Diagnostic] = []
    try:
        LibraryHeader.model_validate(data)
    except ValidationError as error:
        problems += validation_diagnostics(error, LibraryHeader, data, (), source, what="a block file")
    table = collect_blocks(data, source, problems, limits, kinds, libraries)
    if problems:
        raise SpecError(problems)
    return table


@dataclass(frozen=True)
class _Root:
    """What the relative imports of a file are confined to: the spec's folder
    (``library`` None), a user library's folder, or one of archspec's libraries
    (``folder`` None: its files are read through importlib.resources)."""

    folder: Path | None  # resolved; None if the spec's folder cannot be resolved
    library: Library | None = None

    def describe(self) -> str:
        if self.library is None:
            return f"the spec's folder {abridge(str(self.folder), 60)}"
        return self.library.describe()

    def contains(self) -> str:
        return "the spec's folder" if self.library is None else self.library.describe()


@dataclass(frozen=True)
class _File:
    """A file the imports reach: the spec, or a block file."""

    key: str
    """Its identity: the resolved path (or, for a packaged file outside the file
    system, ``@name/path``), so a link can neither hide a cycle nor load a file twice."""
    label: str
    """How a cycle names it: the file's name, or ``@name/path`` in a library."""
    given: PurePath
    """As named (relative imports join its parent): a path, or the path inside a packaged library."""
    root: _Root
    resource: Traversable | None = None
    """A file of archspec's libraries, read through importlib.resources."""

    @property
    def shown(self) -> str:
        return self.label if self.root.library is not None else self.given.name


@dataclass
class _Imports:
    """Loads ``imports:`` recursively. A relative path is relative to the
    importing file as it was named (a file reached through a symbolic link
    imports the link's siblings) and confined to its root: the spec's folder,
    or the library the file belongs to. ``@name/path`` names the file
    ``path.yaml`` of a library. Identity, cycles and confinement use the
    resolved paths, so a link can neither hide a cycle nor reach outside a root."""

    spec_root: _Root
    libraries: LibrarySet
    limits: Limits | None
    table: BlockTable
    problems: list[Diagnostic]
    done: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    """The files the imports named (read, or tried): inputs of the compile."""
    roots: dict[str, _Root] = field(default_factory=dict)

    def start(self, origin: Path | None) -> list[_File]:
        """The import stack of the spec itself: a spec that imports itself is a cycle."""
        if origin is None:
            return []
        try:
            real = resolved(origin)
        except PathError:
            return []
        self.done.add(str(real))
        return [_File(str(real), real.name, origin, self.spec_root)]

    def imports(self, raw: Any, source: SourceMap, importer: _File | None, stack: list[_File]) -> None:
        if raw is None:
            return
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            return  # the header model reports the type
        for index, text in enumerate(raw):
            span = source.span(("imports", index))
            try:
                target = self._locate(text, importer)
                if target.key in (f.key for f in stack):
                    keys = [f.key for f in stack]
                    cycle = " -> ".join(f.label for f in [*stack[keys.index(target.key) :], target])
                    raise PathError(f"import cycle: {cycle}")
            except PathError as problem:
                self.problems.append(Diagnostic(E208, problem.reason, span, hint=problem.hint))
                continue
            if target.key in self.done:
                continue
            self.done.add(target.key)
            self.read.add(str(target.resource) if target.resource is not None else target.key)
            self._load(target, span, [*stack, target])

    def _locate(self, text: str, importer: _File | None) -> _File:
        """The file an import names, or PathError with the message."""
        if text.startswith("@"):
            return self._library(text)
        name = abridge(text)
        root = importer.root if importer is not None else self.spec_root
        if PurePosixPath(text).is_absolute() or Path(text).is_absolute():
            if root.library is None:
                raise PathError(f"import {name} is an absolute path; imports are relative to the spec", SHARE)
            raise PathError(f"import {name} is an absolute path; imports are relative to the importing file")
        if root.library is not None and root.library.package is not None:
            assert importer is not None  # only a file of the library has this root
            inside = posixpath.normpath(posixpath.join(str(importer.given.parent), text))
            return self._packaged(root.library, inside, name)
        if root.folder is None:
            raise PathError(f"import {name}: the spec's folder cannot be resolved")
        given = (importer.given.parent if importer is not None else root.folder) / text
        return self._in_folder(Path(given), root, name, text)

    def _library(self, text: str) -> _File:
        """``@name/path``: the file ``path.yaml`` of the library ``name``."""
        name = abridge(text)
        library_name, slash, rest = text[1:].partition("/")
        problem = name_problem(library_name)
        if problem is not None:
            raise PathError(f"import {name}: {problem}", "write '@name/file', e.g. '@torchvision/resnet'")
        inside = posixpath.normpath(rest) if slash and rest else "."
        if inside in (".", "/"):
            raise PathError(f"import {name} names no file", f"write '@{library_name}/FILE' (no .yaml)")
        if inside.endswith((".yaml", ".yml")):
            bare = abridge(f"@{library_name}/{inside.rsplit('.', 1)[0]}")
            raise PathError(f"import {name}: a library import names its file without .yaml", f"write {bare}")
        library = self.libraries.find(library_name)
        if library is None:
            raise PathError(
                f"import {name}: unknown library {abridge(library_name)}",
                library_hint(library_name, self.libraries.names(), self.libraries.pyproject_failed()),
            )
        if inside.startswith("/") or inside == ".." or inside.startswith("../"):
            raise PathError(f"import {name} leaves {library.describe()}")
        if library.package is not None:
            return self._packaged(library, inside + ".yaml", name)
        root = self._user_root(library, name)
        assert root.folder is not None
        return self._in_folder(root.folder / (inside + ".yaml"), root, name, None)

    def _user_root(self, library: Library, name: str) -> _Root:
        """A user library's folder, resolved once per load; PathError if it is not a folder."""
        root = self.roots.get(library.name)
        if root is None:
            assert library.folder is not None
            try:
                folder = resolved(library.folder)
            except PathError as error:
                raise PathError(f"import {name}: {library.describe()}: {error.reason}") from None
            if not folder.is_dir():
                reason = "no such folder" if not folder.exists() else "not a folder"
                raise PathError(f"import {name}: {library.describe()}: {reason}")
            root = self.roots[library.name] = _Root(folder, library)
        return root

    def _in_folder(self, given: Path, root: _Root, name: str, relative: str | None) -> _File:
        """A file below a folder root: resolved, inside the root, a regular file."""
        assert root.folder is not None
        try:
            target = resolved(given)
        except PathError as error:
            raise PathError(f"import {name}: {error.reason}") from None
        if not target.is_relative_to(root.folder):
            hint = SHARE if root.library is None else None
            raise PathError(f"import {name} leaves {root.describe()}", hint)
        inside = target.relative_to(root.folder).as_posix()
        try:
            check_regular(target)
        except PathError as error:
            # where it was looked for, if not as written
            where = f" ({abridge(inside, 60)} in {root.contains()})" if inside != relative else ""
            hint = _close_file(root.library, inside, _listing(target.parent)) if root.library else None
            raise PathError(f"import {name}: {error.reason}{where}", hint) from None
        if root.library is None:
            return _File(str(target), target.name, given, root)
        return _File(str(target), _label(root.library, inside), given, root)

    def _packaged(self, library: Library, inside: str, name: str) -> _File:
        """A file of one of archspec's libraries, through importlib.resources only."""
        if inside.startswith("/") or inside == ".." or inside.startswith("../"):
            raise PathError(f"import {name} leaves {library.describe()}")
        assert library.package is not None
        resource = library.package.joinpath(*inside.split("/"))
        try:
            found = resource.is_file()
        except (OSError, ValueError):
            found = False
        if not found:
            try:
                folder = library.package.joinpath(*inside.split("/")[:-1])
                names = [entry.name for entry in islice(folder.iterdir(), LISTED)]
            except (OSError, ValueError):
                names = []
            raise PathError(
                f"import {name}: no such file ({abridge(inside, 60)} in {library.describe()})",
                _close_file(library, inside, names),
            )
        # On a file system, the real path is its identity (and an input of the compile).
        key = str(resolved(resource)) if isinstance(resource, Path) else f"@{library.name}/{inside}"
        root = _Root(None, library)
        return _File(key, _label(library, inside), PurePosixPath(inside), root, resource)

    def _load(self, file: _File, span: Span, stack: list[_File]) -> None:
        limit = (self.limits or Limits()).max_bytes + 1
        try:
            if file.resource is not None:
                try:
                    with file.resource.open("rb") as handle:
                        raw = handle.read(limit)
                except (OSError, ValueError) as error:
                    raise PathError(reason_of(error)) from None
            else:
                raw = read_regular(file.key, limit)
        except PathError as error:  # unreadable, or swapped since it was checked
            self.problems.append(Diagnostic(E208, f"import {abridge(file.shown)}: {error.reason}", span))
            return
        name = str(file.resource) if file.resource is not None else file.key
        try:
            data, source = load_text(raw, name, self.limits)
        except SpecError as error:
            self.problems.extend(error.diagnostics)
            return
        try:
            LibraryHeader.model_validate(data)
        except ValidationError as error:
            self.problems.extend(
                validation_diagnostics(error, LibraryHeader, data, (), source, what="a block file")
            )
            return
        self.imports(data.get("imports"), source, file, stack)
        add_blocks(data.get("blocks", {}), source, self.table, self.problems, builtin_names(self.table.kinds))


SHARE = "to share block files between specs, put them in a library and import '@name/file' (docs/blocks.md)"
LISTED = 1000  # files listed at most for a did-you-mean: a huge folder costs no more


def _label(library: Library, inside: str) -> str:
    """``@name/path`` for a file of a library (without ``.yaml``)."""
    return f"@{library.name}/{inside.removesuffix('.yaml')}"


def _listing(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in islice(entries, LISTED)]
    except (OSError, ValueError):
        return []


def _close_file(library: Library | None, inside: str, names: list[str]) -> str | None:
    """A did-you-mean among the block files next to where a library file was looked for."""
    if library is None:
        return None
    stem = PurePosixPath(inside)
    files = [n.removesuffix(".yaml") for n in names if n.endswith(".yaml")]
    close = difflib.get_close_matches(stem.stem, files, n=1, cutoff=0.6)
    if not close:
        return None
    parent = "" if str(stem.parent) == "." else f"{stem.parent}/"
    return f"did you mean {abridge(f'@{library.name}/{parent}{close[0]}')}?"
