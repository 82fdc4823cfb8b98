"""The nn.Module classes archspec builds beyond torch's own and its primitives' own:
the network and block calls (the merges' classes live with their primitives, in
archspec/primitives/merge.py). Each forward is static, so the modules work with
torch.compile and torch.export (and, but for ``Dataflow``, torch.jit.script).

Only the builders import this module, so torch stays off the validation path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from torch import nn

Step = tuple[str, tuple[str, ...], "Callable[..., Any] | None", tuple[str, ...]]
"""One layer of a :class:`Dataflow`: its name (the tensor it makes), the tensors it
reads, the join function of a merge without a module (else None: the child module of
that name runs), and the outputs of a block call that returns several (else empty)."""


class Network(nn.Sequential):
    """A compiled spec: its layers in order, named as in the spec."""


class Block(nn.Sequential):
    """A block call whose body has several layers; printed with the block's name."""

    def __init__(self, layers: OrderedDict[str, nn.Module], block: str) -> None:
        super().__init__(layers)
        self._archspec_block = block

    def _get_name(self) -> str:
        # ``block`` is where a network pickled before kept the name
        return _camel(self.__dict__.get("_archspec_block") or self.__dict__.get("block", "block"))


class Dataflow(nn.Module):
    """A network or block call whose layers read named tensors (``from``): each layer
    is the attribute of its name, and the forward runs ``steps`` in order, keeping each
    tensor by name. One output is returned as it is; several as a dict, in order.

    ``parameters``: the learned tensors of the list (``parameter``), each registered as
    an ``nn.Parameter`` of this module under its name (so listed in the state_dict
    before the layers' weights, as a module's own parameters are); a step of that name
    reads it."""

    def __init__(
        self,
        layers: OrderedDict[str, nn.Module],
        steps: tuple[Step, ...],
        inputs: tuple[str, ...],
        outputs: tuple[str, ...],
        block: str | None = None,
        parameters: OrderedDict[str, nn.Parameter] | None = None,
    ) -> None:
        super().__init__()
        for name, parameter in (parameters or {}).items():
            self.register_parameter(name, parameter)
        for name, module in layers.items():
            self.add_module(name, module)
        self._archspec_steps = steps
        self._archspec_inputs = inputs
        self._archspec_outputs = outputs
        self._archspec_block = block

    def forward(self, input: Any, *more: Any) -> Any:
        # the first input is a named argument, so torch.export takes dynamic_shapes=({0: batch},)
        tensors = dict(zip(self._archspec_inputs, (input, *more), strict=True))
        for name, sources, join, several in self._archspec_steps:
            args = [tensors[source] for source in sources]
            if join is not None:
                made = join(*args)
            elif name in self._parameters:  # a learned tensor of this module
                made = self._parameters[name]
            else:
                made = self._modules[name](*args)
            if several:  # a dict by name (a block call), or a tuple (a split)
                for index, output in enumerate(several):
                    tensors[f"{name}.{output}"] = made[output] if isinstance(made, dict) else made[index]
            else:
                tensors[name] = made
        if len(self._archspec_outputs) == 1:
            return tensors[self._archspec_outputs[0]]
        return {name: tensors[name] for name in self._archspec_outputs}

    def _get_name(self) -> str:
        return _camel(self._archspec_block) if self._archspec_block else "Network"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def __getattr__(name: str) -> type:
    """``Add`` and ``Concat`` lived here: networks pickled then still load (the classes
    are the merge primitives' own now, in archspec/primitives/merge.py)."""
    if name in ("Add", "Concat"):
        from archspec.primitives import merge

        return getattr(merge, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
