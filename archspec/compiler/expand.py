"""Expansion: bind expressions, validate params, splice repeat and if.

``expand(nodes, env)`` turns layers as written into layers the shape rules
can run: every ``=…`` value evaluated with the names in ``env`` (a block's
arguments and ``in_channels``; nothing at the top level), every params model
validated, every ``repeat`` replaced by its copies and every ``if`` by its
chosen layers. Block calls stay calls: the compiler instantiates a block when
it reaches it, since ``in_channels`` is known only then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from archspec.codes import E200, E206, E403, E406
from archspec.diagnostics import Diagnostic, RuleError, Span, SpecError
from archspec.frontend.errors import validation_diagnostics
from archspec.frontend.expr import ExprError, substitute
from archspec.frontend.layers import Kind, LayerNode
from archspec.frontend.loader import KeyPath, SourceMap
from archspec.frontend.model import Model, ValidationError
from archspec.frontend.spec import Spec


@dataclass(frozen=True)
class BoundLayer:
    """A layer as the shape rules run it: every expression evaluated, its params
    validated (never None, unlike a parsed :class:`LayerNode`'s), its splices
    replaced; ``written`` is the layer as parsed, for its place in the file."""

    kind_name: str
    params: Model
    groups: dict[str, Any]
    written: LayerNode
    # Where the layer is written, made once: every inference asks it at each layer (a
    # symbolic compile runs two, its own and a concrete probe), and its layers keep it.
    span: Span = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "span", self.written.span)

    @property
    def name(self) -> str | None:
        return self.written.name

    @property
    def is_block(self) -> bool:
        return self.written.is_block

    @property
    def source(self) -> SourceMap:
        return self.written.source

    @property
    def key_path(self) -> KeyPath:
        return self.written.key_path

    @property
    def children(self) -> tuple[BoundLayer, ...]:
        """The layers of a ``sequential``."""
        return self.groups.get("layers", ())

    def field_span(self, name: str) -> Span:
        return self.written.field_span(name)


class Budget:
    """A count that may not pass ``limit``: past it, ``spend`` raises the budget's
    RuleError, its message naming the limit (``{limit}``) and its hint the fix."""

    def __init__(self, limit: int, code: str, message: str, hint: str) -> None:
        self.limit, self.code, self.message, self.hint = limit, code, message, hint
        self.used = 0

    def spend(self, count: int = 1) -> None:
        self.used += count
        if self.used > self.limit:
            raise RuleError(self.message.format(limit=f"{self.limit:,}"), code=self.code, hint=self.hint)


def layer_budget(limit: int) -> Budget:
    """Layers as they are made: a repeat of a repeat stops at the budget (E403)
    before it allocates, not after."""
    return Budget(
        limit,
        E403,
        "the network has more than {limit} layers after block and repeat expansion",
        "check the repeat counts; if the network is meant to be this large, raise "
        "Limits.max_layers (docs/security.md)",
    )


def symbolic_budget(limit: int) -> Budget:
    """Symbolic dims the shape rules compute (E406): each is dearer than an int and
    feeds the valid-size search, so a short spec of very many layers on symbolic
    sizes is bounded."""
    return Budget(
        limit,
        E406,
        "inference computes more than {limit} symbolic dims here",
        "give the input concrete sizes (archspec compile --input), or use fewer layers on "
        "symbolic sizes; if the network is meant to be this large, raise "
        "Limits.max_symbolic_dims (docs/security.md)",
    )


def expand(
    spec: Spec,
    nodes: tuple[LayerNode, ...],
    env: Mapping[str, Any],
    budget: Budget,
    bound: dict[int, Model] | None = None,
    memo: ParamsMemo | None = None,
    kept: Kept | None = None,
) -> tuple[BoundLayer, ...]:
    """Splice-free, validated layers; raises SpecError (located, without a layer path).

    ``bound`` keeps each node's params within one expansion (one ``env``): the copies
    of a repeat are the same nodes, bound to the same values, so each is validated once.
    ``memo`` keeps them across expansions (a compile's, or a sweep's: compiler/reuse.py),
    by node and values, so that a node bound to values it had before is not validated
    again and gets the same params object."""
    if bound is None:
        bound = {}
    out: list[BoundLayer] = []
    for node in nodes:
        # a family member's top-level layer, expanded before with the same values? (only
        # the top level: a stage's blocks, looked up one by one, cost more than they save)
        if kept is not None:
            known = kept.take(node, budget)
            if known is not None:
                out.extend(known)
                continue
            start, before = len(out), budget.used
            kept.begin()
        kind = spec.blocks.lookup(node.kind_name)
        assert kind is not None, node.kind_name  # the parser checked every name
        params = bound.get(id(node))
        if params is None:
            params = bound[id(node)] = bind(node, kind, env, memo)
        splices = getattr(kind, "splices", None)
        if splices is None:
            try:
                budget.spend()
            except RuleError as error:
                raise SpecError([Diagnostic(error.code, error.message, node.span, hint=error.hint)]) from None
            groups = _expand_groups(spec, node, kind, env, budget, bound, memo)
            out.append(BoundLayer(node.kind_name, params, groups, node))
            if kept is not None:
                kept.keep(node, tuple(out[start:]), budget.used - before)
            continue
        try:
            copies = splices(params, node.groups)
        except ValueError as error:
            raise SpecError([Diagnostic(E200, str(error), node.span)]) from None
        made: dict[int, tuple[tuple[BoundLayer, ...], int]] = {}
        for group in copies:
            # A repeat's copies are one group: expanded once (same names, same params), each
            # copy spending the budget as its expansion did, unless that crosses it (then
            # the copy is expanded again, to stop at the layer that crosses it).
            known = made.get(id(group))
            if known is not None and budget.used + known[1] <= budget.limit:
                budget.used += known[1]
                out.extend(known[0])
                continue
            used = budget.used
            layers = expand(spec, group, env, budget, bound, memo)
            made[id(group)] = (layers, budget.used - used)
            out.extend(layers)
        if kept is not None:
            kept.keep(node, tuple(out[start:]), budget.used - before)
    return tuple(out)


def _expand_groups(
    spec: Spec,
    node: LayerNode,
    kind: Kind,
    env: Mapping[str, Any],
    budget: Budget,
    bound: dict[int, Model],
    memo: ParamsMemo | None,
) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    for field in getattr(kind, "layer_fields", ()):
        group = node.groups.get(field.name, ())
        if field.branches:
            groups[field.name] = tuple(expand(spec, branch, env, budget, bound, memo) for branch in group)
        else:
            groups[field.name] = expand(spec, group, env, budget, bound, memo)
    return groups


class Kept(Protocol):
    """Expansions kept across a family's members (compiler/memberexpand.py): each layer
    expanded before with the same values of the names it read is taken again."""

    def take(self, node: LayerNode, budget: Budget) -> tuple[BoundLayer, ...] | None:
        """The layers ``node`` expanded to before, with the same values of the names it
        read, their layers spent on ``budget``; None where there are none (or they would
        cross the budget: the node is then expanded, to stop where it crosses)."""
        ...

    def begin(self) -> None:
        """A node's expansion begins: note the names it reads."""
        ...

    def keep(self, node: LayerNode, layers: tuple[BoundLayer, ...], spent: int) -> None:
        """A node's expansion ends: keep its layers under the names it read."""
        ...


ParamsMemo = dict[tuple[Any, ...], tuple[LayerNode, Model]]
"""Validated params by (the node's identity, its values with their types); each entry
holds its node, so that the identity stays its own."""

_SCALARS = frozenset({int, float, str, bool, type(None)})


def bind(node: LayerNode, kind: Kind, env: Mapping[str, Any], memo: ParamsMemo | None = None) -> Model:
    """The node's params with expressions evaluated, validated by the kind's model (or
    found in ``memo``, where the node had the same values before)."""
    if node.params is not None:
        return node.params
    values: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for key, value in node.raw.items():
        try:
            values[key] = substitute(value, env)
        except ExprError as error:
            where = node.source.span((*node.key_path, node.kind_name, key))
            problems.append(Diagnostic(E206, f"{key}: {error}", where, hint=_names_hint(env)))
    if problems:
        raise SpecError(problems)
    model: type[Model] = kind.params
    memo_key: tuple[Any, ...] | None = None
    if memo is not None and all(type(value) in _SCALARS for value in values.values()):
        # the types too: True == 1 and 1.0 == 1, but a strict model tells them apart
        memo_key = (id(node), *((name, type(value), value) for name, value in values.items()))
        known = memo.get(memo_key)
        if known is not None:
            return known[1]
    try:
        params = model.model_validate(values)
    except ValidationError as error:
        base = (*node.key_path, node.kind_name)
        raise SpecError(
            validation_diagnostics(error, model, values, base, node.source, what=node.kind_name)
        ) from None
    if memo_key is not None and memo is not None:
        memo[memo_key] = (node, params)
    return params


class BlockScope(dict[str, Any]):
    """The names a block's body reads: the call's arguments, and ``in_channels`` when the
    block's input has a concrete channel count (``channels_known``)."""

    def __init__(self, names: Mapping[str, Any], *, channels_known: bool) -> None:
        super().__init__(names)
        self.channels_known = channels_known


def _names_hint(env: Mapping[str, Any]) -> str:
    in_block = isinstance(env, BlockScope)
    if not env and not in_block:
        return "outside a block (and a family's params), an expression can use numbers only"
    hint = "names here: " + (", ".join(f"{k}={v!r}" for k, v in sorted(env.items())) or "none")
    if in_block and not env.channels_known:
        hint += "; in_channels is not known here: the block's input has symbolic channels"
    return hint
