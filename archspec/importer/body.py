"""One module's forward as a list of layers: its fx graph read node by node.

A call of a child is a layer named after the child's attribute (a primitive, a
``sequential`` for a named nn.Sequential, else a call of a user class, which becomes a
block); a function or tensor method is the primitive that declares it. A layer reads the
one before it; where the graph is not a chain it reads named tensors (``from:``).
Whatever no layer expresses is a problem, reported with the module's path and the line of
the forward that does it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from torch import fx, nn

from archspec.codes import E623
from archspec.diagnostics import Diagnostic
from archspec.importer.mapping import Readers, full_params, read_call, read_module
from archspec.importer.nodes import (
    call_site,
    function_name,
    is_batch,
    is_layer_name,
    is_shape,
    join,
    marked,
    rank,
    shape,
)
from archspec.importer.trace import Recorded, propagate, trace
from archspec.importer.tree import Instance, Layer
from archspec.primitives.activation import IDENTITY
from archspec.primitives.reads import TorchCall, Unreadable
from archspec.primitives.registry import lookup
from archspec.primitives.sequential import SEQUENTIAL


@dataclass
class Context:
    readers: Readers
    recorded: Recorded
    problems: list[Diagnostic] = field(default_factory=list)

    def problem(self, path: str, message: str, node: fx.Node | None = None, hint: str | None = None) -> None:
        site = call_site(node)
        self.problems.append(Diagnostic(E623, message + (f" (at {site})" if site else ""), None, path, hint))


def input_names(arity: int | None) -> list[str] | None:
    """A block's inputs where its module is called on a list of ``arity`` tensors."""
    return None if arity is None else ["input", *(f"input_{i}" for i in range(1, arity))]


