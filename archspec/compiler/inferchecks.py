"""What inference checks of a layer before it runs its rule, and where an error points.

The checks of the names in a list and of what a layer reads (E205, E210), and the
location of a rule's error (the parameter at fault, or the innermost layer the user
wrote), kept apart from the inference steps (archspec/compiler/infer.py) that call them.
"""

from __future__ import annotations

from collections.abc import Sequence

from archspec.codes import E205, E210
from archspec.compiler.blockcall import _Frame
from archspec.compiler.compilation import InferenceStopped
from archspec.compiler.expand import BoundLayer
from archspec.diagnostics import Diagnostic, RuleError, Span
from archspec.frontend.library import PRELUDE_FILE
from archspec.primitives.registry import Primitive
from archspec.shapes.tensor import TensorShape


def check_name(
    node: BoundLayer, name: str, prefix: str, seen: set[str], inputs: dict[str, TensorShape]
) -> None:
    """A layer's name is its list's once, and no input's."""
    if name in seen:
        raise InferenceStopped(
            Diagnostic(
                E205,
                f"the name '{name}' is used twice in one group (a named layer in a repeat?)",
                node.field_span("name"),
                prefix + name,
                "leave layers inside repeat unnamed, or name each copy's block",
            )
        )
    if name in inputs:
        raise InferenceStopped(
            Diagnostic(
                E210,
                f"the layer '{name}' has the name of an input of its list",
                node.field_span("name"),
                prefix + name,
                "rename the layer (or the input)",
            )
        )


def check_reads(node: BoundLayer, primitive: Primitive, shapes: Sequence[TensorShape], path: str) -> None:
    """A learned tensor reads nothing; any other layer at most what its primitive reads
    (a join of named tensors, with no branches, any number)."""
    if primitive.learned is not None and shapes:
        raise InferenceStopped(
            Diagnostic(
                E210,
                f"{node.kind_name} reads no tensor (it makes a learned one), but here it is given "
                + ("'from'" if node.written.sources else "an input (a branch, or a block's only layer)"),
                node.written.source_span() if node.written.sources else node.span,
                path,
                "put it in a list of layers with a name, and read it there by name "
                "(mul: {from: [layer_scale, block]})",
            )
        )
    joins = primitive.join is not None
    if len(shapes) > primitive.reads and not (joins and not node.groups.get("branches")):
        most = "one tensor" if primitive.reads == 1 else f"at most {primitive.reads} tensors"
        raise InferenceStopped(
            Diagnostic(
                E210,
                f"{node.kind_name} reads {most}, but 'from' names {len(shapes)}",
                node.written.source_span(),
                path,
                "merge them first (add, mul, concat: from: [a, b]), then read the merge",
            )
        )


def check_batched(
    node: BoundLayer,
    primitive: Primitive | None,
    path: str,
    sources: tuple[str, ...],
    shapes: list[TensorShape],
) -> None:
    """A learned tensor (no batch) is read only by a join of named tensors (``mul:
    {from: [layer_scale, block]}``, ``class_token``), whose rule decides how it takes it;
    every other layer needs a batch."""
    merge = (
        primitive is not None
        and primitive.join is not None
        and not node.groups.get("branches")
        and len(shapes) > 1
    )
    for index, shape in enumerate(shapes):
        if shape.batched or merge:
            continue
        where = node.written.source_span(index) if node.written.sources else node.span
        raise InferenceStopped(
            Diagnostic(
                E210,
                f"'{sources[index]}' is a learned tensor {shape}, with no batch, but {node.kind_name} "
                "reads a layer input, which has one",
                where,
                path,
                f"a learned tensor is read by name by add or mul of named tensors: "
                f"mul: {{from: [{sources[index]}, ...]}}",
            )
        )


def written_span(stack: Sequence[_Frame], node: BoundLayer) -> Span:
    """The node's span if the user wrote it, else the innermost call the user wrote."""
    if node.source.file != PRELUDE_FILE:
        return node.span
    written = [f.node for f in stack if f.node.source.file != PRELUDE_FILE]
    return written[-1].span if written else node.span


def locate(stack: Sequence[_Frame], error: RuleError, path: str, x: TensorShape) -> Diagnostic:
    """Where a rule's error points: the parameter at fault if the user wrote
    the layer, else the innermost layer (or block call) the user wrote."""
    written = [f.node for f in stack if f.node.source.file != PRELUDE_FILE]
    innermost = stack[-1].node
    span = written[-1].span if written else None
    if error.field is not None and written and written[-1] is innermost:
        key = (*innermost.key_path, innermost.kind_name, error.field)
        if key in innermost.source.keys:
            span = innermost.source.span(key)
    message = error.message
    if str(x) not in message:
        message = f"{message}; the layer input is {x}"
    return Diagnostic(error.code, message, span, path, error.hint)
