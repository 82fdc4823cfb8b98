"""multihead_attention: nn.MultiheadAttention on batch-first tokens [N, L, E].

Self-attention by default (query, key and value are the layer's input, as
torchvision's ViT calls ``self_attention(x, x, x, need_weights=False)``); with
``from: [q, kv]`` the first tensor attends to the second (keys and values), with
``from: [q, k, v]`` to the second (keys) with the third's values. The module is
archspec's ``Attention``, an ``nn.MultiheadAttention`` with ``batch_first=True`` whose
forward returns the attended tokens only (``need_weights=False``), so its state_dict
keys are torch's (``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight`` …).

MACs per sample (the convention of torch.utils.flop_counter, FLOPs = 2 × MACs): the
input projections ``L·E² + S·E·kdim + S·E·vdim``, the attention matmuls ``Q·Kᵀ`` and
``weights·V``, ``L·S·E`` each (summed over the heads: ``L·S·E/h`` per head), and the
output projection ``L·E²``; the softmax, scaling and biases add none. Activation memory
counts the projections, the ``h × L × S`` weights (quadratic in the tokens for
self-attention) and the attended values besides the output.
"""

from __future__ import annotations

from typing import Any

from archspec.codes import E303, E305, E307
from archspec.diagnostics import RuleError, check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt, inferred_size
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
    unless,
)
from archspec.shapes.dims import Dim, dims_equal, format_dim, is_concrete, product, total
from archspec.shapes.tensor import TensorShape, check_given


class MultiheadAttentionParams(LayerParams):
    num_heads: PositiveInt = Field(
        le=4096, description="Parallel attention heads; they must divide embed_dim."
    )
    dropout: float = Field(
        0.0, ge=0.0, lt=1.0, description="Dropout on the attention weights (training only)."
    )
    bias: bool = Field(True, description="Biases on the input and output projections.")
    embed_dim: PositiveInt | None = inferred_size("The query's features (E, its last dim)")
    kdim: PositiveInt | None = Field(
        None, description="The keys' features, where they are not embed_dim (from: [q, k, v] or [q, kv])."
    )
    vdim: PositiveInt | None = Field(
        None, description="The values' features, where they are not embed_dim (from: [q, k, v] or [q, kv])."
    )


def features(x: TensorShape, what: str) -> int:
    """The last dim of tokens [L, E], which must be an int."""
    check(
        x.rank == 2,
        f"multihead_attention reads tokens [N, L, E], but the {what} is {x}",
        code=E305,
        hint="make tokens first: flatten: {start_dim: 2} and permute: {dims: [0, 2, 1]} turn "
        "[N, C, H, W] into [N, H·W, C]",
    )
    last = x.dims[-1]
    if not is_concrete(last):
        raise RuleError(
            f"multihead_attention needs a fixed number of features, but the {what} has "
            f"{format_dim(last)}, which depends on the input size",
            code=E303,
            hint="the features are the last dim: permute the sizes that vary to the sequence dim",
        )
    return last


def _given_dim(given: int | None, actual: int, embed: int, field: str, what: str) -> None:
    if given is None:
        check(
            actual == embed,
            f"the {what} have {actual} features but the query {embed}: nn.MultiheadAttention "
            f"needs {field} for them",
            field=field,
            hint=f"give {field}: {actual}",
        )
    else:
        check_given(given, actual, field, "features")


def sizes(p: MultiheadAttentionParams, ctx: RuleContext, x: TensorShape) -> tuple[Any, ...]:
    """(E, L, S, kdim, vdim) of the query, keys and values the layer reads."""
    reads = ctx.reads() or (x,)
    query = reads[0]
    key = reads[1] if len(reads) > 1 else query
    value = reads[2] if len(reads) > 2 else key
    embed = features(query, "query")
    check_given(p.embed_dim, embed, "embed_dim", "features")
    check(
        embed % p.num_heads == 0,
        f"num_heads {p.num_heads} does not divide embed_dim {embed}: each head takes "
        f"embed_dim / num_heads features",
        code=E307,
        field="num_heads",
        hint="num_heads must be one of " + ", ".join(str(d) for d in range(1, embed + 1) if embed % d == 0)
        if embed <= 4096
        else "num_heads must divide embed_dim",
    )
    kdim, vdim = features(key, "key"), features(value, "value")
    _given_dim(p.kdim, kdim, embed, "kdim", "keys")
    _given_dim(p.vdim, vdim, embed, "vdim", "values")
    source, values = key.dims[0], value.dims[0]
    where = f"the keys give {format_dim(source)} tokens but the values {format_dim(values)}"
    if is_concrete(source) and is_concrete(values):
        check(source == values, where + ": each key needs its value", code=E305)
    elif not dims_equal(source, values):
        source = ctx.equate(source, values, where)
    return embed, query.dims[0], source, kdim, vdim


