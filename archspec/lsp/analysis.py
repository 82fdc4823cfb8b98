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
from dataclasses import dataclass
from typing import Any

from archspec.compiler import compile_spec
from archspec.compiler.graph import Graph, LayerInfo
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.blocks import Block
from archspec.frontend.importmap import import_reach
from archspec.frontend.layers import Kind, LayerNode
from archspec.frontend.library import check_block_file, collect_blocks, is_block_file, prelude
from archspec.frontend.loader import load_text
from archspec.frontend.roots import LibraryConfig
from archspec.frontend.spec import parse_spec
from archspec.limits import Limits
from archspec.lsp.facts import ParamFacts, param_facts
from archspec.lsp.outline import Symbol, layer_keys, symbols, tensors
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
        return Analysis(file, tuple(_placed(error.diagnostics, file, {}, [])))
    reach = import_reach(data, source, kinds, limits, libraries)
    import_lines = {r.index: source.span(("imports", r.index)) for r in reach}
    imports = tuple(
        ImportFacts(import_lines[r.index].line, import_lines[r.index].column, r.text, r.target) for r in reach
    )
    scratch: list[Diagnostic] = []
    table = collect_blocks(data, source, scratch, limits, kinds, libraries)
    blocks = tuple(block_facts(table.blocks))
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
    placed = tuple(_placed(found, file, {r.index: (import_lines[r.index], r.reached) for r in reach}, nodes))
    return Analysis(
        file,
        placed,
        tuple(_layer_facts(graph, file, table.blocks)) if graph is not None else (),
        blocks,
        imports,
        tuple(tensors(data)),
        tuple(symbols(data, source, block_file, layer_keys(kinds))),
        loaded=True,
        block_file=block_file,
    )


def block_facts(blocks: Mapping[str, Block]) -> Iterator[BlockFacts]:
    for name, block in blocks.items():
        span = block.span
        yield BlockFacts(
            name, span.file, span.line, span.column, block.description, param_facts(block.params)
        )


def prelude_facts(kinds: Mapping[str, Kind]) -> Analysis:
    """What completion offers before a document has ever loaded: the prelude's blocks."""
    return Analysis("", blocks=tuple(block_facts(prelude(kinds))), tensors=("input",))


def _placed(
    diagnostics: Any,
    file: str,
    imports: Mapping[int, tuple[Any, frozenset[str]]],
    nodes: list[tuple[str, LayerNode]],
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
    # str(): an ErrorCode does not pickle, and the facts cross to the server process
    return Problem(str(d.code), d.message, d.hint, d.path, file, line, column, shown, shown_column)


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
    return tuple(
        (name, _short(value))
        for name, value in values.items()
        if not isinstance(value, list | dict) or len(str(value)) <= 60
    )


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def prelude_file() -> str:
    """Where the prelude's blocks are, on disk (a definition of a prelude block opens it)."""
    from importlib import resources

    return str(resources.files("archspec.frontend").joinpath("prelude.yaml"))
