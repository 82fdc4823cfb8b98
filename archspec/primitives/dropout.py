"""dropout and its channel-wise forms: zeroes with probability p in training; shape in = shape out.

``dropout`` drops elements; ``dropout1d``/``dropout2d``/``dropout3d`` (nn.Dropout1d/2d/3d)
drop whole channels of a map with 1, 2 or 3 spatial dims. All are the identity in eval.
PyTorch reads an input of another rank as unbatched (the batch becoming the channels) or
warns that it is deprecated; archspec refuses it (E305) and names the right one.
"""

from __future__ import annotations

from collections.abc import Callable

from archspec.codes import E305
from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams
from archspec.primitives.activation import same_shape
from archspec.primitives.reads import Reads, TorchCall, Unreadable
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
from archspec.shapes.tensor import TensorShape


class DropoutParams(LayerParams):
    p: float = Field(0.5, ge=0.0, le=1.0, allow_inf_nan=False, description="Drop probability, in [0, 1].")


def build(p: DropoutParams, x: TensorShape) -> ModuleCall:
    return call("Dropout", p=unless(p.p, 0.5))


def read_dropout_call(c: TorchCall) -> dict[str, float]:
    """``F.dropout(x, p=0.5, training=True, inplace=False)``, as traced in training mode;
    with training False the call is the identity, which no dropout layer is."""
    c.only("p", "training", "inplace")
    if not c.arg(2, "training", True):
        raise Unreadable("F.dropout with training=False (the identity; a dropout layer drops in training)")
    return {"p": c.arg(1, "p", 0.5)}


register(
    Primitive(
        "dropout",
        DropoutParams,
        same_shape,
        build,
        "Dropout (nn.Dropout) with probability p.",
        formula="[N, *D] → [N, *D].",
        classes=("Dropout",),
        refuses_only_empty=on_any_input,  # its output is its input
        from_torch=Reads(
            module=lambda m: {"p": m.p},
            calls={"torch.nn.functional.dropout": read_dropout_call},
            ignored=("inplace",),
        ),
    )
)


_SHAPES = {1: "[N, C, L]", 2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}


def _channel_rule(spatial: int) -> Callable[[DropoutParams, TensorShape, RuleContext], Inferred]:
    def infer(p: DropoutParams, x: TensorShape, ctx: RuleContext) -> Inferred:
        found = len(x.spatial)
        check(
            found == spatial,
            f"dropout{spatial}d drops channels of {_SHAPES[spatial]}, but the input {x} has "
            f"{found} spatial dims",
            code=E305,
            hint=f"use dropout{found}d on this input" if found in _SHAPES else "use dropout (elementwise)",
        )
        return Inferred(x)

    return infer


def _channel_builder(cls: str) -> Callable[[DropoutParams, TensorShape], ModuleCall]:
    def build(p: DropoutParams, x: TensorShape) -> ModuleCall:
        return call(cls, p=unless(p.p, 0.5))

    return build


for _n, _shape in _SHAPES.items():
    register(
        Primitive(
            f"dropout{_n}d",
            DropoutParams,
            _channel_rule(_n),
            _channel_builder(f"Dropout{_n}d"),
            f"Channel dropout (nn.Dropout{_n}d): whole channels of {_shape} zeroed with probability p.",
            formula=f"{_shape} → {_shape} (only this rank); the identity in eval.",
            classes=(f"Dropout{_n}d",),
            refuses_only_empty=on_any_input,  # its output is its input
            label=lambda p, x, n=_n: f"dropout{n}d {p.p}",
            from_torch=Reads(module=lambda m: {"p": m.p}, ignored=("inplace",)),
        )
    )
