"""The smallest valid size of each input symbol.

Every shape rule is monotone in each input size (floor of an affine function
with positive slope), so the valid sizes of a symbol form an interval
``[m, ∞)``: a doubling search finds a valid size, and a binary search finds
``m``. Each probe is a concrete inference, so it runs the very rules (and the
very checks) that concrete inputs meet, without sympy.
"""

from __future__ import annotations

from collections.abc import Callable

from archspec.compiler.infer import InferenceStopped

# Sizes are searched up to 2**40: past any real tensor, still instant on ints.
_SEARCH_LIMIT_BITS = 40


def find_min_sizes(symbols: list[str], runs: Callable[[dict[str, int]], bool]) -> dict[str, int] | None:
    """Each symbol's smallest valid size, the others held at a valid size.

    ``runs(sizes)`` says whether inference succeeds at those sizes; ``None``
    means no size up to 2**40 works.
    """
    common = next(
        (1 << bits for bits in range(_SEARCH_LIMIT_BITS + 1) if runs(dict.fromkeys(symbols, 1 << bits))),
        None,
    )
    if common is None:
        return None
    found: dict[str, int] = {}
    for symbol in symbols:
        sizes = dict.fromkeys(symbols, common)
        low, high = 1, common  # high is valid; find the first valid in [low, high]
        while low < high:
            middle = (low + high) // 2
            sizes[symbol] = middle
            if runs(sizes):
                high = middle
            else:
                low = middle + 1
        found[symbol] = high
    return found


def succeeds(infer: Callable[[], object]) -> bool:
    try:
        infer()
    except InferenceStopped:
        return False
    return True
