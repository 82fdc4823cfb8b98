"""Shape inference: run each layer's rule over the spec's layer tree.

Rules raise :class:`RuleError` without knowing where they are; the
:class:`Context` adds the file:line:col of the parameter at fault (or of the
layer) and the layer path. Inference stops at the first shape error, since
every later shape depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from archspec.compiler.graph import LayerInfo
from archspec.diagnostics import Diagnostic, RuleError, Span
from archspec.loader import KeyPath
from archspec.primitives.registry import lookup
from archspec.schema.spec import LayerNode, Spec
from archspec.schema.types import LayerParams
from archspec.shapes.dims import make_symbol
from archspec.shapes.tensor import TensorShape


class InferenceStopped(Exception):
    """Carries the diagnostic of the first shape error."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


@dataclass
class _Frame:
    path: str
    node: LayerNode | None
    span: Span | None
    children: list[LayerInfo]


class Context:
    """What a shape rule may ask of the compiler while it runs."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._stack: list[_Frame] = []

    def child(self, name: str, primitive: str, params: LayerParams, x: TensorShape) -> TensorShape:
        """Infer a part of a composite (``p2_2`` of an inception) and record it."""
        frame = self._stack[-1]
        info = self._infer(primitive, params, name, f"{frame.path}.{name}", x, None, frame.span)
        frame.children.append(info)
        return info.output

    def run_children(self, x: TensorShape) -> TensorShape:
        """Infer the nested layers of the current node (``sequential``)."""
        frame = self._stack[-1]
        assert frame.node is not None
        for info in self.sequence(frame.node.children, x, f"{frame.path}."):
            frame.children.append(info)
            x = info.output
        return x

    def sequence(self, nodes: tuple[LayerNode, ...], x: TensorShape, prefix: str) -> list[LayerInfo]:
        infos = []
        for index, node in enumerate(nodes):
            name = node.params.name or str(index)
            info = self._infer(node.primitive, node.params, name, prefix + name, x, node, node.span)
            infos.append(info)
            x = info.output
        return infos

    def _infer(
        self,
        primitive_name: str,
        params: LayerParams,
        name: str,
        path: str,
        x: TensorShape,
        node: LayerNode | None,
        span: Span | None,
    ) -> LayerInfo:
        primitive = lookup(primitive_name)
        assert primitive is not None, primitive_name  # the schema checked every name
        frame = _Frame(path, node, span, [])
        self._stack.append(frame)
        try:
            result = primitive.infer(params, x, self)
        except RuleError as error:
            raise InferenceStopped(self._locate(error, node, span, path, x)) from None
        finally:
            self._stack.pop()
        return LayerInfo(
            path,
            name,
            primitive_name,
            params,
            x,
            result.shape,
            result.num_params,
            tuple(frame.children),
            span,
            result.batch_statistics,
        )

    def _locate(
        self,
        error: RuleError,
        node: LayerNode | None,
        span: Span | None,
        path: str,
        x: TensorShape,
    ) -> Diagnostic:
        if node is not None and error.field is not None:
            key: KeyPath = (*node.key_path, node.primitive, error.field)
            if key in self.spec.source.keys:
                span = self.spec.source.span(key)
        message = error.message
        if str(x) not in message:
            message = f"{message}; the layer input is {x}"
        return Diagnostic(error.code, message, span, path, error.hint)


def input_shape(dims: tuple[int | str, ...]) -> TensorShape:
    """The spec's input dims, with symbol names turned into sympy symbols."""
    return TensorShape(tuple(make_symbol(d) if isinstance(d, str) else d for d in dims))


def infer_layers(spec: Spec, x: TensorShape) -> tuple[LayerInfo, ...]:
    """Shaped layers of the spec for input ``x``; raises InferenceStopped."""
    return tuple(Context(spec).sequence(spec.layers, x, ""))
