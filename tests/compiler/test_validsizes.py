"""Graph.valid_sizes: the exact set of valid sizes of each input symbol, where joins make gaps.

The hand cases pin the sets and the errors; the property draws pools, convs,
transposed convs and upsamplings joined with a skip (concat or add, nested
once; the top join as branches or as a merge of named tensors) and checks, for
every H in a range, that archspec accepts H exactly when
a real forward pass works, both ways. The torch side is built here from the
drawn parameters, not by archspec.
"""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import assume, given, note
from hypothesis import strategies as st
from torch import nn

import archspec
from archspec.cli import main
from archspec.compiler.infer import Compilation, expand_spec, infer_flow, input_shape
from archspec.diagnostics import SpecError
from tests.primitives.oracle import REFUSALS
from tests.strategies import as_yaml

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def compile_text(text: str, input: list[Any] | None = None) -> archspec.Graph:
    return archspec.compile(archspec.loads(textwrap.dedent(text), "net.yaml"), input)


def refusal(text: str) -> archspec.Diagnostic:
    with pytest.raises(SpecError) as caught:
        compile_text(text)
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


def sets(graph: archspec.Graph) -> dict[str, str]:
    return {name: str(sizes) for name, sizes in graph.valid_sizes.items()}


def unet(levels: int) -> str:
    """U-Net's shape: per level a 3x3 conv, a 2x2 max pool down, the level below, a 2x2
    transposed conv up, concatenated with the skip."""

    def level(depth: int) -> list[str]:
        conv = "- conv: {out_channels: 4, kernel_size: 3, padding: 1}"
        if depth == 0:
            return [conv]
        down = ["- maxpool: {kernel_size: 2}", *level(depth - 1)]
        up = "- conv_transpose: {out_channels: 4, kernel_size: 2, stride: 2}"
        return [conv, "- concat:", "    branches:", "      - []", *(f"      - {d}" for d in down[:1])] + [
            f"        {line}" for line in [*down[1:], up]
        ]

    body = "\n".join(f"  {line}" for line in level(levels))
    return f"name: unet\ninput: [4, H, W]\nlayers:\n{body}\n"


def test_a_four_level_unet_takes_multiples_of_16() -> None:
    graph = compile_text(unet(4))
    assert sets(graph) == {"H": "H ≥ 16, H divisible by 16", "W": "W ≥ 16, W divisible by 16"}
    assert graph.min_sizes == {"H": 16, "W": 16}
    assert str(graph.output) == "[N, 8, H, W]"  # the skip's H, the simpler of H and 2*floor(H/2)
    for size in (16, 48):  # and the concrete compiles agree: multiples of 16 from 16
        compile_text(unet(4), [4, size, 32])
    for size in (8, 24, 40):
        with pytest.raises(SpecError):
            compile_text(unet(4), [4, size, 32])


def test_an_upsample_undoing_a_pool_needs_even_sizes() -> None:
    graph = compile_text(
        """\
        name: n
        input: [1, H, W]
        layers:
          - concat: {branches: [[], [maxpool: {kernel_size: 2, stride: 2}, upsample: {scale_factor: 2}]]}
        """
    )
    assert sets(graph) == {"H": "H ≥ 2, H even", "W": "W ≥ 2, W even"}


JOIN = """\
    name: n
    input: [2, H, 9]
    layers:
      - {merge}:
          branches:
            - {left}
            - {right}
    """


def join(left: str, right: str, merge: str = "concat") -> str:
    return JOIN.format(merge=merge, left=left, right=right)


