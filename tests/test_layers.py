"""The packages form a line, and no import runs back up it.

Low to high: the error codes, diagnostics and limits; the front end (loader, text,
parameter types, expressions, blocks, parser); the shapes; the primitives;
the compiler; the outputs (module and source emitters, report, diagram,
check, docs, the file writer); the public API and the CLI. A module may
import its own package and those on lower floors, never a higher one, and
this counts every import: at module level, inside a function (a lazy import
dodges a cycle at run time, not in the design) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import archspec

ROOT = Path(archspec.__file__).parent

FLOORS: list[set[str]] = [
    {"codes", "diagnostics", "limits"},
    {"frontend", "library"},  # library: archspec's block libraries, YAML the front end reads
    {"shapes"},
    {"primitives"},
    {"compiler"},
    {"emit", "report", "activations", "render", "check", "docs", "output", "sarif", "columns"},
    # weights: transfer and diff (docs/weights.md); lsp: the language server; cliconfig: the
    # CLI's settings; cliargs: its shared options; sweep: archspec sweep (docs/cli.md); importer: archspec import, which
    # runs the user's own code
    {"__init__", "cli", "cliargs", "cliconfig", "__main__", "weights", "lsp", "sweep", "importer"},
]


def unit(module: str) -> str:
    """The room of a module: its package under archspec, or the top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def floor(name: str) -> int:
    for index, units in enumerate(FLOORS):
        if name in units:
            return index
    raise AssertionError(f"archspec.{name} is on no floor: add it to FLOORS in {__file__}")


def is_module(name: str) -> bool:
    return (ROOT / f"{name}.py").is_file() or (ROOT / name).is_dir()


def imports() -> list[tuple[str, str, int]]:
    """(importing module, imported archspec module, line) for every import in the package."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
                if node.module == "archspec":  # from archspec import frontend (a module) or load (a name)
                    targets = [f"archspec.{a.name}" if is_module(a.name) else "archspec" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            found += [
                (module, t, node.lineno) for t in targets if t == "archspec" or t.startswith("archspec.")
            ]
    return found


def test_every_import_goes_down_the_line() -> None:
    upward = []
    for source, target, line in imports():
        if floor(unit(target)) > floor(unit(source)):
            upward.append(
                f"{source}:{line} imports {target} (floor {floor(unit(target))} > {floor(unit(source))})"
            )
    assert not upward, "imports that run back up the line:\n" + "\n".join(upward)


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for source, target, _ in imports():
        if unit(source) != unit(target):
            edges.setdefault(unit(source), set()).add(unit(target))
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(edges.get(name, ())):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, nxt])
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])


def test_every_package_is_on_a_floor() -> None:
    names = {p.stem if p.is_file() else p.name for p in ROOT.iterdir() if p.suffix == ".py" or p.is_dir()}
    names -= {"__pycache__"}
    for name in names:
        floor(name)


def test_the_api_shadows_no_package() -> None:
    """``archspec.primitives`` must be the package: a name the API imports into the
    package namespace (a function called ``primitives``) would break
    ``import archspec.primitives.merge``."""
    import importlib
    import inspect

    for path in ROOT.iterdir():
        if path.is_dir() and (path / "__init__.py").exists():
            assert inspect.ismodule(
                getattr(archspec, path.name, None) or importlib.import_module(f"archspec.{path.name}")
            )
            assert inspect.ismodule(getattr(archspec, path.name)), f"archspec.{path.name} is shadowed"
