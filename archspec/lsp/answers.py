"""The answers to an editor's questions, from one document's Analysis.

Each function turns facts (archspec/lsp/analysis.py) into protocol values:
diagnostics, inlay hints (each layer's output shape at the end of its line),
hovers, definitions and the outline. Nothing here checks a spec again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lsprotocol import types

from archspec.frontend.blocktable import PRELUDE_FILE
from archspec.frontend.layers import Kind
from archspec.lsp.analysis import Analysis, BlockFacts, ImportFacts, LayerFacts, Problem, Symbol, prelude_file
from archspec.lsp.facts import param_facts
from archspec.lsp.text import Lines

SOURCE = "archspec"


def uri_of(file: str) -> str | None:
    """The URI of a file a diagnostic or a block names (the prelude: its file on disk)."""
    if file == PRELUDE_FILE:
        file = prelude_file()
    path = Path(file)
    return path.resolve().as_uri() if path.is_absolute() or path.exists() else None


def _range(lines: Lines, line: int, column: int) -> types.Range:
    """The word at a 1-based line and column, clamped to the document."""
    number = min(max(line - 1, 0), len(lines) - 1)
    start = min(max(column - 1, 0), len(lines.line(number)))
    end = lines.span_end(number, start)
    return types.Range(
        types.Position(number, lines.units(number, start)), types.Position(number, lines.units(number, end))
    )


def diagnostics(analysis: Analysis, lines: Lines) -> list[types.Diagnostic]:
    return [_diagnostic(problem, lines) for problem in analysis.problems]


def _diagnostic(problem: Problem, lines: Lines) -> types.Diagnostic:
    message = problem.message
    if problem.path:
        message = f"layer {problem.path}: {message}"
    related = None
    if problem.elsewhere and problem.file:
        message = f"in {problem.file}:{problem.line}:{problem.column}: {message}"
        uri = uri_of(problem.file)
        if uri is not None:
            place = types.Position(max(problem.line - 1, 0), max(problem.column - 1, 0))
            related = [
                types.DiagnosticRelatedInformation(
                    types.Location(uri, types.Range(place, place)), "the problem is here"
                )
            ]
    if problem.hint:
        message += f"\nhint: {problem.hint}"
    return types.Diagnostic(
        range=_range(lines, problem.shown_line, problem.shown_column),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        code=problem.code,
        source=SOURCE,
        related_information=related,
    )


def hint_label(layers: list[LayerFacts]) -> str:
    """``→ [N, 64, 56, 56]``; a line that several calls run (a block's body) says how many."""
    shapes = list(dict.fromkeys(layer.output for layer in layers))
    label = f"→ {shapes[0]}"
    if len(layers) > 1:
        label += f" ({len(layers)} calls" + (f", {len(shapes)} shapes)" if len(shapes) > 1 else ")")
    return label


def inlay_hints(analysis: Analysis, lines: Lines, first: int, last: int) -> list[types.InlayHint]:
    """A hint at the end of each line of ``first..last`` (0-based) that holds a layer."""
    by_line: dict[int, list[LayerFacts]] = {}
    for layer in analysis.layers:
        if first <= layer.line - 1 <= last:
            by_line.setdefault(layer.line - 1, []).append(layer)
    return [
        types.InlayHint(
            position=types.Position(number, lines.units(number)),
            label=hint_label(layers),
            kind=types.InlayHintKind.Type,
            padding_left=True,
            tooltip=f"{layers[0].kind} {layers[0].path}: output shape",
        )
        for number, layers in sorted(by_line.items())
    ]


def layer_markdown(layers: list[LayerFacts], blocks: Mapping[str, BlockFacts]) -> str:
    layer = layers[0]
    parts = [f"**{layer.kind}** `{layer.path}`" + (f" (1 of {len(layers)} calls)" if len(layers) > 1 else "")]
    shown = ", ".join(f"`{shape}`" for shape in layer.inputs)
    parts.append(f"input {shown} → output `{layer.output}`")
    parts.append(f"params {layer.params} · MACs {layer.macs} · activations {layer.activations} per sample")
    if layer.settings:
        parts.append(", ".join(f"{name}={value}" for name, value in layer.settings))
    block = blocks.get(layer.block) if layer.block else None
    if block is not None:
        parts.append(block_markdown(block))
    return "\n\n".join(parts)


def block_markdown(block: BlockFacts) -> str:
    text = f"block **{block.name}**" + (f": {block.description}" if block.description else "")
    declared = [p for p in block.params if p.name != "name"]
    if declared:
        text += "\n\n" + "\n".join(p.markdown() for p in declared)
    return text


def kind_markdown(name: str, kinds: Mapping[str, Kind], blocks: Mapping[str, BlockFacts]) -> str | None:
    if name in blocks:
        return block_markdown(blocks[name])
    kind = kinds.get(name)
    if kind is None:
        return None
    facts = "\n".join(p.markdown() for p in param_facts(kind.params) if p.name != "name")
    return f"primitive **{name}**: {kind.summary}" + (f"\n\n{facts}" if facts else "")


def hover(
    analysis: Analysis, lines: Lines, line: int, index: int, kinds: Mapping[str, Kind]
) -> types.Hover | None:
    """The layer on this line; else the import; else the kind named under the cursor."""
    word, start, end = lines.word_at(line, index)
    blocks = {block.name: block for block in analysis.blocks}
    layers = analysis.layers_on(line + 1)
    text: str | None = None
    if layers:
        text = layer_markdown(layers, blocks)
    elif (found := _import_on(analysis, line)) is not None:
        text = f"import `{found.text}`: " + (f"`{found.target}`" if found.target else "cannot be resolved")
    elif word:
        text = kind_markdown(word.rstrip(":"), kinds, blocks)
    if text is None:
        return None
    return types.Hover(
        types.MarkupContent(types.MarkupKind.Markdown, text),
        types.Range(
            types.Position(line, lines.units(line, start)), types.Position(line, lines.units(line, end))
        ),
    )


def _import_on(analysis: Analysis, line: int) -> ImportFacts | None:
    return next((item for item in analysis.imports if item.line - 1 == line), None)


def definition(analysis: Analysis, lines: Lines, line: int, index: int) -> types.Location | None:
    """A block call's definition, or the file an import names."""
    found = _import_on(analysis, line)
    if found is not None and found.target is not None:
        uri = uri_of(found.target)
        return (
            None
            if uri is None
            else types.Location(uri, types.Range(types.Position(0, 0), types.Position(0, 0)))
        )
    word = lines.word_at(line, index)[0].rstrip(":")
    block = next((b for b in analysis.blocks if b.name == word), None)
    if block is None:
        return None
    uri = uri_of(block.file)
    if uri is None:
        return None
    place = types.Position(block.line - 1, max(block.column - 1, 0))
    return types.Location(uri, types.Range(place, place))


def symbols(analysis: Analysis, lines: Lines) -> list[types.DocumentSymbol]:
    shapes: dict[int, str] = {}
    for layer in analysis.layers:
        shapes.setdefault(layer.line, layer.output)
    return [_symbol(symbol, lines, shapes) for symbol in analysis.symbols]


def _symbol(symbol: Symbol, lines: Lines, shapes: Mapping[int, str]) -> types.DocumentSymbol:
    start = types.Position(symbol.line - 1, lines.units(symbol.line - 1, symbol.column - 1))
    end_line = symbol.end_line - 1
    whole = types.Range(types.Position(symbol.line - 1, 0), types.Position(end_line, lines.units(end_line)))
    name_end = types.Position(
        symbol.line - 1, lines.units(symbol.line - 1, symbol.column - 1 + len(symbol.detail))
    )
    detail = symbol.detail + (f" → {shapes[symbol.line]}" if symbol.line in shapes else "")
    block = symbol.detail == "block"
    return types.DocumentSymbol(
        name=symbol.name,
        kind=types.SymbolKind.Class if block else types.SymbolKind.Function,
        range=whole,
        selection_range=types.Range(start, name_end if name_end.line == start.line else start),
        detail=detail,
        children=[_symbol(child, lines, shapes) for child in symbol.children],
    )
