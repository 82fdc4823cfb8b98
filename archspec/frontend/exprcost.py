"""The cost model of expressions: each operation is checked before it runs.

An expression is at most ``MAX_LENGTH`` characters, so its tree is small and
its list literals are short. What can still be expensive is one operation on
large operands: a block argument can be an int near 2**63, a string of a
megabyte or a list of 100,000 items, ``round(1, -10**14)`` makes Python
build ``10**(10**14)`` and ``10 ** 10**18`` would fill the memory. So every
operation has a rule here that bounds its work from its operands, and refuses
(``ExprError``) before Python starts it:

- arithmetic takes numbers within ±``MAX_MAGNITUDE`` and refuses a result
  whose bit size, bounded from the operands' bit sizes, exceeds
  ``MAX_RESULT_BITS`` (so a product is never computed just to be refused);
  for ``a ** b`` on ints the bound is ``b * log2(|a|)``, so ``2 ** 62`` is
  computed and ``3 ** 10**18`` is not; a float power costs the same at any
  size, and one that overflows is refused;
- ``round`` takes at most ``MAX_ROUND_DIGITS`` digits either way;
- ``int`` reads text of at most ``MAX_INT_TEXT`` characters;
- ``min``/``max`` of one list or text walk at most ``MAX_ITEMS`` items (an
  expression is evaluated at every call of its block, up to ``max_layers`` times);
- ``floor``, ``ceil``, ``log`` and ``make_divisible`` take numbers (bounded
  like every argument), so each is a few float operations;
- ``<``, ``<=``, ``>``, ``>=`` (and ``min``/``max``) order numbers with numbers,
  text with text and lists item by item; Python then does the work in C, in
  time linear in operands that the spec's own budgets bound. ``==`` on text
  compares lengths first.

No operation makes a string or a list: repetition and concatenation are
refused as arithmetic on non-numbers, shifts at parse time. A text constant is
part of the expression, so it is shorter than ``MAX_LENGTH``.

Some rules are about values, not cost: the argument of ``log`` must be
positive, a negative number has no real fractional power. They are here so that
every refusal of an argument is in one place.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from typing import Any

from archspec.diagnostics import abridge

MAX_MAGNITUDE = 1 << 62  # results beyond this are refused, so no value can explode
MAX_RESULT_BITS = 64  # a result of more bits is beyond MAX_MAGNITUDE: refuse before computing it
MAX_ROUND_DIGITS = 400  # beyond ±400 digits round() returns what it does at ±400, for ints and floats
MAX_INT_TEXT = 100  # int() of text: Python's decimal parse is quadratic when its digit cap is lifted
MAX_ITEMS = 10_000  # min()/max() of one list or text: an evaluation runs once per block call


class ExprError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why."""


def shown(value: object, depth: int = 0) -> str:
    """A value for a message: ``abridge`` item by item, so that a long or deep list is
    never rendered whole (and an int too long for ``repr`` inside it cannot raise)."""
    if not isinstance(value, list):
        return abridge(value)
    if depth >= 2:
        return f"[{len(value)} item{'' if len(value) == 1 else 's'}]" if value else "[]"
    items = ", ".join(shown(item, depth + 1) for item in value[:4])
    if len(items) > 50:
        items = items[:40] + "…"
    more = f", … ({len(value)} items)" if len(value) > 4 else ""
    return f"[{items}{more}]"


def is_number(value: object) -> bool:
    # bool is a number here, as it has always been in arithmetic (true + 1 == 2)
    return isinstance(value, int | float)


