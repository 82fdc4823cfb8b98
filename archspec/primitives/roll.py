"""roll: the entries shifted cyclically along dims (torch.roll), as Swin's shifted windows.

``shifts`` and ``dims`` pair up (one shift per dim); a dim counts as PyTorch counts it,
with the batch, never 0: archspec keeps samples apart. The shape does not change, on
concrete and symbolic sizes alike.
"""

from __future__ import annotations

from typing import Annotated

from archspec.frontend.model import Field, model_validator
from archspec.frontend.types import LayerParams
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
)
from archspec.shapes.layout import sample_axis
from archspec.shapes.tensor import TensorShape

Shift = Annotated[int, Field(ge=-(1 << 31), le=1 << 31)]
Dim = Annotated[int, Field(ge=-6, le=5)]


class RollParams(LayerParams):
    shifts: Shift | Annotated[list[Shift], Field(min_length=1, max_length=5)] = Field(
        description="How far each dim's entries move (negative: towards the start), one per dim."
    )
    dims: Dim | Annotated[list[Dim], Field(min_length=1, max_length=5)] = Field(
        description="The dims rolled, counted with the batch as PyTorch counts them (never 0)."
    )

    @model_validator(mode="after")
    def _one_shift_per_dim(self) -> RollParams:
        # a value problem (E200): PyTorch refuses it too
        shifts = self.shifts if isinstance(self.shifts, list) else [self.shifts]
        dims = self.dims if isinstance(self.dims, list) else [self.dims]
        if len(shifts) != len(dims):
            raise ValueError(f"{len(shifts)} shifts for {len(dims)} dims: give one shift per dim")
        return self


def _pairs(p: RollParams) -> tuple[list[int], list[int]]:
    shifts = p.shifts if isinstance(p.shifts, list) else [p.shifts]
    dims = p.dims if isinstance(p.dims, list) else [p.dims]
    return shifts, dims


def infer(p: RollParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    for dim in _pairs(p)[1]:
        sample_axis(dim, x, "dims")  # in range, and not the batch
    return Inferred(TensorShape(x.dims))


def build(p: RollParams, x: TensorShape) -> ModuleCall:
    shifts, dims = _pairs(p)
    return call("Roll", shifts, dims)


def roll_class() -> type:
    """archspec's Roll (torch is imported here only); ``compile -o`` copies it."""
    import torch
    from torch import nn

    class Roll(nn.Module):
        """The entries shifted cyclically: ``torch.roll(x, shifts, dims)``."""

        def __init__(self, shifts: list[int], dims: list[int]) -> None:
            super().__init__()
            self.shifts, self.dims = list(shifts), list(dims)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.roll(x, self.shifts, self.dims)

        def extra_repr(self) -> str:
            return f"shifts={self.shifts}, dims={self.dims}"

    return Roll


_RUNTIME, __getattr__ = runtime_classes(__name__, Roll=roll_class)


register(
    Primitive(
        "roll",
        RollParams,
        infer,
        build,
        "Shift the entries cyclically along dims (torch.roll): Swin's shifted windows.",
        classes=("Roll",),
        runtime=_RUNTIME,
        label=lambda p, x: f"roll {p.shifts} on {p.dims}",
        formula="[N, *D] → [N, *D] (entries moved by shifts along dims, wrapping around).",
        integers="keep",
    )
)
