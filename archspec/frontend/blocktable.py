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


@dataclass
class BlockTable:
    """Every kind a spec can call: the primitives it was given, and its blocks."""

    kinds: Mapping[str, Kind]
    blocks: dict[str, Block] = field(default_factory=dict)
    imported: frozenset[str] = frozenset()
    """Every file ``imports:`` read (resolved), blocks or none: inputs of the compile."""

    def lookup(self, name: str) -> Kind | None:
        # Blocks first: a block never shares a primitive's name (add_blocks refuses it, and
        # a plugin may not take a prelude block's), and a block call then never makes a
        # DeferredKinds scan for the plugins' primitives.
        return self.blocks.get(name) or self.kinds.get(name)

    def names(self) -> list[str]:
        return [*self.kinds, *self.blocks]


# The prelude parsed against one table of primitives: (the table, its size, the blocks).
# One entry: a registration (a plugin) changes the size, and the prelude is parsed again.
_prelude_parsed: tuple[Mapping[str, Kind], int, dict[str, Block]] | None = None


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
    text = resources.files("archspec.frontend").joinpath("prelude.yaml").read_text(encoding="utf-8")
    data, source = load_text(text, PRELUDE_FILE)
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


def check_cycles(table: BlockTable, problems: list[Diagnostic]) -> None:
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
