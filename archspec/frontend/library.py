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
from importlib import resources
from itertools import islice
from keyword import iskeyword
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archspec.codes import E207, E208
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.blocks import Block, declare_block, define_block
from archspec.frontend.errors import validation_diagnostics
from archspec.frontend.layers import Kind, LayerParser
from archspec.frontend.loader import SourceMap, load_text
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
from archspec.frontend.types import NAME_LIMIT
from archspec.limits import Limits

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PRELUDE_FILE = "<archspec prelude>"


class LibraryHeader(BaseModel):
    """The keys of a block file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    archspec: int = Field(1, description="The spec format version.")
    description: str | None = Field(None, description="What the blocks are.")
    imports: list[str] = Field(default_factory=list, description="Block files this one uses.")
    blocks: dict[str, Any] = Field(default_factory=dict, description="The blocks, by name.")


@dataclass
class BlockTable:
    """Every kind a spec can call: the primitives it was given, and its blocks."""

    kinds: Mapping[str, Kind]
    blocks: dict[str, Block] = field(default_factory=dict)
    imported: frozenset[str] = frozenset()
    """Every file ``imports:`` read (resolved), blocks or none: inputs of the compile."""

    def lookup(self, name: str) -> Kind | None:
        return self.kinds.get(name) or self.blocks.get(name)

    def names(self) -> list[str]:
        return [*self.kinds, *self.blocks]


# The prelude parsed against one table of primitives: (the table, its size, the blocks).
# One entry: a registration (a plugin) changes the size, and the prelude is parsed again.
_prelude_parsed: tuple[Mapping[str, Kind], int, dict[str, Block]] | None = None


def prelude(kinds: Mapping[str, Kind]) -> dict[str, Block]:
    """The built-in blocks, parsed once per table of primitives."""
    global _prelude_parsed
    cached = _prelude_parsed
    if cached is not None and cached[0] is kinds and cached[1] == len(kinds):
        return cached[2]
    text = resources.files("archspec.frontend").joinpath("prelude.yaml").read_text(encoding="utf-8")
    data, source = load_text(text, PRELUDE_FILE)
    table = BlockTable(kinds)
    problems: list[Diagnostic] = []
    _add_blocks(data.get("blocks", {}), source, table, problems, set(kinds))
    if problems:  # a broken prelude is a bug in archspec, not in a spec
        raise AssertionError("\n".join(p.render() for p in problems))
    _prelude_parsed = (kinds, len(kinds), table.blocks)
    return table.blocks


def builtin_names(kinds: Mapping[str, Kind]) -> set[str]:
    return set(kinds) | set(prelude(kinds))


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
    table = BlockTable(kinds, dict(prelude(kinds)))
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
        _add_blocks(blocks, source, table, problems, builtin_names(kinds))
    _check_cycles(table, problems)
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


def _add_blocks(
    raw: dict[str, Any], source: SourceMap, table: BlockTable, problems: list[Diagnostic], builtins: set[str]
) -> None:
    parser = LayerParser(source, table.lookup, table.names, problems)
    declared: list[tuple[Block, Any]] = []
    for name, body in raw.items():
        base = ("blocks", name)
        problem = _name_problem(name, table, builtins)
        if problem is not None:
            message, hint = problem
            problems.append(Diagnostic(E207, message, source.span(base, key=True), hint=hint))
            continue
        block = declare_block(name, body, base, parser)
        if block is not None:
            table.blocks[name] = block
            declared.append((block, body))
    for block, body in declared:
        table.blocks[block.name] = define_block(block, body, ("blocks", block.name), parser)


def _name_problem(name: Any, table: BlockTable, builtins: set[str]) -> tuple[str, str | None] | None:
    """Why ``name`` cannot name a new block (message, hint), or None."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii() or iskeyword(name):
        return f"a block name must be an identifier, got {abridge(name)}", None
    if len(name) > NAME_LIMIT:  # it would be echoed in messages and become a class name
        return f"a block name is at most {NAME_LIMIT} characters, got {abridge(name)}", "use a shorter name"
    if name in builtins:
        return f"the block '{name}' shadows the built-in {name}", f"rename the block, e.g. my_{name}"
    if name in table.blocks:
        return (
            f"the block '{name}' is defined twice: first at {table.blocks[name].span}",
            "rename one of them",
        )
    return None


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
        _add_blocks(
            data.get("blocks", {}), source, self.table, self.problems, builtin_names(self.table.kinds)
        )


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


def _check_cycles(table: BlockTable, problems: list[Diagnostic]) -> None:
    """A block that calls itself, directly or not, would expand forever."""
    user = {name: block for name, block in table.blocks.items() if block.source.file != PRELUDE_FILE}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for callee in sorted(user[name].calls()):
            if callee not in user:
                continue
            if state.get(callee) == 1:
                cycle = " -> ".join([*path[path.index(callee) :], callee])
                problems.append(
                    Diagnostic(
                        E207,
                        f"blocks call each other in a cycle: {cycle}",
                        user[callee].span,
                        hint="a block cannot contain itself; use repeat for copies",
                    )
                )
            elif callee not in state:
                visit(callee, [*path, callee])
        state[name] = 2

    for name in user:
        if name not in state:
            visit(name, [name])
