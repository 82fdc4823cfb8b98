"""The nn.Module classes archspec builds beyond torch's own and its primitives' own:
the network and block calls (the merges' classes live with their primitives, in
archspec/primitives/merge.py). Each forward is static, so the modules work with
torch.compile, torch.jit.script and torch.export.

Only the builders import this module, so torch stays off the validation path.
"""

from __future__ import annotations

from collections import OrderedDict

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


def __getattr__(name: str) -> type:
    """``Add`` and ``Concat`` lived here: networks pickled then still load (the classes
    are the merge primitives' own now, in archspec/primitives/merge.py)."""
    if name in ("Add", "Concat"):
        from archspec.primitives import merge

        return getattr(merge, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
