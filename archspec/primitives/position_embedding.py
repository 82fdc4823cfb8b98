"""position_embedding: a learned embedding of a fixed length added to tokens [N, L, D].

torchvision's ViT keeps it as a parameter of its encoder (state_dict key
``encoder.pos_embedding``, shape [1, L0, D]), so here too it is a ``parameter`` of the
list of layers, read by name by ``position_embedding``, which has no module:
``position_embedding: {from: [x, pos_embedding]}`` computes ``x + pos_embedding``.
The tokens' L must be L0: on a symbolic input L is a formula, and ``L = L0`` a join's
requirement, so the valid sizes are exactly those that make L0 tokens; on a concrete
input that makes other than L0 tokens, the error says so (E308).
"""

from __future__ import annotations

from typing import Any

from archspec.codes import E308
from archspec.diagnostics import check
from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, Join, Primitive, RuleContext, register
from archspec.shapes.dims import format_dim, is_concrete
from archspec.shapes.tensor import TensorShape
from archspec.shapes.tokens import check_learned, read_pair


def infer(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    tokens, embedding = read_pair("position_embedding", ctx.reads() or (x,), "the tokens and the embedding")
    check_learned("position_embedding", embedding, tokens, "an embedding")
    length, positions, features = tokens.dims[0], embedding.dims[1], tokens.dims[1]
    where = (
        f"the position embedding holds {positions} positions, but the input makes {format_dim(length)} tokens"
    )
    if is_concrete(length):
        check(
            length == positions,
            where,
            code=E308,
            hint=f"give an input size that makes {positions} tokens, or a parameter of shape "
            f"[1, {length}, {format_dim(features)}]",
        )
        return Inferred(tokens)
    return Inferred(TensorShape((ctx.equate(length, positions, where), features)))


def add_embedding(x: Any, embedding: Any) -> Any:
    """The tokens plus the embedding, broadcast over the batch."""
    return x + embedding


register(
    Primitive(
        "position_embedding",
        LayerParams,
        infer,
        None,
        "Add a learned position embedding (a parameter [1, L0, D]) to tokens [N, L, D]: "
        "position_embedding: {from: [x, pos_embedding]}; L must be L0.",
        join=Join(lambda p: add_embedding, lambda p, names: f"{names[0]} + {names[1]}"),
        label=lambda p, x: "+ position embedding",
        formula="reads tokens [N, L, D] and a parameter [1, L0, D] → [N, L0, D]; L = L0 (on a symbolic "
        "input, the valid sizes are those that make L0 tokens). No params of its own.",
        integers="floats",
    )
)
