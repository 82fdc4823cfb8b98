"""What a layer kind takes, as an editor shows it: each parameter's name, type,
default and description, read from the params model of a primitive (the
registry) or of a block (its declaration), the same models that validate a call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archspec.frontend.model import MISSING, Model


@dataclass(frozen=True)
class ParamFacts:
    name: str
    type: str
    default: str | None
    """The default as text; None: the parameter is required."""
    description: str | None

    def markdown(self) -> str:
        default = "required" if self.default is None else f"default `{self.default}`"
        about = f": {self.description}" if self.description else ""
        return f"- `{self.name}` ({self.type}, {default}){about}"


def param_facts(model: type[Model] | None) -> tuple[ParamFacts, ...]:
    """The parameters of a params model, in declaration order."""
    if model is None:
        return ()
    return tuple(
        ParamFacts(name, _type_text(info.annotation), _default_text(info), info.description)
        for name, info in model.model_fields.items()
    )


def _default_text(info: Any) -> str | None:
    if info.is_required():
        return None
    if info.default_factory is not None:
        return "(computed)"
    return "null" if info.default is None or info.default is MISSING else repr(info.default)


def _type_text(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation).replace("typing.", "")
    return text if len(text) <= 60 else f"{text[:57]}…"
