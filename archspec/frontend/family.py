"""Families: a spec with top-level ``params`` stands for one network per choice of them.

    params:
      depth: {type: int, default: 2}
      width: {type: int, default: 64}
    layers:
      - repeat: {n: =depth, layers: [conv: {out_channels: =width, kernel_size: 3, padding: 1}, relu]}

The parameters are declared as a block's are (docs/blocks.md) and every layer
may use them in ``=expressions``, as a block body uses its arguments. The
family is parsed and validated once; a member is the family with values bound
(:func:`bind_family`), which costs no parsing. On its own (``archspec
compile``, ``validate``) a family is its defaults' member: a parameter without
a default makes that an error (E500), since no value is known for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archspec.codes import E500, E501
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.blocks import RESERVED, ParamDecl, ParamType, _args_model, check_params
from archspec.frontend.errors import did_you_mean
from archspec.frontend.loader import SourceMap
from archspec.frontend.model import Model, ValidationError

COLUMNS = ("member", "params", "macs", "activations", "output", "valid_sizes", "error")
"""The columns of a sweep's rows besides the family's parameters (archspec/sweep/)."""

FAMILY_RESERVED = {
    **RESERVED,
    **{name: "a sweep's rows have a column of this name" for name in COLUMNS},
}


@dataclass(frozen=True)
class Family:
    """A spec's ``params``: the model that validates a member's values, and where each
    parameter is declared (for the errors)."""

    model: type[Model]
    spans: dict[str, Span]

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters, in the order they are declared (the model's ``name``, which
        every layer's params have, is none of them)."""
        return tuple(name for name in self.model.model_fields if name != "name")

    @property
    def required(self) -> tuple[str, ...]:
        """The parameters without a default."""
        fields = self.model.model_fields
        return tuple(name for name in self.names if fields[name].is_required())

    def defaults(self) -> dict[str, Any] | None:
        """The values of the family on its own: every default, or None where one is missing."""
        if self.required:
            return None
        return self.model().model_dump(exclude={"name"})

    def bind(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The member's values, validated (strictly, as a block call's); raises SpecError (E501)."""
        names = self.names  # walks the model's fields: once per member, not once per value
        unknown = [name for name in values if name not in names]
        if unknown:
            raise SpecError([self._problem({"loc": (unknown[0],), "type": "extra_forbidden"}, values)])
        try:
            return self.model.model_validate(dict(values)).model_dump(exclude={"name"})
        except ValidationError as error:
            raise SpecError(
                [self._problem(item, values) for item in error.errors(include_url=False)]
            ) from None

    def _problem(self, item: Any, values: Mapping[str, Any]) -> Diagnostic:
        name = str(item["loc"][0]) if item["loc"] else ""
        where = self.spans.get(name)
        if item["type"] == "extra_forbidden":
            hint = did_you_mean(name, self.names) or f"the family takes: {', '.join(self.names)}"
            return Diagnostic(E501, f"the family has no parameter {abridge(name)}", None, hint=hint)
        if item["type"] == "missing":
            return Diagnostic(E501, f"no value for the parameter '{name}', which has no default", where)
        given = abridge(values.get(name))
        return Diagnostic(E501, f"the parameter '{name}' cannot be {given}: {item['msg']}", where)


def parse_family(
    params: Mapping[str, ParamType | ParamDecl] | None,
    source: SourceMap,
    problems: list[Diagnostic],
    spec_name: str,
) -> Family | None:
    """The family of a spec's ``params`` (validated in form by the spec's header), or None
    where it has none or they break the rules of a parameter list."""
    if not params:
        return None
    before = len(problems)
    check_params("the family", dict(params), ("params",), source, problems, E500, FAMILY_RESERVED)
    if len(problems) > before:
        return None
    spans = {name: source.span(("params", name), key=True) for name in params}
    return Family(_args_model(f"{spec_name}_family", dict(params)), spans)


def unbound_error(family: Family) -> SpecError:
    """E500: the family alone, with a parameter that has no default."""
    name = family.required[0]
    others = family.required[1:]
    more = f" (nor {', '.join(repr(n) for n in others)})" if others else ""
    return SpecError(
        [
            Diagnostic(
                E500,
                f"the family's parameter '{name}' has no default{more}, so the family alone is no network",
                family.spans[name],
                hint=f"give it one ({name}: {{type: …, default: …}}), or compile members with "
                "archspec sweep SPEC --grid GRID.yaml",
            )
        ]
    )
