"""archspec: a declarative architecture-spec compiler for PyTorch.

    spec = archspec.load("specs/googlenet.yaml")     # validated Spec
    graph = archspec.compile(spec)                   # every shape, before any tensor
    net = archspec.build(spec)                       # the torch.nn.Module

Only :class:`SpecError` is raised for a bad spec; it carries every problem
found as diagnostics (file, line, column, layer path, message, hint).
Importing archspec imports neither torch nor sympy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from archspec.diagnostics import Diagnostic, Span, SpecError
from archspec.limits import Limits

if TYPE_CHECKING:
    import torch
    from torch import nn

    from archspec.compiler import Graph, LayerInfo
    from archspec.frontend.roots import LibraryConfig
    from archspec.frontend.spec import Spec
    from archspec.weights.match import MatchMode
    from archspec.weights.transfer import TransferReport

__all__ = [
    "Diagnostic",
    "Graph",
    "LayerInfo",
    "Span",
    "Spec",
    "SpecError",
    "build",
    "compile",
    "from_module",
    "initialize",
    "load",
    "loads",
    "transfer",
    "validate",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The API's classes that live above the diagnostics, imported when first asked for:
    ``import archspec`` (and ``python -m archspec``) then costs only what a command uses
    (the compiler and the front end's models are imported by the first call
    that needs them)."""
    if name in ("Graph", "LayerInfo"):
        from archspec.compiler import graph

        value = getattr(graph, name)
    elif name in ("Spec", "InputDims"):
        from archspec.frontend import spec

        value = getattr(spec, name)
    elif name == "LibraryConfig":
        from archspec.frontend.roots import LibraryConfig as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    setattr(sys.modules[__name__], name, value)  # found once; later lookups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*vars(sys.modules[__name__]), "Graph", "LayerInfo", "Spec", "InputDims", "LibraryConfig"})


SpecLike: TypeAlias = "Spec | str | Path"
"""What the API takes for a spec: a loaded :class:`Spec`, or the path of a YAML file."""
Libraries = Mapping[str, str | os.PathLike[str]]
"""Block libraries by name: ``{"mylib": "path/to/folder"}`` makes ``@mylib/file`` importable."""


def _registered(plugins: bool = True) -> Any:
    """The primitives a spec may use: the built-ins and, with ``plugins``, those of installed
    plugins (the package's modules and the plugins are imported on the first call)."""
    from archspec.primitives.plugins import kinds

    return kinds(plugins)


def _libraries(libraries: Libraries | LibraryConfig | None, pyproject: bool) -> LibraryConfig | None:
    from archspec.frontend.roots import LibraryConfig

    if isinstance(libraries, LibraryConfig):  # the command line's --lib
        return libraries
    if libraries is None and pyproject:
        return None
    return LibraryConfig.of(libraries, pyproject=pyproject)


def load(
    path: str | Path,
    limits: Limits | None = None,
    *,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
    plugins: bool = True,
) -> Spec:
    """Load and validate a spec file against the registered primitives. Raises SpecError.

    ``libraries`` names folders of block files that ``imports: ["@name/file"]``
    can use (relative to the current directory), besides archspec's own
    (``@torchvision``) and, unless ``pyproject`` is False, those of the
    ``[tool.archspec]`` table of the nearest pyproject.toml above the spec
    (docs/blocks.md). A bad name is a ValueError; a folder is checked when an
    import uses it. ``plugins=False`` leaves out the primitives of installed
    plugins (the entry points ``archspec.primitives``; docs/adding-a-primitive.md).
    """
    from archspec.frontend import spec

    return spec.load(path, _registered(plugins), limits, _libraries(libraries, pyproject))


def loads(
    text: str | bytes,
    file: str = "<string>",
    limits: Limits | None = None,
    *,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
    plugins: bool = True,
) -> Spec:
    """Load and validate spec text, as :func:`load` does for a file. Relative
    imports, and the search for pyproject.toml, start at the current directory."""
    from archspec.frontend import spec

    return spec.loads(text, _registered(plugins), file, limits, _libraries(libraries, pyproject))


def _as_spec(
    spec_or_path: SpecLike,
    limits: Limits | None = None,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
    plugins: bool = True,
) -> Spec:
    from archspec.frontend.spec import Spec

    if isinstance(spec_or_path, Spec):
        if libraries is not None or not pyproject or not plugins:
            raise TypeError(
                "libraries, pyproject and plugins apply when a spec is loaded: pass them to archspec.load"
            )
        return spec_or_path
    return load(spec_or_path, limits, libraries=libraries, pyproject=pyproject, plugins=plugins)


