"""Shape inference: run each layer's rule over the expanded layer tree.

Rules raise :class:`RuleError` without knowing where they are; the
:class:`Context` adds the file:line:col (of the parameter at fault, or of the
layer; inside a built-in block, of the call in the user's file) and the layer
path. Inference stops at the first shape error, since every later shape
depends on it. Block calls are instantiated where inference meets them, where
``in_channels`` is known (archspec/compiler/blockcall.py).
"""

from __future__ import annotations

import itertools

from archspec.compiler.blockcall import BlockCalls, _Frame
from archspec.compiler.compilation import (
    Compilation as Compilation,  # re-exported: the compiler's callers import it from here
)
from archspec.compiler.compilation import Flow as Flow
from archspec.compiler.compilation import InferenceStopped as InferenceStopped
from archspec.compiler.compilation import is_concrete_shape
from archspec.compiler.constraints import Constraint, identical, representative
from archspec.compiler.expand import BoundLayer, Budget, expand, layer_budget, symbolic_budget
from archspec.compiler.flow import FlowError, Scope, is_chain
from archspec.compiler.graph import LayerInfo, layer_info
from archspec.compiler.inferchecks import check_batched, check_name, check_reads, locate, written_span
from archspec.compiler.memberexpand import expand_member
from archspec.compiler.memberlayers import MemberLayers
from archspec.compiler.tails import TailRun
from archspec.diagnostics import Diagnostic, RuleError, Span
from archspec.frontend.family import unbound_error
from archspec.frontend.spec import DEFAULT_INPUT, Spec
from archspec.frontend.types import LayerParams
from archspec.primitives.activation import IDENTITY
from archspec.primitives.integers import typed
from archspec.primitives.registry import Primitive, primitives
from archspec.primitives.sequential import SEQUENTIAL
from archspec.shapes.dims import Dim, make_symbol
from archspec.shapes.tensor import TensorShape, new_symbolic_dims

NO_PARAMS = LayerParams()
"""The params of a branch's group (and of an empty branch): none, and frozen, so one object
serves every branch."""


