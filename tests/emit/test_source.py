"""compile -o: readable standalone source, byte-stable, equal to archspec.build.

Golden files live in tests/emit/golden/; after an intended change, rewrite
them with ``ARCHSPEC_REGENERATE_GOLDEN=1 python -m pytest tests/emit``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

import archspec
from archspec.cli import main
from archspec.emit.source import emit_source, network_class_name

GOLDEN = Path(__file__).parent / "golden"
SPECS = sorted(
    p for p in Path("specs").rglob("*.yaml") if "blocks" not in p.parts and "examples" not in p.parts
)


def golden_path(spec: Path) -> Path:
    return GOLDEN / ("__".join(spec.with_suffix("").parts[1:]) + ".py")


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"emitted_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_source_matches_its_golden_file(spec: Path) -> None:
    text = emit_source(archspec.compile(spec))
    golden = golden_path(spec)
    if os.environ.get("ARCHSPEC_REGENERATE_GOLDEN"):
        golden.write_text(text)
    assert golden.exists(), f"no golden file: run ARCHSPEC_REGENERATE_GOLDEN=1 pytest {__file__}"
    assert text == golden.read_text()
    assert emit_source(archspec.compile(spec)) == text  # the same spec, the same bytes


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the test extra")
def test_golden_files_pass_ruff_check_and_format() -> None:
    files = [str(p) for p in sorted(GOLDEN.glob("*.py"))]
    check = subprocess.run(["ruff", "check", "--isolated", *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    long_lines = ["ruff", "check", "--isolated", "--select", "E501", "--line-length", "88", *files]
    check = subprocess.run(long_lines, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout  # docstrings wrapped too
    form = subprocess.run(["ruff", "format", "--isolated", "--check", *files], capture_output=True, text=True)
    assert form.returncode == 0, form.stdout


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_the_emitted_class_is_the_built_module(spec: Path) -> None:
    graph = archspec.compile(spec)
    module = load_module(golden_path(spec))
    name = network_class_name(graph)
    assert module.__all__ == [name]
    tree = ast.parse(golden_path(spec).read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"collections", "math", "torch"}, imported  # torch and the stdlib, never archspec
    emitted, built = getattr(module, name)(), archspec.build(graph)
    ours, theirs = emitted.state_dict(), built.state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [v.shape for v in theirs.values()]
    emitted.load_state_dict(theirs)
    # a symbolic input (the U-Net's) runs at its smallest valid size
    dims = [d if isinstance(d, int) else graph.min_sizes[str(d)] for d in graph.input.dims]
    generator = torch.Generator().manual_seed(0)
    if graph.input.integer:  # token ids (text_classifier): ids of its vocabulary
        x = torch.randint(0, 2, (1, *dims), generator=generator)
    else:
        x = torch.randn(1, *dims, generator=generator)
    with torch.no_grad():
        torch.testing.assert_close(emitted.eval()(x), built.eval()(x))


def test_compile_dash_o_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "model.py"
    assert main(["compile", "specs/googlenet.yaml", "-o", str(target)]) == 0
    assert target.read_text() == golden_path(Path("specs/googlenet.yaml")).read_text()


PAYLOADS = {
    "spec name": ("name: n", "name: 'x; import os'"),
    "layer name": ("relu: {name: act}", "relu: {name: 'act\"); import os; (\"'}"),
    "layer name, nn.Module attribute": ("relu: {name: act}", "relu: {name: forward}"),
    "layer name, dunder": ("relu: {name: act}", "relu: {name: __class__}"),
    "layer name, keyword": ("relu: {name: act}", "relu: {name: import}"),
    "layer name, full-width letters": ("relu: {name: act}", "relu: {name: ａｃｔ}"),
    "layer name, bidi control": ("relu: {name: act}", 'relu: {name: "a\\u202ect"}'),
    "group name": ("name: group", "name: 'g\\nimport os'"),
    "block name": ("  stage:", "  'stage(x)':"),
    "block name, Python builtin": ("stage", "range"),
    "block parameter": ("width: int", "__import__: int"),
    "block parameter, clashes with generated code": ("width: int", "channels: int"),
    "expression": ("=width", "=__import__('os').system('true')"),
}
INJECTABLE = """\
name: n
description: a network
input: [3, 16, 16]
blocks:
  stage:
    params:
      width: int
    layers:
      - conv: {out_channels: =width, kernel_size: 3, padding: 1}
      - relu
layers:
  - sequential:
      name: group
      layers:
        - stage: {width: 4}
        - relu: {name: act}
"""


def test_the_injectable_spec_is_fine_as_it_is(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(INJECTABLE)
    assert main(["compile", str(spec), "-o", str(tmp_path / "model.py")]) == 0


@pytest.mark.parametrize("place", PAYLOADS)
def test_injection_payloads_are_refused_and_nothing_is_written(
    place: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = PAYLOADS[place]
    assert old in INJECTABLE
    spec = tmp_path / "net.yaml"
    spec.write_text(INJECTABLE.replace(old, new, 1))
    target = tmp_path / "model.py"
    assert main(["compile", str(spec), "-o", str(target)]) == 1
    assert not target.exists() and list(tmp_path.iterdir()) == [spec]
    assert "error[E" in capsys.readouterr().err


def test_a_description_cannot_break_out_of_the_docstring(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(INJECTABLE.replace("a network", '"\\"\\"\\"\\nimport os\\nos.system(1)\\n\\"\\"\\""'))
    target = tmp_path / "model.py"
    assert main(["compile", str(spec), "-o", str(target)]) == 0
    tree = ast.parse(target.read_text())
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in ast.walk(tree))
    assert "os.system" not in [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]


def test_emitted_file_runs_without_archspec(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    assert main(["compile", "specs/lenet_bn.yaml", "-o", str(target)]) == 0
    code = (
        "import sys; sys.modules['archspec'] = None\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import torch, model; net = model.LenetBn().eval()\n"
        "print(tuple(net(torch.randn(2, 1, 28, 28)).shape))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2, 10)"
