"""The registry contract: every registered primitive, with no list to update.

For each primitive in ``primitives()`` (a new one included, by construction):
it has oracle cases (``ORACLE_CASES`` in its test file), each runs against
torch, its module classes resolve, and ``compile -o`` writes, at top level
and inside a parameterised block, on concrete and symbolic inputs, a file
whose module has ``archspec.build``'s state_dict keys and shapes and the same
outputs, and which passes ruff (its defaults, and E501 at 88 columns).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archspec
from archspec import Graph, SpecError
from archspec.emit.classes import resolve
from archspec.emit.source import emit_source, network_class_name
from archspec.primitives.registry import primitives
from tests.primitives.cases import OracleCase, all_cases
from tests.primitives.emptyoutputs import check_refuses_only_empty, declared_for
from tests.primitives.oracle import REFUSALS, check_against_torch, check_agreement, layer_spec, random_input

CASES = all_cases()
NAMES = sorted(primitives())


@pytest.mark.parametrize("name", NAMES)
def test_every_primitive_has_oracle_cases(name: str) -> None:
    assert CASES.get(name), (
        f"primitive {name!r} has no oracle cases: add ORACLE_CASES = {{{name!r}: [OracleCase(layer, dims, "
        "symbolic, make)]}} to its test file, tests/primitives/test_<module>.py"
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_class_is_a_module_class(name: str) -> None:
    primitive = primitives()[name]
    if primitive.control is None and primitive.build is not None:  # a function (split) has none
        assert primitive.classes, f"primitive {name!r} declares no module classes (classes=)"
    assert set(resolve(primitive)) == set(primitive.classes)


def test_no_module_outside_the_primitives_names_a_primitive() -> None:
    """Rules about a primitive live on its object: no other module keys on its name."""
    import ast

    root = Path(archspec.__file__).parent
    found = [
        f"{path.relative_to(root.parent)}:{node.lineno}: {node.value!r}"
        for path in sorted(root.rglob("*.py"))
        if "primitives" not in path.relative_to(root).parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in primitives()
    ]
    assert not found, (
        "primitive names outside archspec/primitives/ (ask the registry instead):\n" + "\n".join(found)
    )


def _cases() -> list[tuple[str, int, OracleCase]]:
    return [(name, i, case) for name in NAMES for i, case in enumerate(CASES.get(name, []))]


@pytest.mark.parametrize(("name", "index", "case"), _cases(), ids=lambda v: str(v)[:40])
def test_oracle_case_agrees_with_torch(name: str, index: int, case: OracleCase) -> None:
    spec = layer_spec(case.layer, case.dims, ids=case.ids)
    check_against_torch(spec, case.dims)
    if case.make is not None:
        assert check_agreement(spec, case.dims, case.make) is not None


def _integer_cases() -> list[tuple[str, int, OracleCase]]:
    return [(name, i, case) for name, i, case in _cases() if not case.ids]


@pytest.mark.parametrize(("name", "index", "case"), _integer_cases(), ids=lambda v: str(v)[:40])
def test_integers_are_typed_as_torch_types_them(name: str, index: int, case: OracleCase) -> None:
    """Every oracle case on integers (token ids): archspec refuses it (E312) exactly where
    torch refuses it in training or in eval, or types its output differently in the two
    (stochastic depth divides what survives in training only); where it accepts, each
    layer's output holds integers exactly where torch's does: ``Primitive.integers``."""
    x = random_input(case.dims, True, torch.Generator().manual_seed(index))
    graph = archspec.compile(archspec.loads(layer_spec(case.layer, case.dims)))
    module = archspec.build(graph)  # the same modules as on floats: integers change no weight
    runs = []
    for training in (True, False):
        torch.manual_seed(0)
        try:
            runs.append(_output_dtypes(graph, module.train(training), x))
        except REFUSALS:
            runs.append(None)
    try:
        typed = archspec.compile(archspec.loads(layer_spec(case.layer, case.dims, ids=True)))
    except SpecError as error:
        assert [d.code for d in error.diagnostics] == ["E312"], error
        assert None in runs or runs[0] != runs[1], f"torch takes integers here: {runs}"
        return
    assert None not in runs and runs[0] == runs[1], f"archspec takes integers torch does not: {runs}"
    dtypes = runs[0]
    assert dtypes
    for layer in typed.layers:
        if layer.path in dtypes:
            assert layer.output.integer == (not dtypes[layer.path].is_floating_point), (layer.path, dtypes)


def _output_dtypes(graph: Graph, module: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.dtype]:
    """The dtype of each layer's module output, by layer path, from one forward pass."""
    found: dict[str, torch.dtype] = {}
    modules = dict(module.named_modules())
    hooks = []
    for layer in graph.layers:
        made = modules.get(layer.path)
        if made is None or isinstance(made, torch.nn.Parameter):
            continue

        def record(m: torch.nn.Module, args: object, out: object, path: str = layer.path) -> None:
            first = out[0] if isinstance(out, tuple | list) else out
            if isinstance(first, torch.Tensor):
                found[path] = first.dtype

        hooks.append(made.register_forward_hook(record))
    try:
        with torch.no_grad():
            module(x)
    finally:
        for hook in hooks:
            hook.remove()
    return found


