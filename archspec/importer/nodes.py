"""What the importer asks of an fx node: where in the user's code it was made, whether it
reads the batch size, its shape, a called function's name, a name a layer may have."""

from __future__ import annotations

import builtins
import keyword
import operator
import os
from typing import Any

import torch
from torch import fx

from archspec.frontend.types import MODULE_ATTRIBUTES, NAME_LIMIT
from archspec.primitives.reads import BATCH, TENSOR

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


def call_site(node: fx.Node | None) -> str:
    """``file.py:12: out = self.pool(x)``: the line of the user's forward that made the node
    (the innermost frame outside torch)."""
    trace_text = getattr(node, "stack_trace", None) or ""
    lines = [line.strip() for line in trace_text.strip().splitlines() if line.strip()]
    found = ""
    for index, line in enumerate(lines):
        if line.startswith("File "):
            parts = line.split(",")
            file = parts[0].removeprefix("File ").strip('"')
            if TORCH_DIR and file.startswith(TORCH_DIR):
                continue
            number = parts[1].strip().removeprefix("line ") if len(parts) > 1 else "?"
            code = (
                lines[index + 1]
                if index + 1 < len(lines) and not lines[index + 1].startswith("File ")
                else ""
            )
            found = f"{file}:{number}: {code}"
    return found


def function_name(function: Any) -> str:
    """``torch.sin``, ``operator.add``: a called function as its user would write it."""
    module = getattr(function, "__module__", None) or ""
    module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional"}.get(module, module)
    text = f"{module}.{getattr(function, '__name__', function)}"
    return text.lstrip(".")


def is_layer_name(name: str) -> bool:
    return (
        name.isidentifier()
        and name.isascii()
        and not keyword.iskeyword(name)
        and not (name.startswith("__") and name.endswith("__"))
        and name not in MODULE_ATTRIBUTES
        and len(name) <= NAME_LIMIT
    )


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def is_shape(node: fx.Node) -> bool:
    """``x.shape`` or ``x.size()``: read only for the batch size."""
    if node.op == "call_function" and node.target is builtins.getattr:
        return len(node.args) == 2 and node.args[1] == "shape"
    return node.op == "call_method" and node.target == "size" and len(node.args) == 1 and not node.kwargs


def is_batch(node: fx.Node, shapes: set[fx.Node]) -> bool:
    """``x.size(0)`` or ``x.shape[0]``."""
    if node.op == "call_method" and node.target == "size":
        return tuple(node.args[1:]) == (0,) or node.kwargs == {"dim": 0}
    return (
        node.op == "call_function"
        and node.target is operator.getitem
        and node.args[0] in shapes
        and (node.args[1] == 0)
    )


def marked(value: Any, tensors: set[fx.Node], batch: set[fx.Node]) -> Any:
    if isinstance(value, fx.Node):
        return BATCH if value in batch else TENSOR if value in tensors else value
    if isinstance(value, list | tuple):
        return type(value)(marked(v, tensors, batch) for v in value)
    return value


def rank(node: fx.Node) -> int:
    meta = node.meta.get("tensor_meta")
    return len(meta.shape) if meta is not None and hasattr(meta, "shape") else 0


def shape(node: fx.Node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else ()