def _input_override(dims: Sequence[int | str]) -> tuple[int | str, ...]:
    from archspec.codes import E200
    from archspec.diagnostics import abridge
    from archspec.frontend.errors import input_reason
    from archspec.frontend.model import ValidationError
    from archspec.frontend.spec import INPUT_DIMS

    try:
        # strict: nothing is coerced, so the dims that pass are the dims given
        INPUT_DIMS.validate_python(list(dims))
        return tuple(dims)
    except (ValidationError, TypeError) as exc:
        reason = input_reason(exc) if isinstance(exc, ValidationError) else str(exc)
        given = abridge(list(dims) if isinstance(dims, list | tuple) else dims)
        raise SpecError([Diagnostic(E200, f"input {given} is not valid: {reason}", None, "input")]) from None


def compile(
    spec_or_path: SpecLike,
    input: Sequence[int | str] | Mapping[str, Sequence[int | str]] | None = None,
    *,
    limits: Limits | None = None,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
    plugins: bool = True,
) -> Graph:
    """Infer every shape of a spec (a :class:`Spec` or a path to a YAML file).

    ``input`` overrides the spec's input dims: ints, or symbol names such as
    ``[1, "H", "W"]``, for which ``Graph.valid_sizes`` gives the exact set of
    valid sizes of each symbol (``H ≥ 16, H divisible by 16``) and
    ``Graph.min_sizes`` the smallest; for a spec with several inputs, a mapping
    from input names to dims. ``limits`` sets the budgets (default ``Limits()``;
    see docs/security.md). ``libraries``, ``pyproject`` and ``plugins`` are as for
    :func:`load`, for a path. Raises :class:`SpecError`.
    """
    from archspec.compiler import compile_spec

    spec = _as_spec(spec_or_path, limits, libraries, pyproject, plugins)
    if input is None:
        return compile_spec(spec, None, limits)
    if isinstance(input, Mapping):
        given = {str(name): _input_override(dims) for name, dims in input.items()}
        return compile_spec(spec, given, limits)
    return compile_spec(spec, _input_override(input), limits)


def validate(
    path: str | Path,
    *,
    limits: Limits | None = None,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
    plugins: bool = True,
) -> Graph | None:
    """Check one file as ``archspec validate`` does: a spec is compiled (its
    Graph is returned); a block file (``blocks:`` only, as ``imports:`` loads
    it) is checked on its own (None is returned). ``libraries``, ``pyproject``
    and ``plugins`` are as for :func:`load`. Raises SpecError.
    """
    from archspec.compiler import compile_spec
    from archspec.frontend.library import check_block_file, is_block_file
    from archspec.frontend.loader import load_file
    from archspec.frontend.spec import parse_spec

    config = _libraries(libraries, pyproject)
    kinds = _registered(plugins)
    data, source = load_file(path, limits)
    if is_block_file(data):
        check_block_file(data, source, kinds, limits, config)
        return None
    spec = parse_spec(data, source, kinds, limits, config)
    return compile_spec(spec, None, limits, explain_sizes=False)  # never imports sympy


def build(
    spec_or_path: SpecLike | Graph,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    limits: Limits | None = None,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
    init: bool = True,
) -> nn.Module:
    """The ``torch.nn.Module`` of a spec: its tree mirrors the spec's layers.

    Accepts a Spec, a path, or an already compiled Graph. ``device`` and
    ``dtype`` place the weights as they are made: ``device="meta"`` allocates
    no memory at all, for inspecting huge networks (it makes no values: after
    ``to_empty``, call :func:`initialize`). The weights start as the spec's
    ``init:`` rules say (PyTorch's default where they say nothing), set in
    float32 before ``dtype`` applies; ``init=False`` keeps PyTorch's default
    everywhere. ``limits`` are the budgets, ``libraries`` and ``pyproject`` as for
    :func:`compile`. Raises SpecError.
    """
    from contextlib import nullcontext

    import torch

    from archspec.compiler import Graph
    from archspec.compiler.init import resolve_init
    from archspec.emit.init import apply_plan
    from archspec.emit.module import build_graph

    if isinstance(spec_or_path, Graph):
        if libraries is not None or not pyproject:
            raise TypeError("libraries and pyproject apply when a spec is loaded: pass them to archspec.load")
        graph = spec_or_path
    else:
        graph = compile(spec_or_path, limits=limits, libraries=libraries, pyproject=pyproject)
    with torch.device(device) if device is not None else nullcontext():
        net = build_graph(graph)
    if init and torch.device(device or "cpu").type != "meta":
        apply_plan(net, resolve_init(graph))
    return net if dtype is None else net.to(dtype=dtype)


