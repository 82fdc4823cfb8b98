"""docs/blocks.md's cookbook: every recipe is a whole spec that compiles, builds, and
whose every named tensor has the shape the real forward pass gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import archspec
from archspec.check import compare

torch.set_num_threads(1)

PAGE = Path("docs/blocks.md").read_text()
COOKBOOK = PAGE.split("\n## Cookbook\n", 1)[1].split("\n## ", 1)[0]
RECIPES = re.findall(r"\n### (.+?)\n.*?```yaml\n(.*?)```", COOKBOOK, flags=re.S)


def test_the_cookbook_has_its_recipes() -> None:
    titles = [title for title, _ in RECIPES]
    assert titles == [
        "Squeeze-excitation",
        "Inverted residual (MobileNetV3)",
        "Fused-MBConv (EfficientNetV2)",
        "ConvNeXt block",
        "ShuffleNet unit",
        "U-Net level",
    ]


@pytest.mark.parametrize(("title", "text"), RECIPES, ids=[title for title, _ in RECIPES])
def test_each_recipe_runs_as_its_shapes_say(title: str, text: str) -> None:
    spec = archspec.loads(text, f"{title}.yaml")
    graph = archspec.compile(spec)
    run = compare(graph, archspec.build(graph).eval(), title)
    assert run.error is None and run.mismatches == [], (run.error, run.mismatches)
