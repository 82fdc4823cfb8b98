"""Parse a list of layers into LayerNodes, with every problem located.

A layer is a bare name (``relu``) or a one-key mapping ``{kind: params}``,
where the kind is a primitive (from the registry) or a block (a user's, an
imported one or a built-in from the prelude). Parameters are validated
against the kind's pydantic model, except where they hold expressions
(``=4 * width``, mostly inside block bodies): those are checked for unknown
keys and syntax now, and validated when the compiler binds the names (a
block's arguments and ``in_channels``).
Parameters that hold layers (``layers``, ``branches``, ``then`` …) are parsed
recursively into ``LayerNode.groups``. ``from`` (the tensors a layer reads,
by name) is a key of every layer, kept in ``LayerNode.sources``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from archspec.codes import E200, E201, E202, E203, E204, E205, E206, E210
from archspec.diagnostics import Diagnostic, Span, abridge
from archspec.frontend.errors import did_you_mean, validation_diagnostics
from archspec.frontend.expr import ExprError, is_expression, parse
from archspec.frontend.loader import KeyPath, Position, SourceMap
from archspec.frontend.model import Model, ValidationError
from archspec.frontend.types import NAME_LIMIT, TENSOR_NAME_PATTERN


@dataclass(frozen=True)
class LayerField:
    """A parameter that holds layers: a list of layers, or (``branches``) a list
    of such lists. It is parsed by the schema, not by the params model."""

    name: str
    description: str
    branches: bool = False
    required: bool = True
    min_items: int = 1


class Kind(Protocol):
    """What the parser needs of a layer kind: a primitive or a block.

    The front end sits below the primitives; the table of kinds is handed to it.
    """

    @property
    def params(self) -> type[Model]: ...

    @property
    def layer_fields(self) -> tuple[LayerField, ...]: ...

    @property
    def is_block(self) -> bool: ...


# A group is the layers of one layer field: a tuple of nodes, or for branches a
# tuple of such tuples.
Group = tuple[Any, ...]


@dataclass(frozen=True)
class LayerNode:
    """One layer as written: its kind, raw params, validated params and location.

    ``params`` is None while the raw params hold expressions (in a block
    body); the compiler validates them when it instantiates the block.
    """

    kind_name: str
    raw: dict[str, Any]
    params: Model | None
    groups: dict[str, Group]
    key_path: KeyPath
    position: Position  # where the layer is written; ``span`` makes its Span when asked
    source: SourceMap = field(repr=False, compare=False)
    is_block: bool = False
    # The tensors the layer reads, by name (``from``); None: its predecessor's output.
    sources: tuple[str, ...] | None = None

    @cached_property  # made when first asked (inference asks for it at every layer), not at load
    def span(self) -> Span:
        return Span(self.source.file, *self.position)

    @cached_property  # asked at every step of inference; raw never changes
    def name(self) -> str | None:
        name = self.raw.get("name")
        return name if isinstance(name, str) else None

    @property
    def children(self) -> tuple[LayerNode, ...]:
        """The layers of a ``sequential``."""
        return self.groups.get("layers", ())

    def field_span(self, name: str) -> Span:
        return self.source.span((*self.key_path, self.kind_name, name))

    def source_span(self, index: int | None = None) -> Span:
        """Where ``from`` (or its ``index``-th name) is written."""
        key = (*self.key_path, self.kind_name, FROM)
        if index is not None and (*key, index) in self.source.keys:
            return self.source.span((*key, index))
        return self.source.span(key) if key in self.source.keys else self.span


FROM = "from"
"""The key of every layer that names the tensors it reads."""

TENSOR_REFERENCE = re.compile(TENSOR_NAME_PATTERN.replace("$", r"\Z"))
"""A tensor's name: a layer's (``skip``), an input's, or a block call's output (``fpn.p3``)."""


def has_expression(value: Any) -> bool:
    if is_expression(value):
        return True
    if isinstance(value, list):
        return any(has_expression(v) for v in value)
    if isinstance(value, dict):
        return any(has_expression(v) for v in value.values())
    return False


@dataclass
class LayerParser:
    """Parses layers of one file; ``lookup`` finds a primitive or block by name."""

    source: SourceMap
    lookup: Callable[[str], Kind | None]
    names: Callable[[], list[str]]
    problems: list[Diagnostic]

    def layers(self, raw: Any, base: KeyPath, parent: str) -> tuple[LayerNode, ...]:
        if not isinstance(raw, list):
            self.problems.append(
                Diagnostic(
                    E200,
                    f"expected a list of layers, got {abridge(raw)}",
                    self.source.span(base),
                    parent.rstrip("."),
                )
            )
            return ()
        nodes: list[LayerNode] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            node = self.layer(item, (*base, index), f"{parent}{index}")
            if node is None:
                continue
            name = node.name
            if name is not None and name in seen:
                self.problems.append(
                    Diagnostic(
                        E205,
                        f"the name '{name}' is used twice here: first at line {seen[name]}",
                        node.field_span("name"),
                        f"{parent}{name}",
                        "give each layer in one group its own name",
                    )
                )
            if name is not None:
                seen.setdefault(name, node.span.line)
            nodes.append(node)
        return tuple(nodes)

    def layer(self, item: Any, key_path: KeyPath, path: str) -> LayerNode | None:
        span = self.source.span(key_path)
        if isinstance(item, str):
            kind_name, params, params_path = item, {}, key_path
        elif isinstance(item, dict) and len(item) == 1:
            kind_name, params = next(iter(item.items()))
            params_path = (*key_path, kind_name)
            span = self.source.span(params_path, key=True)
            params = {} if params is None else params
        else:
            got = f"a mapping with {len(item)} keys" if isinstance(item, dict) else type(item).__name__
            self.problems.append(
                Diagnostic(
                    E204,
                    f"a layer is a primitive name or a one-key mapping, got {got}",
                    span,
                    path,
                    "write '- relu' or '- conv: {out_channels: 64, kernel_size: 3}'",
                )
            )
            return None
        kind = self.lookup(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            self.problems.append(
                Diagnostic(
                    E203,
                    f"unknown primitive or block {abridge(kind_name)}",
                    span,
                    path,
                    did_you_mean(kind_name, self.names()) or "see docs/reference.md for the primitives",
                )
            )
            return None
        if not isinstance(params, dict):
            self.problems.append(
                Diagnostic(
                    E200,
                    f"the parameters of {kind_name} must be a mapping, got {abridge(params)}",
                    self.source.span(params_path),
                    path,
                    f"write '- {kind_name}: {{…}}'",
                )
            )
            return None
        return self._node(kind, kind_name, params, key_path, params_path, span, path)

    def _node(
        self,
        kind: Kind,
        kind_name: str,
        params: dict[str, Any],
        key_path: KeyPath,
        params_path: KeyPath,
        span: Span,
        path: str,
    ) -> LayerNode | None:
        layer_path = named_path(path, params.get("name"))
        fields = kind.layer_fields
        plain = {k: v for k, v in params.items() if k not in {f.name for f in fields} and k != FROM}
        before = len(self.problems)
        sources = self._sources(kind, kind_name, params, params_path, layer_path)
        model = self._validate(kind, kind_name, plain, params_path, layer_path)
        # a merge that reads several tensors needs no branches (nor, after a bad 'from', a
        # second error about them)
        joins = FROM in params and (sources is None or len(sources) > 1)
        groups = {
            f.name: self._group(f, kind_name, params, params_path, layer_path, joins and f.branches)
            for f in fields
        }
        if len(self.problems) > before:
            return None
        at = (span.line, span.column)
        return LayerNode(kind_name, plain, model, groups, key_path, at, self.source, kind.is_block, sources)

    def _sources(
        self, kind: Kind, kind_name: str, params: dict[str, Any], params_path: KeyPath, layer_path: str
    ) -> tuple[str, ...] | None:
        """``from``: one tensor name or a list of them, checked for form here (and for
        meaning by the compiler, once repeats and ifs are spliced)."""
        if FROM not in params:
            return None
        raw, where = params[FROM], self.source.span((*params_path, FROM))
        if getattr(kind, "splices", None) is not None:
            self.problems.append(
                Diagnostic(
                    E210,
                    f"{kind_name} takes no 'from': it stands for the layers inside it",
                    where,
                    layer_path,
                    f"put 'from' on the first layer inside the {kind_name}",
                )
            )
            return None
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.problems.append(
                Diagnostic(
                    E210,
                    f"'from' must be a tensor name or a list of them, got {abridge(raw)}",
                    where,
                    layer_path,
                    "write 'from: skip' or 'from: [up, skip]'",
                )
            )
            return None
        bad = [
            n
            for n in names
            if not (n.isascii() and len(n) <= 2 * NAME_LIMIT + 1 and TENSOR_REFERENCE.match(n))
        ]
        if bad:
            self.problems.append(
                Diagnostic(
                    E210,
                    f"'from' names {abridge(bad[0])}, which is not a tensor name",
                    where,
                    layer_path,
                    "a tensor is named by its layer's name (an identifier), an input's name, or "
                    "'call.output' for an output of a block call",
                )
            )
            return None
        merges = any(f.branches for f in kind.layer_fields)
        if len(names) > 1 and merges and any(f.branches and f.name in params for f in kind.layer_fields):
            self.problems.append(
                Diagnostic(
                    E210,
                    f"{kind_name} reads {len(names)} tensors and also has branches",
                    where,
                    layer_path,
                    f"give {kind_name} either branches (run on one input) or the tensors to merge "
                    "(from: [a, b]), not both",
                )
            )
            return None
        return tuple(names)

    def _validate(
        self, kind: Kind, kind_name: str, plain: dict[str, Any], params_path: KeyPath, layer_path: str
    ) -> Model | None:
        model_class: type[Model] = kind.params
        if has_expression(plain):
            for key, value in plain.items():
                if key not in model_class.model_fields:
                    self.problems.append(
                        Diagnostic(
                            E201,
                            f"unknown key {abridge(key)} for {kind_name}",
                            self.source.span((*params_path, key), key=True),
                            layer_path,
                            did_you_mean(key, model_class.model_fields),
                        )
                    )
                self._check_expressions(value, (*params_path, key), layer_path)
            return None
        try:
            return model_class.model_validate(plain)
        except ValidationError as error:
            self.problems.extend(
                validation_diagnostics(
                    error, model_class, plain, params_path, self.source, what=kind_name, layer_path=layer_path
                )
            )
            return None

    def _check_expressions(self, value: Any, key_path: KeyPath, layer_path: str) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self._check_expressions(item, (*key_path, index), layer_path)
        elif is_expression(value):
            try:
                parse(value)
            except ExprError as error:
                self.problems.append(Diagnostic(E206, str(error), self.source.span(key_path), layer_path))

    def _group(
        self,
        spec: LayerField,
        kind_name: str,
        params: dict[str, Any],
        params_path: KeyPath,
        layer_path: str,
        joined: bool = False,
    ) -> Group:
        """The layers of ``spec``; ``joined``: the layer merges tensors it reads (``from``),
        so its branches are not needed."""
        base = (*params_path, spec.name)
        if spec.name not in params:
            if spec.required and not joined:
                self.problems.append(
                    Diagnostic(
                        E202,
                        f"{kind_name} needs '{spec.name}'",
                        self.source.span(params_path, key=True),
                        layer_path,
                        spec.description,
                    )
                )
            return ()
        raw = params[spec.name]
        if raw is None:
            raw = []
        count = len(raw) if isinstance(raw, list) else 0
        if isinstance(raw, list) and count < spec.min_items:
            self.problems.append(
                Diagnostic(
                    E200,
                    f"{spec.name}: expected at least {spec.min_items} "
                    f"{'branches' if spec.branches else 'layers'}, got {count}",
                    self.source.span(base),
                    layer_path,
                    spec.description,
                )
            )
        if not spec.branches:
            return self.layers(raw, base, f"{layer_path}.")
        if not isinstance(raw, list):
            return self.layers(raw, base, f"{layer_path}.")  # reports the type error
        return tuple(
            self.layers(branch if branch is not None else [], (*base, i), f"{layer_path}.{i}.")
            for i, branch in enumerate(raw)
        )


def named_path(path: str, name: Any) -> str:
    """A layer's path uses its name, where it has one, in place of its index."""
    if not isinstance(name, str):
        return path
    parent, _, _ = path.rpartition(".")
    return f"{parent}.{name}" if parent else name
