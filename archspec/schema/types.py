"""Field types shared by the parameter models: strict, bounded, documented."""

from __future__ import annotations

import keyword
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _not_keyword(name: str) -> str:
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ValueError(f"{name!r} is a Python keyword")
    if name.startswith("__") and name.endswith("__"):
        raise ValueError(f"{name!r} is a dunder name")
    return name


Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64),
    AfterValidator(_not_keyword),
]
"""An ASCII Python identifier: safe as a module attribute and in emitted source."""

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

# Sizes are an int for every axis, or one int per spatial axis (1 to 3).
KernelSize = PositiveInt | Annotated[list[PositiveInt], Field(min_length=1, max_length=3)]
Padding = NonNegativeInt | Annotated[list[NonNegativeInt], Field(min_length=1, max_length=3)]


class LayerParams(BaseModel):
    """The parameters every layer takes; each primitive's model extends it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: Identifier | None = Field(
        None, description="The module's attribute name (defaults to the layer's index)."
    )


def inferred_size(what: str) -> Any:
    """A field the compiler infers from the input (in_channels, …); a given value is checked.

    The JSON Schema marks it ``"inferred": true``, so tools can tell it apart.
    """
    return Field(
        None,
        description=f"{what}: inferred; a given value is checked.",
        json_schema_extra={"inferred": True},
    )
