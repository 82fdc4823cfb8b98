"""The network ``archspec compile -o`` writes, imported as a user imports it.

The text of :func:`archspec.emit.source.emit_source` is written to a file in a
temporary directory and imported from there (never executed from a string), then
its network class is instantiated.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import torch

from archspec.compiler import Graph
from archspec.emit.source import emit_source, network_class_name

_KEEP: list[tempfile.TemporaryDirectory] = []  # the files stay until the benchmark process ends


def emitted_module(graph: Graph) -> torch.nn.Module:
    """An instance of the emitted network class of ``graph`` (weights from its own init)."""
    folder = tempfile.TemporaryDirectory(prefix="archspec-emitted-")
    _KEEP.append(folder)
    module_name = f"emitted_{graph.spec.name}".replace("-", "_")
    path = Path(folder.name) / f"{module_name}.py"
    path.write_text(emit_source(graph), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, network_class_name(graph))()