def initialize(
    module: nn.Module,
    spec_or_path: SpecLike | Graph,
    *,
    limits: Limits | None = None,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
) -> nn.Module:
    """Give a network built from this spec its first weights again, in place, as
    :func:`build` does: PyTorch's own init for every module, in module order, then the
    spec's ``init:`` rules. For one seed (``torch.manual_seed``) the weights are
    those of ``build``. The use: ``build(spec, device="meta")``, ``.to_empty(device=…)``,
    then ``initialize(net, spec)``, so that no memory is spent on values thrown away.
    Returns the module; ValueError where it is not the network of this spec.
    ``limits``, ``libraries`` and ``pyproject`` are as for :func:`compile`, for a path.
    """
    import torch

    from archspec.compiler import Graph
    from archspec.compiler.init import resolve_init
    from archspec.emit.init import apply_plan, check_layers, learned_values, reset

    if isinstance(spec_or_path, Graph):
        graph = spec_or_path
    else:
        graph = compile(spec_or_path, limits=limits, libraries=libraries, pyproject=pyproject)
    plan = resolve_init(graph)
    with torch.no_grad():
        check_layers(module, plan)  # before anything is touched
        reset(module, learned_values(graph))
        return apply_plan(module, plan)


def transfer(
    module_or_spec: nn.Module | SpecLike | Graph,
    state_dict: Mapping[str, torch.Tensor] | str | os.PathLike[str],
    match: MatchMode = "auto",
    *,
    skip: Sequence[str] = (),
    strict: bool = False,
    limits: Limits | None = None,
    libraries: Libraries | LibraryConfig | None = None,
    pyproject: bool = True,
) -> tuple[TransferReport, nn.Module]:
    """Load weights into a network whose architecture may have changed since they were trained.

    ``module_or_spec`` is a module (filled in place) or a spec, a path or a Graph (built
    first, as :func:`build` does); ``state_dict`` a mapping of tensors or the path of a
    checkpoint, read without running any code from it (``torch.load(weights_only=True)``,
    or safetensors). ``match`` pairs layers by ``"name"``, by ``"structure"`` (the
    longest common subsequence of the layers' tensor shapes, so a renamed, inserted or
    removed layer still lines up) or ``"auto"`` (names, then structure). A tensor is copied
    only into a tensor of the same shape. ``skip`` lists layer paths (fnmatch patterns:
    ``fc``, ``layer4.*``) left at their init. Returns the report (per layer: transferred,
    shape-mismatched, new, dropped; ``report.ok`` says whether everything asked for was
    transferred, ``strict`` making new or dropped tensors count against it) and the
    module. Raises SpecError for a bad spec or an unreadable or unsafe checkpoint
    (docs/weights.md).
    """
    from torch import nn

    from archspec.compiler import Graph
    from archspec.weights.checkpoint import load_checkpoint, state_dict_of
    from archspec.weights.transfer import transfer_into

    if isinstance(state_dict, str | os.PathLike):
        checkpoint = load_checkpoint(state_dict)
    else:
        checkpoint = state_dict_of("<state_dict>", state_dict)
    if isinstance(module_or_spec, nn.Module):
        module, graph, name = module_or_spec, None, type(module_or_spec).__name__
    else:
        if isinstance(module_or_spec, Graph):
            graph = module_or_spec
        else:
            graph = compile(module_or_spec, limits=limits, libraries=libraries, pyproject=pyproject)
        module, name = build(graph), graph.spec.source.file
    report = transfer_into(
        module,
        checkpoint.tensors,
        graph=graph,
        match=match,
        skip=skip,
        strict=strict,
        spec_name=name,
        checkpoint_name=checkpoint.path,
        notes=checkpoint.notes,
    )
    return report, module


def from_module(
    module: nn.Module,
    example_input: torch.Tensor | Sequence[int],
    *,
    name: str | None = None,
) -> str:
    """An existing ``nn.Module`` as spec text (YAML), traced with torch.fx on
    ``example_input`` (a tensor with its batch, or one sample's dims: ``(3, 224, 224)``).

    Layer names are the module's attributes, so ``archspec.build`` of the text loads the
    module's ``state_dict`` by name; user classes become blocks. This runs the module's
    forward (the user's Python). What no archspec layer expresses raises SpecError (E623),
    naming the module and the line of its forward (docs/weights.md).
    """
    from archspec.importer.api import from_module as imported

    return imported(module, example_input, name=name)
