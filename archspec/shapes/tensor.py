"""TensorShape: the dims of one sample (everything after the batch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from archspec.codes import E302, E303, E305
from archspec.diagnostics import RuleError
from archspec.shapes.dims import Dim, N, format_dim, format_shape, is_concrete, symbols_of

BYTES_PER_ELEMENT = 4
"""Bytes of one element of an activation (float32): the report's activation memory, a sweep's
rows and the summary compiles all count at this size."""


@dataclass(frozen=True)
class TensorShape:
    """``dims`` excludes the batch; ``dims[0]`` is the channel (or feature) count.

    ``batched`` is False for a tensor with no batch dim at all: a learned tensor
    (``parameter``), whose ``dims`` are its whole shape (``[C, 1, 1]``). Only a merge
    of named tensors (``mul: {from: [layer_scale, block]}``) reads one; it broadcasts
    as PyTorch does, aligned on the last dims."""

    dims: tuple[Dim, ...]
    batched: bool = True
    # Integers (token ids: an input declared int64), which only embedding reads; a rule that
    # makes a new shape makes a float one.
    integer: bool = False

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def channels(self) -> Dim:
        return self.dims[0]

    @property
    def spatial(self) -> tuple[Dim, ...]:
        return self.dims[1:]

    def with_batch(self) -> tuple[Any, ...]:
        """The full shape, as PyTorch prints it: ``(N, C, H, W)`` (``(C, 1, 1)`` without a batch)."""
        return (N, *self.dims) if self.batched else tuple(self.dims)

    @property
    def symbols(self) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for dim in self.dims:
            found |= symbols_of(dim)
        return found

    def __str__(self) -> str:
        return format_shape(self.with_batch())


SPATIAL_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def axis_names(shape: TensorShape) -> tuple[str, ...]:
    spatial = len(shape.dims) - 1
    names = SPATIAL_NAMES.get(spatial)  # the fallback is built only when needed (every conv asks)
    return names if names is not None else tuple(f"dim {i}" for i in range(spatial))


def concrete_channels(shape: TensorShape, op: str, what: str = "input channels") -> int:
    """The channel count, which every layer with weights needs as an int."""
    channels = shape.channels
    if not is_concrete(channels):
        raise RuleError(
            f"{op} needs a concrete number of {what}, got {format_dim(channels)} (input {shape})",
            code=E303,
            hint="give the channel count of the input as an int",
        )
    return channels


def check_given(given: int | None, actual: int, field: str, unit: str) -> None:
    """A spec may state an inferred size (``in_channels: 96``); it must be the real one."""
    if given is not None and given != actual:
        raise RuleError(
            f"{field} is {given} but the input has {actual} {unit}",
            code=E302,
            field=field,
            hint=f"set {field}: {actual}, or remove it (it is inferred)",
        )


def require_spatial(shape: TensorShape, op: str, ranks: tuple[int, ...] = (1, 2, 3)) -> int:
    """The number of spatial dims, which picks the 1d/2d/3d variant of an op."""
    spatial = len(shape.spatial)
    if spatial not in ranks:
        wanted = ", ".join(_RANK_EXAMPLES[r] for r in ranks)
        raise RuleError(
            f"{op} needs an input with {'/'.join(str(r) for r in ranks)} spatial dims, got {shape}",
            code=E305,
            hint=f"{op} works on inputs shaped like {wanted}"
            + ("; flatten comes after it, not before" if spatial == 0 else ""),
        )
    return spatial


_RANK_EXAMPLES = {1: "[N, C, L]", 2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}


def expand_tuple(value: int | Sequence[int], spatial: int, field: str) -> tuple[int, ...]:
    """One entry per spatial axis, from an int, a one-entry list (both repeated,
    as PyTorch's pools do) or a list with an entry per axis."""
    if isinstance(value, int):
        return (value,) * spatial
    if len(value) == 1:
        return (value[0],) * spatial
    if len(value) != spatial:
        raise RuleError(
            f"{field} has {len(value)} entries but the input has {spatial} spatial dims",
            field=field,
            hint=f"give one int, or a list of {spatial}",
        )
    return tuple(value)


def size_label(value: int | Sequence[int], x: TensorShape, repeat: bool = True) -> str:
    """``3×3``: a kernel size for labels, one entry per spatial axis where ``repeat``
    (an int or a one-entry list stands for every axis), else as written."""
    if not repeat:
        return str(value) if isinstance(value, int) else "×".join(map(str, value))
    spatial = max(1, len(x.spatial))
    values = [value] * spatial if isinstance(value, int) else list(value)
    if len(values) == 1:
        values *= spatial
    return "×".join(str(v) for v in values)


def torch_size(value: int | Sequence[int] | None, spatial: int) -> int | tuple[int, ...] | None:
    """A size as the builders hand it to PyTorch: a one-entry list repeated per
    axis (archspec's meaning, which PyTorch's convs would not apply), any other
    list as a tuple."""
    if not isinstance(value, list | tuple):  # an int, None, or code in emitted source
        return value
    return (value[0],) * spatial if len(value) == 1 else tuple(value)


Equate = Callable[..., Dim]
"""``equate(a, b, where, broadcast=False)``: a join's requirement that two sizes, one of
them symbolic, be equal; returns the size to go on with (``RuleContext.equate``: the
compiler decides whether they are equal for every input size, and records the
requirement where they are not)."""


def concat_channels(
    shapes: list[TensorShape], names: list[str], op: str, equate: Equate | None = None
) -> TensorShape:
    """Concatenate on the channel dim; every other dim must agree (``torch.cat(dim=1)``).

    With ``equate``, symbolic sizes that differ as formulas are handed to it
    (equal for every size, or for some: the valid-size search decides), instead
    of refused."""
    from archspec.shapes.dims import dims_equal

    first = shapes[0]
    for shape, name in zip(shapes, names, strict=True):
        if not shape.batched:
            raise RuleError(
                f"cannot concatenate on channels: {name} gives {shape}, a learned tensor with no batch",
                code=E305,
                hint="a learned tensor (parameter) broadcasts in add or mul; it has no batch to concatenate",
            )
    spatial = list(first.spatial)
    for shape, name in zip(shapes[1:], names[1:], strict=True):
        if shape.rank != first.rank:
            raise RuleError(
                f"cannot concatenate on channels: {names[0]} gives {first} but {name} gives {shape}"
            )
        for axis, (a, b) in enumerate(zip(spatial, shape.spatial, strict=True)):
            if a == b:
                continue
            message = f"cannot concatenate on channels: {names[0]} gives {first} but {name} gives {shape}"
            if equate is not None and not (is_concrete(a) and is_concrete(b)):
                spatial[axis] = equate(a, b, message)  # it decides, exactly, whether they are one size
            elif not dims_equal(a, b):
                raise RuleError(message)
    channels = sum(concrete_channels(s, op) for s in shapes)
    return TensorShape((channels, *spatial), integer=all(s.integer for s in shapes))  # torch.cat promotes


def broadcast_shapes(
    shapes: list[TensorShape],
    names: list[str],
    op: str,
    *,
    field: str | None = None,
    hint: str | None = None,
    equate: Equate | None = None,
) -> TensorShape:
    """The shape of an elementwise ``op`` of the branches, by PyTorch's broadcasting: the
    full shapes (with the batch) aligned on their last dims, where each pair must be equal
    or one of them 1, for every value of the symbols; a missing leading dim takes the
    other's. A symbolic size broadcasts with 1; with another size, which it equals (or
    either is 1) only for some values, it goes to ``equate`` (refused without one)."""
    from archspec.shapes.dims import dims_equal

    result = shapes[0].with_batch()
    for shape, name in zip(shapes[1:], names[1:], strict=True):
        other = shape.with_batch()
        width = max(len(result), len(other))
        left = (None,) * (width - len(result)) + tuple(result)
        right = (None,) * (width - len(other)) + tuple(other)
        merged = []
        for a, b in zip(left, right, strict=True):
            if a is None or b is None:
                merged.append(b if a is None else a)
            elif (a is N) != (b is N):  # ranks differ: PyTorch would broadcast the batch itself
                raise RuleError(
                    f"cannot {op}: {names[0]} gives {shapes[0]} but {name} gives {shape}: of "
                    "different ranks, the batch of one meets a size of the other",
                    code=E305,
                    field=field,
                    hint="give the branches the same number of dims (flatten both, or neither)",
                )
            elif a is b or a == b or b == 1:
                merged.append(a)
            elif a == 1:
                merged.append(b)
            elif equate is not None and not (is_concrete(a) and is_concrete(b)):
                where = f"cannot {op}: {names[0]} gives {shapes[0]} but {name} gives {shape}"
                merged.append(equate(a, b, where, broadcast=True))
            elif dims_equal(a, b):
                merged.append(a)
            else:
                before = (
                    f"{names[0]} gives {shapes[0]}"
                    if result == shapes[0].with_batch()
                    else f"the branches before {name} give {format_shape(result)}"
                )
                raise RuleError(
                    f"cannot {op}: {before} but {name} gives {shape}: "
                    f"{format_dim(a)} and {format_dim(b)} do not broadcast",
                    field=field,
                    hint=hint,
                )
        result = tuple(merged)
    if not result or result[0] is not N:  # only learned tensors, none with a batch
        assert not any(shape.batched for shape in shapes), result
        return TensorShape(tuple(result), batched=False)
    # PyTorch's type promotion: integers with integers stay integers, with floats are floats
    return TensorShape(tuple(result[1:]), integer=all(s.integer for s in shapes))


def new_symbolic_dims(x: TensorShape, out: TensorShape) -> int:
    """How many symbolic dims a rule computed: those of its output that its input lacks."""
    if out is x:  # a layer that passes its input on (relu, a stride-1 conv of as many channels)
        return 0
    if all(is_concrete(d) for d in out.dims):
        return 0
    # A tuple's membership test tries identity first: the dims a layer passes on are its
    # input's own objects (Compilation.shared), which a set would hash again.
    return sum(1 for d in out.dims if not is_concrete(d) and d not in x.dims)