@pytest.mark.parametrize(
    ("left", "right", "merge", "expected"),
    [
        # ceil mode: a 3x3/2 pool padded by 1 keeps floor(H/2) + 1 windows; undone by a
        # transposed conv with the same window, 2*floor(H/2) + 1: every odd size
        (
            "[]",
            "[maxpool: {kernel_size: [3, 1], stride: [2, 1], padding: [1, 0], ceil_mode: true},"
            " conv_transpose: {out_channels: 2, kernel_size: [3, 1], stride: [2, 1], padding: [1, 0]}]",
            "concat",
            "H ≥ 1, H odd",
        ),
        # odd padding and output_padding: 2*floor((H - 1)/2) + 2, every even size
        (
            "[]",
            "[conv: {out_channels: 2, kernel_size: [3, 1], stride: [2, 1], padding: [1, 0]},"
            " conv_transpose: {out_channels: 2, kernel_size: [3, 1], stride: [2, 1], padding: [1, 0],"
            " output_padding: [1, 0]}]",
            "concat",
            "H ≥ 2, H even",
        ),
        # mixed strides: 3*floor((H - 1)/3) + 3 against 2*floor(H/2) (a ceil-mode avgpool)
        (
            "[conv: {out_channels: 2, kernel_size: [3, 1], stride: [3, 1], padding: [1, 0]},"
            " upsample: {scale_factor: [3, 1]}]",
            "[avgpool: {kernel_size: [4, 1], stride: [2, 1], padding: [1, 0], ceil_mode: true},"
            " upsample: {scale_factor: [2, 1]}]",
            "concat",
            "H ≥ 5, H ≡ 0, 5 (mod 6)",
        ),
        # a join against a fixed size: floor(H/2) = 7
        (
            "[maxpool: {kernel_size: [2, 1]}]",
            "[adaptive_avgpool: {output_size: [7, 9]}]",
            "concat",
            "H ∈ {14, 15}",
        ),
        # add broadcasts a 1: floor(H/2) meets H only at 1 (H = 2, 3)
        ("[]", "[maxpool: {kernel_size: [2, 1]}]", "add", "H ∈ {2, 3}"),
        # 2*floor((H - 1)/2) + 1 is H for odd H, and 1 (broadcast) at H = 2
        (
            "[conv: {out_channels: 2, kernel_size: [3, 1], stride: [2, 1], padding: [1, 0]},"
            " conv_transpose: {out_channels: 2, kernel_size: [3, 1], stride: [2, 1], padding: [1, 0]}]",
            "[]",
            "add",
            "H ≥ 1, H odd (also H = 2)",
        ),
    ],
)
def test_exact_sets_by_hand(left: str, right: str, merge: str, expected: str) -> None:
    graph = compile_text(join(left, right, merge))
    assert sets(graph) == {"H": expected}
    sizes = graph.valid_sizes["H"]
    spec = graph.spec
    for size in range(1, 40):  # each size compiles concretely exactly when it is in the set
        try:
            archspec.compile(spec, (2, size, 9))
            accepted = True
        except SpecError:
            accepted = False
        assert accepted == (size in sizes), size


def test_a_join_that_never_agrees_names_both_formulas() -> None:
    problem = refusal(join("[]", "[maxpool: {kernel_size: [2, 1]}]"))
    assert (
        problem.code == "E306" and problem.path == "0" and (problem.span.line, problem.span.column) == (4, 5)
    )
    assert "branch 0 gives [N, 2, H, 9] but branch 1 gives [N, 2, floor(H/2), 9]" in problem.message
    assert "no size of H makes H and floor(H/2) equal" in problem.message and problem.hint


def test_a_join_that_agrees_only_where_the_network_fails_is_refused_too() -> None:
    # 4*floor((H - 3)/4) + 2 never equals H; H = 1 would broadcast, but the conv needs H >= 3
    problem = refusal(
        join(
            "[conv: {out_channels: 2, kernel_size: [3, 1], stride: [4, 1]}, conv_transpose: {out_channels: 2,"
            " kernel_size: [3, 1], stride: [4, 1], padding: [1, 0], output_padding: [1, 0]}]",
            "[]",
            "add",
        )
    )
    assert problem.code == "E306" and "only H = 1 lets" in problem.message


def test_a_period_past_the_budget_is_refused_quickly() -> None:
    start = time.perf_counter()
    problem = refusal(
        join("[]", "[maxpool: {kernel_size: [131072, 1]}, upsample: {scale_factor: [131072, 1]}]")
    )
    assert problem.code == "E407" and "131072" in problem.message and problem.path == "0"
    assert time.perf_counter() - start < 5


def test_too_many_sizes_to_probe_is_refused_in_bounded_time() -> None:
    # floor(H/k) broadcasts as a 1 for the k sizes from k to 2k - 1: each is probed
    assert sets(compile_text(join("[]", "[maxpool: {kernel_size: [1000, 1]}]", "add"))) == {
        "H": "H ∈ {1000, …, 1999}"
    }
    start = time.perf_counter()
    problem = refusal(join("[]", "[maxpool: {kernel_size: [60000, 1]}]", "add"))
    assert problem.code == "E407" and "probes" in problem.message
    assert time.perf_counter() - start < 10


