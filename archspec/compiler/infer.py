"""Shape inference: run each layer's rule over the expanded layer tree.

Rules raise :class:`RuleError` without knowing where they are; the
:class:`Context` adds the file:line:col (of the parameter at fault, or of the
layer; inside a built-in block, of the call in the user's file) and the layer
path. Inference stops at the first shape error, since every later shape
depends on it. Block calls are instantiated here, where ``in_channels`` is
known: a block whose body is one layer becomes that layer (an ``inception``
is its ``concat``); a longer body becomes a group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from archspec.compiler.expand import LayerBudget, expand
from archspec.compiler.graph import LayerInfo
from archspec.diagnostics import Diagnostic, RuleError, SpecError
from archspec.frontend.layers import LayerNode
from archspec.frontend.library import PRELUDE_FILE
from archspec.frontend.spec import Spec
from archspec.frontend.types import LayerParams
from archspec.limits import Limits
from archspec.primitives.activation import IDENTITY
from archspec.primitives.registry import Primitive, primitives
from archspec.primitives.sequential import SEQUENTIAL, BlockGroup
from archspec.shapes.dims import is_concrete, make_symbol
from archspec.shapes.tensor import TensorShape


class InferenceStopped(Exception):
    """Carries the diagnostic of the first shape error."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


@dataclass
class _Frame:
    path: str
    node: LayerNode
    children: list[LayerInfo]


