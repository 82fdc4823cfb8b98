"""Generated specs: a design-space sweep of ResNet-like variants, and deep chains.

Both are written as YAML text from the existing primitives, as a user would
write them, and compiled through ``archspec.loads``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# --- the design-space sweep ---------------------------------------------------------

# RegNet's AnyNetX space (Radosavovic et al., 2020, section 3.1): a stem, four
# stages of residual blocks with stride 2 at each stage start, a head; each
# stage draws its depth d_i <= 16 and width w_i <= 1024 (a multiple of 8).
# The "resnet" ranges keep the depths of ResNet-18/34 (2-2-2-2, 3-4-6-3).
SPACES = {
    "anynet": {"depths": (1, 16), "widths": (8, 1024)},
    "resnet": {"depths": (1, 4), "widths": (16, 512)},
}
STEM_WIDTH = 32
SWEEP_INPUT = (3, 224, 224)


@dataclass(frozen=True)
class Variant:
    """One network of the sweep: the depth and width of each of its four stages."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]

    @property
    def blocks(self) -> int:
        return sum(self.depths)


def sample_variants(count: int, space: str, seed: int = 0) -> list[Variant]:
    chooser = random.Random(seed)
    low_d, high_d = SPACES[space]["depths"]
    low_w, high_w = SPACES[space]["widths"]
    return [
        Variant(
            tuple(chooser.randint(low_d, high_d) for _ in range(4)),
            tuple(8 * chooser.randint(low_w // 8, high_w // 8) for _ in range(4)),
        )
        for _ in range(count)
    ]


def variant_yaml(variant: Variant, index: int) -> str:
    channels, height, width = SWEEP_INPUT
    lines = [
        "archspec: 1",
        f"name: anynet_{index}",
        f"description: depths {list(variant.depths)}, widths {list(variant.widths)}",
        f"input: [{channels}, {height}, {width}]",
        "layers:",
        "  - sequential:",
        "      name: stem",
        "      layers:",
        f"        - conv: {{out_channels: {STEM_WIDTH}, kernel_size: 3, stride: 2, padding: 1}}",
        "        - batchnorm",
        "        - relu",
    ]
    for stage, (depth, out) in enumerate(zip(variant.depths, variant.widths, strict=True), start=1):
        lines += ["  - sequential:", f"      name: s{stage}", "      layers:"]
        lines.append(f"        - residual: {{out_channels: {out}, stride: 2}}")
        lines += [f"        - residual: {{out_channels: {out}}}"] * (depth - 1)
    lines += ["  - global_avgpool", "  - flatten", "  - linear: {out_features: 1000}"]
    return "\n".join(lines) + "\n"


def family_yaml() -> str:
    """The sweep's variants as one family (a spec with params, docs/spec-language.md): the
    member with :func:`variant_values` is the network :func:`variant_yaml` writes, layer for
    layer, so the family is loaded and validated once and each member only binds its values."""
    channels, height, width = SWEEP_INPUT
    lines = [
        "archspec: 1",
        "name: anynet",
        f"input: [{channels}, {height}, {width}]",
        "params:",
        *(f"  d{stage}: {{type: int, default: 1}}" for stage in range(1, 5)),
        *(f"  w{stage}: {{type: int, default: 64}}" for stage in range(1, 5)),
        "layers:",
        "  - sequential:",
        "      name: stem",
        "      layers:",
        f"        - conv: {{out_channels: {STEM_WIDTH}, kernel_size: 3, stride: 2, padding: 1}}",
        "        - batchnorm",
        "        - relu",
    ]
    for stage in range(1, 5):
        lines += [
            "  - sequential:",
            f"      name: s{stage}",
            "      layers:",
            "        - repeat:",
            f"            n: =d{stage}",
            f"            first: [residual: {{out_channels: =w{stage}, stride: 2}}]",
            f"            layers: [residual: {{out_channels: =w{stage}}}]",
        ]
    lines += ["  - global_avgpool", "  - flatten", "  - linear: {out_features: 1000}"]
    return "\n".join(lines) + "\n"


def variant_values(variant: Variant) -> dict[str, int]:
    """The family's values for ``variant``."""
    values = {f"d{i}": d for i, d in enumerate(variant.depths, start=1)}
    values.update({f"w{i}": w for i, w in enumerate(variant.widths, start=1)})
    return values


# --- deep chains for the scaling curve ----------------------------------------------

CHAIN_CHANNELS = 16
DOWNSAMPLE_EVERY = 10  # one stride-2 layer per 10 layers, so floors nest depth/10 times


def chain_yaml(depth: int, input_dims: str = "[3, H, W]") -> str:
    """``depth`` layers: 3x3 conv (padding 1) + relu pairs; every tenth layer
    downsamples by 2, alternately a stride-2 conv and a 3x3/2 max pool (both
    padding 1, so a size of 1 stays 1 and any input size is valid)."""
    lines = ["archspec: 1", f"name: chain_{depth}", f"input: {input_dims}", "layers:"]
    downsamples = 0
    for index in range(depth):
        if index % 2 == 1:
            lines.append("  - relu")
        elif index % DOWNSAMPLE_EVERY == DOWNSAMPLE_EVERY - 2:
            if downsamples % 2 == 0:
                lines.append(
                    f"  - conv: {{out_channels: {CHAIN_CHANNELS}, kernel_size: 3, stride: 2, padding: 1}}"
                )
            else:
                lines.append("  - maxpool: {kernel_size: 3, stride: 2, padding: 1}")
            downsamples += 1
        else:
            lines.append(f"  - conv: {{out_channels: {CHAIN_CHANNELS}, kernel_size: 3, padding: 1}}")
    return "\n".join(lines) + "\n"


def chain_downsamples(depth: int) -> int:
    return sum(1 for i in range(0, depth, 2) if i % DOWNSAMPLE_EVERY == DOWNSAMPLE_EVERY - 2)
