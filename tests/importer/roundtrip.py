"""The round trip of an import: module → spec text → archspec.build, checked against the
module (parameter count, state_dict keys in order, outputs with the module's weights)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

import archspec
from archspec.importer.api import from_module


def round_trip(make: Callable[[], nn.Module], dims: Sequence[int], name: str) -> str:
    """Import ``make()``, build the spec, load the module's state_dict (strict), compare;
    the text, which a second import of a new instance must give byte for byte."""
    torch.manual_seed(0)
    original = make()
    text = from_module(original, dims, name=name)
    built = archspec.build(archspec.loads(text, f"{name}.yaml"))
    assert list(built.state_dict()) == list(original.state_dict())
    count = sum(p.numel() for p in original.parameters())
    assert sum(p.numel() for p in built.parameters()) == count
    built.load_state_dict(original.state_dict(), strict=True)
    original.eval()
    built.eval()
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(built(x), original(x), rtol=1e-5, atol=1e-5)
    assert from_module(make(), dims, name=name) == text
    return text
