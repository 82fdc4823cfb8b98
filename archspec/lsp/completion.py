"""Completion from the line being typed: which kind of name fits where the cursor is.

- after ``- `` (a layer of a list) or in a flow list of layers: the primitives
  (from the registry) and the blocks (the prelude's, the imports', the file's);
- among the keys of a layer (``conv: {out_channels: 8, ker``, or a deeper line
  under ``- conv:``): that kind's parameters, with type, default and description
  from its params model;
- in a ``from:`` value: the named tensors (the inputs and every named layer).

It reads only the text and the facts of the last check; a document that does
not parse yet still completes from the facts of its last check that did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lsprotocol import types

from archspec.frontend.layers import Kind
from archspec.lsp.analysis import Analysis, BlockFacts
from archspec.lsp.facts import ParamFacts, param_facts
from archspec.lsp.text import Lines

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_LAYER_ITEM = re.compile(rf"^\s*(?:-\s+)+({_IDENT})?$")
_FLOW_ITEM = re.compile(rf"(?:\[|,)\s*({_IDENT})$")
_FLOW_PARAMS = re.compile(rf"({_IDENT})\s*:\s*\{{[^{{}}]*$")
_FROM = re.compile(rf"\bfrom\s*:\s*(?:\[[^\]]*?)?(?:{_IDENT})?$")
_KEY_LINE = re.compile(rf"^(\s*)({_IDENT})?$")
_PARENT = re.compile(rf"^(\s*)(?:-\s+)*({_IDENT})\s*:\s*(?:#.*)?$")
MAX_LOOKBACK = 200  # lines searched upward for the layer whose keys are being typed


def completions(
    analysis: Analysis, lines: Lines, line: int, index: int, kinds: Mapping[str, Kind]
) -> list[types.CompletionItem]:
    before = lines.line(line)[:index]
    blocks = {block.name: block for block in analysis.blocks}
    if _FROM.search(before):
        return [
            types.CompletionItem(name, kind=types.CompletionItemKind.Variable, detail="tensor")
            for name in analysis.tensors
        ]
    flow = _FLOW_PARAMS.search(before)
    if flow is not None:
        segment = re.split(r"[{,]", before)[-1]
        return [] if ":" in segment else _params(flow.group(1), kinds, blocks)
    if _LAYER_ITEM.match(before) or _FLOW_ITEM.search(before):
        return _kinds(kinds, blocks)
    key = _KEY_LINE.match(before)
    if key is not None:
        parent = _parent(lines, line, len(key.group(1)))
        if parent is not None:
            return _params(parent, kinds, blocks)
    return []


def _parent(lines: Lines, line: int, indent: int) -> str | None:
    """The kind of the nearest line above, indented less, that opens a layer (``- conv:``)."""
    for number in range(line - 1, max(line - MAX_LOOKBACK, -1), -1):
        text = lines.line(number)
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        found = _PARENT.match(text)
        opening = len(text) - len(text.lstrip(" -"))
        if opening < indent or (found and len(found.group(1)) < indent):
            return found.group(2) if found else None
    return None


def _kinds(kinds: Mapping[str, Kind], blocks: Mapping[str, BlockFacts]) -> list[types.CompletionItem]:
    items = [
        types.CompletionItem(
            name,
            kind=types.CompletionItemKind.Class,
            detail="primitive",
            documentation=types.MarkupContent(types.MarkupKind.Markdown, kind.summary),
        )
        for name, kind in kinds.items()
    ]
    items += [
        types.CompletionItem(
            name,
            kind=types.CompletionItemKind.Module,
            detail=f"block ({block.file})",
            documentation=types.MarkupContent(
                types.MarkupKind.Markdown, block.description or f"The block {name}."
            ),
        )
        for name, block in blocks.items()
        if name not in kinds
    ]
    return items


def _params(
    kind: str, kinds: Mapping[str, Kind], blocks: Mapping[str, BlockFacts]
) -> list[types.CompletionItem]:
    facts: tuple[ParamFacts, ...]
    if kind in blocks:
        facts = blocks[kind].params
    elif kind in kinds:
        primitive = kinds[kind]
        facts = param_facts(primitive.params)
        facts += tuple(
            ParamFacts(f.name, "layers", None if f.required else "[]", f.description)
            for f in getattr(primitive, "layer_fields", ())
        )
    else:
        return []
    return [
        types.CompletionItem(
            fact.name,
            kind=types.CompletionItemKind.Property,
            detail=fact.type + ("" if fact.default is None else f" = {fact.default}"),
            documentation=types.MarkupContent(types.MarkupKind.Markdown, fact.markdown()),
            insert_text=f"{fact.name}: ",
        )
        for fact in facts
    ]
