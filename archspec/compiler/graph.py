"""The shaped graph: every layer with its input and output shapes and weights."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field
from typing import Any

from archspec.compiler.sizeset import SizeSet
from archspec.diagnostics import Span
from archspec.frontend.model import Model
from archspec.frontend.spec import Spec
from archspec.shapes.dims import substitute, total
from archspec.shapes.tensor import TensorShape


@dataclass(frozen=True)
class LayerInfo:
    """One layer after inference.

    ``name`` is its attribute in the parent module, ``path`` the dotted path
    from the network (``b3.0.1.p2_2``); ``own_params`` counts the weights of
    this layer alone, ``num_params`` those of its whole subtree; ``own_macs``
    and ``num_macs`` count multiply-accumulates per sample the same way (an
    int, or a symbolic expression for a symbolic input). ``primitive``
    and ``params`` say how the layer is built; for a block call, ``block`` and
    ``args`` say what the spec wrote (an inception is built as a concat).
    """

    path: str
    name: str
    primitive: str
    params: Model
    input: TensorShape
    output: TensorShape
    own_params: int
    children: tuple[LayerInfo, ...] = ()
    span: Span | None = None
    batch_statistics: bool = False
    block: str | None = None
    args: Model | None = None
    own_macs: Any = 0
    # Elements the layer computes besides its output, per sample (attention's weights).
    own_workspace: Any = 0
    # Dataflow (docs/spec-language.md, "Named tensors"): the tensors the layer reads, by
    # name in its parent's list; the shapes of all but the first (``input``); for a group,
    # its inputs' names and the names of the children it returns where it is no plain
    # sequence (empty: it is one, returning its last child), and its outputs by name
    # where it returns several.
    sources: tuple[str, ...] = ()
    inputs: tuple[TensorShape, ...] = ()
    outputs: tuple[str, ...] = ()
    input_names: tuple[str, ...] = ("input",)
    named_outputs: dict[str, TensorShape] | None = field(default=None, compare=False)
    reads_by_name: bool = False  # the spec wrote ``from`` for this layer
    functional: bool = False  # computed by its primitive's join function: no module
    learned: bool = False  # a learned tensor (parameter) of its list's module: no module, reads nothing

    @property
    def written_sources(self) -> tuple[str, ...]:
        """The tensors the spec's ``from`` names for this layer (empty: its predecessor's)."""
        return self.sources if self.reads_by_name else ()

    @property
    def outputs_by_name(self) -> dict[str, TensorShape] | None:
        """The outputs of a block call that returns several, by name; else None."""
        return self.named_outputs

    @property
    def input_shapes(self) -> tuple[TensorShape, ...]:
        """Every tensor the layer reads, in the order of ``sources``."""
        return (self.input, *self.inputs)

    @property
    def is_join(self) -> bool:
        """A layer with no module: a merge of tensors read by name (``add: {from: [a, b]}``),
        a split (both computed by a function), or a learned tensor (``learned``)."""
        return self.functional

    @property
    def is_dataflow(self) -> bool:
        """A group whose children read named tensors (no plain sequence)."""
        return bool(self.outputs)

    @property
    def kind(self) -> str:
        """What the spec wrote here: the block's name for a block call, else the primitive."""
        return self.block or self.primitive

    @property
    def input_shape(self) -> tuple[Any, ...]:
        return self.input.with_batch()

    @property
    def output_shape(self) -> tuple[Any, ...]:
        return self.output.with_batch()

    @property
    def num_params(self) -> int:
        return self.own_params + sum(child.num_params for child in self.children)

    @property
    def num_macs(self) -> Any:
        """Multiply-accumulates per sample of the whole subtree (see ``own_macs``)."""
        if not self.children:
            return self.own_macs
        return total([self.own_macs, *(child.num_macs for child in self.children)])

    @property
    def depth(self) -> int:
        return self.path.count(".")

    def walk(self) -> Iterator[LayerInfo]:
        yield self
        for child in self.children:
            yield from child.walk()


