"""One document, checked as ``archspec validate`` checks a file, into plain facts.

:func:`analyze` loads the text with the loader, validates it with the front end
and compiles a spec with the compiler (a block file is checked on its own),
exactly as ``archspec validate`` does, and keeps what an editor asks about:
the diagnostics (each also placed in this document: a problem in an imported
file is shown on the import that reaches it), every layer's shapes and costs
by line, the blocks, the imports and the named tensors. The facts are plain
data (strings and ints), so that they cross from the worker process that
computes them (archspec/lsp/worker.py) to the server, and a request is answered
from them without running anything again. Nothing in a document is executed:
the loader refuses every tag, and the compiler evaluates only its own expressions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from archspec.compiler import compile_spec
from archspec.compiler.graph import Graph, LayerInfo
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.layers import Kind, LayerNode
from archspec.frontend.library import check_block_file, collect_blocks, is_block_file
from archspec.frontend.loader import SourceMap, load_text
from archspec.frontend.roots import LibraryConfig
from archspec.frontend.spec import parse_spec
from archspec.lsp.facts import ParamFacts, param_facts
from archspec.limits import Limits
from archspec.report import activation_bytes, count, scaled, size


@dataclass(frozen=True)
class Problem:
    """A diagnostic, where it is (``file``, 1-based ``line``/``column``) and where this
    document shows it (``shown_line``/``shown_column``: the same place for a problem of
    this document, the import that reaches the file for a problem of an imported one)."""

    code: str
    message: str
    hint: str | None
    path: str
    file: str
    line: int
    column: int
    shown_line: int
    shown_column: int

    @property
    def elsewhere(self) -> bool:
        return (self.line, self.column) != (self.shown_line, self.shown_column) or self.file == ""


@dataclass(frozen=True)
class LayerFacts:
    """A layer of the compiled network whose key is on ``line`` of this document."""

    line: int
    column: int
    path: str
    kind: str
    block: str | None
    inputs: tuple[str, ...]
    output: str
    params: str
    macs: str
    activations: str
    settings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BlockFacts:
    name: str
    file: str
    line: int
    column: int
    description: str | None
    params: tuple[ParamFacts, ...]


@dataclass(frozen=True)
class ImportFacts:
    line: int
    column: int
    text: str
    target: str | None


@dataclass(frozen=True)
class Symbol:
    """A layer (or block) for the outline: its name, kind and place, and its parts."""

    name: str
    detail: str
    line: int
    column: int
    end_line: int
    children: tuple[Symbol, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything an editor asks about one version of one document."""

    file: str
    problems: tuple[Problem, ...] = ()
    layers: tuple[LayerFacts, ...] = ()
    blocks: tuple[BlockFacts, ...] = ()
    imports: tuple[ImportFacts, ...] = ()
    tensors: tuple[str, ...] = ()
    symbols: tuple[Symbol, ...] = ()
    loaded: bool = False
    """Whether the text is YAML the loader accepts (else only ``problems`` hold)."""
    block_file: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def layers_on(self, line: int) -> list[LayerFacts]:
        return [layer for layer in self.layers if layer.line == line]


