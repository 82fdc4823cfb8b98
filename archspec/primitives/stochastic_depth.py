"""stochastic_depth: a residual branch dropped at random in training (Huang et al., 2016).

The semantics of torchvision's ``ops.StochasticDepth(p, mode)``: in training,
each sample's input ("row") or the whole batch's ("batch") is zeroed with
probability p, and what survives is divided by 1 - p; in eval, and for p = 0,
the input passes unchanged. torch.nn has no such module, and archspec does not
depend on torchvision, so the class is archspec's own, written from that
definition (tests/primitives/test_stochastic_depth.py checks it against
torchvision's, draw for draw).
"""

from __future__ import annotations

from typing import Literal

from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams
from archspec.primitives.activation import same_shape
from archspec.primitives.reads import Reads, TorchCall, Unreadable
from archspec.primitives.registry import (
    ModuleCall,
    Primitive,
    call,
    on_any_input,
    register,
    runtime_classes,
)
from archspec.shapes.tensor import TensorShape


class StochasticDepthParams(LayerParams):
    p: float = Field(
        ge=0.0, le=1.0, allow_inf_nan=False, description="Probability of dropping the input, in [0, 1]."
    )
    mode: Literal["row", "batch"] = Field(
        "row",
        description="row: each sample dropped on its own (what torchvision's networks use); "
        "batch: the whole batch at once.",
    )


def build(p: StochasticDepthParams, x: TensorShape) -> ModuleCall:
    return call("StochasticDepth", p.p, p.mode)


def stochastic_depth_class() -> type:
    """archspec's StochasticDepth, made when a network is built (torch is imported here
    only); ``compile -o`` copies the class below into the file it writes."""
    import torch
    from torch import nn

    class StochasticDepth(nn.Module):
        """In training, zero each sample (mode "row") or the whole batch ("batch") with
        probability p and scale the rest by 1 / (1 - p); the identity in eval."""

        def __init__(self, p: float, mode: str) -> None:
            super().__init__()
            self.p = p
            self.mode = mode

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if not self.training or self.p == 0.0:
                return x
            survival = 1.0 - self.p
            # One draw per sample (row) or one for the batch, broadcast over the other dims.
            draws = x.shape[0] if self.mode == "row" else 1
            keep = x.new_empty([draws] + [1] * (x.dim() - 1)).bernoulli_(survival)
            if survival > 0.0:
                keep = keep / survival
            return x * keep

        def extra_repr(self) -> str:
            return f"p={self.p}, mode={self.mode}"

    return StochasticDepth


def read_call(c: TorchCall) -> dict[str, object]:
    """torchvision's ``stochastic_depth(input, p, mode, training=True)``, traced in training."""
    c.only("p", "mode", "training")
    if not c.arg(3, "training", True):
        raise Unreadable("stochastic_depth with training=False (the identity)")
    return {"p": c.arg(1, "p", None), "mode": c.arg(2, "mode", None)}


_RUNTIME, __getattr__ = runtime_classes(__name__, StochasticDepth=stochastic_depth_class)


register(
    Primitive(
        "stochastic_depth",
        StochasticDepthParams,
        same_shape,
        build,
        "Stochastic depth (torchvision.ops.StochasticDepth): drops a residual branch per sample in training.",
        classes=("StochasticDepth",),
        refuses_only_empty=on_any_input,  # its output is its input's shape
        runtime=_RUNTIME,
        # torchvision's module and function, which archspec's class is written from
        from_torch=Reads(
            calls={"torchvision.ops.stochastic_depth": read_call},
            foreign={"torchvision.ops.StochasticDepth": lambda m: {"p": m.p, "mode": m.mode}},
        ),
        label=lambda p, x: f"stochastic_depth {p.p} {p.mode}",
        formula="[N, *D] → [N, *D]; the identity in eval.",
        # in training what survives is divided (floats), in eval it is returned (integers): a
        # dtype that changes with the mode is refused
        integers="refuse",
    )
)
