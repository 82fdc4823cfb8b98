"""Named tensors: `from`, several inputs and outputs, block inputs and outputs, and
every located error the dataflow can meet (archspec/compiler/flow.py)."""

from __future__ import annotations

import textwrap
import time

import pytest
import torch

import archspec
from archspec.diagnostics import SpecError

torch.set_num_threads(1)


def spec(text: str) -> archspec.Spec:
    return archspec.loads(textwrap.dedent(text), "net.yaml")


def error(text: str, input: object = None) -> archspec.Diagnostic:
    with pytest.raises(SpecError) as caught:
        archspec.compile(spec(text), input)  # type: ignore[arg-type]
    (diagnostic,) = caught.value.diagnostics[:1]
    return diagnostic


SKIP = """\
    name: skip
    input: [3, 8, 8]
    layers:
      - conv: {name: stem, out_channels: 4, kernel_size: 3, padding: 1}
      - relu: {name: act}
      - conv: {name: a, out_channels: 4, kernel_size: 3, padding: 1}
      - conv: {name: b, from: stem, out_channels: 4, kernel_size: 1}
      - add: {name: s, from: [a, b]}
      - concat: {name: out, from: [s, stem, act]}
    """


def test_a_layer_reads_named_tensors_and_a_merge_joins_them() -> None:
    graph = archspec.compile(spec(SKIP))
    by_name = {layer.name: layer for layer in graph.roots}
    assert by_name["b"].sources == ("stem",) and by_name["b"].written_sources == ("stem",)
    assert by_name["a"].sources == ("act",) and by_name["a"].written_sources == ()
    assert by_name["s"].is_join and by_name["out"].is_join
    assert graph.output_shape == ("N", 12, 8, 8) or graph.output_shape[1:] == (12, 8, 8)
    assert graph.is_dataflow is False or graph.outputs == ("out",)


def test_the_built_dataflow_computes_what_the_wiring_says() -> None:
    net = archspec.build(spec(SKIP)).eval()
    assert [name for name, _ in net.named_children()] == ["stem", "act", "a", "b"]  # joins have no module
    x = torch.randn(2, 3, 8, 8)
    stem = net.stem(x)
    act = net.act(stem)
    total = net.a(act) + net.b(stem)
    expected = torch.cat([total, stem, act], dim=1)
    torch.testing.assert_close(net(x), expected)


def test_a_plain_sequence_is_still_an_nn_sequential() -> None:
    net = archspec.build("specs/lenet_bn.yaml")
    assert isinstance(net, torch.nn.Sequential)
    graph = archspec.compile("specs/lenet_bn.yaml")
    assert not graph.is_dataflow and not any(layer.is_dataflow for layer in graph.layers)


SEVERAL = """\
    name: two
    inputs:
      image: [3, H, W]
      mask: [1, H, W]
    outputs: [feat, pooled]
    layers:
      - conv: {name: feat, out_channels: 4, kernel_size: 3, padding: 1}
      - concat: {name: both, from: [feat, mask]}
      - global_avgpool: {name: pooled}
    """


def test_several_inputs_and_outputs() -> None:
    graph = archspec.compile(spec(SEVERAL), {"image": [3, 16, 16], "mask": [1, 16, 16]})
    assert list(graph.inputs) == ["image", "mask"]
    assert graph.output_shapes == {"feat": ("N", 4, 16, 16), "pooled": ("N", 5, 1, 1)} or {
        k: v[1:] for k, v in graph.output_shapes.items()
    } == {"feat": (4, 16, 16), "pooled": (5, 1, 1)}
    net = archspec.build(spec(SEVERAL)).eval()
    image, mask = torch.randn(2, 3, 16, 16), torch.randn(2, 1, 16, 16)
    out = net(image, mask)
    assert list(out) == ["feat", "pooled"]
    feat = net.feat(image)
    torch.testing.assert_close(out["feat"], feat)
    torch.testing.assert_close(out["pooled"], torch.cat([feat, mask], 1).mean((2, 3), keepdim=True))


def test_several_inputs_need_dims_by_name() -> None:
    found = error(SEVERAL, [3, 8, 8])
    assert found.code == "E200" and "image, mask" in found.message
    assert error(SEVERAL, {"photo": [3, 8, 8]}).message.startswith("the spec has no input named 'photo'")