def test_a_join_coupling_two_symbols_is_reported_unsolved() -> None:
    # flattened, the features are 2*H*W and 8*floor(H/2)*floor(W/2): one equation in H and W
    graph = compile_text(
        """\
        name: n
        input: [2, H, W]
        layers:
          - add: {branches: [[flatten], [maxpool: {kernel_size: 2}, upsample: {scale_factor: 2}, flatten]]}
        """
    )
    assert sets(graph) == {"H": "H ≥ 2, H even", "W": "W ≥ 2, W even"}
    (coupled,) = graph.size_constraints
    assert "2*H*W = 8*floor(H/2)*floor(W/2)" in coupled and "not solved" in coupled


def test_two_inputs_joined_after_a_pool_are_coupled_and_solved_for_a_valid_point() -> None:
    graph = compile_text(
        """\
        name: two
        inputs:
          image: [3, H, W]
          small: [3, h, w]
        layers:
          - maxpool: {name: pooled, from: image, kernel_size: 2}
          - concat: {from: [pooled, small]}
        """
    )
    # each set is the one at the others' sizes (H = 2, h = 1 ...): floor(H/2) = h is not solved
    assert sets(graph) == {"H": "H ∈ {2, 3}", "W": "W ∈ {2, 3}", "h": "h = 1", "w": "w = 1"}
    assert graph.size_constraints[0].startswith("floor(H/2) = h (the join at 1; not solved:")


DATAFLOW_UNET = """\
    name: unet
    input: [3, H, W]
    layers:
      - conv: {name: d1, out_channels: 8, kernel_size: 3, padding: 1}
      - maxpool: {kernel_size: 2}
      - conv: {name: d2, out_channels: 8, kernel_size: 3, padding: 1}
      - maxpool: {kernel_size: 2}
      - conv: {name: d3, out_channels: 8, kernel_size: 3, padding: 1}
      - maxpool: {kernel_size: 2}
      - conv: {name: d4, out_channels: 8, kernel_size: 3, padding: 1}
      - maxpool: {kernel_size: 2}
      - conv: {name: bottom, out_channels: 8, kernel_size: 3, padding: 1}
      - conv_transpose: {name: u4, out_channels: 8, kernel_size: 2, stride: 2}
      - concat: {name: c4, from: [d4, u4]}
      - conv_transpose: {name: u3, out_channels: 8, kernel_size: 2, stride: 2}
      - concat: {name: c3, from: [d3, u3]}
      - conv_transpose: {name: u2, out_channels: 8, kernel_size: 2, stride: 2}
      - concat: {name: c2, from: [d2, u2]}
      - conv_transpose: {name: u1, out_channels: 8, kernel_size: 2, stride: 2}
      - concat: {name: c1, from: [d1, u1]}
      - conv: {out_channels: 2, kernel_size: 1}
    """


def test_a_dataflow_unet_joins_named_tensors_on_multiples_of_16() -> None:
    graph = compile_text(DATAFLOW_UNET)
    assert sets(graph) == {"H": "H ≥ 16, H divisible by 16", "W": "W ≥ 16, W divisible by 16"}
    assert str(graph.output) == "[N, 2, H, W]"
    net = archspec.build(graph).eval()
    for size in range(8, 41):  # PyTorch agrees, size by size
        with torch.no_grad():
            try:
                net(torch.zeros(1, 3, size, 16))
                runs = True
            except REFUSALS:
                runs = False
        assert runs == (size in graph.valid_sizes["H"]), size


def test_the_constraints_live_in_the_compile() -> None:
    spec = archspec.loads(textwrap.dedent(unet(2)), "net.yaml")
    first, second = archspec.compile(spec), archspec.compile(spec)
    assert first.valid_sizes == second.valid_sizes
    compilation = Compilation(spec)
    nodes = expand_spec(spec, compilation)
    infer_flow(spec, {"input": input_shape((4, 16, 16))}, nodes, compilation)
    assert compilation.constraints == []  # concrete sizes are compared, never recorded
    infer_flow(spec, {"input": input_shape((4, "H", "W"))}, nodes, compilation)
    assert len(compilation.constraints) == 4  # two joins, two axes each


