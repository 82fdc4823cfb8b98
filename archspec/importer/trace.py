"""Get the user's module and see what it does: the factory, one run on the example input
(each module's first input recorded), and each module's forward traced by torch.fx with
its children as leaves, so the graph of a module calls its children by attribute name.

This runs the user's Python: importing their module, calling their factory, running their
forward. ``archspec import`` is a command a person runs on their own code; a spec never
reaches it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from archspec.codes import E620, E621, E622, E624
from archspec.diagnostics import Diagnostic, SpecError, abridge

TARGET = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$", re.ASCII)
FORM_HINT = "write MODULE:FACTORY, e.g. torchvision.models:resnet18 or mypkg.nets:Net"


def fail(code: str, message: str, path: str = "", hint: str | None = None) -> SpecError:
    return SpecError([Diagnostic(code, message, None, path, hint)])


def resolve_factory(target: str) -> Callable[[], Any]:
    """The callable ``MODULE:FACTORY`` names (the module imported, from the current folder
    too, as ``python -m`` does); E620 for a bad form, a missing module or name."""
    if not TARGET.match(target):
        raise fail(E620, f"{abridge(target)} is not of the form MODULE:FACTORY", hint=FORM_HINT)
    module_name, factory_name = target.split(":")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise fail(
            E620,
            f"no module {module_name!r} can be imported ({error})",
            hint="check the spelling; the module must be importable from the current folder or installed",
        ) from None
    except Exception as error:  # the user's module failed while it was imported
        raise fail(E621, f"importing {module_name!r} raised {type(error).__name__}: {error}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    found: Any = module
    for part in factory_name.split("."):
        if not hasattr(found, part):
            raise fail(E620, f"module {module_name!r} has no attribute {factory_name!r}", hint=FORM_HINT)
        found = getattr(found, part)
    if not callable(found):
        raise fail(E620, f"{target} is a {type(found).__name__}, not a callable that makes a module")
    return found


def make_module(factory: Callable[[], Any], target: str) -> nn.Module:
    """Call the factory with no arguments; E621 where it raises or makes no nn.Module."""
    try:
        made = factory()
    except Exception as error:
        raise fail(E621, f"{target}() raised {type(error).__name__}: {error}") from None
    if not isinstance(made, nn.Module):
        raise fail(E621, f"{target}() returned a {type(made).__name__}, not a torch.nn.Module")
    return made


class ChildrenAsLeaves(fx.Tracer):
    """A tracer that records every submodule call as a call, never tracing into it:
    one module's forward at a time, its children by their attribute names."""

    def __init__(self, wrapped: tuple[Any, ...] = ()) -> None:
        super().__init__(autowrap_functions=wrapped)
        self.record_stack_traces = True

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return True


def trace(module: nn.Module, path: str, wrapped: tuple[Any, ...] = ()) -> fx.GraphModule:
    """The fx graph of ``module``'s own forward (``wrapped``: functions recorded as calls,
    not traced into); E622 where fx cannot trace it."""
    try:
        graph = ChildrenAsLeaves(wrapped).trace(module)
    except Exception as error:
        raise fail(
            E622,
            f"torch.fx cannot trace the forward of {type(module).__qualname__}: {type(error).__name__}: "
            f"{abridge(str(error), 300)}",
            path,
            hint="fx traces Python control flow on values it knows at trace time only; a branch on a "
            "tensor's values or sizes cannot be imported: write that part of the spec by hand",
        ) from None
    return fx.GraphModule(module, graph)


@dataclass
class Recorded:
    """Each module's first positional inputs and first output, from one run of the model."""

    inputs: dict[nn.Module, tuple[Any, ...]] = field(default_factory=dict)
    outputs: dict[nn.Module, Any] = field(default_factory=dict)


def record_inputs(model: nn.Module, example: torch.Tensor) -> Recorded:
    """Run the model once in eval mode and keep each module's first inputs and output."""
    seen = Recorded()

    def keep(module: nn.Module, args: tuple[Any, ...]) -> None:
        # a copy of a list argument: the caller may append to it later (DenseNet's features)
        seen.inputs.setdefault(module, tuple(list(a) if isinstance(a, list) else a for a in args))

    def keep_output(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        seen.outputs.setdefault(module, output)

    hooks = [m.register_forward_pre_hook(keep) for m in model.modules()]
    hooks += [m.register_forward_hook(keep_output) for m in model.modules()]
    modes = {m: m.training for m in model.modules()}
    try:
        model.train(False)  # eval mode (nn.Module.eval)
        with torch.no_grad():
            model(example)
    except Exception as error:
        raise fail(
            E624,
            f"the module raised {type(error).__name__} on an input of shape {list(example.shape)}: "
            f"{abridge(str(error), 300)}",
            hint="give the input it takes (archspec import --input 3x224x224)",
        ) from None
    finally:
        for hook in hooks:
            hook.remove()
        for m, training in modes.items():
            m.training = training
    return seen


class _Replay(ShapeProp):
    """fx's ShapeProp that takes a child with weights' output from the model's run instead
    of running it again: each level of a deep model would otherwise run all below it."""

    def __init__(self, traced: fx.GraphModule, recorded: Recorded) -> None:
        super().__init__(traced)
        self.recorded = recorded

    def call_module(self, target: Any, args: Any, kwargs: Any) -> Any:
        child = self.fetch_attr(target)
        weights = any(True for _ in child.parameters())
        if weights and child in self.recorded.outputs:  # called once, or refused (shared weights)
            return self.recorded.outputs[child]
        return super().call_module(target, args, kwargs)


def propagate(traced: fx.GraphModule, recorded: Recorded, module: nn.Module) -> None:
    """Each node's value's shape in ``node.meta['tensor_meta']`` (fx's ShapeProp), in eval."""
    modes = {m: m.training for m in traced.modules()}
    try:
        traced.train(False)  # eval mode (nn.Module.eval)
        with torch.no_grad():
            _Replay(traced, recorded).propagate(*recorded.inputs[module])
    finally:
        for m, training in modes.items():
            m.training = training


def example_input(dims: Sequence[int]) -> torch.Tensor:
    """A batch of 2 random samples of ``dims`` (2: a batch size no size of one sample is
    mistaken for, and batch norms in train mode accept)."""
    generator = torch.Generator().manual_seed(0)
    return torch.randn((2, *dims), generator=generator)
