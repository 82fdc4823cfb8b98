"""What a user does today to check architectures: import torch, build each
network on the meta device (no memory for weights), run a forward pass.

    python benchmarks/meta_check.py alexnet=1x224x224 nin=1x224x224 specs/new.yaml=3x32x32

A name of d2l.NETWORKS builds the hand-written d2l module; anything else is a
spec path, built with ``archspec.build`` (for specs without a d2l module).
The batch is 2: BatchNorm1d refuses one value per channel in training mode.
"""

from __future__ import annotations

import sys

import torch


def check(target: str, dims: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The output shapes (a network with several outputs returns a dict of them)."""
    import d2l

    with torch.device("meta"):
        ids = False
        if target in d2l.NETWORKS:
            net = d2l.NETWORKS[target]()
        else:
            import archspec

            graph = archspec.compile(target)
            ids = bool(getattr(graph.input, "integer", False))  # token ids: int64 input
            net = archspec.build(graph)
        y = net(torch.zeros(2, *dims, dtype=torch.long) if ids else torch.empty(2, *dims))
    outputs = list(y.values()) if isinstance(y, dict) else [y]
    assert all(t.device.type == "meta" for t in outputs)
    return [tuple(t.shape) for t in outputs]


def main(argv: list[str]) -> int:
    for arg in argv:
        target, _, dims = arg.rpartition("=")
        check(target, tuple(int(d) for d in dims.split("x")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