def translate(module: nn.Module, path: str, ctx: Context, arity: int | None = None) -> list[Layer]:
    """The layers of ``module``'s forward (``path`` is its place in the model; ``arity``:
    how many tensors the list it is called on holds, None for one tensor)."""
    traced = trace(module, path, ctx.readers.wrapped)
    propagate(traced, ctx.recorded, module)
    nodes = list(traced.graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        ctx.problem(
            path,
            f"{type(module).__qualname__}.forward takes {len(inputs)} inputs; archspec "
            "imports a module of one tensor",
        )
        return []
    state = _Body(module, path, ctx, inputs[0], arity)
    for node in nodes:
        state.read(node)
    return state.finish()


class _Body:
    def __init__(
        self, module: nn.Module, path: str, ctx: Context, input_node: fx.Node, arity: int | None
    ) -> None:
        self.arity = arity
        self.module, self.path, self.ctx = module, path, ctx
        self.input = input_node
        self.layers: dict[fx.Node, Layer] = {}
        self.before: dict[fx.Node, list[Layer]] = {}
        self.parts: dict[fx.Node, fx.Node] = {}
        self.read_tensors: set[str] = set()
        self.shapes: set[fx.Node] = set()
        self.batch: set[fx.Node] = set()
        self.called: set[int] = set()
        self.result: Any = None
        self.taken = {name for name, _ in module.named_children()}
        self.ok = True

    def problem(
        self, message: str, node: fx.Node | None = None, hint: str | None = None, path: str | None = None
    ) -> None:
        self.ok = False
        self.ctx.problem(self.path if path is None else path, message, node, hint)

    def read(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            return
        if node.op == "output":
            self.result = node.args[0]
            return
        if node.op == "get_attr":
            layer = self.tensor_layer(node)
            if layer is not None:
                self.layers[node] = layer
        elif node.op == "call_function" and node.target is operator.getitem and node.args[0] in self.layers:
            self.parts[node] = node.args[0]  # one tensor of a layer that makes several (chunk.1)
        elif is_shape(node):
            self.shapes.add(node)
        elif is_batch(node, self.shapes):
            self.batch.add(node)
        elif node.op == "call_module":
            layer = self.module_layer(node)
            if layer is not None:
                self.layers[node] = layer
        else:
            layer = self.function_layer(node)
            if layer is not None:
                self.layers[node] = layer

    def tensor_layer(self, node: fx.Node) -> Layer | None:
        """A tensor the module holds itself (``self.layer_scale``): a learned-tensor layer."""
        target = str(node.target)
        tensor = self.module._parameters.get(target) if "." not in target else None
        if tensor is None or not self.ctx.readers.tensors:
            self.problem(f"reads its own tensor self.{target}, which is no nn.Parameter of its own", node)
            return None
        first = tensor.detach().flatten()[0]
        # the shortest decimal of the tensor's own precision (1e-06, not 9.99999997e-07)
        value = float(str(first.numpy())) if bool((tensor.detach() == first).all()) else None
        why = []
        for primitive, reader in self.ctx.readers.tensors:
            try:
                read = {**reader(tuple(tensor.shape), value), "name": target}
                _, values, defaults = full_params(primitive, read)
            except Unreadable as error:
                why.append(f"{primitive.name}: {error}")
                continue
            self.read_tensors.add(target)
            return Layer(primitive.name, target, None, values, defaults)
        self.problem(f"reads its own tensor self.{target}, " + "; ".join(why), node)
        return None

    def spread(self, value: Any) -> Any:
        """The arguments with a list input (of ``arity`` tensors) spread into its tensors,
        each the input's node as a stand-in (they are named apart by :meth:`tensors_read`)."""
        if value is self.input and self.arity is not None:
            return [self.input] * self.arity
        if isinstance(value, list | tuple):
            return type(value)(self.spread(v) for v in value)
        if isinstance(value, dict):
            return {k: self.spread(v) for k, v in value.items()}
        return value

    def tensors_read(self, node: fx.Node) -> list[fx.Node | str]:
        """What the node reads, in order: nodes, and a list input's tensors by name."""
        found: list[fx.Node | str] = []

        def visit(value: Any) -> None:
            if value is self.input and self.arity is not None:
                found.extend(input_names(self.arity))
            elif isinstance(value, fx.Node):
                if value not in self.batch and value not in self.shapes and value not in found:
                    found.append(value)
            elif isinstance(value, list | tuple):
                for v in value:
                    visit(v)
            elif isinstance(value, dict):
                for v in value.values():
                    visit(v)

        visit(node.args)
        visit(node.kwargs)
        return found

    def module_layer(self, node: fx.Node) -> Layer | None:
        target = str(node.target)
        if "." in target:
            self.problem(
                f"calls {target}, a module inside one of its children, directly (as a "
                "ModuleList's); archspec calls a module's own children only",
                node,
            )
            return None
        listed = node.args[0] if len(node.args) == 1 else None
        arity = len(listed) if isinstance(listed, list | tuple) and len(listed) > 1 else None
        if arity is not None and all(isinstance(a, fx.Node) for a in listed):  # type: ignore[union-attr]
            pass  # a list of tensors: the child is a block with several inputs (DenseNet's layers)
        elif isinstance(listed, list | tuple) and len(listed) == 1 and isinstance(listed[0], fx.Node):
            arity = 1
        elif node.kwargs or len(node.args) != 1 or not isinstance(node.args[0], fx.Node):
            given = [type(a).__name__ if not isinstance(a, fx.Node) else "a tensor" for a in node.args]
            given += [f"{key}=" for key in node.kwargs]
            self.problem(
                f"calls {target} on ({', '.join(given)}); archspec imports a module called on one tensor",
                node,
            )
            return None
        child = self.module.get_submodule(target)
        name: str | None = target
        if id(child) in self.called:
            if any(True for _ in child.parameters()) or any(True for _ in child.buffers()):
                self.problem(
                    f"calls {target} twice: its weights are shared, which no archspec layer is", node
                )
                return None
            name = None  # a second call of a module without weights: one more layer of its kind
        self.called.add(id(child))
        return self.child_layer(child, join(self.path, target), name, node, arity)

    def child_layer(
        self, child: nn.Module, path: str, name: str | None, node: fx.Node, arity: int | None
    ) -> Layer | None:
        cls = type(child)
        if arity is not None and (cls in self.ctx.readers.by_class or cls is nn.Sequential):
            self.problem(f"a {cls.__name__} called on a list of tensors", node, path=path)
            return None
        first = node.args[0][0] if isinstance(node.args[0], list | tuple) else node.args[0]
        input_shape = shape(first)  # type: ignore[arg-type]
        if cls in self.ctx.readers.by_class:
            why = []
            for primitive, reader in self.ctx.readers.by_class[cls]:
                try:
                    foreign = cls in self.ctx.readers.foreign
                    values, defaults = read_module(primitive, reader, child, input_shape, foreign)
                except Unreadable as error:
                    why.append(str(error))
                    continue
                return Layer(primitive.name, name, None, values, defaults)
            self.problem(f"a {cls.__name__} that " + "; ".join(why), node, path=path)
            return None
        if cls is not nn.Sequential and cls.__module__.startswith("torch."):
            self.problem(
                f"a {cls.__module__}.{cls.__qualname__}, which no archspec primitive is",
                node,
                hint="write this layer by hand, or add a primitive (docs/adding-a-primitive.md)",
                path=path,
            )
            return None
        body = translate(child, path, self.ctx, arity)
        if cls is nn.Sequential and name is not None and is_layer_name(name):
            return Layer(SEQUENTIAL, name, layers=body)
        return Layer("", name, instance=Instance(cls, path, body, input_names(arity)))

    def function_layer(self, node: fx.Node) -> Layer | None:
        if node.op == "call_method":
            candidates = self.ctx.readers.by_method.get(str(node.target), [])
            what = f"the tensor method .{node.target}()"
        else:
            candidates = self.ctx.readers.by_function.get(node.target, [])
            what = function_name(node.target)
        if not candidates:
            self.problem(f"calls {what}, which no archspec layer computes", node)
            return None
        tensors = {ref for ref in self.tensors_read(node) if isinstance(ref, fx.Node)}
        first = next(iter(tensors), None)
        tensors.add(self.input)  # a list input's stand-in (spread below)
        arguments = self.spread(node.args), self.spread(node.kwargs)
        call = TorchCall(
            marked(tuple(arguments[0]), tensors, self.batch),
            marked(dict(arguments[1]), tensors, self.batch),
            rank(first) if first is not None else len(self.ctx.recorded.inputs[self.module][0][0].shape),
        )
        found = read_call(candidates, call)
        if not found or isinstance(found[0], str):
            self.problem(f"calls {what} in a way no archspec layer computes: " + "; ".join(found), node)
            return None
        made = [Layer(primitive.name, None, None, values, defaults) for primitive, values, defaults in found]
        self.before[node] = made[:-1]  # layers the call makes before its own (its output is the last's)
        return made[-1]

    def name_of(self, node: fx.Node | str) -> str | None:
        if isinstance(node, str):  # a tensor of a list input, by name
            return node
        if node is self.input:
            return "input"
        if node in self.parts:
            index = node.args[1]
            whole = self.name_of(self.parts[node])
            if not isinstance(index, int) or whole is None:
                self.problem(f"takes [{index!r}] of {self.parts[node].name}; parts are read by index", node)
                return None
            return f"{whole}.{index}"
        layer = self.layers.get(node)
        if layer is None:
            self.problem(f"uses {node.name}, which is no layer's output", node)
            return None
        if layer.name is None:
            base, count = node.name, 1
            name = base
            while name in self.taken or not is_layer_name(name):
                count += 1
                name = f"{base}_{count}"
            layer.name = name
            self.taken.add(name)
        return layer.name

    def finish(self) -> list[Layer]:
        if not self.ok:
            return []
        order = list(self.layers)
        index = -1
        for node in order:  # a child named 3 is the unnamed layer at index 3
            index += 1 + len(self.before.get(node, ()))
            layer = self.layers[node]
            if layer.name is not None and layer.name.isdigit():
                if int(layer.name) != index:
                    self.problem(
                        f"calls its child {layer.name} as layer {index} of its forward; archspec "
                        "names an unnamed layer by its position",
                        node,
                    )
                layer.name = None
            elif layer.name is not None and not is_layer_name(layer.name):
                self.problem(
                    f"has a child named {layer.name!r}, which is no layer name archspec takes "
                    "(an identifier, not a keyword or an nn.Module attribute)",
                    node,
                )
        self.taken |= {layer.name for layer in self.layers.values() if layer.name}
        previous = self.input
        layers: list[Layer] = []
        for node in order:
            group = [*self.before.get(node, ()), self.layers[node]]
            first = group[0]  # reads the node's inputs; the rest of the group, each the one before
            if node.op == "get_attr":  # a learned tensor stands beside the sequence: reads nothing
                layers += group
                continue
            read = self.tensors_read(node)
            primitive = lookup(first.kind)
            # a merge or a function reads by name; upsample is a module on the tensor before it
            joins = primitive is not None and primitive.join is not None and not primitive.build
            joins = joins or (primitive is not None and primitive.merges_branches)
            if not joins and len(read) == 1 and read[0] is previous:
                first.reads = None
            else:
                names = [self.name_of(n) for n in read]
                first.reads = [n for n in names if n is not None]
            previous = node
            layers += group
        if isinstance(self.result, fx.Node) and self.result is not previous:
            # the output is not the last layer's: an identity reads it, and is last
            name = self.name_of(self.result)
            layers.append(Layer(IDENTITY, None, [name] if name else None))
        elif not isinstance(self.result, fx.Node):
            self.problem(
                f"returns {type(self.result).__name__}, not one tensor; archspec imports a "
                "module with one output"
            )
        self.unused()
        return layers if self.ok else []

    def unused(self) -> None:
        for name in self.module._parameters:
            if name not in self.read_tensors and self.module._parameters[name] is not None:
                self.problem(f"never reads its own tensor {name}, which an imported spec would lose")
        for name, child in self.module.named_children():
            weights = any(True for _ in child.parameters()) or any(True for _ in child.buffers())
            if id(child) not in self.called and weights:
                self.problem(
                    f"never calls its child {name} ({type(child).__name__}), whose weights an "
                    "imported spec would lose",
                    hint="remove the unused module, or import a model whose forward calls it",
                )
