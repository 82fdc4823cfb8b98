"""Helpers of the layout primitives (permute, flatten, unflatten, reshape, pixel_unshuffle).

A ``dim`` in their parameters counts as PyTorch counts it, over the whole
tensor with the batch: 0 is the batch, 1 the channels, -1 the last dim.
archspec keeps the batch first, so none of them may move or merge dim 0.

Divisibility of a symbolic size is decided for every value of the symbols:
``2*H`` is divisible by 2, ``H`` is not (it is for some values only, a set
the minimum sizes cannot state), so a rule refuses ``H`` rather than guess.
"""

from __future__ import annotations

from collections.abc import Sequence

from archspec.codes import E300, E303, E305
from archspec.diagnostics import RuleError, check
from archspec.shapes.dimfacts import content
from archspec.shapes.dims import Dim, dims_equal, floordiv, format_dim, is_concrete, product
from archspec.shapes.tensor import TensorShape


def tensor_axis(dim: int, x: TensorShape, field: str) -> int:
    """PyTorch's ``dim`` as an index over the whole tensor with the batch (0 the batch);
    a dim out of range for the input is refused (E305), as PyTorch refuses it (IndexError)."""
    rank = x.rank + 1  # with the batch, as PyTorch counts
    check(
        -rank <= dim < rank,
        f"{field} {dim} is out of range for the input {x}, which has {rank} dims with the batch "
        f"(dims {-rank} to {rank - 1})",
        field=field,
        code=E305,
        hint=f"use a {field} from 1 to {rank - 1} (1 is the channels), or -1 for the last dim",
    )
    return dim % rank


def sample_axis(dim: int, x: TensorShape, field: str) -> int:
    """The index into ``x.dims`` (the dims after the batch) of PyTorch's ``dim``.

    Refused (E305): a dim out of range for the input, and the batch itself
    (which PyTorch would accept, but archspec keeps first).
    """
    axis = tensor_axis(dim, x, field)
    check(
        axis != 0,
        f"{field} {dim} is the batch of the input {x}: archspec keeps the batch as dim 0",
        field=field,
        code=E305,
        hint=f"use a {field} from 1 to {x.rank}, or from {-x.rank} to -1",
    )
    return axis - 1


def divides(r: int, dim: Dim) -> bool:
    """Whether ``r`` divides ``dim``: for an int, plainly; for a symbolic dim, for every
    value of its symbols (where sympy's ``Mod`` proves it: ``2*H`` by 2, not ``H``)."""
    if is_concrete(dim):
        return dim % r == 0
    whole = content(dim)
    return type(whole) is int and whole % r == 0


def exact_quotient(dim: Dim, r: int) -> Dim:
    """``dim / r`` where :func:`divides` holds (an int, or an expression without a floor)."""
    return floordiv(dim, r)


def fill_sizes(sizes: Sequence[int], total: Dim, *, op: str, what: str, field: str) -> tuple[Dim, ...]:
    """``sizes`` with its one ``-1`` (if any) replaced by what makes their product
    ``total``, as ``torch.reshape`` and ``torch.unflatten`` infer it.

    Refused: sizes that do not multiply up to ``total`` (E300, as PyTorch refuses
    them), and, for a symbolic ``total``, sizes that fit it only for some input
    sizes (E303): without -1 an int product never equals an expression, and the
    -1 must be an exact quotient for every value of the symbols.
    """
    known = product(s for s in sizes if s != -1)
    given = list(sizes)
    if -1 not in given:
        if is_concrete(total):
            check(
                known == total,
                f"{op}: sizes {given} multiply up to {known}, but {what} has {total}",
                field=field,
                hint=f"give sizes whose product is {total}, or -1 for one of them (it is inferred)",
            )
            return tuple(given)
        if not dims_equal(known, total):
            raise RuleError(
                f"{op}: sizes {given} multiply up to {known}, but {what} has {format_dim(total)}, "
                "which depends on the input size",
                code=E303,
                field=field,
                hint="use -1 for the size that follows the input (it is inferred), or fix the input size",
            )
        return tuple(given)
    if not divides(known, total):
        message = (
            f"{op}: the sizes {given} other than -1 multiply up to {known}, which does not divide "
            f"{format_dim(total)} (the size of {what})"
        )
        if is_concrete(total):
            raise RuleError(message, code=E300, field=field, hint=f"give sizes whose product divides {total}")
        raise RuleError(
            message + " for every input size",
            code=E303,
            field=field,
            hint="give the other sizes so that they divide it for every input size, or fix the input size",
        )
    rest = exact_quotient(total, known)
    return tuple(rest if s == -1 else s for s in given)