def test_input_and_inputs_together_or_neither_are_refused() -> None:
    with pytest.raises(SpecError) as caught:
        spec("name: n\ninput: [1, 4]\ninputs: {x: [1, 4]}\nlayers: [relu]\n")
    assert "not both" in caught.value.diagnostics[0].message
    with pytest.raises(SpecError) as caught:
        spec("name: n\nlayers: [relu]\n")
    assert caught.value.diagnostics[0].message == "the spec needs 'input'"


BLOCKS = """\
    name: blocks
    input: [4, 8, 8]
    blocks:
      merge2:
        inputs: [input, skip]
        layers:
          - conv: {name: proj, from: skip, out_channels: =in_channels, kernel_size: 1}
          - add: {from: [input, proj]}
      split2:
        outputs: [left, right]
        layers:
          - conv: {name: left, out_channels: 2, kernel_size: 1}
          - conv: {name: right, from: input, out_channels: 3, kernel_size: 1}
    layers:
      - relu: {name: a}
      - conv: {name: b, out_channels: 6, kernel_size: 1}
      - merge2: {name: m, from: [a, b]}
      - split2: {name: s}
      - concat: {name: out, from: [s.left, s.right]}
    """


def test_blocks_take_several_inputs_and_return_several_outputs() -> None:
    graph = archspec.compile(spec(BLOCKS))
    by_name = {layer.name: layer for layer in graph.roots}
    assert by_name["m"].sources == ("a", "b") and by_name["m"].output.dims == (4, 8, 8)
    assert set(by_name["s"].named_outputs or {}) == {"left", "right"}
    assert graph.output.dims == (5, 8, 8)
    net = archspec.build(spec(BLOCKS)).eval()
    x = torch.randn(1, 4, 8, 8)
    a = torch.relu(x)
    b = net.b(a)
    m = a + net.m.proj(b)
    out = torch.cat([net.s.left(m), net.s.right(m)], 1)
    torch.testing.assert_close(net(x), out)


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ("from: [s.left, s.right]", "E210", None),  # the valid spec, as a control
        ("from: [s.left, s.middle]", "E210", "'s' has no output 'middle'"),
        ("from: [s, b]", "E210", "'s' makes 2 tensors of its own"),
        ("from: [s.left, later]", "E210", "no tensor named 'later'"),
    ],
)
def test_reading_a_call_with_several_outputs(change: str, code: str, words: str | None) -> None:
    text = BLOCKS.replace("from: [s.left, s.right]", change)
    if words is None:
        archspec.compile(spec(text))
        return
    found = error(text)
    assert found.code == code and words in found.message


def test_an_unknown_name_gets_the_closest_one_and_its_line() -> None:
    found = error(SKIP.replace("from: [a, b]", "from: [a, bb]"))
    assert found.code == "E210" and found.message == "no tensor named 'bb' here"
    assert found.hint == "did you mean 'b'?" and found.span.line == 8 and found.path == "s"


def test_a_tensor_read_before_it_is_made_is_refused() -> None:
    found = error(SKIP.replace("from: stem, out_channels", "from: s, out_channels"))
    assert found.code == "E210" and "'s' is read before it is made" in found.message
    assert found.span.line == 7


def test_a_layer_that_reads_one_tensor_cannot_take_several() -> None:
    found = error(SKIP.replace("from: stem, out_channels", "from: [stem, act], out_channels"))
    assert found.code == "E210" and "conv reads one tensor, but 'from' names 2" in found.message


def test_a_block_call_reads_as_many_tensors_as_the_block_takes() -> None:
    found = error(BLOCKS.replace("from: [a, b]", "from: a"))
    assert (
        found.code == "E210"
        and "block merge2 takes 2 inputs (input, skip), but the call reads 1" in found.message
    )


def test_a_merge_takes_branches_or_tensors_not_both() -> None:
    with pytest.raises(SpecError) as caught:
        spec(SKIP.replace("add: {name: s, from: [a, b]}", "add: {name: s, from: [a, b], branches: [[], []]}"))
    assert "either branches" in (caught.value.diagnostics[0].hint or "")


@pytest.mark.parametrize("bad", ["[]", "3", "[a, 3]", "'a b'", "'..'", "'a.b.c'"])
def test_from_must_be_tensor_names(bad: str) -> None:
    with pytest.raises(SpecError) as caught:
        spec(SKIP.replace("from: stem, out_channels", f"from: {bad}, out_channels"))
    assert caught.value.diagnostics[0].code == "E210"


def test_repeat_and_if_take_no_from() -> None:
    with pytest.raises(SpecError) as caught:
        spec("name: n\ninput: [2, 4]\nlayers:\n  - repeat: {n: 2, from: input, layers: [relu]}\n")
    assert caught.value.diagnostics[0].code == "E210"


