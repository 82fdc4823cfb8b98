"""flatten: the dims from start_dim to end_dim multiplied into one (nn.Flatten).

``start_dim`` and ``end_dim`` count as PyTorch counts, over the whole tensor
with the batch; the defaults (1 and -1) flatten every dim after the batch.
archspec keeps the batch first, so start_dim never reaches it.
"""

from __future__ import annotations

from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams
from archspec.primitives.reads import BATCH, Reads, TorchCall, Unreadable
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    on_any_input,
    register,
    unless,
)
from archspec.shapes.dims import product
from archspec.shapes.layout import sample_axis, tensor_axis
from archspec.shapes.tensor import TensorShape


class FlattenParams(LayerParams):
    start_dim: int = Field(
        1,
        description="The first dim flattened, counted with the batch as PyTorch counts it: 1 is the "
        "channels (never 0, the batch).",
    )
    end_dim: int = Field(-1, description="The last dim flattened, counted with the batch: -1 is the last.")


def axes(p: FlattenParams, x: TensorShape) -> tuple[int, int]:
    """The first and last index into ``x.dims`` that are flattened."""
    start = sample_axis(p.start_dim, x, "start_dim")
    end = tensor_axis(p.end_dim, x, "end_dim") - 1  # the batch (-1 here) comes before any start
    check(
        start <= end,
        f"start_dim {p.start_dim} comes after end_dim {p.end_dim} on the input {x} "
        f"(dims {start + 1} and {end + 1} with the batch; PyTorch refuses it)",
        field="start_dim",
        hint="flatten from an earlier dim to a later one (end_dim: -1 is the last)",
    )
    return start, end


def infer(p: FlattenParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    start, end = axes(p, x)
    return Inferred(TensorShape((*x.dims[:start], product(x.dims[start : end + 1]), *x.dims[end + 1 :])))


def build(p: FlattenParams, x: TensorShape) -> ModuleCall:
    return call("Flatten", start_dim=unless(p.start_dim, 1), end_dim=unless(p.end_dim, -1))


def label(p: FlattenParams, x: TensorShape) -> str:
    """``flatten``, or ``flatten 2…-1`` where the dims are not the default."""
    if (p.start_dim, p.end_dim) == (1, -1):
        return "flatten"
    return f"flatten {p.start_dim}…{p.end_dim}"


def read_flatten_call(c: TorchCall) -> dict[str, int]:
    """``torch.flatten(x, start_dim=0, end_dim=-1)`` and ``x.flatten(...)``: the batch
    stays first, so start_dim 0 (the function's default) is refused."""
    c.only("start_dim", "end_dim")
    start, end = c.arg(1, "start_dim", 0), c.arg(2, "end_dim", -1)
    if start == 0 or start == -c.rank:
        raise Unreadable("flattening the batch dim (start_dim 0): archspec keeps the batch first")
    return {"start_dim": start, "end_dim": end}


def read_view_call(c: TorchCall) -> dict[str, int]:
    """``x.view(x.size(0), -1)`` and ``x.reshape(...)`` of the same form: a flatten."""
    shape = c.args[1:]
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    if tuple(shape) != (BATCH, -1) or c.kwargs:
        raise Unreadable(f"a reshape to {shape!r} (only x.view(x.size(0), -1), a flatten, is read)")
    return {}


register(
    Primitive(
        "flatten",
        FlattenParams,
        infer,
        build,
        "Flatten the dims from start_dim to end_dim into one (nn.Flatten); by default all after the batch.",
        formula="[N, d1, …, dk] → [N, d1 × … × dk] by default; in general the dims start_dim…end_dim "
        "(counted with the batch, start_dim ≥ 1, start_dim ≤ end_dim) become their product.",
        classes=("Flatten",),
        label=label,
        from_torch=Reads(
            module=lambda m: {"start_dim": m.start_dim, "end_dim": m.end_dim},
            calls={
                "torch.flatten": read_flatten_call,
                "torch.Tensor.flatten": read_flatten_call,
                "torch.Tensor.view": read_view_call,
                "torch.Tensor.reshape": read_view_call,
                "torch.reshape": read_view_call,
            },
        ),
        allocates=False,  # a view of its input (a copy only where the input is not contiguous)
        refuses_only_empty=on_any_input,  # a product of sizes >= 1 is one
        integers="keep",
    )
)