def infer(p: MultiheadAttentionParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    embed, length, source, kdim, vdim = sizes(p, ctx, x)
    bias = 4 * embed if p.bias else 0  # in_proj_bias (3E) and out_proj.bias (E)
    weights = embed * (embed + kdim + vdim) + embed * embed + bias
    macs = total(
        [
            product([length, embed, embed]),  # query projection
            product([source, embed, kdim + vdim]),  # key and value projections
            product([2, length, source, embed]),  # Q·Kᵀ and weights·V, over all heads
            product([length, embed, embed]),  # output projection
        ]
    )
    workspace = total(
        [
            product([length, embed]),  # queries
            product([2, source, embed]),  # keys and values
            product([p.num_heads, length, source]),  # the attention weights
            product([length, embed]),  # the attended values, before the output projection
        ]
    )
    return Inferred(x, weights, macs=macs, workspace=workspace)


def _dims(p: MultiheadAttentionParams, x: TensorShape) -> tuple[Dim, Dim, Dim]:
    embed = p.embed_dim or x.dims[-1]
    return embed, p.kdim or embed, p.vdim or embed


def build(p: MultiheadAttentionParams, x: TensorShape) -> ModuleCall:
    embed = p.embed_dim or x.dims[-1]
    return call(
        "Attention",
        embed,
        p.num_heads,
        dropout=unless(p.dropout, 0.0),
        bias=unless(p.bias, True),
        kdim=unless(p.kdim, None),
        vdim=unless(p.vdim, None),
    )


def tensors(p: MultiheadAttentionParams, x: TensorShape) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The module's own tensors (out_proj is a Linear of its own, out_proj.weight …)."""
    embed, kdim, vdim = _dims(p, x)
    if kdim == embed and vdim == embed:
        found: tuple[tuple[str, tuple[Any, ...]], ...] = (("in_proj_weight", (3 * embed, embed)),)
    else:
        found = (
            ("q_proj_weight", (embed, embed)),
            ("k_proj_weight", (embed, kdim)),
            ("v_proj_weight", (embed, vdim)),
        )
    return (*found, ("in_proj_bias", (3 * embed,))) if p.bias else found


def attention_class() -> type:
    """archspec's Attention, made when a network is built (torch is imported here only);
    ``compile -o`` copies the class below into the file it writes."""
    import torch
    from torch import nn

    # compile -o copies this class into files held to 88 columns: it keeps within them
    class Attention(nn.MultiheadAttention):
        """nn.MultiheadAttention on batch-first tokens, returning the attended tokens
        only: self-attention on one tensor; with two, the keys and values are the
        second; with three, the keys the second and the values the third."""

        def __init__(
            self,
            embed_dim: int,
            num_heads: int,
            dropout: float = 0.0,
            bias: bool = True,
            kdim: int | None = None,
            vdim: int | None = None,
        ) -> None:
            sizes = {"kdim": kdim, "vdim": vdim}
            super().__init__(embed_dim, num_heads, dropout, bias, **sizes, batch_first=True)

        # archspec.initialize: this reset sets out_proj too, in the constructor's order
        _archspec_resets_parts = True

        def reset_parameters(self) -> None:
            self.out_proj.reset_parameters()
            self._reset_parameters()

        def forward(  # type: ignore[override]
            self,
            query: torch.Tensor,
            key: torch.Tensor | None = None,
            value: torch.Tensor | None = None,
        ) -> torch.Tensor:
            key = query if key is None else key
            value = key if value is None else value
            return super().forward(query, key, value, need_weights=False)[0]

    return Attention


_RUNTIME, __getattr__ = runtime_classes(__name__, Attention=attention_class)


def label(p: MultiheadAttentionParams, x: TensorShape) -> str:
    return f"attention {p.num_heads} heads"


register(
    Primitive(
        "multihead_attention",
        MultiheadAttentionParams,
        infer,
        build,
        "Multi-head attention (nn.MultiheadAttention, batch_first): self-attention by default; "
        "from: [q, kv] or [q, k, v] for the keys and values.",
        classes=("Attention",),
        parts=("NonDynamicallyQuantizableLinear",),  # out_proj, torch's own
        runtime=_RUNTIME,
        label=label,
        tensors=tensors,
        reads=3,
        formula="[N, L, E] (keys [N, S, kdim], values [N, S, vdim]; default the input) → [N, L, E]; "
        "num_heads divides E. Params: E·(E + kdim + vdim) + E² (+ 4E biases). MACs = 2·L·E² + "
        "S·E·(kdim + vdim) + 2·L·S·E (the projections and both attention matmuls).",
    )
)
