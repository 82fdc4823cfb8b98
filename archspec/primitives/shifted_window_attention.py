"""shifted_window_attention: Swin's (shifted) window self-attention on a channels-last map
[N, H, W, C], torchvision's ShiftedWindowAttention.

The map is padded at the bottom and right to a multiple of the window, rolled by
``-shift`` (the shifted windows), cut into windows of wh×ww tokens, and each window
attends to itself: ``qkv`` (a linear to 3C), heads of C / num_heads features, the
queries scaled by ``(C / num_heads)^-0.5``, a learned relative position bias added
(``relative_position_bias_table``, [(2wh - 1)(2ww - 1), num_heads], read through the fixed
``relative_position_index`` buffer, which is in the state_dict as in torchvision), and,
where shifted, the mask torchvision adds: −100 between tokens that came from different
regions of the rolled map. Softmax, dropout, the values, ``proj`` (a linear C → C), dropout;
then the windows are put back, rolled by ``+shift`` and the padding cut off.

As torchvision does, on each forward, an axis whose window covers the whole padded side
is not shifted (``window >= padded side``): the shift depends on the input size, never
the shape, which stays [N, H, W, C].

MACs per sample, on the padded map of T = ⌈H/wh⌉wh · ⌈W/ww⌉ww tokens (what
torch.utils.flop_counter counts, halved): ``qkv`` 3·T·C², the two attention matmuls
(Q·Kᵀ and weights·V) T·wh·ww·C each over all heads, as multihead_attention counts them,
``proj`` T·C². Activation memory counts the queries, keys and values, the num_heads × T ×
wh·ww attention weights and the attended values besides the output.
"""

from __future__ import annotations

from typing import Annotated, Any

from archspec.codes import E307
from archspec.diagnostics import check
from archspec.frontend.model import Field, model_validator
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
from archspec.shapes.dims import Dim, floordiv, product, total
from archspec.shapes.tensor import TensorShape, check_given
from archspec.shapes.tokens import channels_last_map

WindowSide = Annotated[int, Field(ge=1, le=1024)]
ShiftSide = Annotated[int, Field(ge=0, le=1023)]


class ShiftedWindowAttentionParams(LayerParams):
    window_size: WindowSide | Annotated[list[WindowSide], Field(min_length=2, max_length=2)] = Field(
        description="The window's sides (wh, ww), or one int for a square window."
    )
    num_heads: PositiveInt = Field(le=4096, description="Attention heads; they must divide the channels C.")
    shift_size: ShiftSide | Annotated[list[ShiftSide], Field(min_length=2, max_length=2)] = Field(
        0, description="How far the windows are shifted (rows, columns), each below its window side; 0: none."
    )
    qkv_bias: bool = Field(True, description="A bias on the query, key and value projection (qkv).")
    proj_bias: bool = Field(True, description="A bias on the output projection (proj).")
    attention_dropout: float = Field(
        0.0, ge=0.0, lt=1.0, description="Dropout on the attention weights (training only)."
    )
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the output (training only).")
    dim: PositiveInt | None = inferred_size("The channels C (the last dim)")

    @model_validator(mode="after")
    def _shift_within_the_window(self) -> ShiftedWindowAttentionParams:
        # a value problem (E200): a shift of a whole window or more leaves no shifted window
        for window, shift in zip(pair(self.window_size), pair(self.shift_size), strict=True):
            if shift >= window:
                raise ValueError(
                    f"shift_size {shift} is not below window_size {window}: give a shift from 0 to "
                    f"{window - 1} (Swin shifts by half a window, {window // 2})"
                )
        return self


def pair(value: int | list[int]) -> tuple[int, int]:
    """(rows, columns) of a size given as one int or two."""
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def padded(side: Dim, window: int) -> Dim:
    """The side padded up to a multiple of the window: ⌈side / window⌉ · window."""
    return product([floordiv(total([side, window - 1]), window), window])


def infer(p: ShiftedWindowAttentionParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    height, width, channels = channels_last_map("shifted_window_attention", x)
    check_given(p.dim, channels, "dim", "channels")
    check(
        channels % p.num_heads == 0,
        f"num_heads {p.num_heads} does not divide the {channels} channels: each head takes "
        f"channels / num_heads features",
        code=E307,
        field="num_heads",
        hint="num_heads must be one of "
        + ", ".join(str(d) for d in range(1, channels + 1) if channels % d == 0)
        if channels <= 4096
        else "num_heads must divide the channels",
    )
    rows, columns = pair(p.window_size)
    window = rows * columns
    table = (2 * rows - 1) * (2 * columns - 1) * p.num_heads
    weights = (
        table
        + 4 * channels * channels
        + (3 * channels if p.qkv_bias else 0)
        + (channels if p.proj_bias else 0)
    )
    tokens = product([padded(height, rows), padded(width, columns)])
    macs = total(
        [
            product([tokens, 3 * channels * channels]),  # qkv
            product([tokens, 2 * window * channels]),  # Q·Kᵀ and weights·V, over all heads
            product([tokens, channels * channels]),  # proj
        ]
    )
    workspace = total(
        [
            product([tokens, 3 * channels]),  # queries, keys and values
            product([tokens, p.num_heads * window]),  # the attention weights of every window
            product([tokens, channels]),  # the attended values, before proj
        ]
    )
    return Inferred(TensorShape(x.dims), weights, macs=macs, workspace=workspace)


def build(p: ShiftedWindowAttentionParams, x: TensorShape) -> ModuleCall:
    return call(
        "ShiftedWindowAttention",
        p.dim or x.dims[-1],
        p.window_size,
        p.num_heads,
        shift_size=unless(p.shift_size, 0),
        qkv_bias=unless(p.qkv_bias, True),
        proj_bias=unless(p.proj_bias, True),
        attention_dropout=unless(p.attention_dropout, 0.0),
        dropout=unless(p.dropout, 0.0),
    )


def tensors(p: ShiftedWindowAttentionParams, x: TensorShape) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The module's own learned tensor (qkv and proj are Linears of their own)."""
    rows, columns = pair(p.window_size)
    return (("relative_position_bias_table", ((2 * rows - 1) * (2 * columns - 1), p.num_heads)),)


def shifted_window_attention_class() -> type:
    """archspec's ShiftedWindowAttention (torch is imported here only); ``compile -o``
    copies the class below into the file it writes."""
    import torch
    from torch import nn

    # compile -o copies this class into files held to 88 columns: it keeps within them
    class ShiftedWindowAttention(nn.Module):
        """Swin's window self-attention on [N, H, W, C], torchvision's arithmetic: pad to
        whole windows, roll by -shift, attend within each window with a relative
        position bias (and the shifted windows' mask), roll back, cut the padding."""

        def __init__(
            self,
            dim: int,
            window_size: int | list[int],
            num_heads: int,
            shift_size: int | list[int] = 0,
            qkv_bias: bool = True,
            proj_bias: bool = True,
            attention_dropout: float = 0.0,
            dropout: float = 0.0,
        ) -> None:
            super().__init__()
            sides = [window_size] * 2 if isinstance(window_size, int) else window_size
            shifts = [shift_size] * 2 if isinstance(shift_size, int) else shift_size
            self.window_size, self.shift_size = list(sides), list(shifts)
            self.num_heads = num_heads
            self.attention_dropout, self.dropout = attention_dropout, dropout
            rows, columns = self.window_size
            table = torch.empty((2 * rows - 1) * (2 * columns - 1), num_heads)
            self.relative_position_bias_table = nn.Parameter(table)
            index = torch.empty(rows * columns * rows * columns, dtype=torch.long)
            self.register_buffer("relative_position_index", index)
            self.reset_parameters()  # before qkv and proj: initialize() draws in this order
            self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
            self.proj = nn.Linear(dim, dim, bias=proj_bias)

        def reset_parameters(self) -> None:
            """The table as torchvision starts it, and the index (a fixed buffer, also
            after ``to_empty``): for tokens i and j of a window, their offset in rows
            (from 0) times the column offsets' count, plus their offset in columns."""
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
            rows, columns = self.window_size
            grid = torch.meshgrid(torch.arange(rows), torch.arange(columns), indexing="ij")
            where = torch.stack(grid).flatten(1)
            offset = where[:, :, None] - where[:, None, :]
            index = (offset[0] + rows - 1) * (2 * columns - 1) + offset[1] + columns - 1
            with torch.no_grad():
                self.relative_position_index.copy_(index.flatten())

        def position_bias(self) -> torch.Tensor:
            """[1, heads, wh·ww, wh·ww]: the table's entry for each pair of tokens."""
            tokens = self.window_size[0] * self.window_size[1]
            bias = self.relative_position_bias_table[self.relative_position_index]
            bias = bias.view(tokens, tokens, -1).permute(2, 0, 1).contiguous()
            return bias.unsqueeze(0)

        def windows(self, x: torch.Tensor) -> torch.Tensor:
            """[N, Hp, Wp, C] → [N·windows, wh·ww, C], windows row by row."""
            batch, height, width, channels = x.shape
            rows, columns = self.window_size
            x = x.view(batch, height // rows, rows, width // columns, columns, channels)
            x = x.permute(0, 1, 3, 2, 4, 5)
            return x.reshape(-1, rows * columns, channels)

        def unwindows(self, x: torch.Tensor, like: torch.Size) -> torch.Tensor:
            """The windows put back into the map [N, Hp, Wp, C] (``like``)."""
            batch, height, width, channels = like
            rows, columns = self.window_size
            x = x.view(batch, height // rows, width // columns, rows, columns, channels)
            return x.permute(0, 1, 3, 2, 4, 5).reshape(batch, height, width, channels)

        def shift_mask(self, x: torch.Tensor, shift: list[int]) -> torch.Tensor:
            """[windows, wh·ww, wh·ww]: -100 between tokens of different regions of the
            rolled map (on a shifted axis, the last ``shift`` positions, the window
            before them and the rest are three regions), 0 within one."""
            _, height, width, _ = x.shape
            labels = []
            axes = zip((height, width), self.window_size, shift, strict=True)
            for side, window, by in axes:
                position = torch.arange(side, device=x.device)
                region = (position >= side - window).long() + (position >= side - by).long()
                labels.append(region if by > 0 else torch.zeros_like(position))
            region = (3 * labels[0][:, None] + labels[1][None, :]).to(x.dtype)
            region = self.windows(region[None, :, :, None])[..., 0]
            differ = region.unsqueeze(1) - region.unsqueeze(2)
            return torch.where(differ != 0, -100.0, 0.0).to(x.dtype)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            batch, height, width, channels = x.shape
            rows, columns = self.window_size
            pad = (0, 0, 0, (-width) % columns, 0, (-height) % rows)
            x = nn.functional.pad(x, pad)
            sides = (x.shape[1], x.shape[2])
            # torchvision's rule: no shift where the window covers the padded side
            fits = zip(self.window_size, sides, self.shift_size, strict=True)
            shift = [0 if window >= side else by for window, side, by in fits]
            if sum(shift) > 0:
                x = torch.roll(x, (-shift[0], -shift[1]), (1, 2))
            windows = self.windows(x)
            count, tokens = windows.shape[0], windows.shape[1]
            heads = self.num_heads
            qkv = self.qkv(windows).reshape(count, tokens, 3, heads, channels // heads)
            query, key, value = qkv.permute(2, 0, 3, 1, 4)
            query = query * (channels // heads) ** -0.5
            attention = query.matmul(key.transpose(-2, -1)) + self.position_bias()
            if sum(shift) > 0:
                mask = self.shift_mask(x, shift)
                attention = attention.view(batch, -1, heads, tokens, tokens)
                attention = attention + mask.unsqueeze(1).unsqueeze(0)
                attention = attention.view(-1, heads, tokens, tokens)
            attention = attention.softmax(-1)
            p, training = self.attention_dropout, self.training
            attention = nn.functional.dropout(attention, p=p, training=training)
            out = attention.matmul(value).transpose(1, 2).reshape(count, tokens, channels)
            out = self.proj(out)
            out = nn.functional.dropout(out, p=self.dropout, training=self.training)
            out = self.unwindows(out, x.shape)
            if sum(shift) > 0:
                out = torch.roll(out, (shift[0], shift[1]), (1, 2))
            return out[:, :height, :width, :].contiguous()

        def extra_repr(self) -> str:
            window, shift = self.window_size, self.shift_size
            return f"window_size={window}, shift_size={shift}, num_heads={self.num_heads}"

    return ShiftedWindowAttention


_RUNTIME, __getattr__ = runtime_classes(__name__, ShiftedWindowAttention=shifted_window_attention_class)


def label(p: ShiftedWindowAttentionParams, x: TensorShape) -> str:
    rows, columns = pair(p.window_size)
    shift = pair(p.shift_size)
    shifted = f", shift {shift[0]}×{shift[1]}" if any(shift) else ""
    return f"window attention {rows}×{columns}{shifted}, {p.num_heads} heads"


register(
    Primitive(
        "shifted_window_attention",
        ShiftedWindowAttentionParams,
        infer,
        build,
        "Swin's (shifted) window self-attention on a channels-last map (torchvision's "
        "ShiftedWindowAttention): relative position bias, shifted windows masked.",
        classes=("ShiftedWindowAttention",),
        parts=("Linear",),  # qkv and proj: no init class case may reach them
        runtime=_RUNTIME,
        label=label,
        tensors=tensors,
        formula="[N, H, W, C] → [N, H, W, C]; num_heads divides C; T = ⌈H/wh⌉wh·⌈W/ww⌉ww (padded). "
        "Params: 4C² (+ 3C, + C biases) + (2wh − 1)(2ww − 1)·heads. MACs = 4·T·C² + 2·T·wh·ww·C.",
    )
)
