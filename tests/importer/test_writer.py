"""The spec text: values as YAML reads them back, one layer a line, groups nested."""

from __future__ import annotations

import yaml

from archspec.importer.tree import Layer
from archspec.importer.writer import layer_lines, scalar


def test_values_read_back_as_written() -> None:
    for value in (0, 7, -3, 1e-05, 0.001, 1e20, True, False, None, [3, 5], "conv1", "=out_channels"):
        assert yaml.safe_load(f"v: {scalar(value)}")["v"] == value


def test_floats_keep_a_dot_for_yaml_1_1() -> None:
    assert scalar(1e-05) == "1.0e-05"


def test_words_yaml_would_read_as_something_else_are_quoted() -> None:
    for word in ("yes", "No", "on", "null", "a: b", "x, y", "#c"):
        assert scalar(word).startswith('"')
        assert yaml.safe_load(f"v: {scalar(word)}")["v"] == word


def test_defaults_are_left_out_and_groups_nest() -> None:
    conv = Layer("conv", None, None, {"out_channels": 8, "stride": 1}, {"out_channels": None, "stride": 1})
    group = Layer("sequential", "features", ["input"], layers=[conv, Layer("relu")])
    assert layer_lines(group, 1) == [
        "  - sequential:",
        "      name: features",
        "      from: input",
        "      layers:",
        "        - conv: {out_channels: 8}",
        "        - relu",
    ]
