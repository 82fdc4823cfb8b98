"""compile -o writes a block generically only where the proof holds, else per call.

The two reproductions of the architecture review (a layernorm and a
pixel_shuffle inside a parameterised block), and the other ways a generic
class would be wrong, each give a file whose module equals ``archspec.build``.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest
import torch

import archspec
from archspec.diagnostics import SpecError
from archspec.emit.source import emit_source, network_class_name


def emitted_and_built(text: str, tmp_path: Path) -> tuple[str, torch.nn.Module, torch.nn.Module]:
    spec = tmp_path / "net.yaml"
    spec.write_text(textwrap.dedent(text))
    graph = archspec.compile(str(spec))
    source = emit_source(graph)
    target = tmp_path / "net_module.py"
    target.write_text(source)
    loader = importlib.util.spec_from_file_location("net_module", target)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return source, getattr(module, network_class_name(graph))(), archspec.build(graph)


def assert_same(emitted: torch.nn.Module, built: torch.nn.Module, dims: tuple[int, ...]) -> None:
    count = sum(p.numel() for p in emitted.parameters())
    assert count == sum(p.numel() for p in built.parameters())
    emitted.load_state_dict(built.state_dict())  # same keys and shapes, or it raises
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(emitted.eval()(x), built.eval()(x))


PIXEL_SHUFFLE = """\
    name: ps_net
    input: [3, 8, 8]
    blocks:
      up:
        params: {width: int}
        layers:
          - conv: {out_channels: =4 * width, kernel_size: 3, padding: 1}
          - pixel_shuffle: {upscale_factor: 2}
          - conv: {out_channels: =width, kernel_size: 3, padding: 1}
    layers: [up: {width: 4}, up: {width: 2}]
    """


def test_a_channel_change_no_parameter_states_is_written_out_per_call(tmp_path: Path) -> None:
    source, emitted, built = emitted_and_built(PIXEL_SHUFFLE, tmp_path)
    assert sum(p.numel() for p in built.parameters()) == 930  # the review's 1,470 was the wrong file
    assert_same(emitted, built, (3, 8, 8))
    assert "class Up1(nn.Sequential):" in source and "class Up2(nn.Sequential):" in source
    assert "changes the channels in a way none of its parameters states" in " ".join(source.split())


def test_a_layer_that_needs_the_spatial_sizes_is_written_out_per_call(tmp_path: Path) -> None:
    text = """\
        name: ln_net
        input: [3, 8, 8]
        blocks:
          normed:
            params: {width: int}
            layers:
              - conv: {out_channels: =width, kernel_size: 3, padding: 1}
              - layernorm
              - relu
        layers: [normed: {width: 3}, normed: {width: 3}, normed: {width: 6}]
        """
    source, emitted, built = emitted_and_built(text, tmp_path)
    assert_same(emitted, built, (3, 8, 8))
    assert "nn.LayerNorm([3, 8, 8])" in source and "nn.LayerNorm([6, 8, 8])" in source
    # the first two calls are one call (same arguments, same input): one class for both
    assert "class Normed2" in source and "class Normed3" not in source
    assert source.count("Normed1()") == 2


def test_a_provable_block_stays_one_generic_class(tmp_path: Path) -> None:
    text = """\
        name: plain
        input: [3, 8, 8]
        blocks:
          pair:
            params: {width: int}
            layers:
              - conv: {out_channels: =2 * width, kernel_size: 3, padding: 1}
              - batchnorm
              - relu
        layers: [pair: {width: 2}, pair: {width: 3}]
        """
    source, emitted, built = emitted_and_built(text, tmp_path)
    assert_same(emitted, built, (3, 8, 8))
    assert "class Pair(nn.Sequential):" in source and "channels = 2 * width" in source


def test_a_block_on_inputs_of_two_ranks_is_written_out_not_refused(tmp_path: Path) -> None:
    text = """\
        name: ranks
        input: [3, 16, 16]
        blocks:
          squeeze:
            params: {width: int}
            layers: [conv: {out_channels: =width, kernel_size: 1}]
        layers:
          - squeeze: {width: 4}
          - global_avgpool
          - flatten
          - linear: {out_features: 6}
        """
    _, emitted, built = emitted_and_built(text, tmp_path)
    assert_same(emitted, built, (3, 16, 16))


def test_flatten_inside_a_block_is_written_out(tmp_path: Path) -> None:
    text = """\
        name: head_net
        input: [4, 3, 3]
        blocks:
          head:
            params: {classes: int}
            layers: [flatten, linear: {out_features: =classes}]
        layers: [head: {classes: 5}]
        """
    _, emitted, built = emitted_and_built(text, tmp_path)
    assert_same(emitted, built, (4, 3, 3))


def test_a_parameter_named_like_another_blocks_class_is_refused(tmp_path: Path) -> None:
    text = """\
        name: clash
        input: [3, 8, 8]
        blocks:
          c: {layers: [relu]}
          wide:
            params: {C: int}
            layers: [conv: {out_channels: =C, kernel_size: 1}, c]
        layers: [wide: {C: 4}]
        """
    with pytest.raises(SpecError) as caught:
        emitted_and_built(text, tmp_path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E209" and "'C'" in diagnostic.message
