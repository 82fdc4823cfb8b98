"""Plugins: primitives from installed distributions, through the entry points ``archspec.primitives``.

The plugin distribution tests/plugins/archspec_cbam (a ``cbam`` attention primitive)
is made installed the way an installer leaves it: a ``.dist-info`` folder with its
``entry_points.txt`` on ``sys.path``, which importlib.metadata finds. Broken plugins
sit beside it: one that raises at import, one that takes a taken name, one that is
no primitive, one that register() refuses, one that takes a prelude block's name. Each run is a subprocess, so that the
registry of this test process never sees them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "plugins" / "archspec_cbam"

BROKEN = """
from archspec.primitives.registry import Primitive
import archspec_cbam

raise_at_import = None
again = Primitive("cbam", archspec_cbam.CBAMParams, archspec_cbam.infer, archspec_cbam.build, "x",
                  classes=("CBAM",))
not_a_primitive = archspec_cbam.CBAMParams
no_classes = Primitive("no_classes", archspec_cbam.CBAMParams, archspec_cbam.infer, archspec_cbam.build, "x")
residual = Primitive("residual", archspec_cbam.CBAMParams, archspec_cbam.infer, archspec_cbam.build, "x",
                     classes=("CBAM",))
"""

SPEC_WITH_CBAM = """\
archspec: 1
name: attended
input: [3, 16, 16]
layers:
  - conv: {out_channels: 32, kernel_size: 3, padding: 1}
  - cbam: {reduction: 8}
  - relu
"""

SPEC_WITHOUT = """\
archspec: 1
name: plain
input: [3, 16, 16]
layers:
  - conv: {out_channels: 8, kernel_size: 3}
"""


def _dist(site: Path, name: str, entry_points: str) -> None:
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[archspec.primitives]\n{entry_points}\n")


def installed(tmp_path: Path, broken: bool = False) -> dict[str, str]:
    """The environment of a Python that has archspec-cbam (and, with ``broken``, bad plugins) installed."""
    site = tmp_path / "site"
    site.mkdir()
    _dist(site, "archspec-cbam", "cbam = archspec_cbam:cbam")
    if broken:
        (site / "bad_plugins.py").write_text(BROKEN)
        (site / "exploding.py").write_text("raise RuntimeError('the plugin exploded')\n")
        _dist(site, "exploding", "boom = exploding:boom")
        _dist(site, "cbam-again", "cbam = bad_plugins:again")
        _dist(site, "not-a-primitive", "params = bad_plugins:not_a_primitive")
        _dist(site, "no-classes", "no_classes = bad_plugins:no_classes")
        _dist(site, "a-block", "residual = bad_plugins:residual")
    path = os.pathsep.join([str(ROOT), str(site), str(PLUGIN)])
    return {**os.environ, "PYTHONPATH": path}


def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_primitives_lists_the_plugin_with_its_package_and_the_broken_ones(tmp_path: Path) -> None:
    env = installed(tmp_path, broken=True)
    done = run(env, "-m", "archspec", "primitives")
    assert done.returncode == 1, done.stderr  # a broken plugin: CI notices
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.split("\n\n")[0].splitlines()}
    assert rows["cbam"] == "archspec-cbam" and rows["conv"] == "archspec"
    broken = done.stdout.split("broken plugins (5):\n", 1)[1]
    assert "boom (exploding, exploding:boom): raised at import: RuntimeError: the plugin exploded" in broken
    assert (
        "cbam (cbam-again, bad_plugins:again): the primitive name 'cbam' is taken (by archspec-cbam)"
        in broken
    )
    assert (
        "params (not-a-primitive, bad_plugins:not_a_primitive): bad_plugins:not_a_primitive is a " in broken
    )
    assert "no_classes (no-classes, bad_plugins:no_classes): breaks the primitive contract: " in broken
    # the prelude's block keeps its name: specs that call it still get the block
    assert (
        "residual (a-block, bad_plugins:residual): the primitive name 'residual' is taken (by archspec)"
        in broken
    )
    markdown = run(env, "-m", "archspec", "primitives", "--format", "markdown").stdout
    assert "### `cbam`\n\nCBAM attention" in markdown and "From: `archspec-cbam`" in markdown
    assert "## Broken plugins" in markdown
    without = run(env, "-m", "archspec", "primitives", "--no-plugins")
    assert without.returncode == 0 and "cbam" not in without.stdout
    schema = run(env, "-m", "archspec", "schema").stdout
    assert '"cbam"' in schema and "channels // reduction" in schema  # editors complete it too
    assert '"cbam"' not in run(env, "-m", "archspec", "schema", "--no-plugins").stdout


def test_a_broken_plugin_does_not_break_specs_that_do_not_use_it(tmp_path: Path) -> None:
    env = installed(tmp_path, broken=True)
    (tmp_path / "plain.yaml").write_text(SPEC_WITHOUT)
    (tmp_path / "attended.yaml").write_text(SPEC_WITH_CBAM)
    done = run(env, "-m", "archspec", "validate", "plain.yaml", "attended.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 files checked: all valid" in done.stdout


LOADED = """
import contextlib, io, sys
from archspec.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(out):
    code = main(["validate", *sys.argv[1:]])