class Context(BlockCalls, MemberLayers):
    """What a shape rule may ask of the compiler while it runs (one inference run).

    Its budgets count each layer of the shaped graph once (E403), and each
    symbolic dim a rule computes (E406: those are dearer than ints, and a short
    spec of repeats could otherwise make millions of them).
    """

    def __init__(self, compilation: Compilation) -> None:
        self.compilation = compilation
        self.spec = compilation.spec
        self._stack: list[_Frame] = []
        self.layers = layer_budget(compilation.limits.max_layers)
        self.symbolic = symbolic_budget(compilation.limits.max_symbolic_dims)
        self.memo = compilation.memo

    def run_layers(self, field: str, x: TensorShape) -> TensorShape:
        """Infer the layers of the current node's ``field`` in order (``sequential``)."""
        frame = self._stack[-1]
        flow = self.flow(
            frame.node.groups.get(field, ()), {DEFAULT_INPUT: x}, f"{frame.path}.", (), frame.node.span
        )
        frame.children.extend(flow.layers)
        frame.outputs = flow.outputs
        return flow.output

    def run_branches(self, x: TensorShape) -> tuple[list[TensorShape], list[str]]:
        """Infer every branch on ``x``; each becomes one child (identity, a layer or a group).
        A merge that reads several tensors by name (``from: [a, b]``) has no branches:
        those tensors are what it merges. The labels name each for messages."""
        frame = self._stack[-1]
        branches = frame.node.groups.get("branches", ())
        if not branches and len(frame.inputs) > 1:
            return list(frame.inputs), [f"'{name}'" for name in frame.sources]
        outputs, names = [], []
        for index, branch in enumerate(branches):
            info = self._branch(branch, str(index), f"{frame.path}.", x)
            frame.children.append(info)
            outputs.append(info.output)
            names.append(f"branch {info.name}")
        return outputs, names

    def reads(self) -> tuple[TensorShape, ...]:
        """Every tensor the current layer reads, in order (its input first)."""
        return self._stack[-1].inputs

    def equate(self, a: Dim, b: Dim, where: str, *, broadcast: bool = False) -> Dim:
        """A join needs ``a == b`` (sizes of a symbolic input): unless they are equal for
        every size, recorded for the valid-size search; the join goes on with the representative."""
        if identical(a, b):
            return a
        frame = self._stack[-1]
        constraint = Constraint(a, b, where, frame.path, self._written_span(frame.node), broadcast)
        self.compilation.constraints.append(constraint)
        return representative(a, b)

    def _branch(self, branch: tuple[BoundLayer, ...], index: str, prefix: str, x: TensorShape) -> LayerInfo:
        if len(branch) == 1 and branch[0].written.sources is None:
            name = branch[0].name or index
            return self._infer(branch[0], name, prefix + name, [x], (DEFAULT_INPUT,))
        if not branch:
            return LayerInfo(prefix + index, index, IDENTITY, NO_PARAMS, x, x, 0)
        flow = self.flow(branch, {DEFAULT_INPUT: x}, f"{prefix}{index}.", (), branch[0].span)
        return layer_info(
            path=prefix + index,
            name=index,
            primitive=SEQUENTIAL,
            params=NO_PARAMS,
            input=x,
            output=flow.output,
            own_params=0,
            children=flow.layers,
            outputs=flow.outputs,
        )

    def flow(
        self,
        nodes: tuple[BoundLayer, ...],
        inputs: dict[str, TensorShape],
        prefix: str,
        outputs: tuple[str, ...],
        where: Span | None,
        recover: bool = False,
    ) -> Flow:
        """Infer a list of layers: each reads its predecessor's output, or the tensors
        its ``from`` names; the list returns its last layer's output, or ``outputs``.

        ``recover`` (the spec's own list): a layer that fails is recorded in
        ``compilation.problems`` and inference goes on with the layers that do not
        read it, directly or not, so that every independent problem is reported; the
        first is then raised. A budget (E4xx) stops it at once."""
        scope = Scope.of(inputs, prefix)
        infos: list[LayerInfo] = []
        seen: set[str] = set()
        failed: set[str] = set()  # layers that failed, or read one that did: no shape
        # a summary compile's tails (compiler/tails.py): not of the spec's own list
        tails = self.compilation.reuse.tails if self.compilation.reuse.shallow and not recover else None
        run: TailRun | None = None
        resume = 0
        joins = len(self.compilation.constraints)
        try:
            for index, node in enumerate(nodes):
                name = node.name or str(index)
                if recover and failed:
                    primitive = None if node.is_block else primitives().get(node.kind_name)
                    learned = primitive is not None and primitive.learned is not None
                    reads = scope.sources(node, reads=not learned)
                    if {reference.partition(".")[0] for reference in reads} & failed:
                        scope.reads.update(reference.partition(".")[0] for reference in reads)
                        failed.add(name)
                        scope.last = name
                        continue
                if not recover:
                    if index < resume:  # replayed with the list's tail
                        continue
                    if index == 1 and tails is not None and infos:  # the list's tail, inferred before?
                        run = TailRun.meet(tails, nodes, inputs, scope, infos[0].name, self.layers.used)
                        if run is not None:
                            resume = 1 + run.replay(self.compilation, self.layers, scope, infos, seen)
                            if resume == len(nodes):
                                run = None
                                break
                            if resume > 1:
                                continue
                    self._flow_step(node, index, name, nodes, inputs, prefix, scope, infos, seen)
                    if run is not None:  # what the tail has spent so far
                        run.step(self.compilation, self.layers)
                    continue
                try:
                    self._flow_step(node, index, name, nodes, inputs, prefix, scope, infos, seen)
                except (InferenceStopped, FlowError) as error:
                    self.compilation.problems.append(error.diagnostic)
                    if error.diagnostic.code.startswith("E4"):  # a budget: no more work
                        raise InferenceStopped(error.diagnostic) from None
                    failed.add(name)
                    scope.last = name
            if self.compilation.problems and recover:
                raise InferenceStopped(self.compilation.problems[0])
            if run is not None and len(self.compilation.constraints) == joins:
                run.keep(infos)  # unless it added a join's requirement, which a copy would not
            chosen = scope.finish(outputs, where)
        except FlowError as error:
            raise InferenceStopped(error.diagnostic) from None
        output = scope.tensors[chosen[0]]
        chain = is_chain([i.sources for i in infos], [i.name for i in infos], scope.inputs, chosen)
        # a layer without a module (a join, a split) needs the dataflow's forward to run it
        returned = () if chain and not any(i.functional for i in infos) else chosen
        named = {name: scope.tensors[name] for name in chosen} if len(chosen) > 1 else None
        return Flow(tuple(infos), output, returned, named)

    def _flow_step(
        self,
        node: BoundLayer,
        index: int,
        name: str,
        nodes: tuple[BoundLayer, ...],
        inputs: dict[str, TensorShape],
        prefix: str,
        scope: Scope,
        infos: list[LayerInfo],
        seen: set[str],
    ) -> None:
        """Infer one layer of a list into ``scope`` and ``infos``."""
        if name in seen or name in inputs:
            check_name(node, name, prefix, seen, inputs)
        seen.add(name)
        written = node.written
        primitive = None if written.is_block else primitives().get(node.kind_name)
        learned = primitive is not None and primitive.learned is not None
        if written.sources is None and not learned:  # the common case: it reads the layer before it
            last = scope.last
            shape = scope.tensors.get(last)
            if shape is not None and shape.batched:  # else the general path below says why not
                scope.reads.add(last.partition(".")[0])
                info = self._infer(node, name, prefix + name, [shape], (last,))
                infos.append(info)
                scope.add(name, info.output, written.span, info.named_outputs)
                return
        later = itertools.islice(nodes, index + 1, None)  # read on an error only
        sources, shapes = scope.resolve(node, name, later, reads=not learned)
        check_batched(node, primitive, prefix + name, sources, shapes)
        info = self._infer(node, name, prefix + name, shapes, sources)
        infos.append(info)
        scope.add(name, info.output, node.span, info.outputs_by_name)

    def sequence(self, nodes: tuple[BoundLayer, ...], x: TensorShape, prefix: str) -> list[LayerInfo]:
        """The layers of a plain list on one input (see :meth:`flow`)."""
        return list(self.flow(nodes, {DEFAULT_INPUT: x}, prefix, (), None).layers)

    def _spend(self, budget: Budget, count: int, node: BoundLayer, path: str) -> None:
        try:
            budget.spend(count)
        except RuleError as error:
            raise InferenceStopped(
                Diagnostic(error.code, error.message, self._written_span(node), path, error.hint)
            ) from None

    def _written_span(self, node: BoundLayer) -> Span:
        """The node's span if the user wrote it, else the innermost call the user wrote."""
        return written_span(self._stack, node)

    def _infer(
        self, node: BoundLayer, name: str, path: str, shapes: list[TensorShape], sources: tuple[str, ...]
    ) -> LayerInfo:
        if node.written.is_block:
            return self._instantiate(node, name, path, shapes, sources)
        if not self._stack and self.compilation.reuse.shallow:  # a layer of a member's own list
            return self._member_layer(node, name, path, shapes, sources)
        return self._run_rule(node, name, path, shapes, sources)

    def _run_rule(
        self, node: BoundLayer, name: str, path: str, shapes: list[TensorShape], sources: tuple[str, ...]
    ) -> LayerInfo:
        """The layer of a primitive: its rule run on ``shapes`` (a group's runs its layers)."""
        x = shapes[0] if shapes else TensorShape((), batched=False)  # a learned tensor reads nothing
        written = node.written
        layers = self.layers
        if layers.used < layers.limit:  # Budget.spend, inline: one more layer, within the budget
            layers.used += 1
        else:
            self._spend(layers, 1, node, path)
        primitive: Primitive = primitives()[node.kind_name]
        assert primitive.infer is not None, node.kind_name
        learned = primitive.learned is not None
        if shapes and (learned or len(shapes) > primitive.reads):  # else nothing to refuse
            check_reads(node, primitive, shapes, path)
        frame = _Frame(path, node, [], tuple(shapes), sources)
        self._stack.append(frame)
        try:
            result = primitive.infer(node.params, x, self)
            if x.integer or len(shapes) > 1:  # integers (token ids) in: typed as PyTorch types them
                result = typed(primitive.integers, node.kind_name, node.params, shapes, result)
        except RuleError as error:
            raise InferenceStopped(locate(self._stack, error, path, x)) from None
        finally:
            self._stack.pop()
        shape = result.shape
        if not is_concrete_shape(shape):
            shape = self.compilation.shared(shape)  # first: the count below then compares by identity
            self._spend(self.symbolic, new_symbolic_dims(x, shape), node, path)
        macs = result.macs if type(result.macs) is int else self.compilation.share(result.macs)
        functional = learned or (primitive.join is not None and (primitive.build is None or len(shapes) > 1))
        several = {str(i): shape for i, shape in enumerate(result.outputs)} if result.outputs else None
        return layer_info(
            path=path,
            name=name,
            primitive=node.kind_name,
            params=node.params,
            input=x,
            output=shape,
            own_params=result.num_params,
            children=tuple(frame.children),
            span=written.span,
            batch_statistics=result.batch_statistics,
            own_macs=macs,
            own_workspace=result.workspace,
            sources=sources,
            outputs=frame.outputs,
            inputs=tuple(shapes[1:]),
            reads_by_name=written.sources is not None,
            functional=functional,
            named_outputs=several,
            learned=learned,
        )