def _layouts(case: OracleCase) -> dict[str, dict[str, Any]]:
    """The case's layer at top level, as a parameterised one-layer block, and inside a
    block between layers that keep its input (twice, with two arguments)."""
    block = {
        "params": {"scale": {"type": "int", "default": 1}},
        "layers": [case.layer],
    }
    wrapped = {
        "params": {"scale": {"type": "int", "default": 1}},
        "layers": ["identity", case.layer, {"dropout": {"p": "=0.0 * scale"}}],
    }
    return {
        "top": {"layers": [case.layer]},
        "block": {"blocks": {"wrap": block}, "layers": [{"wrap": {"scale": 1}}]},
        "between": {"blocks": {"wrap": wrapped}, "layers": [{"wrap": {"scale": 2}}]},
    }


def _emission_cases() -> list[tuple[str, str, str, OracleCase]]:
    found = []
    for name in NAMES:
        for case in CASES.get(name, [])[:1]:
            for layout in ("top", "block", "between"):
                found.append((name, layout, "concrete", case))
                if case.symbolic is not None:
                    found.append((name, layout, "symbolic", case))
    return found


def _load(path: Path, class_name: str) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)()


@pytest.mark.parametrize(("name", "layout", "kind", "case"), _emission_cases(), ids=lambda v: str(v)[:30])
def test_compile_o_equals_build(name: str, layout: str, kind: str, case: OracleCase, tmp_path: Path) -> None:
    dims = case.dims if kind == "concrete" else case.symbolic
    dtypes = {"input_dtypes": {"input": "int64"}} if case.ids else {}
    data = {"archspec": 1, "name": "contract", "input": list(dims), **dtypes, **_layouts(case)[layout]}
    spec_file = tmp_path / "contract.yaml"
    spec_file.write_text(yaml.safe_dump(data, sort_keys=False))
    graph = archspec.compile(str(spec_file))
    source = emit_source(graph)
    target = tmp_path / f"contract_{name}_{layout}_{kind}.py"
    target.write_text(source)
    emitted = _load(target, network_class_name(graph))
    built = archspec.build(graph)
    assert {k: v.shape for k, v in emitted.state_dict().items()} == {
        k: v.shape for k, v in built.state_dict().items()
    }, f"compile -o and build disagree for {name} ({layout}, {kind}):\n{source}"
    emitted.load_state_dict(built.state_dict())
    emitted.eval(), built.eval()
    generator = torch.Generator().manual_seed(0)
    x = (
        torch.randint(0, 2, (2, *case.dims), generator=generator)
        if case.ids
        else torch.randn(2, *case.dims, generator=generator)
    )
    with torch.no_grad():
        assert torch.equal(emitted(x), built(x)), f"outputs differ for {name} ({layout}, {kind})"
    for args in (["check", "--isolated"], ["check", "--isolated", "--select", "E501", "--line-length", "88"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *args, str(target)], capture_output=True, text=True
        )
        assert ruff.returncode == 0, f"ruff {' '.join(args)}:\n{ruff.stdout}\n{source}"
    fmt = [sys.executable, "-m", "ruff", "format", "--check", "--isolated", str(target)]
    assert subprocess.run(fmt, capture_output=True).returncode == 0, f"ruff format:\n{source}"


