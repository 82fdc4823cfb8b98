"""The blocks a spec can call, as a table: archspec's prelude, parsed once per table of
primitives; the rules a block definition meets wherever it is written (a spec, a block
file, the prelude); and the check that no block contains itself. Where the blocks come
from (imports, libraries) is archspec/frontend/library.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from keyword import iskeyword
from typing import Any

from archspec.codes import E207
from archspec.diagnostics import Diagnostic, abridge
from archspec.frontend.blocks import Block, declare_block, define_block
from archspec.frontend.kindtable import registered_now
from archspec.frontend.layers import Kind, LayerParser
from archspec.frontend.loader import SourceMap, load_text
from archspec.frontend.types import NAME_LIMIT

PRELUDE_FILE = "<archspec prelude>"


@dataclass(eq=False)
class BlockTable:
    """Every kind a spec can call: the primitives it was given, and its blocks.

    With ``with_prelude``, the prelude's blocks are among them, parsed the first time one
    is called or every block is asked for (``blocks``): most specs call none, and its
    parse is a good part of a small spec's check. Until then its names stand in for them
    (a name cannot be taken twice, a did-you-mean offers them), in the order ``blocks``
    then has: the prelude's first, then the others as they were added.
    """

    kinds: Mapping[str, Kind]
    _blocks: dict[str, Block] = field(default_factory=dict[str, Block])
    imported: frozenset[str] = frozenset()
    """Every file ``imports:`` read (resolved), blocks or none: inputs of the compile."""
    with_prelude: bool = False
    """The prelude's blocks belong to the table and are not parsed in yet."""
    _known: Mapping[str, Kind] = field(init=False, repr=False)
    """The kinds registered now (``kinds`` without a discovery): what most lookups find."""

    def __post_init__(self) -> None:
        self._known = registered_now(self.kinds)

    @property
    def blocks(self) -> dict[str, Block]:
        """Every block, the prelude's included (parsed now if it was not yet)."""
        if self.with_prelude:
            self._blocks = {**prelude(self.kinds), **self._blocks}
            self.with_prelude = False
        return self._blocks

    def block(self, name: str) -> Block:
        """The block ``name`` (a prelude block's call parses the prelude in); KeyError if none."""
        found = self._blocks.get(name)
        return found if found is not None else self.blocks[name]

    def add(self, block: Block) -> None:
        self._blocks[block.name] = block

    def added(self) -> Mapping[str, Block]:
        """The blocks added so far (the prelude's once parsed in), without parsing it."""
        return self._blocks

    def lookup(self, name: str) -> Kind | None:
        # A block never shares a primitive's name (add_blocks refuses it, and a plugin may
        # not take a prelude block's), so the order is free: the blocks and the kinds
        # registered now first (two dict lookups: the compiler asks once per layer), so that
        # a block call never makes a DeferredKinds look for the plugins' primitives.
        found = self._blocks.get(name) or self._known.get(name)
        if found is None:
            if self.with_prelude and name in prelude_names():
                return self.blocks[name]
            return self.kinds.get(name)
        return found

    def names(self) -> list[str]:
        if self.with_prelude:
            return [*self.kinds, *prelude_names(), *self._blocks]
        return [*self.kinds, *self._blocks]

    def has_init(self) -> bool:
        """Whether a block that may be called has init: rules (a prelude block not parsed in
        yet is called nowhere)."""
        return any(block.init for block in self.added().values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlockTable):
            return NotImplemented
        same_kinds = self.kinds is other.kinds or self.kinds == other.kinds
        return same_kinds and (self.blocks, self.imported) == (other.blocks, other.imported)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq


# The prelude's text, loaded once (with its block names), and the prelude parsed against one
# table of primitives: (the table, its size, the blocks). One entry: a registration (a
# plugin) changes the size, and the prelude is parsed again.
_prelude_loaded: tuple[dict[str, Any], SourceMap, dict[str, None]] | None = None
_prelude_parsed: tuple[Mapping[str, Kind], int, dict[str, Block]] | None = None


def _prelude_text() -> tuple[dict[str, Any], SourceMap, dict[str, None]]:
    global _prelude_loaded
    if _prelude_loaded is None:
        text = resources.files("archspec.frontend").joinpath("prelude.yaml").read_text(encoding="utf-8")
        data, source = load_text(text, PRELUDE_FILE)
        _prelude_loaded = (data, source, dict.fromkeys(data.get("blocks", {})))
    return _prelude_loaded


def prelude_names() -> Mapping[str, None]:
    """The names of the prelude's blocks, in its order (as keys), without parsing them."""
    return _prelude_text()[2]


def prelude(kinds: Mapping[str, Kind]) -> dict[str, Block]:
    """The built-in blocks, parsed once per table of primitives.

    The prelude calls built-in primitives only, and no plugin may take one of its block
    names (archspec/primitives/plugins.py), so it is parsed against the kinds registered
    now: that never makes a DeferredKinds discover the plugins."""
    global _prelude_parsed
    kinds = registered_now(kinds)
    cached = _prelude_parsed
    if cached is not None and cached[0] is kinds and cached[1] == len(kinds):
        return cached[2]
    data, source, _ = _prelude_text()
    table = BlockTable(kinds)
    problems: list[Diagnostic] = []
    add_blocks(data.get("blocks", {}), source, table, problems, set(kinds))
    if problems:  # a broken prelude is a bug in archspec, not in a spec
        raise AssertionError("\n".join(p.render() for p in problems))
    _prelude_parsed = (kinds, len(kinds), table.blocks)
    return table.blocks


def add_blocks(
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
            table.add(block)
            declared.append((block, body))
    for block, body in declared:
        table.add(define_block(block, body, ("blocks", block.name), parser))


def _name_problem(name: Any, table: BlockTable, builtins: set[str]) -> tuple[str, str | None] | None:
    """Why ``name`` cannot name a new block (message, hint), or None."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii() or iskeyword(name):
        return f"a block name must be an identifier, got {abridge(name)}", None
    if len(name) > NAME_LIMIT:  # it would be echoed in messages and become a class name
        return f"a block name is at most {NAME_LIMIT} characters, got {abridge(name)}", "use a shorter name"
    if name in builtins:
        return f"the block '{name}' shadows the built-in {name}", f"rename the block, e.g. my_{name}"
    first = table.added().get(name)  # a prelude block's name is among the built-ins
    if first is not None:
        return (
            f"the block '{name}' is defined twice: first at {first.span}",
            "rename one of them",
        )
    return None


def check_cycles(table: BlockTable, problems: list[Diagnostic]) -> None:
    """A block that calls itself, directly or not, would expand forever."""
    user = {name: block for name, block in table.added().items() if block.source.file != PRELUDE_FILE}
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