def test_an_unused_output_is_an_error() -> None:
    found = error(SKIP.replace("from: [a, b]", "from: [b, b]"))
    assert found.code == "E211" and found.message == "the output of 'a' is never used"
    assert found.span.line == 6


def test_an_unused_input_is_an_error() -> None:
    found = error(
        SEVERAL.replace("from: [feat, mask]", "from: [feat, feat]"), {"image": [3, 8, 8], "mask": [1, 8, 8]}
    )
    assert found.code == "E211" and "the input 'mask' is never read" in found.message


def test_outputs_must_name_tensors() -> None:
    found = error(
        SEVERAL.replace("outputs: [feat, pooled]", "outputs: [feat, pooledd]"),
        {"image": [3, 8, 8], "mask": [1, 8, 8]},
    )
    assert found.code == "E210" and found.message == "the output 'pooledd' is no tensor here"
    assert found.hint == "did you mean 'pooled'?"


def test_a_layer_may_not_take_its_input_s_name() -> None:
    found = error("name: n\ninput: [2, 4]\nlayers:\n  - relu: {name: input}\n")
    assert found.code == "E210" and "has the name of an input" in found.message


def test_both_branches_of_an_if_may_define_the_same_name() -> None:
    text = """\
        name: n
        input: [2, 8]
        blocks:
          maybe:
            params: {project: bool}
            layers:
              - relu: {name: act}
              - if:
                  cond: =project
                  then: [conv: {name: short, from: input, out_channels: 2, kernel_size: 1}]
                  else: [identity: {name: short, from: input}]
              - add: {from: [act, short]}
        layers:
          - maybe: {project: true}
          - maybe: {project: false}
        """
    graph = archspec.compile(spec(text))
    assert [child.name for child in graph.roots[0].children] == ["act", "short", "2"]
    assert (
        graph.roots[0].children[1].primitive == "conv" and graph.roots[1].children[1].primitive == "identity"
    )


def test_repeat_names_its_copies_with_a_prefix() -> None:
    text = """\
        name: n
        input: [2, 8]
        layers:
          - repeat: {n: 3, prefix: layer, layers: [conv: {out_channels: 2, kernel_size: 1}]}
        """
    net = archspec.build(spec(text))
    assert [name for name, _ in net.named_children()] == ["layer1", "layer2", "layer3"]
    found = error(text.replace("layers: [conv", "start: 0, layers: [relu, conv"))
    assert found.code == "E200" and "a copy must be one layer" in found.message
    with pytest.raises(SpecError):
        spec(text.replace("prefix: layer, ", "start: 2, "))  # start without prefix


def test_a_reference_bomb_stays_within_the_budgets_in_bounded_time() -> None:
    """Thousands of layers each reading every earlier one: the node budget stops the file
    while it loads, before any reference is resolved."""
    lines = ["name: bomb", "input: [1, 4]", "layers:", "  - relu: {name: t0}", "  - relu: {name: t1}"]
    for i in range(2, 3000):
        lines.append(f"  - add: {{name: t{i}, from: [{', '.join(f't{j}' for j in range(i))}]}}")
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        archspec.compile(archspec.loads("\n".join(lines), "bomb.yaml"))
    assert caught.value.diagnostics[0].code in ("E400", "E401")
    assert time.perf_counter() - start < 30  # bounded: the budget stops it early, not a timing goal


def test_many_references_within_the_budgets_compile() -> None:
    """200 layers each reading every earlier one (about 20,000 references) compile."""
    lines = ["name: dense", "input: [1, 4]", "layers:", "  - relu: {name: t0}", "  - relu: {name: t1}"]
    for i in range(2, 200):
        lines.append(f"  - add: {{name: t{i}, from: [{', '.join(f't{j}' for j in range(i))}]}}")
    graph = archspec.compile(archspec.loads("\n".join(lines), "dense.yaml"))
    assert len(graph.roots) == 200 and len(graph.roots[-1].sources) == 199


def test_a_spec_given_a_new_input_compiles_for_it() -> None:
    """dataclasses.replace(spec, input=…) on a spec with one input: the new dims count."""
    from dataclasses import replace

    base = spec("name: n\ninput: [1, 8, 8]\nlayers: [relu]\n")
    assert archspec.compile(replace(base, input=(1, 5, 3))).input.dims == (1, 5, 3)
