"""Elementwise layers with a parameter: gelu, leaky_relu, elu.

Shape in = shape out; no weights. One file for the three: they share the shape
rule (``same_shape``) and differ only in a scalar the builder passes on.
"""

from __future__ import annotations

from typing import Literal

from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams
from archspec.primitives.activation import same_shape
from archspec.primitives.reads import Reads
from archspec.primitives.registry import (
    ModuleCall,
    Primitive,
    call,
    on_any_input,
    register,
    unless,
)
from archspec.shapes.tensor import TensorShape

SAME = "[N, *D] → [N, *D]."


class GeluParams(LayerParams):
    approximate: Literal["none", "tanh"] = Field(
        "none", description="'none': the exact x·Φ(x); 'tanh': the tanh approximation."
    )


class LeakyReluParams(LayerParams):
    negative_slope: float = Field(0.01, allow_inf_nan=False, description="The slope for x < 0.")


class EluParams(LayerParams):
    alpha: float = Field(1.0, allow_inf_nan=False, description="α: the value approached as x → -∞ is -α.")


def build_gelu(p: GeluParams, x: TensorShape) -> ModuleCall:
    return call("GELU", approximate=unless(p.approximate, "none"))


def build_leaky_relu(p: LeakyReluParams, x: TensorShape) -> ModuleCall:
    return call("LeakyReLU", negative_slope=unless(p.negative_slope, 0.01))


def build_elu(p: EluParams, x: TensorShape) -> ModuleCall:
    return call("ELU", alpha=unless(p.alpha, 1.0))


register(
    Primitive(
        "gelu",
        GeluParams,
        same_shape,
        build_gelu,
        "x·Φ(x) (nn.GELU), Φ the standard normal CDF, exact or tanh-approximated; elementwise.",
        formula=SAME,
        classes=("GELU",),
        refuses_only_empty=on_any_input,  # its output is its input
        from_torch=Reads(module=lambda m: {"approximate": m.approximate}),
        label=lambda p, x: "gelu" if p.approximate == "none" else f"gelu {p.approximate}",
    )
)

register(
    Primitive(
        "leaky_relu",
        LeakyReluParams,
        same_shape,
        build_leaky_relu,
        "max(x, 0) + negative_slope·min(x, 0) (nn.LeakyReLU); elementwise.",
        formula=SAME,
        classes=("LeakyReLU",),
        refuses_only_empty=on_any_input,  # its output is its input
        # its in-place backward reads the result; torch refuses it for a negative slope
        in_place="inplace",
        in_place_if=lambda p: p.negative_slope >= 0,
        from_torch=Reads(module=lambda m: {"negative_slope": m.negative_slope}, ignored=("inplace",)),
        label=lambda p, x: f"leaky_relu {p.negative_slope:g}",
    )
)

register(
    Primitive(
        "elu",
        EluParams,
        same_shape,
        build_elu,
        "x for x > 0, else α·(exp(x) - 1) (nn.ELU); elementwise.",
        formula=SAME,
        classes=("ELU",),
        refuses_only_empty=on_any_input,  # its output is its input
        from_torch=Reads(module=lambda m: {"alpha": m.alpha}, ignored=("inplace",)),
        label=lambda p, x: f"elu α {p.alpha:g}",
    )
)
