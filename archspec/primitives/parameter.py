"""parameter: a learned tensor of the module that runs the list of layers.

torchvision's ConvNeXt block holds its layer scale as a parameter of the block
itself (``self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)``,
state_dict key ``<block>.layer_scale``, listed before the block's layers, since a
module's own parameters come before its children's). ``parameter`` is that: it
reads no tensor and makes one of the given ``shape``, with no batch dim, every
entry ``init`` at first, registered as an ``nn.Parameter`` named after the layer
on the module that runs its list (a dataflow: the tensor is read by name,
``mul: {from: [layer_scale, block]}``, broadcasting ``[C, 1, 1]`` against
``[N, C, H, W]`` as torch does).

It has no module and no join: ``archspec.build``'s ``Dataflow`` registers it in
its ``__init__`` and its forward reads it by name; ``compile -o`` writes
``self.layer_scale = nn.Parameter(torch.full((96, 1, 1), 1e-06))`` and reads
``self.layer_scale`` in the forward.
"""

from __future__ import annotations

import math

from archspec.codes import E300
from archspec.diagnostics import RuleError
from archspec.frontend.model import Field
from archspec.frontend.types import LayerName, LayerParams, PositiveInt
from archspec.primitives.reads import Reads, Unreadable
from archspec.primitives.registry import Inferred, Primitive, RuleContext, register
from archspec.shapes.tensor import TensorShape

MAX_DIMS = 6
MAX_ELEMENTS = 2**31  # one learned tensor: a bound on what a spec may allocate through it


class ParameterParams(LayerParams):
    name: LayerName = Field(  # type: ignore[assignment]
        description="The parameter's attribute on the module that runs the list, and the tensor's "
        "name for from: (required: it is read by name).",
    )
    shape: list[PositiveInt] = Field(
        min_length=1,
        max_length=MAX_DIMS,
        description="The tensor's whole shape, with no batch dim ([C, 1, 1] to scale each channel "
        "of [N, C, H, W]).",
    )
    init: float = Field(
        allow_inf_nan=False,
        description="The value every entry starts at (ConvNeXt's layer scale: 1.0e-6, written with a "
        "dot and a signed exponent for YAML).",
    )


def infer(p: ParameterParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    elements = math.prod(p.shape)
    if elements > MAX_ELEMENTS:
        raise RuleError(
            f"parameter {p.name} of shape {p.shape} has {elements} entries, more than {MAX_ELEMENTS}",
            code=E300,
            field="shape",
            hint="a learned tensor is one nn.Parameter: make it smaller",
        )
    return Inferred(TensorShape(tuple(p.shape), batched=False), num_params=elements)


def read_tensor(shape: tuple[int, ...], value: float | None) -> dict[str, object]:
    """A module's own ``nn.Parameter`` (ConvNeXt's layer scale), from its shape and the one
    value its entries hold (None: they differ, which ``init`` cannot say)."""
    if value is None:
        raise Unreadable(f"a tensor of shape {list(shape)} whose entries differ (a parameter starts at one)")
    return {"shape": list(shape), "init": float(value)}


register(
    Primitive(
        "parameter",
        ParameterParams,
        infer,
        None,
        "A learned tensor of the given shape (no batch dim), every entry `init` at first: an "
        "nn.Parameter of the module that runs the list, read by name (ConvNeXt's layer scale: "
        "`mul: {from: [layer_scale, block]}`).",
        learned=lambda p: p.init,
        from_torch=Reads(tensor=read_tensor),
        allocates=False,  # the tensor is a weight, not an activation
        label=lambda p, x: f"parameter {'×'.join(map(str, p.shape))} = {p.init:g}",
        formula="reads nothing → [*shape] (no batch). Params: the product of shape. MACs = 0. Only in a "
        "list whose layers read by name; only add and mul of named tensors read it (broadcasting "
        "on the last dims).",
    )
)
