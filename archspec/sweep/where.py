"""``--where "macs < 4e8 and params < 6e6"``: which members a sweep writes.

The filter is an expression of archspec's own language (archspec/frontend/expr.py:
comparisons, ``and``/``or``/``not``, arithmetic, the same functions, the same
bounds on what it may cost), over a row's columns: the family's parameters,
``member``, ``params``, ``macs``, ``activations``, ``output`` and
``valid_sizes``. It must give true or false. A member that does not compile is
always written (its error is never filtered away).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from archspec.codes import E503
from archspec.diagnostics import Diagnostic, SpecError, abridge
from archspec.frontend.errors import did_you_mean
from archspec.frontend.expr import PREFIX, ExprError, evaluate, names_in


class Where:
    """A parsed filter; :meth:`keeps` judges one row."""

    def __init__(self, text: str, columns: Iterable[str]) -> None:
        self.text = text.strip()
        self.expression = PREFIX + self.text
        known = [c for c in columns if c != "error"]
        try:
            names = names_in(self.expression)
        except ExprError as error:
            raise _error(f"--where {abridge(self.text)}: {error}") from None
        unknown = sorted(names - set(known) - {"true", "false"})
        if unknown:
            hint = did_you_mean(unknown[0], known) or f"the columns: {', '.join(known)}"
            raise _error(f"--where {abridge(self.text)}: no column {abridge(unknown[0])}", hint)

    def keeps(self, row: Mapping[str, Any]) -> bool:
        """Whether to write ``row``; raises SpecError (E503) where the filter cannot judge it."""
        if row.get("error") is not None:
            return True
        env = {key: value for key, value in row.items() if key != "error"}
        try:
            verdict = evaluate(self.expression, env)
        except ExprError as error:
            raise _error(f"--where {abridge(self.text)}: member {row.get('member')}: {error}") from None
        if not isinstance(verdict, bool):
            raise _error(
                f"--where {abridge(self.text)} gives {abridge(verdict)}, not true or false",
                "compare: macs < 4e8 and params < 6e6",
            )
        return verdict


def _error(message: str, hint: str | None = None) -> SpecError:
    return SpecError([Diagnostic(E503, message, None, hint=hint)])