PLUGIN = """
from pydantic import Field

from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.registry import Inferred, Primitive, call, register
from archspec.shapes.tensor import TensorShape


class RepeatChannelsParams(LayerParams):
    times: PositiveInt = Field(description="How many copies of the channels.")


def infer(p, x, ctx):
    return Inferred(TensorShape((x.channels * p.times, *x.spatial)))


def build(p, x):
    return call("ChannelShuffle", p.times)  # not what it infers: the point is the class check


register(Primitive("plugin_channels", RepeatChannelsParams, infer, build, "A plugin's primitive.",
                   classes=("ChannelShuffle",), formula="[N, C, *L] -> [N, C*times, *L]."))
"""

PLUGIN_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
import archspec
from archspec.primitives.registry import PrimitiveError, Primitive, primitives, register
import plugin  # registers plugin_channels from outside archspec/primitives/
assert "plugin_channels" in primitives()
graph = archspec.compile(archspec.loads("name: n\\ninput: [2, 4, 4]\\nlayers: [plugin_channels: {times: 3}]\\n"))
assert graph.output_shape[1] == 6, graph.output_shape
for bad, needle in [
    (Primitive("plugin_channels", plugin.RepeatChannelsParams, plugin.infer, plugin.build, "again",
               classes=("ChannelShuffle",)), "registered twice"),
    (Primitive("no_classes", plugin.RepeatChannelsParams, plugin.infer, plugin.build, "x"), "declare the module"),
]:
    try:
        register(bad)
    except PrimitiveError as error:
        assert needle in str(error), error
    else:
        raise AssertionError(f"registered: {bad.name}")
import torch
try:
    register(Primitive("typo", plugin.RepeatChannelsParams, plugin.infer, plugin.build, "x", classes=("Conv2D",)))
except PrimitiveError as error:
    assert "not a module class of torch.nn" in str(error), error
else:
    raise AssertionError("a class torch.nn lacks was accepted")
print("plugin ok")
"""


def test_a_primitive_registers_from_outside_the_package(tmp_path: Path) -> None:
    """Registration is public: a plugin's module registers its own primitive, and
    register() refuses a duplicate, a builder with no declared classes and (torch
    imported) a class torch.nn lacks, at registration, not at build time."""
    (tmp_path / "plugin.py").write_text(PLUGIN)
    done = subprocess.run([sys.executable, "-c", PLUGIN_RUN, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0 and "plugin ok" in done.stdout, done.stderr[-2000:]


def _declared_cases() -> list[tuple[str, int, OracleCase]]:
    return [
        (name, i, case)
        for name, i, case in _cases()
        if primitives()[name].refuses_only_empty is not None and case.symbolic is not None
    ]


@pytest.mark.parametrize("name", [n for n in NAMES if primitives()[n].refuses_only_empty is not None])
def test_a_primitive_declaring_refuses_only_empty_has_a_symbolic_case(name: str) -> None:
    assert any(case.symbolic is not None for case in CASES[name]), (
        f"primitive {name!r} declares refuses_only_empty: give it an oracle case with a symbolic input"
    )


@pytest.mark.parametrize(("name", "index", "case"), _declared_cases(), ids=lambda v: str(v)[:40])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_refuses_only_empty_holds_at_every_size(name: str, index: int, case: OracleCase, data: Any) -> None:
    """The declaration, against the rule: refused exactly where a symbolic output dim,
    evaluated, is below 1, else those values (archspec/compiler/dimprobe.py relies on it)."""
    assert case.symbolic is not None
    if not declared_for(case.layer, case.symbolic, ids=case.ids):
        pytest.skip(f"{name} does not declare refuses_only_empty for this case's params and input")
    symbols = sorted({d for d in case.symbolic if isinstance(d, str)})
    small = st.integers(1, 12) | st.integers(13, 300)
    sizes = {s: data.draw(small, label=s) for s in symbols}
    check_refuses_only_empty(case.layer, case.symbolic, sizes, ids=case.ids)
