"""Scalars of a spec file: the value of each, as PyYAML's safe constructor makes it, with
the safety rules of the loader (archspec/frontend/loader.py, which composes the rest).

A scalar is refused where it holds a control character or a bidirectional
override (a quoted escape), where YAML 1.1 reads it as something it does not
look like (``012`` as 10, ``1:2`` as 62, dates), for an integer beyond 64 bits
(its text bounded before Python converts it) and a float that is not finite;
the text of ``yes``/``off`` values is kept for the hint of a later type error.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import yaml

from archspec.codes import E104, E200
from archspec.diagnostics import Span, SpecError, abridge
from archspec.frontend.text import character_diagnostic, forbidden_character, surprise

if TYPE_CHECKING:
    from archspec.frontend.loader import KeyPath, SourceMap

_TAG = "tag:yaml.org,2002:"
MERGE_TAG = _TAG + "merge"
_TEXT_TAGS = frozenset({_TAG + "str", _TAG + "value", MERGE_TAG})
_INT, _BOOL, _NULL = _TAG + "int", _TAG + "bool", _TAG + "null"
_BOOLEANS: dict[str, bool] = yaml.constructor.SafeConstructor.bool_values
_MAX_INT = (1 << 63) - 1  # PyTorch sizes are int64
_MAX_INT_TEXT = 80  # longer int text is refused before it is converted


class ScalarReader:
    """The scalars of the loader's composer (which it is a part of, with its source map,
    resolver, constructor and located errors)."""

    map: SourceMap
    resolver: Any
    constructor: Any

    if TYPE_CHECKING:  # the composer's own

        def fail(self, code: str, message: str, mark: Any, hint: str | None = None) -> SpecError: ...

        def span(self, mark: Any) -> Span: ...

    def scalar(self, event: Any, path: KeyPath | None, tag: str | None = None) -> Any:
        """The value of a scalar at ``path`` (None for a mapping key); ``tag``: the one
        the resolver gives it, where the caller has it already."""
        text = event.value
        char = forbidden_character(text)  # decoded: a quoted "\u202e" or "\e" is caught here
        if char is not None:
            raise SpecError([character_diagnostic(char, self.span(event.start_mark), in_value=True)])
        if tag is None:
            tag = str(self.resolver.resolve(yaml.ScalarNode, text, event.implicit))
        if tag in _TEXT_TAGS:
            return text  # '=' and '<<' as values are text (an '=' starts an expression)
        if tag == _INT and len(text.replace("_", "")) > _MAX_INT_TEXT:
            raise self.integer_out_of_range(event)  # before Python converts it
        if tag == _BOOL and text.lower() not in ("true", "false") and path is not None:
            # yes/no/on/off stay booleans (``bias: yes`` means what it says); where
            # a boolean is wrong, the raw text lets the error say why.
            self.map.readings[path] = text
        unexpected = surprise(tag, text)
        if unexpected is not None:
            reading, fix = unexpected
            raise self.fail(
                E104,
                f"YAML 1.1 reads {abridge(text)} as {reading}",
                event.start_mark,
                hint=f"quote it ({abridge(text)}) if you mean the text; {fix}",
            )
        # What PyYAML's constructor makes of the commonest scalars, without a node and its
        # marks: a plain decimal (a leading 0 is refused above, as octal), a boolean, null.
        if tag == _INT and text.isdigit():
            value: Any = int(text)
        elif tag == _BOOL:
            return _BOOLEANS[text.lower()]
        elif tag == _NULL:
            return None
        else:
            value = self.construct(event, tag)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT:
            raise self.integer_out_of_range(event)
        return value

    def construct(self, event: Any, tag: str) -> Any:
        """PyYAML's value of a scalar with ``tag`` (an int, a float, a binary …)."""
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            raise self.fail(
                E200,
                f"cannot read the value {abridge(event.value)}: {abridge(str(exc).splitlines()[0], 80)}",
                event.start_mark,
            ) from None
        finally:
            # The constructor caches each node it made, for the aliases of PyYAML's own
            # composer (this one resolves aliases itself): kept, every int's and bool's node
            # and its two marks would live as long as the load, the bulk of what each
            # garbage collection during it scans.
            self.constructor.constructed_objects.clear()
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(
                E200,
                f"{abridge(event.value)} is not a finite number",
                event.start_mark,
                hint="no parameter of a spec takes NaN or an infinity",
            )
        return value

    def integer_out_of_range(self, event: Any) -> SpecError:
        return self.fail(
            E200,
            f"the integer {abridge(event.value)} is out of range",
            event.start_mark,
            hint="integers in a spec are at most 2**63 - 1, the largest size PyTorch takes",
        )
