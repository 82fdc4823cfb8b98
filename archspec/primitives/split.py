"""split and chunk: one tensor into several along a dim (torch.split, torch.chunk).

Neither has a module: a layer is a function of the tensor it reads, and its parts
are tensors of their own, read by name as ``parts.0``, ``parts.1`` … (ShuffleNet's
``x1, x2 = x.chunk(2, dim=1)``). ``archspec.build``'s network calls the functions
below; ``compile -o`` writes ``torch.split(x, [58, 58], dim=1)``.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from archspec.codes import E303, E305
from archspec.diagnostics import RuleError, check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.reads import TENSOR, Reads, TorchCall, Unreadable
from archspec.primitives.registry import Inferred, Join, Primitive, RuleContext, register
from archspec.shapes.dims import format_dim, is_concrete
from archspec.shapes.tensor import TensorShape

MAX_PARTS = 1024  # each part is a tensor of its own, kept by name: a bound on what one layer makes

Dim = Annotated[
    int, Field(ge=-5, le=4, description="The dim, as torch counts it with the batch: 1 is the channels.")
]


class SplitParams(LayerParams):
    sizes: list[PositiveInt] = Field(
        min_length=1,
        max_length=MAX_PARTS,
        description="The size of each part, in order; they sum to the dim's size.",
    )
    dim: Dim = 1


class ChunkParams(LayerParams):
    chunks: PositiveInt = Field(
        le=MAX_PARTS,
        description="How many parts: each ceil(size / chunks) long, the last one shorter (torch.chunk; "
        "fewer parts where the size runs out first).",
    )
    dim: Dim = 1


def _axis(x: TensorShape, dim: int, op: str) -> int:
    """The index into the sample dims (after the batch) of torch's ``dim``; the dim's size
    must be an int."""
    rank = x.rank + 1  # with the batch
    if not -rank <= dim < rank or dim % rank == 0:
        raise RuleError(
            f"{op} dim {dim} is out of range for {x} (dims 1 to {rank - 1}, or -{rank - 1} to -1)",
            code=E305,
            field="dim",
            hint="dim 1 is the channels; the batch (0) cannot be split",
        )
    axis = dim % rank - 1
    if not is_concrete(x.dims[axis]):
        raise RuleError(
            f"{op} needs a concrete size on dim {dim}, got {format_dim(x.dims[axis])} (input {x})",
            code=E303,
            field="dim",
            hint="split the channels, or give the input that size as an int",
        )
    return axis


def _parts(x: TensorShape, axis: int, sizes: list[int]) -> Inferred:
    shapes = tuple(TensorShape((*x.dims[:axis], size, *x.dims[axis + 1 :])) for size in sizes)
    return Inferred(shapes[0], outputs=shapes)


def infer_split(p: SplitParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    axis = _axis(x, p.dim, "split")
    total = sum(p.sizes)
    check(
        total == x.dims[axis],
        f"split sizes {p.sizes} sum to {total}, but dim {p.dim} of {x} has {x.dims[axis]}",
        field="sizes",
        hint="the sizes of the parts must add up to the size they split",
    )
    return _parts(x, axis, p.sizes)


def chunk_sizes(size: int, chunks: int) -> list[int]:
    """torch.chunk's parts: each ceil(size / chunks), the last what remains; so fewer than
    ``chunks`` where the size runs out first (5 in 4 chunks: 2, 2, 1)."""
    step = -(-size // chunks)
    return [min(step, size - start) for start in range(0, size, step)]


def infer_chunk(p: ChunkParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    axis = _axis(x, p.dim, "chunk")
    return _parts(x, axis, chunk_sizes(x.dims[axis], p.chunks))


# The functions the built network calls (top level, so a saved network loads).


def split_tensor(x: Any, *, sizes: list[int], dim: int) -> Any:
    import torch

    return torch.split(x, sizes, dim=dim)


def chunk_tensor(x: Any, *, chunks: int, dim: int) -> Any:
    import torch

    return torch.chunk(x, chunks, dim=dim)


def _read_dim(c: TorchCall) -> int:
    dim = c.arg(2, "dim", 0)
    if dim % c.rank == 0:
        raise Unreadable("a split of the batch dim (dim 0, torch's default): archspec splits a sample's dims")
    return dim


def read_chunk(c: TorchCall) -> dict[str, object]:
    """``torch.chunk(x, chunks, dim=0)`` and ``x.chunk(...)``."""
    c.only("chunks", "dim")
    return {"chunks": c.arg(1, "chunks", None), "dim": _read_dim(c)}


def read_split(c: TorchCall) -> dict[str, object]:
    """``torch.split(x, [sizes], dim=0)`` and ``x.split(...)``: a list of sizes (an int,
    parts of that size, is torch.chunk's other form, which archspec writes as chunk)."""
    c.only("split_size_or_sections", "split_size", "dim")
    sizes = c.arg(1, "split_size_or_sections", c.kwargs.get("split_size"))
    if not isinstance(sizes, list | tuple) or TENSOR in sizes:
        raise Unreadable(f"a split into parts of size {sizes!r} (archspec's split takes the list of sizes)")
    return {"sizes": list(sizes), "dim": _read_dim(c)}


register(
    Primitive(
        "split",
        SplitParams,
        infer_split,
        None,
        "Split a tensor into parts of the given sizes along a dim (torch.split); read them as name.0, "
        "name.1 ….",
        join=Join(
            lambda p: functools.partial(split_tensor, sizes=list(p.sizes), dim=p.dim),
            lambda p, names: f"torch.split({names[0]}, {list(p.sizes)}, dim={p.dim})",
        ),
        allocates=False,  # the parts are views of the input
        label=lambda p, x: (
            f"split {', '.join(map(str, p.sizes))}" + (f" on dim {p.dim}" if p.dim != 1 else "")
        ),
        from_torch=Reads(calls={"torch.split": read_split, "torch.Tensor.split": read_split}),
        formula="[N, C, *L] → parts [N, s_i, *L] for the sizes s_i (sum s_i = C; on another dim likewise), "
        "read as name.i.",
        integers="keep",
    )
)
register(
    Primitive(
        "chunk",
        ChunkParams,
        infer_chunk,
        None,
        "Split a tensor into chunks of equal size along a dim, the last one smaller (torch.chunk); read them "
        "as name.0, name.1 ….",
        join=Join(
            lambda p: functools.partial(chunk_tensor, chunks=p.chunks, dim=p.dim),
            lambda p, names: f"torch.chunk({names[0]}, {p.chunks}, dim={p.dim})",
        ),
        allocates=False,
        label=lambda p, x: f"chunk {p.chunks}" + (f" on dim {p.dim}" if p.dim != 1 else ""),
        from_torch=Reads(calls={"torch.chunk": read_chunk, "torch.Tensor.chunk": read_chunk}),
        formula="[N, C, *L] → parts [N, ceil(C/k), *L] …, the last [N, C - (m-1)·ceil(C/k), *L] "
        "(m = ceil(C / ceil(C/k)) parts), read as name.i.",
        integers="keep",
    )
)