print(code, "archspec_cbam" in sys.modules, out.getvalue())
"""


def test_the_plugins_are_looked_for_only_when_a_spec_calls_a_kind_that_is_not_built_in(
    tmp_path: Path,
) -> None:
    """A spec of built-in primitives and prelude blocks never scans the installed distributions;
    a name that no built-in has (a plugin's, or a typo) scans them, and the did-you-mean
    offers the plugins' primitives too."""
    env = installed(tmp_path, broken=True)
    (tmp_path / "plain.yaml").write_text(SPEC_WITHOUT + "  - residual: {out_channels: 8}\n")
    (tmp_path / "attended.yaml").write_text(SPEC_WITH_CBAM)
    (tmp_path / "typo.yaml").write_text(SPEC_WITH_CBAM.replace("cbam:", "cbma:"))
    plain = run(env, "-c", LOADED, "plain.yaml", cwd=tmp_path)
    assert plain.stdout.split()[:2] == ["0", "False"], plain.stdout + plain.stderr
    assert run(env, "-c", LOADED, "attended.yaml", cwd=tmp_path).stdout.split()[:2] == ["0", "True"]
    typo = run(env, "-c", LOADED, "typo.yaml", cwd=tmp_path).stdout
    assert typo.split()[:2] == ["1", "True"] and "did you mean 'cbam'?" in typo


def test_no_plugins_and_the_api_switch_leave_them_out(tmp_path: Path) -> None:
    env = installed(tmp_path)
    (tmp_path / "attended.yaml").write_text(SPEC_WITH_CBAM)
    done = run(env, "-m", "archspec", "validate", "--no-plugins", "attended.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "error[E203]" in done.stdout + done.stderr
    script = (
        "import archspec\n"
        "try:\n    archspec.load('attended.yaml', plugins=False)\nexcept archspec.SpecError as e:\n"
        "    print(e.diagnostics[0].code)\n"
        "print(archspec.load('attended.yaml').layers[1].kind_name)\n"
    )
    assert run(env, "-c", script, cwd=tmp_path).stdout.split() == ["E203", "cbam"]


EMITTED = """
import importlib.util, sys, torch, archspec
from archspec.emit.source import network_class_name
graph = archspec.compile("attended.yaml")
spec = importlib.util.spec_from_file_location("attended_net", "attended_net.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
emitted = getattr(module, network_class_name(graph))()
built = archspec.build(graph)
emitted.load_state_dict(built.state_dict())
emitted.eval(), built.eval()
x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    assert torch.equal(emitted(x), built(x))
assert type(emitted[1] if hasattr(emitted, "__getitem__") else getattr(emitted, "1")).__module__ == "archspec_cbam"
print("params", sum(p.numel() for p in built.parameters()), graph.num_params)
"""


def test_a_plugin_primitive_is_built_and_emitted_importing_its_module(tmp_path: Path) -> None:
    env = installed(tmp_path)
    (tmp_path / "attended.yaml").write_text(SPEC_WITH_CBAM)
    done = run(env, "-m", "archspec", "compile", "attended.yaml", "-o", "attended_net.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cbam" in done.stdout
    source = (tmp_path / "attended_net.py").read_text()
    assert "import torch\nfrom archspec_cbam import CBAM\nfrom torch import nn\n" in source
    assert "class CBAM" not in source
    assert "it needs torch, archspec_cbam." in source
    checked = run(env, "-c", EMITTED, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr[-3000:]
    # 32·4 + 4·32 in the channel MLP, 2·7·7 in the spatial conv, besides the conv's 896.
    assert checked.stdout.split() == ["params", "1250", "1250"]


CONTRACT = """
from archspec.primitives.plugins import load_plugins
from archspec.primitives.registry import primitives
load_plugins()
assert "cbam" in primitives()
import archspec_cbam
from pathlib import Path
from torch import nn
from tests.primitives.cases import OracleCase
from tests.primitives import test_registry as contract

CASE = OracleCase({"cbam": {"reduction": 4, "kernel_size": 3}}, (8, 6, 5), (8, "H", "W"),
                  lambda: archspec_cbam.cbam_class()(8, 2, 3))
contract.test_every_declared_class_is_a_module_class("cbam")
contract.test_oracle_case_agrees_with_torch("cbam", 0, CASE)
for layout in ("top", "block", "between"):
    for kind in ("concrete", "symbolic"):
        folder = Path("contract") / layout / kind
        folder.mkdir(parents=True)
        contract.test_compile_o_equals_build("cbam", layout, kind, CASE, folder)
print("contract ok")
"""


def test_the_plugin_passes_the_registry_contract(tmp_path: Path) -> None:
    """The checks tests/primitives/test_registry.py runs on every built-in primitive:
    its classes resolve, torch agrees with its shape rule, and compile -o equals build."""
    done = run(installed(tmp_path), "-c", CONTRACT, cwd=tmp_path)
    assert done.returncode == 0 and "contract ok" in done.stdout, done.stderr[-3000:]
