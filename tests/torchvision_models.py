"""The real torchvision models: the oracle of the zoo in specs/torchvision/.

torchvision 0.28.0 is the release for torch 2.13 and installs beside the CPU build
(the test extra pins it). One module of it cannot load there: its wheel's compiled ops
do not match the CPU build, so ``torchvision/_meta_registrations.py``, which registers
fake kernels for them (``torchvision::nms`` …), fails with "operator torchvision::nms does
not exist", and with it ``import torchvision``. The model definitions never use those
ops, so an empty module stands in for that one module, here and nowhere else.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

from torch import nn


def zoo() -> dict[str, Callable[[], nn.Module]]:
    """Each zoo spec's name → torchvision's builder, without pretrained weights."""
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    from torchvision import models

    return {
        "alexnet": lambda: models.alexnet(weights=None),
        "vgg16": lambda: models.vgg16(weights=None),
        "vgg16_bn": lambda: models.vgg16_bn(weights=None),
        # the spec is GoogLeNet without its auxiliary heads; init_weights only picks the init
        "googlenet": lambda: models.googlenet(weights=None, aux_logits=False, init_weights=False),
        # the spec is Inception v3 without its auxiliary head and without transform_input
        "inception_v3": lambda: models.inception_v3(
            weights=None, aux_logits=False, transform_input=False, init_weights=False
        ),
        "resnet18": lambda: models.resnet18(weights=None),
        "resnet50": lambda: models.resnet50(weights=None),
        "resnext50_32x4d": lambda: models.resnext50_32x4d(weights=None),
        "densenet121": lambda: models.densenet121(weights=None),
        "shufflenet_v2_x1_0": lambda: models.shufflenet_v2_x1_0(weights=None),
        "squeezenet1_1": lambda: models.squeezenet1_1(weights=None),
        "mnasnet1_0": lambda: models.mnasnet1_0(weights=None),
        "mobilenet_v2": lambda: models.mobilenet_v2(weights=None),
        "wide_resnet50_2": lambda: models.wide_resnet50_2(weights=None),
        "efficientnet_b0": lambda: models.efficientnet_b0(weights=None),
        "efficientnet_b1": lambda: models.efficientnet_b1(weights=None),
        "efficientnet_v2_s": lambda: models.efficientnet_v2_s(weights=None),
        "convnext_tiny": lambda: models.convnext_tiny(weights=None),
        "mobilenet_v3_large": lambda: models.mobilenet_v3_large(weights=None),
        "mobilenet_v3_small": lambda: models.mobilenet_v3_small(weights=None),
        "regnet_x_400mf": lambda: _numbered_regnet_blocks(models.regnet_x_400mf(weights=None)),
        "regnet_x_800mf": lambda: _numbered_regnet_blocks(models.regnet_x_800mf(weights=None)),
        "regnet_y_400mf": lambda: _numbered_regnet_blocks(models.regnet_y_400mf(weights=None)),
        "vit_b_16": lambda: models.vit_b_16(weights=None),
        "swin_t": lambda: models.swin_t(weights=None),
    }


def _numbered_regnet_blocks(model: nn.Module) -> nn.Module:
    """torchvision's RegNet with its stages' blocks renamed block1-0, block1-1 … → 0, 1 …:
    archspec's names are identifiers, and these are the only keys of the RegNet specs that
    differ (see archspec/library/torchvision/regnet.yaml). The modules, their order and the
    forward (an nn.Sequential's) stay torchvision's."""
    for stage in model.trunk_output.children():
        stage._modules = {str(i): block for i, block in enumerate(stage._modules.values())}
    return model