def analyze(
    text: str,
    file: str,
    kinds: Mapping[str, Kind],
    limits: Limits | None = None,
    libraries: LibraryConfig | None = None,
) -> Analysis:
    """Check ``text`` (the document at path ``file``) as ``archspec validate`` checks a
    file; never raises for a bad document."""
    try:
        data, source = load_text(text, file, limits)
    except SpecError as error:
        return Analysis(file, tuple(_placed(error.diagnostics, file, {}, [], 0)))
    from archspec.frontend.importmap import import_reach

    reach = import_reach(data, source, kinds, limits, libraries)
    import_lines = {r.index: source.span(("imports", r.index)) for r in reach}
    imports = tuple(
        ImportFacts(import_lines[r.index].line, import_lines[r.index].column, r.text, r.target)
        for r in reach
    )
    scratch: list[Diagnostic] = []
    table = collect_blocks(data, source, scratch, limits, kinds, libraries)
    blocks = tuple(
        BlockFacts(
            name, block.span.file, block.span.line, block.span.column, block.description,
            param_facts(block.params),
        )
        for name in table.names()
        if (block := table.blocks.get(name)) is not None
    )
    graph: Graph | None = None
    nodes: list[tuple[str, LayerNode]] = []
    found: list[Diagnostic] = []
    block_file = is_block_file(data)
    try:
        if block_file:
            check_block_file(data, source, kinds, limits, libraries)
        else:
            spec = parse_spec(data, source, kinds, limits, libraries)
            nodes = list(_paths(spec.layers, ""))
            graph = compile_spec(spec, None, limits)
    except SpecError as error:
        found = list(error.diagnostics)
    where = {r.index: import_lines[r.index] for r in reach}
    placed = tuple(_placed(found, file, {i: (where[i], r.reached) for i, r in enumerate(reach)}, nodes, 0))
    return Analysis(
        file,
        placed,
        tuple(_layer_facts(graph, file, table.blocks)) if graph is not None else (),
        blocks,
        imports,
        tuple(_tensors(data)),
        tuple(_symbols(data, source, block_file, _layer_keys(kinds))),
        loaded=True,
        block_file=block_file,
    )


def _placed(
    diagnostics: Any,
    file: str,
    imports: Mapping[int, tuple[Any, frozenset[str]]],
    nodes: list[tuple[str, LayerNode]],
    _depth: int,
) -> Iterator[Problem]:
    """Each diagnostic with the place this document shows it at."""
    here = _real(file)
    for diagnostic in diagnostics:
        span = diagnostic.span
        if span is None:
            yield _problem(diagnostic, "", 1, 1, 1, 1)
            continue
        if span.file == file or _real(span.file) == here:
            yield _problem(diagnostic, span.file, span.line, span.column, span.line, span.column)
            continue
        shown = _import_line(span.file, imports) or _layer_line(diagnostic.path, file, nodes)
        line, column = shown if shown is not None else (1, 1)
        yield _problem(diagnostic, span.file, span.line, span.column, line, column)


def _problem(d: Diagnostic, file: str, line: int, column: int, shown: int, shown_column: int) -> Problem:
    return Problem(d.code, d.message, d.hint, d.path, file, line, column, shown, shown_column)


def _real(file: str) -> str:
    try:
        return os.path.realpath(file)
    except (OSError, ValueError):
        return file


def _import_line(file: str, imports: Mapping[int, tuple[Any, frozenset[str]]]) -> tuple[int, int] | None:
    real = _real(file)
    for span, reached in imports.values():
        if file in reached or real in {_real(name) for name in reached}:
            return span.line, span.column
    return None


def _layer_line(path: str, file: str, nodes: list[tuple[str, LayerNode]]) -> tuple[int, int] | None:
    """The deepest layer of this document whose path holds ``path`` (a problem in the
    body of a block defined elsewhere, such as the prelude, shows on its call)."""
    best: tuple[int, LayerNode] | None = None
    parts = path.split(".") if path else []
    for node_path, node in nodes:
        mine = node_path.split(".")
        if parts[: len(mine)] == mine and node.span.file == file and (best is None or len(mine) > best[0]):
            best = (len(mine), node)
    return (best[1].span.line, best[1].span.column) if best is not None else None


def _paths(layers: tuple[LayerNode, ...], prefix: str) -> Iterator[tuple[str, LayerNode]]:
    """The layers as written, with the path the compiler gives them (a name where the
    layer has one, else its index; a branch adds its index)."""
    for index, node in enumerate(layers):
        path = f"{prefix}{node.name or index}"
        yield path, node
        for group in node.groups.values():
            if group and all(isinstance(item, LayerNode) for item in group):
                yield from _paths(group, f"{path}.")
            else:
                for branch_index, branch in enumerate(group):
                    if isinstance(branch, tuple):
                        yield from _paths(branch, f"{path}.{branch_index}.")


