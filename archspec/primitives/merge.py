"""add, mul and concat: parallel branches on one input, merged by sum, product or on channels.

A branch is a list of layers; an empty list is the identity. Each branch is
one module of the merge (its single layer, a Sequential of its layers, or
nn.Identity), named by the layer's name where a one-layer branch has one,
else by its index.

A merge may instead read several tensors by name (``add: {from: [a, b]}``): it
then has no branches and no module; its :class:`Join` says how the network's
forward combines them, in ``archspec.build`` (a function here) and in the
source ``compile -o`` writes (an expression such as ``a + b``).
"""

from __future__ import annotations

from typing import Any

from archspec.frontend.types import LayerParams
from archspec.primitives.reads import TENSOR, Reads, TorchCall, Unreadable
from archspec.primitives.registry import (
    Inferred,
    Join,
    LayerField,
    ModuleCall,
    Primitive,
    RuleContext,
    on_any_input,
    register,
    runtime_classes,
)
from archspec.shapes.tensor import TensorShape, broadcast_shapes, concat_channels

BRANCHES = LayerField(
    "branches",
    "Two or more branches, each a list of layers run on the same input ([] is the identity).",
    branches=True,
    min_items=2,
)


def infer_add(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    outputs, names = ctx.run_branches(x)
    hint = (
        "every branch must give the same shape, or one that broadcasts to it (a size of 1); where "
        "a shortcut changes channels or size, project it (a 1x1 conv with the block's stride)"
    )
    return Inferred(broadcast_shapes(outputs, names, "add", hint=hint, equate=ctx.equate))


def infer_mul(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    outputs, names = ctx.run_branches(x)
    hint = (
        "a gate must broadcast to what it scales: squeeze-excitation pools to [C, 1, 1] "
        "(global_avgpool) and brings the channels back to C"
    )
    return Inferred(broadcast_shapes(outputs, names, "multiply", hint=hint, equate=ctx.equate))


def build_mul(p: LayerParams, x: TensorShape) -> ModuleCall:
    return ModuleCall("Mul", children=True)


# The module classes of the merges, made when a network is built (torch is imported in
# the factories only); compile -o copies each class from its factory into the file.


def add_class() -> type:
    import torch
    from torch import nn

    class Add(nn.ModuleDict):
        """Branches on one input, summed: ``add``."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            outputs = [branch(x) for branch in self.values()]
            total = outputs[0]
            for output in outputs[1:]:
                total = total + output
            return total

    return Add


def mul_class() -> type:
    import torch
    from torch import nn

    class Mul(nn.ModuleDict):
        """Branches on one input, multiplied elementwise with broadcasting: ``mul``."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            outputs = [branch(x) for branch in self.values()]
            product = outputs[0]
            for output in outputs[1:]:
                product = product * output
            return product

    return Mul


def concat_class() -> type:
    import torch
    from torch import nn

    class Concat(nn.ModuleDict):
        """Branches on one input, concatenated on channels: ``concat``."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([branch(x) for branch in self.values()], dim=1)

    return Concat


_RUNTIME, __getattr__ = runtime_classes(__name__, Add=add_class, Mul=mul_class, Concat=concat_class)


# The joins: what a merge of named tensors computes, as functions (archspec.build keeps a
# reference to one in the network, so they live at the top of this module, where pickle
# finds them) and as the expression compile -o writes.


def add_tensors(*tensors: Any) -> Any:
    """The sum of the tensors, broadcasting as ``+`` does."""
    total = tensors[0]
    for tensor in tensors[1:]:
        total = total + tensor
    return total


def mul_tensors(*tensors: Any) -> Any:
    """The elementwise product of the tensors, broadcasting as ``*`` does."""
    product = tensors[0]
    for tensor in tensors[1:]:
        product = product * tensor
    return product


def concat_tensors(*tensors: Any) -> Any:
    """The tensors concatenated on channels."""
    import torch

    return torch.cat(tensors, dim=1)


def read_binary(op: str) -> Reads:
    """``a + b``, ``a += b``, ``torch.add(a, b)``, ``a.add(b)`` (and the same for ``*``):
    a merge of the two tensors by name. A constant operand or ``alpha`` is refused."""

    def read(c: TorchCall) -> dict[str, object]:
        c.only()
        if len(c.args) != 2 or any(a is not TENSOR for a in c.args):
            raise Unreadable(f"{op} of {c.args!r}: a merge reads tensors only (no constant)")
        return {}

    names = (f"operator.{op}", f"operator.i{op}", f"torch.{op}", f"torch.Tensor.{op}", f"torch.Tensor.{op}_")
    return Reads(calls=dict.fromkeys(names, read))


def read_cat(c: TorchCall) -> dict[str, object]:
    """``torch.cat([a, b, ...], dim=1)``: a concat of the tensors by name, on channels."""
    c.only("dim")
    tensors, dim = c.arg(0, "tensors", ()), c.arg(1, "dim", 0)
    if dim not in (1, 1 - c.rank):
        raise Unreadable(f"torch.cat on dim {dim}: concat joins channels (dim 1) only")
    if not isinstance(tensors, list | tuple) or len(tensors) < 2 or any(t is not TENSOR for t in tensors):
        raise Unreadable("torch.cat of fewer than two tensors, or of something else than tensors")
    return {}


def infer_concat(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    outputs, names = ctx.run_branches(x)
    return Inferred(concat_channels(outputs, names, "concat", equate=ctx.equate))


def build_add(p: LayerParams, x: TensorShape) -> ModuleCall:
    return ModuleCall("Add", children=True)


def build_concat(p: LayerParams, x: TensorShape) -> ModuleCall:
    return ModuleCall("Concat", children=True)


register(
    Primitive(
        "add",
        LayerParams,
        infer_add,
        build_add,
        "Run branches on the same input and add their outputs (equal shapes).",
        layer_fields=(BRANCHES,),
        classes=("Add",),
        refuses_only_empty=on_any_input,  # a size only through a join constraint (equate)
        overwritable=True,  # of two or more tensors a new one, which its backward never reads
        runtime={"Add": _RUNTIME["Add"]},
        join=Join(lambda p: add_tensors, lambda p, names: " + ".join(names)),
        from_torch=read_binary("add"),
        formula="each branch maps [N, *D] to the same [N, *E] (for every value of the symbols) → [N, *E]; "
        "an empty branch is the identity.",
        integers="rule",
    )
)
register(
    Primitive(
        "mul",
        LayerParams,
        infer_mul,
        build_mul,
        "Run branches on the same input and multiply their outputs elementwise, with broadcasting "
        "(squeeze-excitation: x times a [C, 1, 1] gate).",
        layer_fields=(BRANCHES,),
        classes=("Mul",),
        refuses_only_empty=on_any_input,  # a size only through a join constraint (equate)
        overwritable=True,  # of two or more tensors a new one, which its backward never reads
        runtime={"Mul": _RUNTIME["Mul"]},
        join=Join(lambda p: mul_tensors, lambda p, names: " * ".join(names)),
        from_torch=read_binary("mul"),
        formula="branch i maps [N, *D] to [N, *E_i] → [N, *E], E the broadcast of the E_i "
        "(aligned on the last dims; each pair equal or one of them 1); an empty branch is the identity.",
        integers="rule",
    )
)
register(
    Primitive(
        "concat",
        LayerParams,
        infer_concat,
        build_concat,
        "Run branches on the same input and concatenate their outputs on channels.",
        layer_fields=(BRANCHES,),
        classes=("Concat",),
        refuses_only_empty=on_any_input,  # a size only through a join constraint (equate)
        overwritable=True,  # of two or more tensors a new one, which its backward never reads
        runtime={"Concat": _RUNTIME["Concat"]},
        join=Join(lambda p: concat_tensors, lambda p, names: f"torch.cat([{', '.join(names)}], dim=1)"),
        from_torch=Reads(calls={"torch.cat": read_cat, "torch.concat": read_cat}),
        formula="branch i maps [N, *D] to [N, C_i, *L] (the same L for all) → [N, C_1 + … + C_n, *L].",
        integers="rule",
    )
)
