"""Where blocks come from: the prelude, imported block files, and the spec itself.

The prelude (``prelude.yaml`` in this package) defines the built-in composites
(vgg_block, nin_block, inception, residual) with the same mechanism users
get. ``imports: [blocks/resnet.yaml]`` loads block files by path relative to
the importing file, confined to the folder tree of the spec being compiled,
with cycles detected; a block file holds only ``blocks:`` (and ``imports:``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from keyword import iskeyword
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archspec.codes import E207, E208
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.blocks import Block, declare_block, define_block
from archspec.frontend.errors import validation_diagnostics
from archspec.frontend.layers import Kind, LayerParser
from archspec.frontend.loader import SourceMap, load_text
from archspec.frontend.paths import PathError, check_regular, import_root, read_regular, resolved, spec_file
from archspec.frontend.types import NAME_LIMIT
from archspec.limits import Limits

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
) -> BlockTable:
    """The prelude, the spec's imports (recursively) and its own blocks."""
    table = BlockTable(kinds, dict(prelude(kinds)))
    origin = spec_file(source.file)  # None for text (loads): imports resolve from the current folder
    loader = _Imports(import_root(origin), limits, table, problems)
    itself = loader.start(origin)
    loader.imports(data.get("imports"), source, origin, itself)
    table.imported = frozenset(str(path) for path in loader.done - set(itself))
    blocks = data.get("blocks")
    if isinstance(blocks, dict):
        _add_blocks(blocks, source, table, problems, builtin_names(kinds))
    _check_cycles(table, problems)
    return table


def is_block_file(data: dict[str, Any]) -> bool:
    """A block file (what ``imports:`` loads) has blocks and no layers or input."""
    return "blocks" in data and "layers" not in data and "input" not in data


def check_block_file(
    data: dict[str, Any], source: SourceMap, kinds: Mapping[str, Kind], limits: Limits | None = None
) -> BlockTable:
    """Validate a block file on its own (for ``archspec validate``); raises SpecError."""
    problems: list[Diagnostic] = []
    try:
        LibraryHeader.model_validate(data)
    except ValidationError as error:
        problems += validation_diagnostics(error, LibraryHeader, data, (), source, what="a block file")
    table = collect_blocks(data, source, problems, limits, kinds)
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


@dataclass
class _Imports:
    """Loads ``imports:`` recursively. Paths are relative to the importing file
    as it was named (a file reached through a symbolic link imports the link's
    siblings); identity, cycles and confinement use the resolved paths, so a
    link can neither hide a cycle nor reach outside ``root``."""

    root: Path | None  # resolved; None if the spec's folder cannot be resolved
    limits: Limits | None
    table: BlockTable
    problems: list[Diagnostic]
    done: set[Path] = field(default_factory=set)

    def start(self, origin: Path | None) -> list[Path]:
        """The import stack of the spec itself: a spec that imports itself is a cycle."""
        if origin is None:
            return []
        try:
            real = resolved(origin)
        except PathError:
            return []
        self.done.add(real)
        return [real]

    def imports(self, raw: Any, source: SourceMap, importer: Path | None, stack: list[Path]) -> None:
        if raw is None:
            return
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            return  # the header model reports the type
        for index, relative in enumerate(raw):
            span = source.span(("imports", index))
            try:
                given, target = self._locate(relative, importer, stack)
            except PathError as problem:
                self.problems.append(Diagnostic(E208, problem.reason, span))
                continue
            if target in self.done:
                continue
            self.done.add(target)
            self._load(given, target, span, [*stack, target])

    def _locate(self, relative: str, importer: Path | None, stack: list[Path]) -> tuple[Path, Path]:
        """The import as named and resolved, or PathError with the message."""
        name = abridge(relative)
        if Path(relative).is_absolute():
            raise PathError(f"import {name} is an absolute path; imports are relative to the spec")
        if self.root is None:
            raise PathError(f"import {name}: the spec's folder cannot be resolved")
        given = (importer.parent if importer is not None else self.root) / relative
        try:
            target = resolved(given)
        except PathError as error:
            raise PathError(f"import {name}: {error.reason}") from None
        if not target.is_relative_to(self.root):
            raise PathError(f"import {name} leaves the spec's folder {abridge(str(self.root), 60)}")
        if target in stack:
            cycle = " -> ".join(p.name for p in [*stack[stack.index(target) :], target])
            raise PathError(f"import cycle: {cycle}")
        try:
            check_regular(target)
        except PathError as error:
            inside = str(target.relative_to(self.root))  # where it was looked for, if not as written
            where = f" ({abridge(inside, 60)} in the spec's folder)" if inside != relative else ""
            raise PathError(f"import {name}: {error.reason}{where}") from None
        return given, target

    def _load(self, given: Path, target: Path, span: Span, stack: list[Path]) -> None:
        try:
            raw = read_regular(target, (self.limits or Limits()).max_bytes + 1)
        except PathError as error:  # unreadable, or swapped since it was checked
            self.problems.append(Diagnostic(E208, f"import {abridge(given.name)}: {error.reason}", span))
            return
        try:
            data, source = load_text(raw, str(target), self.limits)
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
        self.imports(data.get("imports"), source, given, stack)
        _add_blocks(
            data.get("blocks", {}), source, self.table, self.problems, builtin_names(self.table.kinds)
        )


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
