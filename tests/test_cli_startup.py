"""What a command imports: ``archspec validate`` (a spec with a concrete input) needs the
front end, the compiler and the primitives, and nothing of the outputs, torch or sympy;
``import archspec`` alone imports none of them, and the API's names still resolve.

Each check runs in a fresh interpreter, where ``sys.modules`` says what was imported.
How long the start-up takes is measured by benchmarks/process.py, not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import archspec

ROOT = Path(archspec.__file__).parent.parent
SPEC = ROOT / "specs" / "alexnet.yaml"

# Packages and modules the validate path never needs (their roots; a submodule counts).
NOT_FOR_VALIDATE = (
    "archspec.emit",
    "archspec.report",
    "archspec.render",
    "archspec.check",
    "archspec.docs",
    "archspec.output",
    "archspec.compiler.validsizes",
    "archspec.compiler.init",  # a spec with no init: rules needs no resolver and no plan
    "archspec.compiler.initplan",
    "archspec.frontend.initcall",  # init: functions and their argument models
    "archspec.weights.match",  # the command line offers its modes from archspec.weights
    "torch",
    "sympy",
)


def imported_by(code: str) -> set[str]:
    """The modules imported by running ``code`` (which must not print) in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def among(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


def test_validate_imports_nothing_of_the_outputs_torch_or_sympy() -> None:
    code = (
        "import contextlib, io\n"
        "from archspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['validate', {str(SPEC)!r}]) == 0\n"
    )
    modules = imported_by(code)
    assert "archspec.compiler.infer" in modules  # it did compile the spec
    assert among(modules, NOT_FOR_VALIDATE) == []


def test_validate_of_built_in_kinds_does_not_scan_for_plugins() -> None:
    """The entry-point scan (every installed distribution's metadata) runs when a spec calls a
    kind that is not built in, never for one that calls only built-ins and prelude blocks."""
    code = (
        "import contextlib, io\n"
        "from importlib import metadata\n"
        "groups = []\n"
        "scan = metadata.entry_points\n"
        "metadata.entry_points = lambda **selection: groups.append(selection.get('group')) or scan(**selection)\n"
        "from archspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['validate', {str(SPEC)!r}, {str(ROOT / 'specs' / 'resnet18.yaml')!r}]) == 0\n"
        "assert 'archspec.primitives' not in groups, groups\n"
    )
    imported_by(code)


def _validates(spec: Path) -> bool:
    import contextlib
    import io

    from archspec.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["validate", str(spec)]) == 0


def _concrete(spec: Path) -> bool:
    """Whether the spec's input sizes are all given (no symbol: no sympy either way)."""
    import yaml

    data = yaml.safe_load(spec.read_text())
    dims = [data.get("input") or [], *(data.get("inputs") or {}).values()]
    return all(isinstance(d, int) for group in dims for d in group)


def test_validating_valid_specs_imports_no_pydantic() -> None:
    """pydantic (and the stdlib it pulls in) costs more start-up than the rest of a validate:
    archspec's models validate a valid spec without it (archspec/frontend/model.py)."""
    specs = [s for s in sorted((ROOT / "specs").rglob("*.yaml")) if _concrete(s) and _validates(s)]
    assert len(specs) >= 20
    code = (
        "import contextlib, io\n"
        "from archspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    for spec in {[str(s) for s in specs]!r}:\n"
        "        assert main(['validate', spec]) == 0, spec\n"
    )
    modules = imported_by(code)
    assert "archspec.compiler.infer" in modules
    assert among(modules, ("pydantic", "pydantic_core", "archspec.frontend.modeltwin")) == []


def test_a_failed_validate_renders_its_errors() -> None:
    """The renderer is imported where an error is shown, not before."""
    code = (
        "import contextlib, io\n"
        "from archspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:\n"
        "    assert main(['validate', 'no/such/spec.yaml']) == 1\n"
        "assert 'cannot read the file' in err.getvalue()\n"
    )
    modules = imported_by(code)
    assert "archspec.render" in modules
    assert among(modules, ("torch", "sympy", "archspec.emit", "archspec.report")) == []


def test_import_archspec_imports_neither_the_front_end_nor_pydantic() -> None:
    modules = imported_by("import archspec")
    heavy = ("archspec.frontend", "archspec.compiler", "archspec.primitives", "pydantic", "yaml")
    assert among(modules, heavy + NOT_FOR_VALIDATE) == []


def test_the_api_names_resolve_when_first_asked_for() -> None:
    from archspec.compiler.graph import Graph, LayerInfo
    from archspec.frontend.roots import LibraryConfig
    from archspec.frontend.spec import InputDims, Spec

    assert (archspec.Graph, archspec.LayerInfo, archspec.Spec) == (Graph, LayerInfo, Spec)
    assert (archspec.InputDims, archspec.LibraryConfig) == (InputDims, LibraryConfig)
    assert {"Graph", "LayerInfo", "Spec", "load", "compile"} <= set(dir(archspec))
    assert set(archspec.__all__) <= set(dir(archspec))
    with pytest.raises(AttributeError, match="NoSuchName"):
        archspec.NoSuchName  # noqa: B018 - the attribute access is the test


def test_from_archspec_import_works_in_a_fresh_interpreter() -> None:
    code = (
        "from archspec import Graph, LayerInfo, Spec, SpecError, Diagnostic, Span, compile\n"
        f"graph = compile({str(SPEC)!r})\n"
        "assert isinstance(graph, Graph) and isinstance(graph.spec, Spec)\n"
        "assert all(isinstance(layer, LayerInfo) for layer in graph.layers)\n"
    )
    assert "archspec.compiler" in imported_by(code)
