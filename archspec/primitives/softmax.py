"""softmax, log_softmax: nn.Softmax / nn.LogSoftmax over one dim; shape in = shape out.

``dim`` counts as PyTorch counts it, over the whole tensor with the batch: 0 is
the batch, 1 the channels (or features), -1 the last dim. It is required:
PyTorch's ``dim=None`` is deprecated and picks a dim from the rank.
"""

from __future__ import annotations

from collections.abc import Callable

from archspec.codes import E305
from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams
from archspec.primitives.reads import Reads
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.tensor import TensorShape


class SoftmaxParams(LayerParams):
    dim: int = Field(
        description="The dim that sums to 1, counted over the whole tensor with the batch, as PyTorch "
        "counts it: 1 is the channels (or features), -1 the last dim."
    )


def infer(p: SoftmaxParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    rank = x.rank + 1  # with the batch, as PyTorch counts
    check(
        -rank <= p.dim < rank,
        f"dim {p.dim} is out of range for the input {x}, which has {rank} dims with the batch "
        f"(dims {-rank} to {rank - 1})",
        field="dim",
        code=E305,
        hint=f"use a dim from {-rank} to {rank - 1}: 1 is the channels, -1 the last dim",
    )
    return Inferred(x)


def _builder(cls: str) -> Callable[[SoftmaxParams, TensorShape], ModuleCall]:
    def build(p: SoftmaxParams, x: TensorShape) -> ModuleCall:
        return call(cls, dim=p.dim)

    return build


def _label(name: str) -> Callable[[SoftmaxParams, TensorShape], str]:
    return lambda p, x: f"{name} dim {p.dim}"


FORMULA = "[N, *D] → [N, *D]; `dim` counts the batch (-rank ≤ dim < rank, rank = 1 + len(D))."

for _name, _cls, _summary in (
    ("softmax", "Softmax", "exp(x) / sum(exp(x)) over `dim` (nn.Softmax): values in (0, 1) summing to 1."),
    ("log_softmax", "LogSoftmax", "log(softmax(x)) over `dim` (nn.LogSoftmax), computed stably."),
):
    register(
        Primitive(
            _name,
            SoftmaxParams,
            infer,
            _builder(_cls),
            _summary,
            formula=FORMULA,
            classes=(_cls,),
            label=_label(_name),
            from_torch=Reads(module=lambda m: {"dim": m.dim}),
        )
    )
