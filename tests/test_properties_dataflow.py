"""Properties of dataflow specs (named tensors, joins, several outputs): what archspec
infers for every named tensor is what PyTorch computes, and the weights it counts are
the built module's. Specs are drawn by tests/strategies.py's dataflow_spec_data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from hypothesis import assume, given, note

import archspec
from archspec.check import compare
from archspec.diagnostics import SpecError
from tests.strategies import as_yaml, dataflow_spec_data

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def _pytorchs_reference_kernels() -> Iterator[None]:
    """As in tests/test_properties.py: the oracle is PyTorch's reference kernels."""
    with torch.backends.mkldnn.flags(enabled=False):
        yield


def accepted(data: dict[str, Any]) -> archspec.Graph:
    text = as_yaml(data)
    note(f"# the spec (paste into a file, run: archspec check FILE)\n{text}")
    try:
        return archspec.compile(archspec.loads(text, "drawn.yaml"))
    except SpecError:
        assume(False)
        raise


@given(dataflow_spec_data())
def test_every_named_tensor_equals_the_real_forward(data: dict[str, Any]) -> None:
    graph = accepted(data)
    net = archspec.build(graph).eval()
    run = compare(graph, net, "drawn")
    assert run.error is None, f"archspec accepted it, PyTorch raised: {run.error}"
    assert run.mismatches == []
    x = torch.randn(2, *(int(d) for d in graph.input.dims))
    with torch.no_grad():
        out = net(x)
    returned = out if isinstance(out, dict) else {next(iter(graph.returns)): out}
    assert list(returned) == list(graph.returns)
    for name, shape in graph.returns.items():
        assert tuple(returned[name].shape[1:]) == tuple(int(d) for d in shape.dims), name


@given(dataflow_spec_data())
def test_num_params_equals_the_built_module(data: dict[str, Any]) -> None:
    graph = accepted(data)
    net = archspec.build(graph)
    assert graph.num_params == sum(p.numel() for p in net.parameters())
