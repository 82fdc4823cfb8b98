"""Where each ``imports:`` entry of a file leads: its target, and every file it reaches.

An editor needs what ``archspec validate`` does not: to jump from an import to
the file it names, and to show a problem found in an imported file (or in a
file that one imports) on the import line of the file being edited. The
imports are resolved by the loader of library.py itself, one entry at a time,
so the rules (confinement, libraries, cycles) are the same; nothing is
executed, and the problems found are left to the load that reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archspec.diagnostics import Diagnostic
from archspec.frontend.blocktable import BlockTable
from archspec.frontend.layers import Kind
from archspec.frontend.library import _File, _Imports, _Root
from archspec.frontend.loader import SourceMap
from archspec.frontend.paths import PathError, import_root, spec_file
from archspec.frontend.roots import LibraryConfig, LibrarySet
from archspec.limits import Limits


@dataclass(frozen=True)
class ImportReach:
    """One entry of ``imports:``: the file it names (a path, or ``@name/path`` for a
    packaged file outside the file system; None where it cannot be resolved) and
    every file it loads, itself and its own imports, by the name their spans carry."""

    index: int
    text: str
    target: str | None
    reached: frozenset[str]


def import_reach(
    data: Mapping[str, Any],
    source: SourceMap,
    kinds: Mapping[str, Kind],
    limits: Limits | None = None,
    libraries: LibraryConfig | None = None,
) -> list[ImportReach]:
    """Each string entry of ``data["imports"]``, resolved as a load resolves it."""
    raw = data.get("imports")
    if not isinstance(raw, list):
        return []
    origin = spec_file(source.file)
    root = _Root(import_root(origin))
    found: list[ImportReach] = []
    for index, text in enumerate(raw):
        if not isinstance(text, str):
            continue
        problems: list[Diagnostic] = []
        loader = _Imports(
            root,
            LibrarySet(libraries or LibraryConfig(), root.folder, limits),
            limits,
            BlockTable(kinds, {}),
            problems,
        )
        itself = loader.start(origin)
        importer: _File | None = itself[0] if itself else None
        try:
            located = loader._locate(text, importer)
        except PathError:
            found.append(ImportReach(index, text, None, frozenset()))
            continue
        target = str(located.resource) if located.resource is not None else located.key
        where = source.span(("imports", index))
        only = SourceMap(source.file, {("imports", 0): (where.line, where.column)})
        loader.imports([text], only, importer, itself)
        found.append(ImportReach(index, text, target, frozenset(loader.read)))
    return found
