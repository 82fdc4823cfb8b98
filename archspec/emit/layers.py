"""The nn.Module classes archspec builds beyond torch's own: the network,
block calls, and the two merges. Each forward is static, so the modules work
with torch.compile, torch.jit.script and torch.export.

Only the builders import this module, so torch stays off the validation path.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


class Network(nn.Sequential):
    """A compiled spec: its layers in order, named as in the spec."""


class Block(nn.Sequential):
    """A block call whose body has several layers; printed with the block's name."""

    def __init__(self, layers: OrderedDict[str, nn.Module], block: str) -> None:
        super().__init__(layers)
        self.block = block

    def _get_name(self) -> str:
        return "".join(part.capitalize() for part in self.block.split("_"))


class Add(nn.ModuleDict):
    """Branches on one input, summed: ``add``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [branch(x) for branch in self.values()]
        total = outputs[0]
        for output in outputs[1:]:
            total = total + output
        return total


class Concat(nn.ModuleDict):
    """Branches on one input, concatenated on channels: ``concat``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.values()], dim=1)
