"""Costs: MACs per layer and in total (torchvision's published figures, hand counts, PyTorch's
flop counter), activation memory, and the compile report in text, JSON and Markdown."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import archspec
from archspec.cli import main
from archspec.report import activation_bytes, markdown_report

SPECS = sorted(Path("specs").glob("*.yaml"))
TORCHVISION = Path("specs/torchvision")

# torchvision's published GMACs at 3x224x224 (its docs call them GFLOPS; they count the
# multiply-accumulates of convolutions and linear layers), rounded as published.
PUBLISHED_GMACS = {
    "resnet18": "1.814",
    "resnet50": "4.089",
    "alexnet": "0.714",
    "vgg16": "15.47",
    "googlenet": "1.498",
    "mobilenet_v2": "0.301",
}


def net(layers: str, input: str = "[3, 32, 32]") -> archspec.Graph:
    return archspec.compile(archspec.loads(f"name: n\ninput: {input}\nlayers:\n{layers}"))


@pytest.mark.parametrize("name", sorted(PUBLISHED_GMACS))
def test_torchvision_specs_give_the_published_figures(name: str) -> None:
    path = TORCHVISION / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"{path} does not exist yet (the torchvision specs are written separately)")
    graph = archspec.compile(path, input=[3, 224, 224])
    published = PUBLISHED_GMACS[name]
    digits = len(published.split(".")[1])
    assert f"{graph.num_macs / 1e9:.{digits}f}" == published


# --- exact small cases, counted by hand -------------------------------------------------


def test_conv_macs_are_output_elements_times_inputs_per_group_times_kernel_volume() -> None:
    # 3x32x32, 8 out, 3x3, padding 1: 8*32*32 outputs, each 3*9 products.
    assert net("  - conv: {out_channels: 8, kernel_size: 3, padding: 1}").num_macs == 8 * 32 * 32 * 3 * 9
    # bias adds parameters but no MACs
    no_bias = net("  - conv: {out_channels: 8, kernel_size: 3, padding: 1, bias: false}")
    assert no_bias.num_macs == 8 * 32 * 32 * 3 * 9


def test_conv_macs_with_stride_dilation_and_groups() -> None:
    # 4x17x17, stride 2, 3x3 dilated by 2 (span 5), no padding: (17 - 5) // 2 + 1 = 7.
    graph = net(
        "  - conv: {out_channels: 6, kernel_size: 3, stride: 2, dilation: 2, groups: 2}", "[4, 17, 17]"
    )
    assert graph.output_shape[1:] == (6, 7, 7)
    assert graph.num_macs == 6 * 7 * 7 * (4 // 2) * 3 * 3
    # depthwise: groups = channels, one input channel per output
    depthwise = net("  - conv: {out_channels: 32, kernel_size: 3, padding: 1, groups: 32}", "[32, 10, 10]")
    assert depthwise.num_macs == 32 * 10 * 10 * 1 * 9


def test_conv_macs_in_1d_and_3d_with_rectangular_kernels() -> None:
    assert net("  - conv: {out_channels: 5, kernel_size: 4}", "[2, 20]").num_macs == 5 * 17 * 2 * 4
    graph = net("  - conv: {out_channels: 3, kernel_size: [1, 3, 5]}", "[2, 4, 8, 8]")
    assert graph.output_shape[1:] == (3, 4, 6, 4)
    assert graph.num_macs == 3 * (4 * 6 * 4) * 2 * (1 * 3 * 5)


def test_linear_macs_on_features_and_on_the_last_dim_of_a_map() -> None:
    assert net("  - linear: {out_features: 7}", "[12]").num_macs == 12 * 7
    # On [C, H, W] nn.Linear acts on W at each of the C*H positions.
    graph = net("  - linear: {out_features: 7}", "[3, 5, 12]")
    assert graph.output_shape[1:] == (3, 5, 7)
    assert graph.num_macs == 12 * 7 * 3 * 5


def test_layers_without_weights_or_with_elementwise_weights_count_no_macs() -> None:
    graph = net(
        "  - batchnorm\n  - relu\n  - maxpool: {kernel_size: 2}\n  - avgpool: {kernel_size: 2}\n"
        "  - global_avgpool\n  - dropout\n  - flatten"
    )
    assert graph.num_macs == 0 and all(layer.num_macs == 0 for layer in graph.layers)


def conv(out: int, inp: int, k: int, size: int) -> int:
    """MACs of a k x k conv with ``out`` channels on ``inp`` channels giving size x size."""
    return out * size * size * inp * k * k


def inception(inp: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int, size: int) -> int:
    return (
        conv(c1, inp, 1, size)
        + conv(c2[0], inp, 1, size)
        + conv(c2[1], c2[0], 3, size)
        + conv(c3[0], inp, 1, size)
        + conv(c3[1], c3[0], 5, size)
        + conv(c4, inp, 1, size)
    )


def residual(inp: int, out: int, size: int, project: bool) -> int:
    # conv1 (with the stride) and conv2 give size x size; the 1x1 projection too.
    return conv(out, inp, 3, size) + conv(out, out, 3, size) + (conv(out, inp, 1, size) if project else 0)


D2L_MACS = {
    "lenet_bn": conv(6, 1, 5, 24) + conv(16, 6, 5, 8) + 256 * 120 + 120 * 84 + 84 * 10,
    "alexnet": conv(96, 1, 11, 54)
    + conv(256, 96, 5, 26)
    + conv(384, 256, 3, 12)
    + conv(384, 384, 3, 12)
    + conv(256, 384, 3, 12)
    + 6400 * 4096
    + 4096 * 4096
    + 4096 * 10,
    "vgg11": conv(64, 1, 3, 224)
    + conv(128, 64, 3, 112)
    + conv(256, 128, 3, 56)
    + conv(256, 256, 3, 56)
    + conv(512, 256, 3, 28)
    + conv(512, 512, 3, 28)
    + 2 * conv(512, 512, 3, 14)
    + 25088 * 4096
    + 4096 * 4096
    + 4096 * 10,
    # each NiN block: its first conv, then two 1x1 convs
    "nin": conv(96, 1, 11, 54)
    + 2 * conv(96, 96, 1, 54)
    + conv(256, 96, 5, 26)
    + 2 * conv(256, 256, 1, 26)
    + conv(384, 256, 3, 12)
    + 2 * conv(384, 384, 1, 12)
    + conv(10, 384, 3, 5)
    + 2 * conv(10, 10, 1, 5),
    "googlenet": conv(64, 1, 7, 48)
    + conv(64, 64, 1, 24)
    + conv(192, 64, 3, 24)
    + inception(192, 64, (96, 128), (16, 32), 32, 12)
    + inception(256, 128, (128, 192), (32, 96), 64, 12)
    + inception(480, 192, (96, 208), (16, 48), 64, 6)
    + inception(512, 160, (112, 224), (24, 64), 64, 6)
    + inception(512, 128, (128, 256), (24, 64), 64, 6)
    + inception(512, 112, (144, 288), (32, 64), 64, 6)
    + inception(528, 256, (160, 320), (32, 128), 128, 6)
    + inception(832, 256, (160, 320), (32, 128), 128, 3)
    + inception(832, 384, (192, 384), (48, 128), 128, 3)
    + 1024 * 10,
    "resnet18": conv(64, 1, 7, 112)
    + 2 * residual(64, 64, 56, False)
    + residual(64, 128, 28, True)
    + residual(128, 128, 28, False)
    + residual(128, 256, 14, True)
    + residual(256, 256, 14, False)
    + residual(256, 512, 7, True)
    + residual(512, 512, 7, False)
    + 512 * 10,
}


@pytest.mark.parametrize("name", sorted(D2L_MACS))
def test_d2l_seed_networks_match_a_count_by_hand(name: str) -> None:
    assert archspec.compile(f"specs/{name}.yaml").num_macs == D2L_MACS[name]


def test_a_layers_macs_are_its_own_plus_its_parts() -> None:
    graph = archspec.compile("specs/googlenet.yaml")
    for layer in graph.layers:
        assert layer.num_macs == layer.own_macs + sum(child.num_macs for child in layer.children)
    assert graph.num_macs == sum(root.num_macs for root in graph.roots)


# --- symbolic inputs: formulas ------------------------------------------------------------


@pytest.mark.parametrize("spec", ["specs/googlenet.yaml", "specs/resnet18.yaml", "specs/nin.yaml"])
def test_symbolic_macs_are_a_formula_that_gives_the_concrete_counts(spec: str) -> None:
    symbolic = archspec.compile(spec, input=[1, "H", "W"])
    formula = symbolic.num_macs
    assert {str(s) for s in formula.free_symbols} == {"H", "W"}
    low = symbolic.min_sizes
    for h, w in [(low["H"], low["W"]), (96, 96), (97, 131), (224, 224)]:
        concrete = archspec.compile(spec, input=[1, h, w]).num_macs
        values = {s: {"H": h, "W": w}[str(s)] for s in formula.free_symbols}
        assert int(formula.subs(values)) == concrete


def test_compile_shows_symbolic_macs_as_formulas(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml", "--input", "1xHxW", "--depth", "0"]) == 0
    out = capsys.readouterr().out
    assert "MACs: 2485248*(floor((H - 1)/32) + 1)*(floor((W - 1)/32) + 1) + " in out
    row = next(line for line in out.splitlines() if line.startswith("b1 "))
    assert "3136*(floor((H - 1)/2) + 1)*(floor((W - 1)/2) + 1)" in row


# --- PyTorch's own flop counter agrees, layer by layer ------------------------------------


def all_specs() -> list[Path]:
    return [*SPECS, *sorted(TORCHVISION.glob("*.yaml"))]


@pytest.mark.parametrize("path", all_specs(), ids=str)
def test_macs_equal_half_of_pytorchs_flop_count_per_layer(path: Path) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    graph = archspec.compile(path)
    if graph.min_sizes:  # a symbolic input (the U-Net's): counted at its smallest valid size
        graph = archspec.compile(path, [graph.min_sizes.get(str(d), d) for d in graph.input.dims])
    with torch.device("meta"):  # no weights in memory, no arithmetic: only the shapes run
        module = archspec.build(graph).eval()
        dtype = torch.long if graph.input.integer else torch.float32  # token ids (text_classifier)
        x = torch.zeros(1, *graph.input.dims, dtype=dtype)
    with FlopCounterMode(display=False) as counter:
        module(x)
    root = type(module).__name__
    flops = {name: sum(counts.values()) for name, counts in counter.get_flop_counts().items()}
    assert flops.get("Global", 0) == 2 * graph.num_macs
    for layer in graph.layers:
        assert flops.get(f"{root}.{layer.path}", 0) == 2 * layer.num_macs, layer.path


# --- activation memory --------------------------------------------------------------------


def test_activation_memory_counts_every_new_output_at_4_bytes() -> None:
    graph = net(
        "  - conv: {out_channels: 8, kernel_size: 3, padding: 1}\n  - relu\n  - flatten\n  - linear: {out_features: 10}"
    )
    conv_out = 8 * 32 * 32
    # conv and relu outputs, flatten is a view (none), the linear's 10
    assert sum(activation_bytes(root) for root in graph.roots) == 4 * (conv_out + conv_out + 10)


def test_a_residual_block_counts_its_branches_and_the_sum_but_no_groups() -> None:
    graph = net("  - residual: {out_channels: 3}", "[3, 4, 4]")
    (block,) = graph.roots
    elements = 3 * 4 * 4
    # conv1, bn1, relu, conv2, bn2 (the shortcut is the identity), add, relu
    assert activation_bytes(block) == 4 * 7 * elements


# --- the report ---------------------------------------------------------------------------


def test_text_report_has_a_legend_and_totals(capsys) -> None:
    assert main(["compile", "specs/lenet_bn.yaml"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("layer"))
    assert header.split() == ["layer", "primitive", "output", "shape", "params", "MACs", "activations"]
    assert f"MACs: {D2L_MACS['lenet_bn']:,} (281.6 k; FLOPs = 2 × MACs = 563.3 k)" in out
    assert "FLOPs = 2 × MACs" in out and "4 bytes per element (float32)" in out


def test_json_report(capsys) -> None:
    assert main(["compile", "specs/resnet18.yaml", "--format", "json", "--depth", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["params"] == 11_178_378
    assert report["totals"]["macs"] == D2L_MACS["resnet18"]
    assert report["totals"]["flops"] == 2 * D2L_MACS["resnet18"]
    assert [layer["path"] for layer in report["layers"]] == ["b1", "b2", "b3", "b4", "b5", "5", "6", "7"]
    assert sum(layer["macs"] for layer in report["layers"]) == report["totals"]["macs"]
    assert (
        sum(layer["activation_bytes"] for layer in report["layers"]) == report["totals"]["activation_bytes"]
    )
    assert report["layers"][-1] == {
        "path": "7",
        "kind": "linear",
        "primitive": "linear",
        "depth": 0,
        "from": [],
        "input": [512],
        "output": [10],
        "params": 5130,
        "macs": 5120,
        "activation_bytes": 40,
    }
    assert report["input"] == [1, 224, 224] and report["output"] == [10]


def test_json_report_of_a_symbolic_input_has_formulas(capsys) -> None:
    assert main(["compile", "specs/googlenet.yaml", "--format", "json", "--input", "1xHxW"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["input"] == [1, "H", "W"] and report["min_sizes"] == {"H": 1, "W": 1}
    assert isinstance(report["totals"]["macs"], str) and "floor((H - 1)/32)" in report["totals"]["macs"]
    assert report["totals"]["params"] == 5_977_530


def test_markdown_report_is_a_well_formed_table() -> None:
    for graph in (
        archspec.compile("specs/googlenet.yaml"),
        archspec.compile("specs/googlenet.yaml", input=[1, "H", "W"]),
    ):
        text = markdown_report(graph)
        rows = [line for line in text.splitlines() if line.startswith("|")]
        cells = {line.replace("\\|", "").count("|") for line in rows}
        assert cells == {7}, "every row has the six cells of the header"
        assert rows[1] == "| --- | --- | --- | ---: | ---: | ---: |"
        assert len(rows) == 2 + 1 + len(graph.layers)
        body = text.split("\n\n", 3)[-1]
        # formulas sit in backticks or have their * escaped, so Markdown shows no emphasis
        for line in body.splitlines():
            outside = "".join(part for i, part in enumerate(line.split("`")) if i % 2 == 0)
            assert "*" not in outside.replace("\\*", "")


def test_compile_report_works_without_torch_or_sympy() -> None:
    code = (
        "import sys\n"
        "class _Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] in ('torch', 'sympy'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Refuse())\n"
        "from archspec.cli import main\n"
        "for fmt in ('text', 'json', 'markdown'):\n"
        "    assert main(['compile', '--format', fmt, 'specs/googlenet.yaml']) == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"macs": 276066304' in done.stdout and "| `b1` | sequential |" in done.stdout


def test_macs_scale_with_the_batch_only_through_n() -> None:
    # Counts are per sample: nothing in them depends on the batch symbol.
    graph = archspec.compile("specs/googlenet.yaml", input=[1, "H", "W"])
    assert "N" not in {str(s) for s in graph.num_macs.free_symbols}
    assert math.isclose(archspec.compile("specs/googlenet.yaml").num_macs / 1e6, 276.066304)
