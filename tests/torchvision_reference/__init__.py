"""Minimal reference copies of torchvision's classification models, for tests.

torchvision cannot be installed here, so these modules copy the model classes of
torchvision (https://github.com/pytorch/vision, ``torchvision/models/*.py`` and
``Conv2dNormActivation`` from ``torchvision/ops/misc.py``) with their module names,
registration order, shapes, defaults and forward passes. Left out: weights enums and
downloads, ``_log_api_usage_once``, builder decorators, and options the tests do not use
(DenseNet's memory-efficient checkpointing, ResNet's dilation and norm-layer choices).

torchvision is BSD-3-Clause licensed:

    Copyright (c) Soumith Chintala 2016, All rights reserved.

    Redistribution and use in source and binary forms, with or without modification, are
    permitted provided that the following conditions are met: (1) redistributions of
    source code must retain the above copyright notice, this list of conditions and the
    following disclaimer; (2) redistributions in binary form must reproduce the above
    copyright notice, this list of conditions and the following disclaimer in the
    documentation and/or other materials provided with the distribution; (3) neither the
    name of the copyright holder nor the names of its contributors may be used to endorse
    or promote products derived from this software without specific prior written
    permission.

    THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY
    EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES
    OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT
    SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT,
    INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED
    TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR
    BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
    CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY
    WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from tests.torchvision_reference.alexnet import alexnet
from tests.torchvision_reference.densenet import densenet121
from tests.torchvision_reference.googlenet import googlenet
from tests.torchvision_reference.mobilenetv2 import mobilenet_v2
from tests.torchvision_reference.resnet import resnet18, resnet50
from tests.torchvision_reference.squeezenet import squeezenet1_1
from tests.torchvision_reference.vgg import vgg16

# The builders by torchvision's names: each returns the model as the builder does with
# weights=None (GoogLeNet without its auxiliary heads, as torchvision's pretrained one).
MODELS: dict[str, Callable[[], nn.Module]] = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "googlenet": googlenet,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "densenet121": densenet121,
    "squeezenet1_1": squeezenet1_1,
    "mobilenet_v2": mobilenet_v2,
}

__all__ = ["MODELS"]