def _layer_facts(graph: Graph, file: str, blocks: Mapping[str, Any]) -> Iterator[LayerFacts]:
    here = _real(file)
    for layer in graph.layers:
        span = layer.span
        if span is None or (span.file != file and _real(span.file) != here):
            continue
        yield LayerFacts(
            span.line,
            span.column,
            layer.path,
            layer.kind,
            layer.block,
            tuple(str(shape) for shape in layer.input_shapes),
            str(layer.output),
            count(layer.num_params),
            scaled(layer.num_macs),
            size(activation_bytes(layer)),
            _settings(layer),
        )


def _settings(layer: LayerInfo) -> tuple[tuple[str, str], ...]:
    """The parameters the layer was made with (a block call: its arguments)."""
    model = layer.args if layer.args is not None else layer.params
    values = model.model_dump(exclude_none=True) if model is not None else {}
    return tuple((name, _short(value)) for name, value in values.items() if not isinstance(value, list | dict)
                 or len(str(value)) <= 60)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _tensors(data: Mapping[str, Any]) -> Iterator[str]:
    """The tensor names a ``from:`` can read: the inputs, and every named layer."""
    inputs = data.get("inputs")
    if isinstance(inputs, dict):
        yield from (name for name in inputs if isinstance(name, str))
    else:
        yield "input"
    seen: set[str] = set()
    stack: list[Any] = [data.get("layers"), data.get("blocks")]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, str) and name.isidentifier() and name not in seen:
                seen.add(name)
                yield name
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _layer_keys(kinds: Mapping[str, Kind]) -> frozenset[str]:
    """The parameter names that hold layers (``layers``, ``branches``, ``then`` …)."""
    return frozenset(f.name for kind in kinds.values() for f in getattr(kind, "layer_fields", ()))


def _symbols(
    data: Mapping[str, Any], source: SourceMap, block_file: bool, keys: frozenset[str]
) -> Iterator[Symbol]:
    """The outline: the spec's layers as a tree, then each block with its layers."""
    if not block_file:
        yield from _layer_symbols(data.get("layers"), ("layers",), source, keys)
    blocks = data.get("blocks")
    if isinstance(blocks, dict):
        for name, body in blocks.items():
            span = source.span(("blocks", name), key=True)
            children = _layer_symbols(body.get("layers"), ("blocks", name, "layers"), source, keys) if isinstance(
                body, dict
            ) else iter(())
            kids = tuple(children)
            yield Symbol(str(name), "block", span.line, span.column, _end(span.line, kids), kids)


def _layer_symbols(
    layers: Any, path: tuple[Any, ...], source: SourceMap, keys: frozenset[str]
) -> Iterator[Symbol]:
    if not isinstance(layers, list):
        return
    for index, item in enumerate(layers):
        here = (*path, index)
        if isinstance(item, list):  # a branch: a list of layers
            yield from _layer_symbols(item, here, source, keys)
            continue
        if isinstance(item, str):
            span = source.span(here)
            yield Symbol(item, item, span.line, span.column, span.line)
            continue
        if not isinstance(item, dict) or len(item) != 1:
            continue
        kind, params = next(iter(item.items()))
        span = source.span((*here, kind), key=True)
        kids: tuple[Symbol, ...] = ()
        name = str(kind)
        if isinstance(params, dict):
            if isinstance(params.get("name"), str):
                name = params["name"]
            kids = tuple(
                symbol
                for key, value in params.items()
                if isinstance(value, list) and key in keys
                for symbol in _layer_symbols(value, (*here, kind, key), source, keys)
            )
        yield Symbol(name, str(kind), span.line, span.column, _end(span.line, kids), kids)


def _end(line: int, children: tuple[Symbol, ...]) -> int:
    return max([line, *(child.end_line for child in children)])


def prelude_file() -> str:
    """Where the prelude's blocks are, on disk (a definition of a prelude block opens it)."""
    from importlib import resources

    return str(resources.files("archspec.frontend").joinpath("prelude.yaml"))


