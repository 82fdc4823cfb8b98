"""Elementwise layers: relu, relu6, sigmoid, tanh, hardswish, hardsigmoid, silu, mish, identity.

Shape in = shape out; no weights.
"""

from __future__ import annotations

from collections.abc import Callable

from archspec.frontend.types import LayerParams
from archspec.primitives.integers import Integers
from archspec.primitives.reads import TENSOR, Reads, TorchCall, Unreadable, no_params
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    on_any_input,
    register,
)
from archspec.shapes.tensor import TensorShape


def same_shape(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    return Inferred(x)


IDENTITY = "identity"
"""The primitive the compiler stands in for an empty branch ([])."""

# name -> (torch.nn class, formula, what it does with integers: Primitive.integers)
ELEMENTWISE: dict[str, tuple[str, str, Integers]] = {
    "relu": ("ReLU", "max(x, 0)", "keep"),
    "relu6": ("ReLU6", "min(max(x, 0), 6)", "keep"),
    "sigmoid": ("Sigmoid", "1 / (1 + exp(-x))", "floats"),
    "tanh": ("Tanh", "tanh(x)", "floats"),
    "hardswish": ("Hardswish", "x * relu6(x + 3) / 6", "refuse"),
    "hardsigmoid": ("Hardsigmoid", "relu6(x + 3) / 6", "refuse"),
    "silu": ("SiLU", "x * sigmoid(x)", "refuse"),
    "mish": ("Mish", "x * tanh(softplus(x))", "refuse"),
    "identity": ("Identity", "x", "keep"),
}


_F = "torch.nn.functional"
# name -> the functions and tensor methods that compute it (archspec import reads them)
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "relu": (
        "torch.relu",
        "torch.relu_",
        f"{_F}.relu",
        f"{_F}.relu_",
        "torch.Tensor.relu",
        "torch.Tensor.relu_",
    ),
    "relu6": (f"{_F}.relu6",),
    "sigmoid": ("torch.sigmoid", f"{_F}.sigmoid", "torch.Tensor.sigmoid", "torch.Tensor.sigmoid_"),
    "tanh": ("torch.tanh", f"{_F}.tanh", "torch.Tensor.tanh", "torch.Tensor.tanh_"),
    "hardswish": (f"{_F}.hardswish",),
    "hardsigmoid": (f"{_F}.hardsigmoid",),
    "silu": (f"{_F}.silu",),
    "mish": (f"{_F}.mish",),
    "identity": (),
}


def read_one_tensor_cat(c: TorchCall) -> dict[str, object]:
    """``torch.cat([x], dim)``: the concatenation of one tensor is that tensor."""
    tensors = c.arg(0, "tensors", ())
    if not isinstance(tensors, list | tuple) or len(tensors) != 1 or tensors[0] is not TENSOR:
        raise Unreadable("a concatenation of other than one tensor")
    return {}


def _builder(cls: str) -> Callable[[LayerParams, TensorShape], ModuleCall]:
    def build(p: LayerParams, x: TensorShape) -> ModuleCall:
        return call(cls)

    return build


for _name, (_cls, _formula, _integers) in ELEMENTWISE.items():
    register(
        Primitive(
            _name,
            LayerParams,
            same_shape,
            _builder(_cls),
            f"{_formula}, elementwise.",
            formula="[N, *D] → [N, *D].",
            classes=(_cls,),
            # The identity returns its input: no new tensor.
            allocates=_name != "identity",
            integers=_integers,
            # relu_'s backward reads its result; relu6_, silu_, hardswish_… save a copy of
            # their input instead (no memory saved): only relu runs in place
            in_place="inplace" if _name == "relu" else None,
            refuses_only_empty=on_any_input,  # its output is its input: no size is refused
            # inplace changes no value: relu's module and F.relu(x, inplace=True) read as relu
            from_torch=Reads(
                module=lambda m: {},
                calls={f: no_params("inplace") for f in FUNCTIONS[_name]}
                | ({"torch.cat": read_one_tensor_cat} if _name == IDENTITY else {}),
                ignored=("inplace",),
            ),
        )
    )