def input_shape(dims: tuple[int | str, ...], dtype: str = "float32") -> TensorShape:
    """The spec's input dims, with symbol names turned into symbols (of integers:
    token ids, for an input declared int64)."""
    sizes = tuple(make_symbol(d) if isinstance(d, str) else d for d in dims)
    return TensorShape(sizes, integer=dtype == "int64")


def infer_flow(
    spec: Spec,
    inputs: dict[str, TensorShape],
    nodes: tuple[BoundLayer, ...],
    compilation: Compilation | None = None,
    recover: bool = False,
) -> Flow:
    """The shaped layers of the (expanded) spec for its inputs, and what it returns;
    raises InferenceStopped. ``recover``: go on past a failed layer with those that do
    not read it, recording each problem in ``compilation.problems`` (the compile does;
    the valid-size probes, which only ask whether a size works, do not)."""
    where = spec.source.span(("outputs",)) if ("outputs",) in spec.source.keys else None
    context = Context(compilation or Compilation(spec))
    return context.flow(nodes, inputs, "", spec.outputs, where, recover=recover)


def expand_spec(spec: Spec, compilation: Compilation | None = None) -> tuple[BoundLayer, ...]:
    """The spec's top-level layers, expanded (a family's with its values bound); raises SpecError."""
    if spec.arguments is None:
        assert spec.family is not None
        raise unbound_error(spec.family)
    compilation = compilation or Compilation(spec)
    reuse = compilation.reuse
    if spec.family is None:
        return expand(spec, spec.layers, spec.arguments, compilation.expanded, memo=reuse.params)
    return expand_member(spec, spec.arguments, compilation.expanded, reuse.params, reuse.expansions)
