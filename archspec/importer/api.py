"""An existing ``nn.Module`` as a spec: ``from_module`` and ``import_target``.

The module's forward is traced by torch.fx, one module at a time; every child becomes a
layer of the same name (so the spec's state_dict keys are the module's), every leaf the
archspec primitive that declares its class, every function call the primitive that
declares the function, and every user class a block. What no primitive expresses is an
error (E623) naming the module and the line, never an approximation.

This runs the user's Python (their module's import, their factory, their forward); a
spec never reaches it. It sits with the API and the CLI, on the top floor.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from archspec.codes import E624, E625
from archspec.compiler import compile_spec
from archspec.diagnostics import SpecError
from archspec.frontend.blocktable import prelude
from archspec.frontend.spec import loads
from archspec.importer.blocks import make_blocks, snake
from archspec.importer.body import Context, translate
from archspec.importer.mapping import readers
from archspec.importer.trace import example_input as random_input
from archspec.importer.trace import fail, make_module, record_inputs, resolve_factory
from archspec.importer.writer import spec_text
from archspec.primitives.registry import primitives

__all__ = ["from_module", "import_target"]

NOTE = (
    "Written by {source}, which ran the module's Python to trace its forward.\n"
    "Layer names are the module's attributes: its state_dict loads by name."
)


def from_module(
    module: nn.Module,
    example_input: torch.Tensor | Sequence[int],
    *,
    name: str | None = None,
    source: str | None = None,
) -> str:
    """The spec of ``module`` as YAML text, traced on ``example_input`` (a tensor with its
    batch, or the dims of one sample: ``(3, 224, 224)``). Raises SpecError (E62x) for
    what cannot be imported, with every problem found."""
    if isinstance(example_input, torch.Tensor):
        example = example_input
    else:
        dims = tuple(example_input)
        if not dims or not all(type(d) is int and d > 0 for d in dims):
            raise fail(E624, f"the example input {list(dims)!r} is not a list of positive sizes")
        example = random_input(dims)
    dims = tuple(int(d) for d in example.shape[1:])
    ctx = Context(readers(), record_inputs(module, example))
    layers = translate(module, "", ctx)
    if ctx.problems:
        raise SpecError(ctx.problems)
    kinds = primitives()
    blocks = make_blocks(layers, set(kinds) | set(prelude(kinds)))
    cls = type(module)
    spec_name = name or snake(cls.__name__)
    where = f"`archspec import {source}`" if source else f"archspec.from_module (a {cls.__qualname__})"
    description = f"{cls.__module__}.{cls.__qualname__}, imported on {'x'.join(map(str, dims))} inputs."
    text = spec_text(spec_name, description, dims, blocks, layers, NOTE.format(source=where))
    try:
        compile_spec(loads(text, kinds, f"{spec_name}.yaml"))
    except SpecError as error:
        raise fail(
            E625, "the spec written does not compile: " + "; ".join(d.message for d in error.diagnostics)
        ) from None
    return text


def import_target(target: str, dims: Sequence[int]) -> str:
    """``MODULE:FACTORY`` imported, its factory called with no arguments, and the module
    it makes imported as :func:`from_module` does."""
    factory = resolve_factory(target)
    module = make_module(factory, target)
    name = target.split(":")[1].split(".")[-1]
    return from_module(module, dims, name=snake(name), source=target)
