"""The layers of a family member's own list, in a summary compile: each inferred once per
shapes it meets, then given again (archspec sweep).

A sweep's members share their stem and head, and a first stage of a depth and width
met before reads the stem's output, the same in every member: the shallow Reuse of a
summary compile (compiler/summary.py) keeps each layer of the member's own list under
:func:`~archspec.compiler.reuse.layer_key` (its node: a top-level expansion the Reuse
keeps, compiler/memberexpand.py) and gives it again, spending the budgets as its
inference did. :class:`MemberLayers` is the part of the inference
:class:`~archspec.compiler.infer.Context` that does this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archspec.compiler.compilation import Compilation
from archspec.compiler.expand import BoundLayer, Budget
from archspec.compiler.graph import LayerInfo
from archspec.compiler.reuse import Inferred, layer_key, reused
from archspec.shapes.tensor import TensorShape


class MemberLayers:
    """The layers of a member's own list (mixed into the Context, whose state and steps
    they use)."""

    compilation: Compilation
    layers: Budget

    if TYPE_CHECKING:  # the Context's own step, which a layer missed runs through

        def _run_rule(
            self, node: BoundLayer, name: str, path: str, shapes: list[TensorShape], sources: tuple[str, ...]
        ) -> LayerInfo: ...

    def _member_layer(
        self, node: BoundLayer, name: str, path: str, shapes: list[TensorShape], sources: tuple[str, ...]
    ) -> LayerInfo:
        """A layer of a family member's own list in a summary compile: the layer inferred
        before on the same shapes (the stem, the head, a first stage met before), spending
        the budgets as its inference did, else inferred and kept (compiler/reuse.py)."""
        compilation = self.compilation
        reuse = compilation.reuse
        key = layer_key(node, shapes)
        known = reuse.layers.get(key) if key is not None else None
        if known is not None and compilation.replay(known, self.layers):
            return reused(known, path, True, name=name, sources=sources)
        spent, joins, used = self.layers.used, len(compilation.constraints), len(compilation.used)
        info = self._run_rule(node, name, path, shapes, sources)
        if key is not None and len(compilation.constraints) == joins:
            bodies = tuple(dict.fromkeys(compilation.used[used:]))
            reuse.layers[key] = Inferred(info, path, self.layers.used - spent, bodies, node)
        return info
