"""permute: the dims reordered (``x.permute(*dims)``), as torchvision's ops.Permute.

``dims`` is a permutation of all the dims with the batch, as PyTorch and
torchvision write it (ConvNeXt's ``Permute([0, 2, 3, 1])``: channels last),
and archspec keeps the batch first: ``dims`` starts with 0. A negative entry
counts from the end. torch.nn has no Permute module (2.13), so the class is
archspec's own.
"""

from __future__ import annotations

from typing import Annotated

from archspec.codes import E305
from archspec.diagnostics import check
from archspec.frontend.model import Field, field_validator
from archspec.frontend.types import LayerParams
from archspec.primitives.reads import Reads, TorchCall
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
)
from archspec.shapes.tensor import TensorShape


class PermuteParams(LayerParams):
    dims: Annotated[list[int], Field(min_length=2, max_length=5)] = Field(
        description="The new order of the dims, with the batch (as x.permute takes it): a permutation "
        "of 0 … rank-1 that keeps the batch first, e.g. [0, 2, 3, 1] for channels last."
    )

    @field_validator("dims")
    @classmethod
    def _permutation(cls, dims: list[int]) -> list[int]:
        # A value problem (E200, found when the spec is validated): it does not depend on the
        # input, whose rank the rule checks against len(dims).
        n = len(dims)
        out = [d for d in dims if not -n <= d < n]
        if out:
            raise ValueError(
                f"{out[0]} is out of range for {n} dims: a permutation of 0 … {n - 1} "
                f"(or -{n} … -1 from the end)"
            )
        order = [d % n for d in dims]
        twice = sorted({d for d in order if order.count(d) > 1})
        if twice:
            missing = sorted(set(range(n)) - set(order))
            raise ValueError(
                f"not a permutation: dim {twice[0]} appears twice and dim {missing[0]} is missing; "
                f"give each of 0 … {n - 1} once"
            )
        if order[0] != 0:
            raise ValueError(
                f"the first entry is dim {order[0]}, but archspec keeps the batch first: start with 0 "
                f"(e.g. [0, 2, 3, 1] for channels last)"
            )
        return dims


def order(p: PermuteParams, x: TensorShape) -> list[int]:
    """The new order of ``x.dims`` (indices after the batch)."""
    n = len(p.dims)
    check(
        n == x.rank + 1,
        f"permute dims {p.dims} orders {n} dims, but the input {x} has {x.rank + 1} with the batch",
        field="dims",
        code=E305,
        hint=f"give a permutation of 0 … {x.rank}, starting with 0",
    )
    return [d % n - 1 for d in p.dims[1:]]


def infer(p: PermuteParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    return Inferred(TensorShape(tuple(x.dims[i] for i in order(p, x))))


def build(p: PermuteParams, x: TensorShape) -> ModuleCall:
    return call("Permute", list(p.dims))


def permute_class() -> type:
    """archspec's Permute, made when a network is built (torch is imported here only);
    ``compile -o`` copies the class below into the file it writes."""
    import torch
    from torch import nn

    class Permute(nn.Module):
        """The dims reordered as ``dims`` says (with the batch): ``x.permute(dims)``."""

        def __init__(self, dims: list[int]) -> None:
            super().__init__()
            self.dims = list(dims)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.permute(x, self.dims)

        def extra_repr(self) -> str:
            return f"dims={self.dims}"

    return Permute


_RUNTIME, __getattr__ = runtime_classes(__name__, Permute=permute_class)


def read_call(c: TorchCall) -> dict[str, object]:
    """``x.permute(0, 2, 3, 1)``, ``x.permute([0, 2, 3, 1])``, ``torch.permute(x, dims)``."""
    c.only("dims")
    dims = c.args[1:] if len(c.args) > 2 else c.arg(1, "dims", ())
    return {"dims": list(dims)}


register(
    Primitive(
        "permute",
        PermuteParams,
        infer,
        build,
        "Reorder the dims (x.permute(dims), torchvision's ops.Permute); the batch stays first.",
        classes=("Permute",),
        runtime=_RUNTIME,
        label=lambda p, x: f"permute {p.dims}",
        formula="[N, d1, …, dk] → [N, d_{π1}, …, d_{πk}] for dims = [0, π1, …, πk], a permutation of "
        "0 … k (negative entries count from the end).",
        allocates=False,  # a view of its input (strides reordered)
        from_torch=Reads(
            calls={"torch.permute": read_call, "torch.Tensor.permute": read_call},
            foreign={"torchvision.ops.misc.Permute": lambda m: {"dims": list(m.dims)}},
        ),
        integers="keep",
    )
)