class Context:
    """What a shape rule may ask of the compiler while it runs."""

    def __init__(self, spec: Spec, max_layers: int, expansions: dict[Any, tuple[LayerNode, ...]]) -> None:
        self.spec = spec
        self._stack: list[_Frame] = []
        self.budget = LayerBudget(max_layers)
        # Block bodies expanded in this compile, by (block, arguments): state of one
        # compile, never of the process (a service compiles endless distinct specs).
        self.expansions = expansions

    def run_layers(self, field: str, x: TensorShape) -> TensorShape:
        """Infer the layers of the current node's ``field`` in order (``sequential``)."""
        frame = self._stack[-1]
        for info in self.sequence(frame.node.groups.get(field, ()), x, f"{frame.path}."):
            frame.children.append(info)
            x = info.output
        return x

    def run_branches(self, x: TensorShape) -> tuple[list[TensorShape], list[str]]:
        """Infer every branch on ``x``; each becomes one child (identity, a layer or a group)."""
        frame = self._stack[-1]
        outputs, names = [], []
        for index, branch in enumerate(frame.node.groups.get("branches", ())):
            info = self._branch(branch, str(index), f"{frame.path}.", x)
            frame.children.append(info)
            outputs.append(info.output)
            names.append(info.name)
        return outputs, names

    def _branch(self, branch: tuple[LayerNode, ...], index: str, prefix: str, x: TensorShape) -> LayerInfo:
        if len(branch) == 1:
            name = branch[0].name or index
            return self._infer(branch[0], name, prefix + name, x)
        if not branch:
            return LayerInfo(prefix + index, index, IDENTITY, LayerParams(), x, x, 0)
        children = self.sequence(branch, x, f"{prefix}{index}.")
        return LayerInfo(
            prefix + index, index, SEQUENTIAL, LayerParams(), x, children[-1].output, 0, tuple(children)
        )

    def sequence(self, nodes: tuple[LayerNode, ...], x: TensorShape, prefix: str) -> list[LayerInfo]:
        infos: list[LayerInfo] = []
        seen: set[str] = set()
        for index, node in enumerate(nodes):
            name = node.name or str(index)
            if name in seen:
                raise InferenceStopped(
                    Diagnostic(
                        "E205",
                        f"the name '{name}' is used twice in one group (a named layer in a repeat?)",
                        node.field_span("name"),
                        prefix + name,
                        "leave layers inside repeat unnamed, or name each copy's block",
                    )
                )
            seen.add(name)
            info = self._infer(node, name, prefix + name, x)
            infos.append(info)
            x = info.output
        return infos

    def _infer(self, node: LayerNode, name: str, path: str, x: TensorShape) -> LayerInfo:
        try:
            self.budget.spend()
        except RuleError as error:
            raise InferenceStopped(
                Diagnostic(error.code, error.message, node.span, path, error.hint)
            ) from None
        if node.is_block:
            return self._instantiate(node, name, path, x)
        primitive: Primitive = primitives()[node.primitive]
        assert primitive.infer is not None and node.params is not None, node.primitive
        frame = _Frame(path, node, [])
        self._stack.append(frame)
        try:
            result = primitive.infer(node.params, x, self)
        except RuleError as error:
            raise InferenceStopped(self._locate(error, path, x)) from None
        finally:
            self._stack.pop()
        return LayerInfo(
            path,
            name,
            node.primitive,
            node.params,
            x,
            result.shape,
            result.num_params,
            tuple(frame.children),
            node.span,
            result.batch_statistics,
            own_macs=result.macs,
        )

    def _instantiate(self, node: LayerNode, name: str, path: str, x: TensorShape) -> LayerInfo:
        """A block call: its body, expanded with its arguments and ``in_channels``."""
        block = self.spec.blocks.blocks[node.primitive]
        args = node.params
        assert args is not None
        env: dict[str, Any] = args.model_dump(exclude={"name"})
        if is_concrete(x.channels):
            env["in_channels"] = x.channels
        key = (json.dumps(env, sort_keys=True, default=str), node.primitive)
        body = self.expansions.get(key)
        self._stack.append(_Frame(path, node, []))
        try:
            if body is None:
                body = self.expansions[key] = expand(self.spec, block.layers, env, self.budget)
            if len(body) == 1:
                info = self._infer(body[0], name, path, x)
            else:
                children = self.sequence(body, x, f"{path}.")
                group = BlockGroup(block=block.name)
                info = LayerInfo(
                    path, name, SEQUENTIAL, group, x, children[-1].output, 0, tuple(children), node.span
                )
        except SpecError as error:  # a bad expression or value in the body
            raise InferenceStopped(replace(error.diagnostics[0], path=path)) from None
        finally:
            self._stack.pop()
        return replace(info, block=block.name, args=args, span=node.span)

    def _locate(self, error: RuleError, path: str, x: TensorShape) -> Diagnostic:
        """Where a rule's error points: the parameter at fault if the user wrote
        the layer, else the innermost layer (or block call) the user wrote."""
        written = [f.node for f in self._stack if f.node.source.file != PRELUDE_FILE]
        innermost = self._stack[-1].node
        span = written[-1].span if written else None
        if error.field is not None and written and written[-1] is innermost:
            key = (*innermost.key_path, innermost.primitive, error.field)
            if key in innermost.source.keys:
                span = innermost.source.span(key)
        message = error.message
        if str(x) not in message:
            message = f"{message}; the layer input is {x}"
        return Diagnostic(error.code, message, span, path, error.hint)


def input_shape(dims: tuple[int | str, ...]) -> TensorShape:
    """The spec's input dims, with symbol names turned into sympy symbols."""
    return TensorShape(tuple(make_symbol(d) if isinstance(d, str) else d for d in dims))


def infer_layers(
    spec: Spec,
    x: TensorShape,
    nodes: tuple[LayerNode, ...],
    max_layers: int = Limits.max_layers,
    expansions: dict[Any, tuple[LayerNode, ...]] | None = None,
) -> tuple[LayerInfo, ...]:
    """Shaped layers of the (expanded) spec for input ``x``; raises InferenceStopped."""
    return tuple(Context(spec, max_layers, {} if expansions is None else expansions).sequence(nodes, x, ""))


def expand_spec(spec: Spec, max_layers: int = Limits.max_layers) -> tuple[LayerNode, ...]:
    """The spec's top-level layers, expanded; raises SpecError."""
    return expand(spec, spec.layers, {}, LayerBudget(max_layers))
