"""Dataflow networks (named tensors, joins, several outputs) go where PyTorch models go:
torch.compile with fullgraph, torch.export with dynamic sizes and DDP, both as built by
archspec.build and as the class compile -o writes; and the two agree."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from tests.emit.test_portability import emitted_class

# A user block that reads its input twice and joins, a block call with two outputs
# read by name, a join of three tensors, and a network with two outputs.
DAG = textwrap.dedent(
    """\
    name: dag
    input: [3, H, W]
    outputs: [head, pooled]
    blocks:
      residual_unit:
        params: {width: int}
        layers:
          - conv: {name: conv1, out_channels: =width, kernel_size: 3, padding: 1, bias: false}
          - batchnorm: {name: bn1}
          - relu: {name: relu}
          - conv: {name: shortcut, from: input, out_channels: =width, kernel_size: 1}
          - add: {from: [relu, shortcut]}
      two_views:
        outputs: [wide, narrow]
        layers:
          - conv: {name: wide, out_channels: 6, kernel_size: 3, padding: 1}
          - conv: {name: narrow, from: input, out_channels: 2, kernel_size: 1}
    layers:
      - residual_unit: {name: unit, width: 8}
      - two_views: {name: views}
      - concat: {name: both, from: [views.wide, views.narrow, unit]}
      - conv: {name: head, out_channels: 4, kernel_size: 1}
      - global_avgpool: {name: pooled, from: both}
    """
)


def graph() -> archspec.Graph:
    return archspec.compile(archspec.loads(DAG, "dag.yaml"))


def make(which: str) -> nn.Module:
    torch.manual_seed(0)
    return archspec.build(graph()) if which == "build" else emitted_class(graph())()


KINDS = ["build", "emitted"]


@pytest.fixture(params=KINDS)
def model(request: pytest.FixtureRequest) -> nn.Module:
    return make(request.param).eval()


def test_the_graph_has_two_named_outputs() -> None:
    shapes = {name: shape[1:] for name, shape in graph().output_shapes.items()}
    assert list(shapes) == ["head", "pooled"]
    assert shapes["pooled"] == (16, 1, 1) and shapes["head"][0] == 4


def test_the_emitted_class_is_the_built_module() -> None:
    built, emitted = make("build").eval(), make("emitted").eval()
    assert list(built.state_dict()) == list(emitted.state_dict())
    emitted.load_state_dict(built.state_dict())
    x = torch.randn(2, 3, 10, 7)
    with torch.no_grad():
        ours, theirs = built(x), emitted(x)
    assert list(ours) == list(theirs) == ["head", "pooled"]
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name])
    assert ours["head"].shape == (2, 4, 10, 7)


def test_torch_compile_fullgraph_has_no_graph_break(model: nn.Module) -> None:
    x = torch.randn(2, 3, 9, 11)
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    with torch.no_grad():
        ours, theirs = compiled(x), model(x)
    for name in theirs:
        torch.testing.assert_close(ours[name], theirs[name])


def test_torch_export_with_dynamic_batch_and_sizes(model: nn.Module) -> None:
    batch = torch.export.Dim("batch", min=2, max=64)
    h = torch.export.Dim("h", min=2, max=512)
    w = torch.export.Dim("w", min=2, max=512)
    exported = torch.export.export(
        model, (torch.randn(2, 3, 16, 16),), dynamic_shapes=({0: batch, 2: h, 3: w},)
    )
    other = torch.randn(5, 3, 21, 9)
    with torch.no_grad():
        ours, theirs = exported.module()(other), model(other)
    for name in theirs:
        torch.testing.assert_close(ours[name], theirs[name])


def _train(rank: int, world: int, init: str, which: str, results: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    try:
        torch.set_num_threads(1)
        ddp = torch.nn.parallel.DistributedDataParallel(make(which))
        generator = torch.Generator().manual_seed(rank)
        x = torch.randn(4, 3, 8, 8, generator=generator)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05)
        losses = []
        for _ in range(6):
            optimizer.zero_grad()
            out = ddp(x)
            loss = out["head"].pow(2).mean() + out["pooled"].pow(2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        Path(results, f"{rank}.txt").write_text(" ".join(map(str, losses)))
        del ddp, optimizer
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
@pytest.mark.parametrize("which", KINDS)
def test_distributed_data_parallel_on_two_cpu_processes(which: str, tmp_path: Path) -> None:
    init = f"file://{tmp_path / 'rendezvous'}"
    torch.multiprocessing.spawn(_train, args=(2, init, which, str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        losses = [float(v) for v in (tmp_path / f"{rank}.txt").read_text().split()]
        assert losses[-1] < losses[0], losses
