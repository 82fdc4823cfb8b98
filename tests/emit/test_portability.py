"""Built modules and emitted classes go where PyTorch models go.

torch.compile with fullgraph (no graph break), torch.jit.script,
torch.export with a dynamic batch (and dynamic H and W for a fully
convolutional spec, from archspec's minimum sizes), DistributedDataParallel
on 2 CPU processes with gloo, and the meta device.
"""

from __future__ import annotations

import importlib.util
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from archspec.emit.source import emit_source, network_class_name
from archspec.shapes.dims import substitute, symbols_of

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")

# Small, but with every module kind: a user block, the built-in residual (add),
# inception (concat), repeat, global pooling and a classifier.
TINY = textwrap.dedent(
    """\
    name: tiny
    input: [3, H, W]
    blocks:
      stem:
        params: {width: int}
        layers:
          - conv: {out_channels: =width, kernel_size: 3, padding: 1, bias: false}
          - batchnorm
          - relu
    layers:
      - stem: {width: 8}
      - repeat: {n: 2, layers: [residual: {out_channels: 8}]}
      - residual: {out_channels: 16, stride: 2}
      - inception: {c1: 4, c2: [4, 8], c3: [2, 4], c4: 4}
      - global_avgpool
      - flatten
      - linear: {out_features: 5}
    """
)


def tiny_graph() -> archspec.Graph:
    return archspec.compile(archspec.loads(TINY, "tiny.yaml"))


def emitted_class(graph: archspec.Graph) -> type[nn.Module]:
    folder = Path(tempfile.mkdtemp())
    path = folder / "tiny_model.py"
    path.write_text(emit_source(graph))
    spec = importlib.util.spec_from_file_location("tiny_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, network_class_name(graph))


def make(which: str) -> nn.Module:
    """The tiny network, from archspec.build or from its emitted class."""
    graph = tiny_graph()
    maker: Callable[[], nn.Module] = (
        (lambda: archspec.build(graph)) if which == "build" else emitted_class(graph)
    )
    return maker()


KINDS = ["build", "emitted"]


@pytest.fixture(params=KINDS)
def model(request: pytest.FixtureRequest) -> nn.Module:
    torch.manual_seed(0)
    return make(request.param).eval()


def test_torch_compile_fullgraph_has_no_graph_break(model: nn.Module) -> None:
    x = torch.randn(2, 3, 16, 16)
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))


def test_torch_jit_script(model: nn.Module) -> None:
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3, 12, 10)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x))


def export_minimum(graph: archspec.Graph) -> int:
    """The smallest side from which every size-dependent dim is at least 2.

    torch.export specializes dims that may be 0 or 1, so a dynamic H must keep
    every dim computed from it above 1; archspec's symbolic shapes say where.
    """
    side = max(graph.min_sizes.values())
    while not all(
        substitute(d, dict.fromkeys(graph.min_sizes, side)) >= 2
        for layer in graph.layers
        for d in layer.output.dims
        if symbols_of(d)
    ):
        side += 1
    return side


def test_torch_export_with_dynamic_batch_and_sizes(model: nn.Module) -> None:
    graph = tiny_graph()
    smallest = export_minimum(graph)
    assert graph.min_sizes == {"H": 1, "W": 1} and smallest == 3
    batch = torch.export.Dim("batch", min=2, max=64)
    h = torch.export.Dim("h", min=smallest, max=512)
    w = torch.export.Dim("w", min=smallest, max=512)
    x = torch.randn(2, 3, 16, 16)
    exported = torch.export.export(model, (x,), dynamic_shapes=({0: batch, 2: h, 3: w},))
    other = torch.randn(5, 3, 21, 9)
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(other), model(other))


def test_lenet_exports_with_a_dynamic_batch() -> None:
    net = archspec.build("specs/lenet_bn.yaml").eval()
    batch = torch.export.Dim("batch", min=2, max=64)
    exported = torch.export.export(net, (torch.randn(4, 1, 28, 28),), dynamic_shapes=({0: batch},))
    x = torch.randn(7, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(x), net(x))


def _train(rank: int, world: int, init: str, which: str, results: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    try:
        torch.manual_seed(0)
        torch.set_num_threads(1)
        net = make(which)
        ddp = torch.nn.parallel.DistributedDataParallel(net)
        generator = torch.Generator().manual_seed(rank)
        x = torch.randn(8, 3, 12, 12, generator=generator)
        y = torch.randint(0, 5, (8,), generator=generator)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for _ in range(8):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(ddp(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        Path(results, f"{rank}.txt").write_text(" ".join(map(str, losses)))
        # Tear down in order: the DDP reducer before the group, and no rank before
        # the other is done talking to it (else gloo may abort the process at exit).
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


def test_meta_device_allocates_nothing_and_dtype_applies() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        net = archspec.build("specs/vgg11.yaml", device="meta")  # 128.8 M parameters
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert all(p.is_meta for p in net.parameters())
    assert peak < 50 * 2**20  # far below the 515 MB of float32 weights
    assert sum(p.numel() for p in net.parameters()) == 128_806_154
    double = archspec.build("specs/lenet_bn.yaml", dtype=torch.float64)
    assert all(p.dtype == torch.float64 for p in double.parameters())
