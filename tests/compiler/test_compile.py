"""The compiler: the Graph API, located shape errors, symbols and minimum sizes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import archspec
from archspec.diagnostics import SpecError
from archspec.shapes.dims import format_dim


def spec(text: str) -> archspec.Spec:
    return archspec.loads(textwrap.dedent(text), "net.yaml")


def shape_error(text: str, input: list[int | str] | None = None) -> archspec.Diagnostic:
    with pytest.raises(SpecError) as caught:
        archspec.compile(spec(text), input)
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


SMALL = """\
    name: small
    input: [1, 28, 28]
    layers:
      - sequential:
          name: features
          layers:
            - conv: {out_channels: 6, kernel_size: 5, padding: 2}
            - sigmoid
            - avgpool: {kernel_size: 2}
      - flatten
      - linear: {out_features: 10}
    """


def test_graph_exposes_shapes_paths_and_parameters() -> None:
    graph = archspec.compile(spec(SMALL))
    assert [str(d) for d in graph.output_shape] == ["N", "10"]
    assert graph.output_shape[1:] == (10,)
    assert graph.num_params == (6 * 25 + 6) + (6 * 14 * 14 * 10 + 10)
    assert graph.min_sizes == {}
    assert [(layer.path, layer.primitive) for layer in graph.layers] == [
        ("features", "sequential"),
        ("features.0", "conv"),
        ("features.1", "sigmoid"),
        ("features.2", "avgpool"),
        ("1", "flatten"),
        ("2", "linear"),
    ]
    conv = graph.layers[1]
    assert conv.output_shape[1:] == (6, 28, 28) and conv.num_params == 156
    assert graph.layers[0].num_params == 156  # a group counts its children


def test_input_override_and_symbols() -> None:
    graph = archspec.compile(spec(SMALL), input=[1, 32, 32])
    assert graph.layers[3].output_shape[1:] == (6, 16, 16)
    with pytest.raises(SpecError) as caught:
        archspec.compile(spec(SMALL), input=[1, "H", "W"])
    (problem,) = caught.value.diagnostics
    assert problem.code == "E303" and problem.path == "2"
    assert "pool globally first" in problem.hint


def test_a_bad_input_override_is_a_spec_error() -> None:
    with pytest.raises(SpecError):
        archspec.compile(spec(SMALL), input=[1, 0, "N"])


def test_nin_style_minimum_sizes_are_found() -> None:
    graph = archspec.compile(archspec.load("specs/googlenet.yaml"), input=[1, "H", "W"])
    assert graph.min_sizes == {"H": 1, "W": 1}
    stem = graph.layers[0].output_shape
    assert format_dim(stem[2]) == "floor((H - 1)/4) + 1"


def test_min_size_for_one_symbol_with_the_other_axis_fixed() -> None:
    graph = archspec.compile(
        spec(
            """\
            name: n
            input: [1, H, 13]
            layers:
              - conv: {out_channels: 2, kernel_size: [11, 3], stride: 4}
              - maxpool: {kernel_size: 3, stride: 2}
            """
        )
    )
    # conv: floor((H - 11)/4) + 1 >= 3 for the pool -> H >= 19
    assert graph.min_sizes == {"H": 19}


def test_no_valid_size_is_an_error() -> None:
    halvings = "\n".join(["  - maxpool: {kernel_size: 2}"] * 41)
    problem = shape_error(f"name: n\ninput: [1, L]\nlayers:\n{halvings}\n")
    assert problem.code == "E304" and "L" in problem.message and problem.span.line == 2


def test_shape_error_points_at_the_parameter_and_names_the_layer() -> None:
    problem = shape_error(
        """\
        name: n
        input: [1, 28, 28]
        layers:
          - sequential:
              name: b1
              layers:
                - conv: {out_channels: 6, kernel_size: 5}
                - maxpool: {kernel_size: 2}
                - conv:
                    out_channels: 16
                    kernel_size: 13
        """
    )
    assert problem.code == "E301" and problem.path == "b1.2"
    assert problem.span.line == 11 and problem.span.file == "net.yaml"
    assert "input height 12" in problem.message and "kernel_size 13" in problem.message


def test_error_inside_a_composite_names_the_inner_layer() -> None:
    problem = shape_error(
        """\
        name: n
        input: [3, 8, 8]
        layers:
          - residual: {out_channels: 8, use_1x1conv: false}
        """
    )
    # The add inside the built-in residual block; the span is the call in this file.
    assert problem.path == "0.0" and problem.span.line == 4
    assert "[N, 8, 8, 8]" in problem.message and "[N, 3, 8, 8]" in problem.message
    assert "1x1 conv" in problem.hint


def test_given_in_channels_is_checked() -> None:
    problem = shape_error(
        """\
        name: n
        input: [1, 8, 8]
        layers:
          - conv: {out_channels: 4, kernel_size: 3}
          - conv: {in_channels: 3, out_channels: 4, kernel_size: 3}
        """
    )
    assert problem.code == "E302" and problem.span.line == 5 and problem.span.column == 25
    assert "in_channels is 3" in problem.message and "4 channels" in problem.message


def test_validation_path_imports_neither_torch_nor_sympy() -> None:
    code = (
        "import sys, archspec; archspec.compile('specs/googlenet.yaml');"
        "print('torch' in sys.modules, 'sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
