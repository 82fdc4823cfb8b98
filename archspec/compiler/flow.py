"""Named tensors: which tensors a layer reads, and what a list of layers returns.

A list of layers (the spec's, a block body, a ``sequential``'s, a branch) has
inputs (the spec's, the block's, else one named ``input``). Each layer reads its
predecessor's output, or (``from``) tensors named earlier in the same list: an
input, an earlier layer's output, or ``call.output`` of an earlier block call
with several outputs. A list returns its last layer's output, or the tensors
its ``outputs`` names. A :class:`Scope` holds what a list has made so far and
answers each reference, or says precisely why it cannot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from archspec.codes import E210, E211
from archspec.compiler.expand import BoundLayer
from archspec.diagnostics import Diagnostic, Span
from archspec.frontend.errors import did_you_mean
from archspec.shapes.tensor import TensorShape


class FlowError(Exception):
    """A reference that cannot be resolved, or an output that nobody reads."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


class Scope:
    """The tensors of one list of layers, by name, as inference makes them.

    ``several`` holds the block calls that return several tensors: they are read
    as ``call.output``, never as ``call``.
    """

    __slots__ = ("inputs", "last", "prefix", "reads", "several", "spans", "tensors")

    def __init__(self, inputs: tuple[str, ...], prefix: str, tensors: dict[str, TensorShape]) -> None:
        self.inputs = inputs
        self.prefix = prefix
        self.tensors = tensors
        self.several: dict[str, tuple[str, ...]] = {}
        self.reads: set[str] = set()
        self.spans: dict[str, Span | None] = {}
        self.last = inputs[0] if inputs else ""

    @classmethod
    def of(cls, inputs: dict[str, TensorShape], prefix: str) -> Scope:
        return cls(tuple(inputs), prefix, dict(inputs))

    def sources(self, node: BoundLayer, reads: bool = True) -> tuple[str, ...]:
        """What ``node`` reads: its ``from``, else its predecessor's output (nothing, for a
        layer that reads nothing: a learned tensor)."""
        return node.written.sources or ((self.last,) if reads else ())

    def resolve(
        self, node: BoundLayer, name: str, later: Iterable[BoundLayer], reads: bool = True
    ) -> tuple[tuple[str, ...], list[TensorShape]]:
        """The names ``node`` (the layer ``name``) reads and their shapes; FlowError where
        one is not there. ``later``: the layers after it, read once and only for an error
        (a lazy slice: copying the rest of a list at every layer is quadratic)."""
        sources = self.sources(node, reads)
        shapes = []
        for index, reference in enumerate(sources):
            shapes.append(self._lookup(node, name, index, reference, later))
            self.reads.add(reference.partition(".")[0])
        return sources, shapes

    def _lookup(
        self, node: BoundLayer, name: str, index: int, reference: str, later: Iterable[BoundLayer]
    ) -> TensorShape:
        if reference in self.tensors:
            return self.tensors[reference]
        where = node.written.source_span(index) if node.written.sources else node.span
        path = self.prefix + name
        if reference in self.several:
            outputs = ", ".join(f"{reference}.{o}" for o in self.several[reference])
            raise self._error(
                f"'{reference}' makes {len(self.several[reference])} tensors of its own ({outputs}): "
                "read one of them",
                where,
                path,
                f"write from: {reference}.{self.several[reference][0]}",
            )
        head, _, tail = reference.partition(".")
        if tail and head in self.several:
            outputs = ", ".join(self.several[head])
            raise self._error(
                f"'{head}' has no output '{tail}'; its outputs are {outputs}",
                where,
                path,
                did_you_mean(tail, self.several[head]),
            )
        if tail and head in self.tensors:
            raise self._error(
                f"'{head}' returns one tensor, so '{reference}' names nothing",
                where,
                path,
                f"write from: {head}",
            )
        if any(n.name == head for n in later) or head == name:
            raise self._error(
                f"'{reference}' is read before it is made: a layer reads only tensors made above it",
                where,
                path,
                "move the layer below the one it reads (the layers run in the order written)",
            )
        known = [*self.tensors, *self.several]
        raise self._error(
            f"no tensor named '{reference}' here",
            where,
            path,
            did_you_mean(reference, known)
            or f"tensors here: {', '.join(known[-8:])} (a layer reads the tensors of its own list)",
        )

    def add(
        self, name: str, shape: TensorShape, span: Span | None, outputs: dict[str, TensorShape] | None = None
    ) -> None:
        """The output of the layer ``name``; ``outputs``: a call with several, by name. A
        learned tensor (no batch) stands beside the sequence: the next layer still reads
        the one before it, and the learned tensor only by name."""
        if outputs is not None:
            self.several[name] = tuple(outputs)
            for key, value in outputs.items():
                self.tensors[f"{name}.{key}"] = value
        else:
            self.tensors[name] = shape
        self.spans[name] = span
        if shape.batched:
            self.last = name

    def finish(self, outputs: tuple[str, ...], where: Span | None) -> tuple[str, ...]:
        """The names the list returns (checked); a FlowError for a layer or input whose
        output nobody reads (in a plain sequence, each is read by the next)."""
        chosen = outputs or (self.last,)
        for name in chosen:
            if name not in self.tensors:
                if name in self.several:
                    raise self._error(
                        f"the output '{name}' returns several tensors: name them",
                        where,
                        self.prefix.rstrip("."),
                        "list " + ", ".join(f"{name}.{o}" for o in self.several[name]),
                    )
                known = [*self.tensors]
                raise self._error(
                    f"the output '{name}' is no tensor here",
                    where,
                    self.prefix.rstrip("."),
                    did_you_mean(name, known) or f"tensors here: {', '.join(known[-8:])}",
                )
            self.reads.add(name.partition(".")[0])
            if not self.tensors[name].batched:
                raise self._error(
                    f"the output '{name}' is a learned tensor {self.tensors[name]}, with no batch: a list "
                    "returns tensors with a batch",
                    where if outputs else self.spans.get(name),
                    self.prefix + name,
                    f"read it in the list (mul: {{from: [{name}, ...]}}), and return that",
                )
        for name, span in self.spans.items():
            if name not in self.reads:
                raise self._error(
                    f"the output of '{name}' is never used",
                    span,
                    self.prefix + name,
                    "read it (from:), list it in outputs:, or remove the layer",
                    code=E211,
                )
        unused = [i for i in self.inputs if i not in self.reads]
        if unused and self.spans:
            raise self._error(
                f"the input '{unused[0]}' is never read",
                where,
                self.prefix.rstrip("."),
                f"read it (from: {unused[0]}), or remove it from the inputs",
                code=E211,
            )
        return chosen

    @staticmethod
    def _error(message: str, span: Span | None, path: str, hint: str | None, code: str = E210) -> FlowError:
        return FlowError(Diagnostic(code, message, span, path, hint))


def is_chain(
    sources: Sequence[tuple[str, ...]],
    names: Sequence[str],
    inputs: tuple[str, ...],
    outputs: tuple[str, ...],
) -> bool:
    """Whether a list of layers is a plain sequence: one input, each layer reading the
    one before it, the last one's output returned."""
    if len(inputs) != 1:
        return False
    if outputs and (not names or tuple(outputs) != (names[-1],)):
        return False
    previous = inputs[0]
    for read, name in zip(sources, names, strict=True):
        if tuple(read) != (previous,):
            return False
        previous = name
    return True
