"""class_token: learned tokens prepended to tokens [N, L, D] (ViT's class token).

torchvision's ViT keeps its class token as a parameter of the network itself, not of
a module of its own (state_dict key ``class_token``, shape [1, 1, D]), so here too the
token is a ``parameter`` of the list of layers, read by name by ``class_token``, which
has no module: ``class_token: {from: [class_token, x]}`` computes
``torch.cat([class_token.expand(x.shape[0], -1, -1), x], dim=1)``, [N, T + L, D].
"""

from __future__ import annotations

from typing import Any

from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, Join, Primitive, RuleContext, register
from archspec.shapes.dims import total
from archspec.shapes.tensor import TensorShape
from archspec.shapes.tokens import check_learned, read_pair


def infer(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    token, tokens = read_pair("class_token", ctx.reads() or (x,), "the token and the tokens")
    check_learned("class_token", token, tokens, "a learned token")
    return Inferred(TensorShape((total([token.dims[1], tokens.dims[0]]), tokens.dims[1])))


def prepend_tokens(token: Any, x: Any) -> Any:
    """The learned token(s) [1, T, D], one copy per sample, before the tokens [N, L, D]."""
    import torch

    return torch.cat([token.expand(x.shape[0], -1, -1), x], dim=1)


def code(p: LayerParams, names: tuple[str, ...]) -> str:
    token, x = names
    return f"torch.cat([{token}.expand({x}.shape[0], -1, -1), {x}], dim=1)"


register(
    Primitive(
        "class_token",
        LayerParams,
        infer,
        None,
        "Prepend learned tokens (a parameter [1, T, D], ViT's class token) to tokens [N, L, D]: "
        "class_token: {from: [class_token, x]}.",
        join=Join(lambda p: prepend_tokens, code),
        label=lambda p, x: "class token",
        formula="reads a parameter [1, T, D] and tokens [N, L, D] → [N, T + L, D] (the parameter "
        "expanded over the batch, first on the sequence dim). No params of its own.",
        integers="floats",
    )
)
