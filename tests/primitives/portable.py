"""archspec's own module classes (runtime=) go where torch.nn's go: torch.jit.script,
torch.compile with fullgraph (no graph break) and torch.export with a dynamic batch."""

from __future__ import annotations

import warnings

import torch
from torch import nn


def check_portable(module: nn.Module, x: torch.Tensor) -> None:
    """Each of the three gives the eager output on ``x`` (eval mode)."""
    module.eval()
    with torch.no_grad():
        want = module(x)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
            scripted = torch.jit.script(module)
        torch.testing.assert_close(scripted(x), want, rtol=0, atol=0)
        compiled = torch.compile(module, fullgraph=True, backend="eager")
        torch.testing.assert_close(compiled(x), want, rtol=0, atol=0)
    batch = torch.export.Dim("batch", min=2, max=64)
    exported = torch.export.export(module, (x,), dynamic_shapes=({0: batch},))
    bigger = torch.cat([x, x, x])
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(bigger), module(bigger), rtol=0, atol=0)
