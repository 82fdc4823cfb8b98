"""The nn.Module classes of the composites: small, readable, as in d2l.

Only the builders import this module, so torch stays off the validation path.
Attributes are registered in d2l's order, so that a d2l state_dict loads by
position, and each forward computes exactly what d2l's does.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Network(nn.Sequential):
    """A compiled spec: its layers in order, named as in the spec."""


class VGGBlock(nn.Sequential):
    """``num_convs`` x [3x3 conv, ReLU], then a 2x2 max pool."""


class NiNBlock(nn.Sequential):
    """A conv and two 1x1 convs, each followed by ReLU."""


class Inception(nn.Module):
    """d2l's Inception: four paths, concatenated on channels."""

    def __init__(
        self,
        p1_1: nn.Module,
        p2_1: nn.Module,
        p2_2: nn.Module,
        p3_1: nn.Module,
        p3_2: nn.Module,
        p4_1: nn.Module,
        p4_2: nn.Module,
    ) -> None:
        super().__init__()
        self.p1_1 = p1_1
        self.p2_1 = p2_1
        self.p2_2 = p2_2
        self.p3_1 = p3_1
        self.p3_2 = p3_2
        self.p4_1 = p4_1
        self.p4_2 = p4_2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


class Residual(nn.Module):
    """d2l's residual block; ``conv3`` is the 1x1 projection of the shortcut, or None."""

    def __init__(
        self,
        conv1: nn.Module,
        bn1: nn.Module,
        conv2: nn.Module,
        bn2: nn.Module,
        conv3: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = conv1
        self.conv2 = conv2
        self.conv3 = conv3
        self.bn1 = bn1
        self.bn2 = bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.relu(y + x)
