"""The validated spec: a header model plus a tree of layer nodes.

The top level (``archspec``, ``name``, ``description``, ``input``,
``imports``, ``blocks``) is one model (archspec/frontend/model.py); each layer is validated
against its primitive's (or block's) params model, so that every error
carries the layer's path and line.
All problems in a file are collected before :class:`SpecError` is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from archspec.codes import E202, E203, E208
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.blocks import ParamDecl, ParamType
from archspec.frontend.errors import validation_diagnostics
from archspec.frontend.family import Family, parse_family
from archspec.frontend.init import INIT_DESCRIPTION, INIT_JSON_SCHEMA, NO_RULES, InitRules, parse_init
from archspec.frontend.layers import Kind, LayerNode, LayerParser
from archspec.frontend.library import BlockTable, collect_blocks
from archspec.frontend.loader import SourceMap, load_file, load_text
from archspec.frontend.model import (
    AfterValidator,
    Field,
    Model,
    ValidationError,
    ValueChecker,
    model_validator,
)
from archspec.frontend.roots import LibraryConfig
from archspec.frontend.types import Identifier, PositiveInt, TensorName
from archspec.limits import Limits


def _not_batch(name: str) -> str:
    if name == "N":
        raise ValueError("'N' is the batch symbol; name input sizes otherwise (H, W, L, …)")
    return name


SymbolName = Annotated[Identifier, AfterValidator(_not_batch)]
InputDims = Annotated[list[PositiveInt | SymbolName], Field(min_length=1, max_length=4)]
TensorNames = Annotated[list[TensorName], Field(min_length=1)]
INPUT_DIMS = ValueChecker(InputDims)
"""Checks an input's dims given apart from a spec (the API's ``input=``), strictly."""

DEFAULT_INPUT = "input"
"""The name of a spec's (or a block's) one input, unless it names its inputs."""


class SpecHeader(Model):
    """The top-level keys of a spec file."""

    archspec: Literal[1] = Field(1, description="The spec format version.")
    name: Identifier = Field(description="The network's name, an identifier.")
    description: str | None = Field(None, description="What the network is, for people.")
    input: InputDims | None = Field(
        None,
        description="The dims of one sample after the batch: ints, or symbol names for sizes "
        "left open, e.g. [3, 224, 224] or [1, H, W]. The tensor is named 'input'.",
    )
    inputs: dict[Identifier, InputDims] | None = Field(
        None,
        description="Several inputs, by name, each with its dims (in place of 'input'): "
        "{image: [3, H, W], mask: [1, H, W]}. The network takes them in this order.",
        min_length=1,
    )
    input_dtypes: dict[Identifier, Literal["float32", "int64"]] = Field(
        default_factory=dict,
        description="The dtype of each input that is not float32, by name ('input' for the one "
        "input): int64 for token ids, which embedding reads.",
    )
    outputs: TensorName | TensorNames | None = Field(
        None,
        description="The tensors the network returns, by name (default: the last layer's). "
        "With several, the module returns a dict of them, in this order.",
    )
    layers: Annotated[list[Any], Field(min_length=1)] = Field(
        description="The layers, in order: a primitive name or a one-key mapping {primitive: params}."
    )
    imports: list[str] = Field(
        default_factory=list,
        description="Block files to use: '@name/file' in a block library (e.g. '@torchvision/resnet'), "
        "or a path relative to this spec (inside its folder).",
    )
    blocks: dict[str, Any] = Field(
        default_factory=dict,
        description="User-defined blocks, by name: {description, params, layers}.",
    )
    init: Any = Field(None, description=INIT_DESCRIPTION, json_schema_extra=INIT_JSON_SCHEMA)
    params: dict[Identifier, ParamType | ParamDecl] | None = Field(
        None,
        description="Makes the spec a family (one network per choice of values, compiled by "
        "archspec sweep): parameters as a block declares them, name -> type or {type, default, "
        "description}, used in '=…' values of any layer. Alone, the family is its defaults.",
    )

    @model_validator(mode="after")
    def _one_kind_of_input(self) -> SpecHeader:
        if self.input is not None and self.inputs is not None:
            raise ValueError("give 'input' (one tensor) or 'inputs' (several, by name), not both")
        names = list(self.inputs) if self.inputs is not None else [DEFAULT_INPUT]
        unknown = [name for name in self.input_dtypes if name not in names]
        if unknown:
            raise ValueError(
                f"input_dtypes names '{unknown[0]}', which is no input (the inputs: {', '.join(names)})"
            )
        return self


@dataclass(frozen=True)
class Spec:
    """A validated spec; ``source`` maps every key path back to file:line:col.

    ``blocks`` holds every block the spec can call: the prelude's, its
    imports' and its own.
    """

    name: str
    description: str | None
    input: tuple[int | str, ...]
    layers: tuple[LayerNode, ...]
    source: SourceMap
    blocks: BlockTable = field(default_factory=lambda: BlockTable({}), repr=False)
    format_version: int = 1
    inputs: dict[str, tuple[int | str, ...]] = field(default_factory=dict)
    # The inputs that are not float32, by name: "int64" for token ids (embedding reads them).
    input_dtypes: dict[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    init: InitRules = field(default=NO_RULES, repr=False)  # the spec's own init: rules
    # A family (top-level params): its parameters, and the values bound (its defaults, or a
    # member's: archspec.frontend.family); None where a parameter has no value.
    family: Family | None = field(default=None, repr=False)
    arguments: Mapping[str, Any] | None = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.inputs:  # one input: the tensor named 'input'
            object.__setattr__(self, "inputs", {DEFAULT_INPUT: self.input})
        elif len(self.inputs) == 1 and next(iter(self.inputs.values())) != self.input:
            # one input, given anew (dataclasses.replace(spec, input=…)): ``input`` wins
            object.__setattr__(self, "inputs", {next(iter(self.inputs)): tuple(self.input)})

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.inputs)


def parse_spec(
    data: dict[str, Any],
    source: SourceMap,
    kinds: Mapping[str, Kind],
    limits: Limits | None = None,
    libraries: LibraryConfig | None = None,
) -> Spec:
    """Validate loaded data against the primitives ``kinds``; raise SpecError with every problem found.

    ``libraries``: the user's block libraries for ``@name/file`` imports (see roots.py)."""
    problems: list[Diagnostic] = []
    try:
        header = SpecHeader.model_validate(data)
    except ValidationError as exc:
        problems += validation_diagnostics(exc, SpecHeader, data, (), source, what="the spec")
        header = None
    if isinstance(data, dict) and "input" not in data and "inputs" not in data:
        problems.append(
            Diagnostic(
                E202,
                "the spec needs 'input'",
                source.span(()),
                hint="input: [3, 224, 224] (or several by name: inputs: {image: [3, H, W], …})",
            )
        )
    name = header.name if header is not None else "spec"
    family = parse_family(header.params if header is not None else None, source, problems, name)
    table = collect_blocks(data, source, problems, limits, kinds, libraries)
    imports_failed = any(p.code == E208 for p in problems)
    parser = LayerParser(source, table.lookup, table.names, problems)
    raw_layers = data.get("layers")
    layers = parser.layers(raw_layers, ("layers",), "") if isinstance(raw_layers, list) else ()
    init = parse_init(data.get("init"), ("init",), source, kinds.__contains__, problems)
    if imports_failed:  # an unknown name is most likely in the file that did not load
        problems[:] = [
            replace(p, hint="an import failed (see above); the block may be defined there")
            if p.code == E203
            else p
            for p in problems
        ]
    if problems or header is None:
        raise SpecError(problems)
    inputs = {k: tuple(v) for k, v in (header.inputs or {DEFAULT_INPUT: header.input}).items()}
    outputs = header.outputs
    return Spec(
        name=header.name,
        description=header.description,
        input=next(iter(inputs.values())),
        layers=layers,
        source=source,
        blocks=table,
        format_version=header.archspec,
        inputs=inputs,
        outputs=(outputs,) if isinstance(outputs, str) else tuple(outputs or ()),
        init=init,
        input_dtypes=dict(header.input_dtypes),
        family=family,
        arguments=family.defaults() if family is not None else {},
    )


def load(
    path: str | Path,
    kinds: Mapping[str, Kind],
    limits: Limits | None = None,
    libraries: LibraryConfig | None = None,
) -> Spec:
    """Load and validate a spec file. Raises SpecError, and only SpecError."""
    data, source = load_file(path, limits)
    return parse_spec(data, source, kinds, limits, libraries)


def loads(
    text: str | bytes,
    kinds: Mapping[str, Kind],
    file: str = "<string>",
    limits: Limits | None = None,
    libraries: LibraryConfig | None = None,
) -> Spec:
    """Load and validate spec text, as :func:`load` does for a file."""
    data, source = load_text(text, file, limits)
    return parse_spec(data, source, kinds, limits, libraries)