_DEFAULTS = {
    name: None if name == "named_outputs" else value.default
    for name, value in LayerInfo.__dataclass_fields__.items()
    if name == "named_outputs" or value.default is not MISSING
}


def layer_info(**fields: Any) -> LayerInfo:
    """``LayerInfo(**fields)`` without the frozen dataclass's ``__init__`` (a call per
    field; inference makes one per layer): the fields not given keep their defaults.
    Each required field must be given (nothing checks it, as nothing in ``__init__`` does)."""
    made = object.__new__(LayerInfo)
    values = made.__dict__
    values.update(_DEFAULTS)
    values.update(fields)
    return made


@dataclass(frozen=True)
class Graph:
    """The compiled network.

    ``output_shape`` and every layer's shapes are tuples that start with the
    batch symbol ``N``; ``min_sizes`` gives each input symbol's smallest valid
    size (empty for a concrete input), ``valid_sizes`` the exact set of its valid
    sizes (``H ≥ 16, H divisible by 16``; see archspec/compiler/validsizes.py).
    ``size_constraints`` lists, as text, the joins' requirements that couple two
    symbols (``H = W``), which the sets do not solve: each set then holds the
    other symbols at the sizes the text names.
    """

    spec: Spec
    input: TensorShape
    roots: tuple[LayerInfo, ...]
    min_sizes: dict[str, int] = field(default_factory=dict)
    # Every input by name (the first is ``input``), the names of the tensors the network
    # returns where it is no plain sequence (empty: it returns its last layer's output),
    # and every output by name (the last layer's, for a plain sequence).
    inputs: dict[str, TensorShape] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    returns: dict[str, TensorShape] = field(default_factory=dict)
    valid_sizes: dict[str, SizeSet] = field(default_factory=dict)
    size_constraints: tuple[str, ...] = ()

    @property
    def output_shapes(self) -> dict[str, tuple[Any, ...]]:
        """Every output's shape (with the batch), by name."""
        return {name: shape.with_batch() for name, shape in self.returns.items()}

    @property
    def is_dataflow(self) -> bool:
        return bool(self.outputs)

    @property
    def input_shape(self) -> tuple[Any, ...]:
        return self.input.with_batch()

    @property
    def output(self) -> TensorShape:
        """The (first) output."""
        if self.returns:
            return next(iter(self.returns.values()))
        return self.roots[-1].output if self.roots else self.input

    @property
    def output_shape(self) -> tuple[Any, ...]:
        return self.output.with_batch()

    @property
    def num_params(self) -> int:
        return sum(layer.num_params for layer in self.roots)

    @property
    def num_macs(self) -> Any:
        """Multiply-accumulates per sample of conv, conv_transpose, linear and attention layers
        (FLOPs = 2 x MACs)."""
        return total(layer.num_macs for layer in self.roots)

    @property
    def min_train_batch(self) -> int:
        """The smallest batch that can train: 2 where a batchnorm sees one value per channel.

        In training, batchnorm needs more than one value per channel over the
        batch and the spatial positions; at this graph's input (for a symbolic
        input: at its smallest sizes) a layer whose input has a single spatial
        position then needs a batch of 2. Inference (eval mode) runs at any batch,
        but for a groupnorm with one channel per group: PyTorch applies the same check
        in eval mode there, so it too needs a batch of 2.
        """
        return 2 if self.single_value_layers() else 1

    def single_value_layers(self) -> tuple[LayerInfo, ...]:
        """Layers with batch statistics that see one value per channel per sample."""
        return tuple(
            layer
            for layer in self.layers
            if layer.batch_statistics and all(substitute(d, self.min_sizes) == 1 for d in layer.input.spatial)
        )

    @property
    def layers(self) -> tuple[LayerInfo, ...]:
        """Every layer, parents before their children, in spec order."""
        # A stack, not LayerInfo.walk's nested generators: each of those passes every
        # layer up through every level above it.
        found: list[LayerInfo] = []
        stack = list(reversed(self.roots))
        while stack:
            layer = stack.pop()
            found.append(layer)
            stack.extend(reversed(layer.children))
        return tuple(found)
