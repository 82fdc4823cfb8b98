"""Helpers of the joins of a learned tensor and tokens [N, L, D] (class_token,
position_embedding): which tensors they read, and that the learned one fits."""

from __future__ import annotations

from archspec.codes import E303, E305, E310
from archspec.diagnostics import RuleError, check
from archspec.shapes.dims import Dim, format_dim, is_concrete
from archspec.shapes.tensor import TensorShape


def read_pair(op: str, reads: tuple[TensorShape, ...], order: str) -> tuple[TensorShape, TensorShape]:
    """The two tensors a join reads, in the order its ``from`` names them (``order``)."""
    if len(reads) != 2:
        raise RuleError(
            f"{op} reads two tensors by name, {order}, but here it reads {len(reads)}",
            code=E310,
            hint=f"write {op}: {{from: [{order.replace(' and ', ', ')}]}} after a parameter layer that "
            "holds the learned tensor",
        )
    return reads[0], reads[1]


def check_learned(op: str, learned: TensorShape, tokens: TensorShape, what: str) -> None:
    """``learned`` is a parameter [1, K, D] for the tokens [L, D]."""
    check(
        tokens.batched and tokens.rank == 2,
        f"{op} joins {what} to tokens [N, L, D], but the tokens are {tokens}",
        code=E310,
        hint="make tokens first: flatten: {start_dim: 2} and permute: {dims: [0, 2, 1]}",
    )
    dims = learned.dims
    features = tokens.dims[-1]
    check(
        not learned.batched and len(dims) == 3 and dims[0] == 1 and dims[2] == features,
        f"{op} needs {what} as a learned tensor [1, K, {format_dim(features)}] (a parameter, "
        f"broadcast over the batch), but it reads {learned}",
        code=E310,
        hint=f"give the parameter shape: [1, K, {format_dim(features)}]",
    )


def channels_last_map(op: str, x: TensorShape) -> tuple[Dim, Dim, int]:
    """Height, width and channels of a channels-last map ``[N, H, W, C]`` (Swin's layout);
    the channels must be an int, since they size weights."""
    check(
        x.rank == 3,
        f"{op} reads a channels-last map [N, H, W, C], got {x}",
        code=E305,
        hint="permute: {dims: [0, 2, 3, 1]} makes [N, C, H, W] channels-last",
    )
    height, width, channels = x.dims
    if not is_concrete(channels):
        raise RuleError(
            f"{op} needs a fixed number of channels (the last dim), got {format_dim(channels)}",
            code=E303,
            hint="the channels are the last dim of [N, H, W, C]",
        )
    return height, width, channels
