"""Turn pydantic's validation errors into located diagnostics.

pydantic reports a ``loc`` that mixes data keys with the names of union
members (``('kernel_size', 'int')``); this module walks the loc along the real
data to find the key path, merges the per-member messages of one value, and
looks the path up in the source map.

Spec text in a message is shown escaped and cut (:func:`~archspec.diagnostics.abridge`):
a bidi override or a full-width look-alike in a name appears as ``\\u202e`` or
``\\uff52``, never as itself, and a newline cannot forge a diagnostic line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from archspec.codes import E200, E201, E202
from archspec.diagnostics import Diagnostic, abridge
from archspec.frontend.loader import KeyPath, SourceMap
from archspec.frontend.model import Model, ValidationError
from archspec.frontend.text import escaped

# A layer path or a field path is names (each at most NAME_LIMIT characters) joined
# by dots; a longer one (a name that was refused for its length) is cut.
_PATH_LIMIT = 160


def _non_ascii(value: object) -> str:
    """For a string with a look-alike or a control character, which one it is."""
    if not isinstance(value, str):
        return ""
    for char in value[:1000]:
        if not (" " <= char <= "~"):
            return f", whose {escaped(char)} is not printable ASCII"
    return ""


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    path: list[str | int] = []
    for part in loc:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            continue  # a union member's tag, not a data key
        path.append(part)
    return tuple(path)


def _missing_field(loc: tuple[Any, ...]) -> str:
    return str(loc[-1]) if loc else "?"


def validation_diagnostics(
    error: ValidationError,
    model: type[Model],
    data: Any,
    base: KeyPath,
    source: SourceMap,
    *,
    what: str,
    layer_path: str = "",
) -> list[Diagnostic]:
    """One diagnostic per bad value of ``data`` (validated against ``model``)."""
    merged: dict[KeyPath, list[str]] = {}
    found: list[Diagnostic] = []
    layer_path = abridge(layer_path, _PATH_LIMIT, quote=False)
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            key = loc[-1]
            found.append(
                Diagnostic(
                    E201,
                    f"unknown key {abridge(key)} for {what}",
                    source.span((*base, *loc), key=True),
                    layer_path,
                    did_you_mean(key, model.model_fields) or f"{what} takes: {', '.join(model.model_fields)}",
                )
            )
        elif kind == "missing":
            found.append(
                Diagnostic(
                    E202,
                    f"{what} needs '{_missing_field(loc)}'",
                    source.span((*base, *_data_path(data, loc[:-1])), key=True),
                    layer_path,
                    _field_help(model, _missing_field(loc)),
                )
            )
        else:
            path = _data_path(data, loc)
            message = _plain_message(item)
            if message not in merged.setdefault(path, []):
                merged[path].append(message)
    for path, messages in merged.items():
        value = _value_at(data, path)
        field = abridge(".".join(str(p) for p in path), _PATH_LIMIT, quote=False) or what
        reading = source.readings.get((*base, *path))
        found.append(
            Diagnostic(
                E200,
                f"{field}: {', or '.join(messages)}; got {abridge(value)}{_non_ascii(value)}",
                source.span((*base, *path)),
                layer_path,
                _reading_hint(reading, value)
                or _text_hint(value)
                or (_field_help(model, str(path[0])) if path else None),
            )
        )
    return found


def _reading_hint(text: str | None, value: Any) -> str | None:
    """For ``yes``/``off`` read as a boolean where something else was wanted."""
    if text is None or not isinstance(value, bool):
        return None
    return (
        f"YAML 1.1 reads {text} as the boolean {str(value).lower()}; quote it ('{text}') if you mean the word"
    )


_EXPONENT = re.compile(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]*[89][0-9_]*")


def _text_hint(value: Any) -> str | None:
    """Why YAML 1.1 read a number-looking value as text, and how to write the number."""
    if not isinstance(value, str) or len(value) > 30:
        return None
    if _EXPONENT.fullmatch(value):
        mantissa, _, exponent = value.lower().partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent[0] not in "+-":
            exponent = "+" + exponent
        number = f"{mantissa}e{exponent}"
        return f"YAML 1.1 reads {value} as text: a number needs a dot and a signed exponent, {number}"
    if _LEADING_ZERO.fullmatch(value):
        return f"YAML 1.1 reads {value} as text (a leading zero); write {int(value.replace('_', ''))}"
    return None


_MESSAGES = {
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "float_type": "expected a number",
    "dict_type": "expected a mapping",
    "none_required": "expected null",
    "finite_number": "expected a finite number",
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "too_long": "expected at most {max_length} items",
    "too_short": "expected at least {min_length} items",
    "literal_error": "expected {expected}",
    "string_pattern_mismatch": "expected an identifier (ASCII letters, digits and _, not starting "
    "with a digit)",
    "string_too_long": "expected at most {max_length} characters",
}


def _plain_message(item: Any) -> str:
    """pydantic's message for one error, in the words of a spec's author."""
    template = _MESSAGES.get(item["type"])
    if template is not None:
        try:
            return template.format(**item.get("ctx", {}))
        except (KeyError, IndexError):
            pass
    message = str(item["msg"]).removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else item["type"]


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _field_help(model: type[Model], name: str) -> str | None:
    info = model.model_fields.get(name)
    return info.description if info is not None else None


def input_reason(error: ValidationError) -> str:
    """Why a list of input dims is invalid, in plain words (pydantic's text ends in a URL)."""
    items = error.errors(include_url=False)
    for item in items:
        if item["type"] in ("too_short", "too_long", "list_type"):
            return "give 1 to 4 dims after the batch"
        if item["type"] == "value_error":  # a name rule: the batch symbol, a keyword, a dunder
            return str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "string_too_long":
            return f"a symbol name is at most {item.get('ctx', {}).get('max_length')} characters"
    value = items[0].get("input") if items else None
    return f"dims must be positive ints or symbol names, got {abridge(value)}"