def bounded(value: Any) -> Any:
    """``value`` if it is within the magnitude bound and finite, else ExprError."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) and abs(value) > MAX_MAGNITUDE:
        raise ExprError(f"a value beyond ±2**62: {shown(value)} ({type(value).__name__})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExprError(f"a value that is not finite: {value!r}")
    return value


def _bits(value: int | float) -> int:
    # a float's cost does not grow with its value; an int's grows with its bit length
    return 0 if isinstance(value, float) else int(value).bit_length()


# Bit size of an int result, bounded from above by the operands' bit sizes.
RESULT_BITS: dict[type, Callable[[int | float, int | float], int]] = {
    ast.Add: lambda a, b: max(_bits(a), _bits(b)) + 1,
    ast.Sub: lambda a, b: max(_bits(a), _bits(b)) + 1,
    ast.Mult: lambda a, b: _bits(a) + _bits(b),
    ast.Div: lambda a, b: 0,  # a float
    ast.FloorDiv: lambda a, b: _bits(a) + 1,  # |a // b| <= |a| for |b| >= 1, else it's a float
    ast.Mod: lambda a, b: max(_bits(a), _bits(b)),
    ast.Pow: lambda a, b: _power_bits(a, b),
}


def _power_bits(base: int | float, exponent: int | float) -> int:
    """At least the bit size of ``base ** exponent`` less one, on ints; 0 for a float result."""
    if isinstance(base, float) or isinstance(exponent, float) or exponent < 0:
        return 0  # a float: one C pow, whatever the size; an overflow is an OverflowError
    if abs(base) <= 1:
        return 1  # 0, 1 and -1 to any power: the squarings stay one bit
    # |base| ** exponent == 2 ** (exponent * log2|base|); a float product, so a huge exponent is cheap
    return math.ceil(exponent * math.log2(abs(base)))


def check_arithmetic(op: ast.operator, symbol: str, left: Any, right: Any) -> None:
    """Refuse ``left op right`` unless both are bounded numbers and the result is small."""
    if not (is_number(left) and is_number(right)):
        raise ExprError(
            f"arithmetic works on numbers only (no list or text repetition): "
            f"{shown(left)} {symbol} {shown(right)}"
        )
    bounded(left), bounded(right)
    if isinstance(op, ast.Pow):
        _check_power(left, right)
    # a result of more than 64 bits is at least 2**63 > MAX_MAGNITUDE: it would be refused anyway
    if RESULT_BITS[type(op)](left, right) > MAX_RESULT_BITS:
        raise ExprError(f"{shown(left)} {symbol} {shown(right)} would be beyond ±2**62")


def _check_power(base: int | float, exponent: int | float) -> None:
    if base == 0 and exponent < 0:
        raise ExprError(f"zero to a negative power is a division by zero: {shown(base)} ** {shown(exponent)}")
    if base < 0 and isinstance(exponent, float) and not exponent.is_integer():
        raise ExprError(
            "a negative number to a fractional power is not a real number: "
            f"({shown(base)}) ** {shown(exponent)}"
        )


def _kind(value: object) -> str:
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "None" if value is None else type(value).__name__


def check_order(how: str, left: Any, right: Any) -> None:
    """Refuse ordering values of different kinds (Python would raise TypeError)."""
    kinds = _kind(left), _kind(right)
    if kinds[0] != kinds[1] or kinds[0] not in ("number", "text", "list"):
        raise ExprError(
            f"cannot order {shown(left)} ({kinds[0]}) and {shown(right)} ({kinds[1]}) {how}: "
            "order numbers with numbers, text with text, lists item by item; == and != compare anything"
        )


def order(compare: Callable[[Any, Any], bool], symbol: str, left: Any, right: Any) -> bool:
    check_order(f"with {symbol}", left, right)
    try:
        return compare(left, right)
    except TypeError:  # items of two lists, at the first place where they differ
        raise ExprError(
            f"cannot order {shown(left)} and {shown(right)} with {symbol}: "
            "their items differ first where one is not comparable to the other"
        ) from None


def _min_max(args: Sequence[Any], name: str) -> None:
    if len(args) == 1 and not isinstance(args[0], list | str):
        raise ExprError(f"{name}() of one value takes a list: {name}({shown(args[0])})")
    if len(args) == 1 and len(args[0]) > MAX_ITEMS:
        raise ExprError(
            f"{name}() walks at most {MAX_ITEMS:,} items, not {len(args[0]):,}: {name}({shown(args[0])})"
        )
    for arg in args[1:]:  # a few arguments (the text is short); the items of one list are ordered in C
        check_order(f"in {name}()", args[0], arg)


def _abs(args: Sequence[Any]) -> None:
    if len(args) == 1 and not is_number(args[0]):
        raise ExprError(f"abs() takes a number: abs({shown(args[0])})")


def _int(args: Sequence[Any]) -> None:
    if args and isinstance(args[0], str) and len(args[0]) > MAX_INT_TEXT:
        raise ExprError(
            f"int() reads text of at most {MAX_INT_TEXT} characters, not {len(args[0])}: {shown(args[0])}"
        )


def _round(args: Sequence[Any]) -> None:
    if len(args) == 2 and isinstance(args[1], int) and abs(args[1]) > MAX_ROUND_DIGITS:
        raise ExprError(
            f"round({shown(args[0])}, {shown(args[1])}): the number of digits must be within "
            f"±{MAX_ROUND_DIGITS} (beyond that the result does not change)"
        )


def _written(name: str, args: Sequence[Any]) -> str:
    return f"{name}({', '.join(shown(a) for a in args)})"


def _numbers(name: str, args: Sequence[Any], least: int, most: int) -> None:
    if not least <= len(args) <= most or not all(is_number(a) for a in args):
        count = str(least) if least == most else f"{least} or {most}"
        raise ExprError(f"{name}() takes {count} number{'s' if most > 1 else ''}: {_written(name, args)}")


def _rounding(name: str) -> Callable[[Sequence[Any]], None]:
    return lambda args: _numbers(name, args, 1, 1)


def _log(args: Sequence[Any]) -> None:
    _numbers("log", args, 1, 2)
    if args[0] <= 0:
        raise ExprError(f"log() of a number that is not positive: {_written('log', args)}")
    if len(args) == 2 and (args[1] <= 0 or args[1] == 1):
        raise ExprError(f"log(x, base) takes a positive base other than 1: {_written('log', args)}")


def _make_divisible(args: Sequence[Any]) -> None:
    name = "make_divisible"
    if not 2 <= len(args) <= 3:
        raise ExprError(f"{name}(v, divisor, min_value=None) takes 2 or 3 arguments: {_written(name, args)}")
    v, divisor, least = (*args, None)[:3]
    if not is_number(v):
        raise ExprError(f"{name}() rounds a number: {_written(name, args)}")
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 1:
        raise ExprError(f"{name}() takes a positive int divisor: {_written(name, args)}")
    if least is not None and not is_number(least):
        raise ExprError(f"{name}() takes a number or None as min_value: {_written(name, args)}")


# One rule per allowed function, run on its arguments before the call.
CALL_RULES: dict[str, Callable[[Sequence[Any]], None]] = {
    "min": lambda args: _min_max(args, "min"),
    "max": lambda args: _min_max(args, "max"),
    "abs": _abs,
    "int": _int,
    "round": _round,
    "floor": _rounding("floor"),
    "ceil": _rounding("ceil"),
    "log": _log,
    "make_divisible": _make_divisible,
}
