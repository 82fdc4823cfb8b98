"""Block calls: how inference instantiates a call of a block where it meets it.

The body is expanded with the call's arguments and ``in_channels`` (of its first
input, when concrete); a body of one layer becomes that layer (an ``inception`` is
its ``concat``), a longer one a group. A call made again with the same arguments on
the same concrete shapes copies the layers inferred the first time
(archspec/compiler/reuse.py). :class:`BlockCalls` is the part of the inference
:class:`~archspec.compiler.infer.Context` that does this.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archspec.codes import E210
from archspec.compiler.compilation import (
    IN_CHANNELS,
    Compilation,
    InferenceStopped,
    is_concrete_shape,
    is_one_layer,
)
from archspec.compiler.expand import BlockScope, BoundLayer, Budget
from archspec.compiler.graph import LayerInfo, layer_info
from archspec.compiler.reuse import Inferred, evolve, reused
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.blocks import Block
from archspec.frontend.library import PRELUDE_FILE
from archspec.frontend.spec import Spec
from archspec.primitives.sequential import SEQUENTIAL
from archspec.shapes.dims import is_concrete
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.compilation import Flow
    from archspec.diagnostics import Span


class _Frame:
    """A layer being inferred: its path, node, the children inferred so far, the tensors
    it reads (and their names), and the names its group returns."""

    __slots__ = ("children", "inputs", "node", "outputs", "path", "sources")

    def __init__(
        self,
        path: str,
        node: BoundLayer,
        children: list[LayerInfo],
        inputs: tuple[TensorShape, ...] = (),
        sources: tuple[str, ...] = (),
    ) -> None:
        self.path, self.node, self.children, self.inputs, self.sources = path, node, children, inputs, sources
        self.outputs: tuple[str, ...] = ()


class BlockCalls:
    """The block calls of one inference run (mixed into its Context, whose state and
    steps they use)."""

    spec: Spec
    compilation: Compilation
    layers: Budget
    _stack: list[_Frame]

    if TYPE_CHECKING:  # the Context's own steps, which a block's body runs through

        def _infer(
            self, node: BoundLayer, name: str, path: str, shapes: list[TensorShape], sources: tuple[str, ...]
        ) -> LayerInfo: ...

        def _spend(self, budget: Budget, count: int, node: BoundLayer, path: str) -> None: ...

        def _written_span(self, node: BoundLayer) -> Span: ...

        def flow(
            self,
            nodes: tuple[BoundLayer, ...],
            inputs: dict[str, TensorShape],
            prefix: str,
            outputs: tuple[str, ...],
            where: Span | None,
            recover: bool = False,
        ) -> Flow: ...

    def _instantiate(
        self, node: BoundLayer, name: str, path: str, shapes: list[TensorShape], sources: tuple[str, ...]
    ) -> LayerInfo:
        """A block call: its body, expanded with its arguments and ``in_channels`` (of
        its first input)."""
        block = self.spec.blocks.block(node.kind_name)
        x = shapes[0]
        if len(shapes) != len(block.inputs):
            raise InferenceStopped(
                Diagnostic(
                    E210,
                    f"block {block.name} takes {len(block.inputs)} input"
                    f"{'s' if len(block.inputs) > 1 else ''} ({', '.join(block.inputs)}), "
                    f"but the call reads {len(shapes)}",
                    node.written.source_span() if node.written.sources else node.span,
                    path,
                    f"write from: [{', '.join(block.inputs)}] with the tensors to pass, in this order",
                )
            )
        args = node.params
        arguments, text = self.compilation.reuse.arguments(args)
        channels = x.channels if is_concrete(x.channels) else None
        key = (text, channels, node.kind_name)
        again = (key, tuple(shapes)) if all(map(is_concrete_shape, shapes)) else None
        compilation = self.compilation
        known = compilation.reuse.inferred.get(again) if again is not None else None
        if known is not None and compilation.replay(known, self.layers):
            # the same call on the same shapes: its layers again, under this path
            compilation.reuse.hit(again)
            return reused(
                known,
                path,
                compilation.reuse.shallow,
                name=name,
                sources=sources,
                block=block.name,
                args=args,
                span=node.span,
                reads_by_name=node.written.sources is not None,
            )
        env = BlockScope(arguments, channels_known=channels is not None)
        if channels is not None:
            env[IN_CHANNELS] = channels
        spent, joins, used = self.layers.used, len(compilation.constraints), len(compilation.used)
        info = self._infer_body(node, block, key, env, name, path, shapes, sources)
        if again is not None and len(compilation.constraints) == joins:
            bodies = tuple(dict.fromkeys(compilation.used[used:]))
            compilation.reuse.inferred[again] = Inferred(info, path, self.layers.used - spent, bodies)
        return evolve(
            info, block=block.name, args=args, span=node.span, reads_by_name=node.written.sources is not None
        )

    def _infer_body(
        self,
        node: BoundLayer,
        block: Block,
        key: Any,
        env: BlockScope,
        name: str,
        path: str,
        shapes: list[TensorShape],
        sources: tuple[str, ...],
    ) -> LayerInfo:
        """The layer of a block call: its body's one layer, or a group of its layers."""
        x = shapes[0]
        self._stack.append(_Frame(path, node, []))
        try:
            body = self.compilation.body(key, block, env)
            if is_one_layer(body, block.inputs, block.outputs):  # the call is its one layer
                return self._infer(body[0], name, path, shapes, sources)
            # the call is a group of its layers: one layer more
            self._spend(self.layers, 1, node, path)
            inputs = dict(zip(block.inputs, shapes, strict=True))
            flow = self.flow(body, inputs, f"{path}.", block.outputs, block.span)
            group = self.compilation.reuse.group_params(block.name)
            return layer_info(
                path=path,
                name=name,
                primitive=SEQUENTIAL,
                params=group,
                input=x,
                output=flow.output,
                own_params=0,
                children=flow.layers,
                span=node.span,
                sources=sources,
                outputs=flow.outputs,
                inputs=tuple(shapes[1:]),
                input_names=block.inputs,
                named_outputs=flow.named,
            )
        except SpecError as error:  # a bad expression or value in the body, or the budget
            diagnostic = error.diagnostics[0]
            span = diagnostic.span
            if span is None or span.file == PRELUDE_FILE:  # point at the user's call
                span = self._written_span(node)
            raise InferenceStopped(replace(diagnostic, path=path, span=span)) from None
        finally:
            self._stack.pop()
