"""repeat and if: layers that stand for other layers, spliced into their parent.

Neither has a module or a path of its own: the compiler replaces ``repeat``
by its copies and ``if`` by the branch its condition picks, in the parent's
sequence, so that indices (and module names) run on as if the layers had been
written out. Conditions and counts may be expressions (``=stride != 1``).
"""

from __future__ import annotations

from archspec.frontend.model import Field, model_validator
from archspec.frontend.types import Identifier, LayerParams, NonNegativeInt, PositiveInt
from archspec.primitives.registry import Choice, LayerField, Loop, Primitive, register


class RepeatParams(LayerParams):
    n: PositiveInt = Field(
        le=1_000_000, description="How many copies of the layers (the layer budget applies too)."
    )
    prefix: Identifier | None = Field(
        None,
        description="Name the copies prefix1, prefix2 … (torchvision's denselayer1 …); each copy "
        "must then be one layer.",
    )
    start: NonNegativeInt = Field(1, le=1_000_000, description="The number of the first copy's name.")

    @model_validator(mode="after")
    def _start_needs_prefix(self) -> RepeatParams:
        if "start" in self.model_fields_set and self.prefix is None:
            raise ValueError("start numbers the copies' names: give prefix too")
        return self


class IfParams(LayerParams):
    cond: bool = Field(description="The condition, usually an expression (=stride != 1).")


register(
    Primitive(
        "repeat",
        RepeatParams,
        None,
        None,
        "n copies of layers; first, when given, replaces the first copy.",
        layer_fields=(
            LayerField("layers", "The layers of each copy."),
            LayerField("first", "The layers of the first copy, if it differs.", required=False),
        ),
        control=Loop(count="n", body="layers", first="first", prefix="prefix", start="start"),
        formula="no shape of its own: its copies stand in its place, each taking the previous output.",
    )
)
register(
    Primitive(
        "if",
        IfParams,
        None,
        None,
        "The layers of then where cond holds, else those of else.",
        layer_fields=(
            LayerField("then", "The layers where cond holds.", required=False, min_items=0),
            LayerField("else", "The layers where it does not.", required=False, min_items=0),
        ),
        control=Choice(test="cond", then="then", otherwise="else"),
        formula="no shape of its own: the chosen layers stand in its place.",
    )
)
