"""The allowlist of module classes a ModuleCall may name.

``archspec.build`` looks classes up here, never with ``getattr`` on text:
a class not listed cannot be made. torch's own classes are printed as
``nn.<Name>`` in emitted source; archspec's (``Block``, ``Add``,
``Concat``) are emitted into the file.
"""

from __future__ import annotations

from torch import nn

from archspec.emit.layers import Add, Block, Concat

TORCH_CLASSES: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (
        nn.Conv1d, nn.Conv2d, nn.Conv3d,
        nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
        nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
        nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
        nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
        nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
        nn.Linear, nn.Flatten, nn.Dropout, nn.Sequential, nn.Identity,
        nn.ReLU, nn.ReLU6, nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid,
    )
}  # fmt: skip
ARCHSPEC_CLASSES: dict[str, type[nn.Module]] = {"Block": Block, "Add": Add, "Concat": Concat}
CLASSES = {**TORCH_CLASSES, **ARCHSPEC_CLASSES}