def test_compile_prints_the_sets_and_json_carries_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "unet.yaml"
    path.write_text(unet(4))
    assert main(["compile", str(path), "--depth", "0"]) == 0
    assert "valid sizes: H ≥ 16, H divisible by 16; W ≥ 16, W divisible by 16\n" in capsys.readouterr().out
    assert main(["compile", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["min_sizes"] == {"H": 16, "W": 16} and report["size_constraints"] == []
    assert report["valid_sizes"]["H"] == {
        "start": 16,
        "period": 16,
        "residues": [0],
        "extra": [],
        "text": "H ≥ 16, H divisible by 16",
    }


def test_specs_without_joins_keep_an_interval() -> None:
    graph = archspec.compile(archspec.load("specs/nin.yaml"), input=[1, "H", "W"])
    assert sets(graph) == {"H": "H ≥ 67", "W": "W ≥ 67"} and graph.size_constraints == ()


# --- the property: archspec's set is what PyTorch runs ---------------------------------


@pytest.fixture(autouse=True)
def _pytorchs_reference_kernels_on_one_thread() -> Iterator[None]:
    """oneDNN's transposed conv returns an empty tensor for an output size of 0 where the
    reference kernel (and archspec) refuses it (see tests/test_properties.py); one torch
    thread, as in tests/primitives/conftest.py: on a shared machine tiny ops mostly spin."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.backends.mkldnn.flags(enabled=False):
            yield
    finally:
        torch.set_num_threads(threads)


CHANNELS = 2
SIZES = range(1, 49)
ALL_KINDS = ("maxpool", "avgpool", "conv", "conv_transpose", "upsample")


@st.composite
def height_op(
    draw: st.DrawFn, kinds: tuple[str, ...] = ALL_KINDS, stride: int | None = None
) -> tuple[str, dict[str, Any]]:
    """One layer acting on the height only (the width, 3, is left alone)."""
    kind = draw(st.sampled_from(kinds))
    stride = draw(st.integers(1, 3)) if stride is None else stride
    if kind == "upsample":
        return kind, {"scale_factor": [stride if stride > 1 else draw(st.integers(2, 3)), 1]}
    kernel = draw(st.integers(1, 4))
    params: dict[str, Any] = {"kernel_size": [kernel, 1], "stride": [stride, 1]}
    if kind in ("maxpool", "avgpool"):
        params["padding"] = [draw(st.integers(0, kernel // 2)), 0]
        params["ceil_mode"] = draw(st.booleans())
    else:
        params = {"out_channels": CHANNELS, **params, "padding": [draw(st.integers(0, 2)), 0]}
        if kind == "conv_transpose":
            params["output_padding"] = [draw(st.integers(0, stride - 1)), 0]
    return kind, params


@st.composite
def joined(draw: st.DrawFn, nested: bool = True) -> dict[str, Any]:
    """A join of a skip (or a path) with a path of height ops; a path may hold one more join.
    Half the paths go down by a stride and back up by it (U-Net's shape), so that the
    branches agree on some sizes: periods, residues and thresholds."""

    def path() -> list[Any]:
        if draw(st.booleans()):
            stride = draw(st.integers(2, 3))
            down = draw(height_op(("maxpool", "avgpool", "conv"), stride))
            up = draw(height_op(("upsample", "conv_transpose"), stride))
            layers: list[Any] = [{kind: params} for kind, params in (down, up)]
        else:
            layers = [{kind: params} for kind, params in draw(st.lists(height_op(), max_size=3))]
        if nested and draw(st.booleans()):
            layers.insert(draw(st.integers(0, len(layers))), draw(joined(nested=False)))
        return layers

    merge = draw(st.sampled_from(["concat", "add"]))
    first = [] if draw(st.booleans()) else path()
    return {merge: {"branches": [first, path()]}}


def torch_module(layer: Any, channels: int) -> tuple[nn.Module, int]:
    """The module of a drawn layer, made here from its parameters; and its output channels."""
    ((kind, params),) = layer.items()
    if kind in ("concat", "add"):
        branches = [torch_path(branch, channels) for branch in params["branches"]]
        out = sum(c for _, c in branches) if kind == "concat" else channels
        return Join(kind, [m for m, _ in branches]), out
    tuples = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    if kind == "upsample":
        return nn.Upsample(scale_factor=tuple(float(s) for s in tuples["scale_factor"])), channels
    if kind in ("maxpool", "avgpool"):
        cls = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
        return cls(
            tuples["kernel_size"], tuples["stride"], tuples["padding"], ceil_mode=tuples["ceil_mode"]
        ), channels
    cls = nn.Conv2d if kind == "conv" else nn.ConvTranspose2d
    tuples.pop("out_channels")
    return cls(channels, CHANNELS, **tuples), CHANNELS


def torch_path(layers: list[Any], channels: int) -> tuple[nn.Module, int]:
    modules = []
    for layer in layers:
        module, channels = torch_module(layer, channels)
        modules.append(module)
    return nn.Sequential(*modules), channels


class Join(nn.Module):
    def __init__(self, kind: str, branches: list[nn.Module]) -> None:
        super().__init__()
        self.kind, self.branches = kind, nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [branch(x) for branch in self.branches]
        return torch.cat(outputs, dim=1) if self.kind == "concat" else outputs[0] + outputs[1]


def runs_in_torch(module: nn.Module, height: int) -> bool:
    try:
        with torch.no_grad():
            module(torch.zeros(1, CHANNELS, height, 3))
    except REFUSALS:
        return False
    return True


def as_dataflow(layer: dict[str, Any]) -> list[Any]:
    """The top-level join written with named tensors: each path a named sequential reading
    the input, the merge reading them (``concat: {from: [a, b]}``)."""
    ((merge, params),) = layer.items()
    names, layers = [], []
    for name, branch in zip("ab", params["branches"], strict=True):
        if branch:
            layers.append({"sequential": {"name": name, "from": "input", "layers": branch}})
        names.append(name if branch else "input")
    return [*layers, {merge: {"from": names}}]


@given(joined(), st.booleans())
def test_valid_sizes_are_exactly_the_sizes_pytorch_runs(layer: dict[str, Any], named: bool) -> None:
    layers = as_dataflow(layer) if named else [layer]
    data = {"archspec": 1, "name": "drawn", "input": [CHANNELS, "H", 3], "layers": layers}
    note(as_yaml(data))
    module, _ = torch_path([layer], CHANNELS)
    module.eval()
    torch_sizes = [h for h in SIZES if runs_in_torch(module, h)]
    try:
        graph = archspec.compile(archspec.loads(as_yaml(data), "drawn.yaml"))
    except SpecError as error:
        (diagnostic,) = error.diagnostics
        assume(diagnostic.code not in ("E200", "E300"))  # a parameter PyTorch takes at no size either
        assert diagnostic.code in ("E304", "E306"), diagnostic
        assert torch_sizes == [], (
            f"archspec refused every size ({diagnostic.code}), PyTorch runs {torch_sizes}"
        )
        return
    sizes = graph.valid_sizes["H"]
    note(f"archspec: {sizes}")
    assert [h for h in SIZES if h in sizes] == torch_sizes


def test_without_joins_every_size_from_1_takes_one_probe_and_a_refused_1_is_not_probed_again() -> None:
    """The search without joins: valid at 1, the sets are every size from 1 (one probe);
    refused at 1, the search goes on from 2 without asking 1 again."""
    from archspec.compiler.validsizes import find_valid_sizes

    asked: list[dict[str, int]] = []

    def from_1(sizes: dict[str, int]) -> bool:
        asked.append(dict(sizes))
        return True

    found = find_valid_sizes(["H", "W"], [], from_1, None)
    assert [str(s) for s in found.sizes.values()] == ["H ≥ 1", "W ≥ 1"] and asked == [{"H": 1, "W": 1}]
    asked.clear()

    def from_5(sizes: dict[str, int]) -> bool:
        asked.append(dict(sizes))
        return min(sizes.values()) >= 5

    found = find_valid_sizes(["H", "W"], [], from_5, None)
    assert [str(s) for s in found.sizes.values()] == ["H ≥ 5", "W ≥ 5"]
    assert asked.count({"H": 1, "W": 1}) == 1
