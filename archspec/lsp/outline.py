"""The outline of a document (its layers as a tree, its blocks) and its tensor names,
read from the loaded YAML and its source map, so that they exist even where a
shape does not fit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from archspec.frontend.layers import Kind
from archspec.frontend.loader import SourceMap


@dataclass(frozen=True)
class Symbol:
    """A layer (or block) for the outline: its name, kind and place, and its parts."""

    name: str
    detail: str
    line: int
    column: int
    end_line: int
    children: tuple[Symbol, ...] = ()


def tensors(data: Mapping[str, Any]) -> Iterator[str]:
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


def layer_keys(kinds: Mapping[str, Kind]) -> frozenset[str]:
    """The parameter names that hold layers (``layers``, ``branches``, ``then`` …)."""
    return frozenset(f.name for kind in kinds.values() for f in getattr(kind, "layer_fields", ()))


def symbols(
    data: Mapping[str, Any], source: SourceMap, block_file: bool, keys: frozenset[str]
) -> Iterator[Symbol]:
    """The outline: the spec's layers as a tree, then each block with its layers."""
    if not block_file:
        yield from _layer_symbols(data.get("layers"), ("layers",), source, keys)
    blocks = data.get("blocks")
    if isinstance(blocks, dict):
        for name, body in blocks.items():
            span = source.span(("blocks", name), key=True)
            children = (
                _layer_symbols(body.get("layers"), ("blocks", name, "layers"), source, keys)
                if isinstance(body, dict)
                else iter(())
            )
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
