"""embedding: nn.Embedding, a learned vector for each token id.

Its input holds integers, token ids, where every other input is float32: the spec
declares it, ``input_dtypes: {input: int64}`` (by input name), and the shapes carry it
(``TensorShape.integer``), so an embedding on a float tensor is an error (E312) and
``archspec check`` runs the network on ids. [N, *L] of ids → [N, *L, embedding_dim].
A lookup multiplies nothing: no MACs (torch's flop counter counts none either).
"""

from __future__ import annotations

from typing import Any

from archspec.codes import E312
from archspec.diagnostics import check
from archspec.frontend.model import Field, model_validator
from archspec.frontend.types import LayerParams, NonNegativeInt, PositiveInt
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.tensor import TensorShape


class EmbeddingParams(LayerParams):
    num_embeddings: PositiveInt = Field(le=1 << 24, description="The vocabulary: ids 0 … num_embeddings - 1.")
    embedding_dim: PositiveInt = Field(le=1 << 16, description="The features of each token's vector.")
    padding_idx: NonNegativeInt | None = Field(
        None, description="An id whose vector stays zero and gets no gradient (nn.Embedding's)."
    )

    @model_validator(mode="after")
    def _padding_in_vocabulary(self) -> EmbeddingParams:
        # a value problem (E200): PyTorch refuses it too
        if self.padding_idx is not None and self.padding_idx >= self.num_embeddings:
            raise ValueError(
                f"padding_idx {self.padding_idx} is no id of the {self.num_embeddings} (0 … "
                f"{self.num_embeddings - 1})"
            )
        return self


def infer(p: EmbeddingParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    check(
        x.integer,
        f"embedding reads token ids (int64), but its input {x} is float32",
        code=E312,
        hint="declare the input's dtype in the spec: input_dtypes: {input: int64}; and put embedding "
        "first on it",
    )
    return Inferred(TensorShape((*x.dims, p.embedding_dim)), p.num_embeddings * p.embedding_dim)


def build(p: EmbeddingParams, x: TensorShape) -> ModuleCall:
    return call("Embedding", p.num_embeddings, p.embedding_dim, padding_idx=unless(p.padding_idx, None))


def tensors(p: EmbeddingParams, x: TensorShape) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    return (("weight", (p.num_embeddings, p.embedding_dim)),)


register(
    Primitive(
        "embedding",
        EmbeddingParams,
        infer,
        build,
        "A learned vector per token id (nn.Embedding); its input is int64 (input_dtypes: {input: int64}).",
        classes=("Embedding",),
        tensors=tensors,
        label=lambda p, x: f"embedding {p.num_embeddings}×{p.embedding_dim}",
        formula="[N, *L] of int64 ids → [N, *L, embedding_dim]. Params: num_embeddings × embedding_dim. "
        "MACs = 0.",
        integers="rule",
    )
)
