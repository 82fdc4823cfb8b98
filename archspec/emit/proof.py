"""Prove that a block's generic program makes, at every call, what ``build`` makes.

The program of a block (``archspec.emit.program``) is run once per call of the
block in the compiled graph, in step with the layers the compiler inferred for
that call: each statement must meet the next inferred layer, with the same
name, and its module template, evaluated with the call's arguments (by the
same expression evaluator the compiler uses), must equal the module the
primitive's builder makes for that layer. The channels a layer leaves are
learnt from the shape rules' results: a first run records them, and each
layer keeps the one of its int parameters (as code) that agrees with every
call; a second run carries the chosen channels from layer to layer, as the
printed constructor will, and checks each layer's input channels and the
block's output. Any difference is :class:`NotGeneric`: the block is then
written out per call instead, from the graph itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from archspec.compiler.graph import LayerInfo
from archspec.emit.choices import FIRST, SUM, UNCHANGED, Choices, preferred
from archspec.emit.inplace import in_place_ids
from archspec.emit.program import (
    CallBlock,
    For,
    Group,
    If,
    Join,
    Leaf,
    Merge,
    NotGeneric,
    Program,
    Statement,
)
from archspec.emit.pycode import CHANNELS, Code
from archspec.frontend.expr import ExprError, substitute
from archspec.frontend.model import ValidationError
from archspec.primitives.registry import ModuleCall, Omittable, lookup
from archspec.shapes.dims import is_concrete


def block_env(call: LayerInfo) -> dict[str, Any]:
    """The names a block's expressions see at this call, as the compiler binds them."""
    assert call.args is not None
    env: dict[str, Any] = call.args.model_dump(exclude={"name"})
    if is_concrete(call.input.channels):
        env["in_channels"] = call.input.channels
    return env


Proven = Mapping[str, tuple[Program, Choices]]
"""The blocks already proven generic, by name: a program calls them as classes."""


def prove(program: Program, calls: list[LayerInfo], callees: Proven) -> Choices:
    """The channel choices under which ``program`` equals every call; NotGeneric if none."""
    learnt: dict[int, list[Any]] = {}
    for call in calls:
        _Run(program, learnt, None, callees).call(call, block_env(call))
    choices = {key: viable[0] for key, viable in learnt.items() if viable}
    empty = [key for key, viable in learnt.items() if not viable]
    if empty:
        raise NotGeneric("a layer changes the channels in a way none of its parameters states")
    for call in calls:
        _Run(program, learnt, choices, callees).call(call, block_env(call))
    return choices


class _Run:
    """One run of a program in step with one call's inferred layers.

    ``choices`` None: the learning run (channels are read from the graph);
    else the checking run (channels are carried by the choices)."""

    def __init__(
        self, program: Program, learnt: dict[int, list[Any]], choices: Choices | None, callees: Proven
    ) -> None:
        self.program, self.learnt, self.choices, self.callees = program, learnt, choices, callees
        self.in_place: frozenset[int] = frozenset()  # the layers of the call that run in place

    def call(self, call: LayerInfo, env: Mapping[str, Any]) -> Any:
        """Run the program for one call (``env``: its arguments); the channels it gives."""
        if self.program.kind == "flow":
            from archspec.emit.flowprogram import run_flow  # it runs its layers with this run's steps

            return run_flow(self, call, env)
        channels = call.input.channels
        self.in_place = in_place_ids(call)
        items = self.count(self.program.body, env)
        if self.program.kind != "sequence" and items == 1:
            channels = self.run(self.program.body, env, channels, iter([call]), [], check_name=False)
        else:
            if call.block is None or len(call.children) != items:
                raise NotGeneric("the layers of a call differ from the block's body")
            channels = self.run(self.program.body, env, channels, iter(call.children), [])
        self.expect(channels == call.output.channels, "the output channels differ at a call")
        return channels

    def expect(self, condition: bool, reason: str) -> None:
        if not condition:
            raise NotGeneric(reason)

    def value(self, code: Any, env: Mapping[str, Any], channels: Any) -> Any:
        """A template value at this call: code evaluated, lists and tuples item by item."""
        if code is CHANNELS:
            return channels
        if isinstance(code, Code):
            if code.source is None:
                raise NotGeneric(f"the module depends on {code.text}")
            try:
                return substitute(code.source, env)
            except ExprError as error:
                raise NotGeneric(f"an expression cannot be evaluated here: {error}") from None
        if isinstance(code, list | tuple):
            return type(code)(self.value(item, env, channels) for item in code)
        return code

    def count(self, statements: tuple[Statement, ...], env: Mapping[str, Any]) -> int:
        """How many layers the statements make at this call."""
        total = 0
        for statement in statements:
            if isinstance(statement, For):
                n = self.value(statement.count, env, None)
                first = statement.first if statement.first is not None else statement.body
                total += self.count(first, env) + (n - 1) * self.count(statement.body, env)
            elif isinstance(statement, If):
                taken = statement.then if self.value(statement.test, env, None) else statement.otherwise
                total += self.count(taken, env)
            else:
                total += 1
        return total

    def run(
        self,
        statements: tuple[Statement, ...],
        env: Mapping[str, Any],
        channels: Any,
        layers: Iterator[LayerInfo],
        names: list[str],
        check_name: bool = True,
        named: str | None = None,
    ) -> Any:
        """Run ``statements`` on the next layers of ``layers``; ``named``: the name a
        repeat gives its copy (one layer)."""
        if named is not None and (len(statements) != 1 or isinstance(statements[0], For | If)):
            raise NotGeneric("a repeat names copies that are not one layer")
        for statement in statements:
            if isinstance(statement, For):
                n = self.value(statement.count, env, None)
                first = statement.first if statement.first is not None else statement.body
                start = self.value(statement.start, env, None)
                for index, copy in enumerate([first, *[statement.body] * (n - 1)]):
                    named = None if statement.prefix is None else f"{statement.prefix}{start + index}"
                    channels = self.run(copy, env, channels, layers, names, check_name, named)
                continue
            if isinstance(statement, If):
                taken = statement.then if self.value(statement.test, env, None) else statement.otherwise
                channels = self.run(taken, env, channels, layers, names, check_name)
                continue
            layer = next(layers, None)
            if layer is None:
                raise NotGeneric("a call has fewer layers than the block's body makes")
            name = named or statement.name or str(len(names))
            names.append(name)
            self.expect(not check_name or layer.name == name, "a layer's name differs at a call")
            if self.choices is None:
                channels = layer.input.channels
            self.expect(channels == layer.input.channels, "the channels into a layer differ at a call")
            channels = self.layer(statement, env, channels, layer)
        return channels

    def layer(self, statement: Statement, env: Mapping[str, Any], channels: Any, layer: LayerInfo) -> Any:
        if isinstance(statement, CallBlock):
            return self.call_block(statement, env, channels, layer)
        if isinstance(statement, Group):
            items = self.count(statement.body, env)
            self.expect(len(layer.children) == items, "a group's layers differ at a call")
            self.expect(_module_call(layer).cls == "Sequential", "a group differs at a call")
            return self.run(statement.body, env, channels, iter(layer.children), [])
        if isinstance(statement, Merge):
            return self.merge(statement, env, channels, layer)
        if isinstance(statement, Join):
            raise NotGeneric("a merge of named tensors outside a list that reads named tensors")
        assert isinstance(statement, Leaf)
        made = self.evaluate(statement.template, env, channels)
        real = _module_call(layer, id(layer) in self.in_place)
        self.expect(_same(made, real), f"the module of {statement.node.kind_name} differs")
        return self.after(statement, env, channels, layer.output.channels)

    def call_block(
        self, statement: CallBlock, env: Mapping[str, Any], channels: Any, layer: LayerInfo
    ) -> Any:
        """The callee's own program, run at this call with the arguments the caller's
        code passes: the layer may be the callee's, or (where the caller's body is
        that one call) the caller's own, which the compiler made of the callee's."""
        if statement.block not in self.callees:
            raise NotGeneric(f"it calls {statement.block}, which is written out per call")
        program, choices = self.callees[statement.block]
        if program.flow is not None and len(program.flow.inputs) > 1:
            raise NotGeneric(f"it calls {statement.block}, whose inputs after the first it cannot pass")
        args = {key: self.value(code, env, channels) for key, code in statement.args}
        try:
            bound = program.block.params.model_validate(args).model_dump(exclude={"name"})
        except ValidationError:
            raise NotGeneric(f"the arguments of a call of {statement.block} do not validate") from None
        if is_concrete(channels):
            bound["in_channels"] = channels
        return _Run(program, {}, choices, self.callees).call(layer, bound)

    def merge(self, statement: Merge, env: Mapping[str, Any], channels: Any, layer: LayerInfo) -> Any:
        self.expect(len(layer.children) == len(statement.branches), "a merge differs at a call")
        outs = []
        for index, (branch, part) in enumerate(zip(statement.branches, layer.children, strict=True)):
            items = self.count(branch, env)
            if items == 0:
                self.expect(part.name == str(index) and not part.children, "an empty branch differs")
                outs.append(channels)
            elif items == 1:
                names: list[str] = []
                outs.append(self.run(branch, env, channels, iter([part]), names, check_name=False))
                expected = str(index) if names[0].isdigit() else names[0]
                self.expect(part.name == expected, "a branch's name differs at a call")
            else:
                self.expect(part.name == str(index) and len(part.children) == items, "a branch differs")
                outs.append(self.run(branch, env, channels, iter(part.children), []))
        made = _module_call(layer)
        self.expect(made.cls == statement.cls, "a merge's module differs at a call")
        options = {SUM: sum(outs), FIRST: outs[0]}
        return self.learn(statement, options, layer.output.channels)

    def after(self, statement: Leaf, env: Mapping[str, Any], channels: Any, out: Any) -> Any:
        options = {UNCHANGED: channels}
        for code in statement.candidates:
            options.setdefault(code, self.value(code, env, channels))
        return self.learn(statement, options, out)

    def learn(self, statement: Statement, options: dict[Any, Any], out: Any) -> Any:
        """Learning: keep the options that give ``out``. Checking: the chosen one's value."""
        key = id(statement)
        if self.choices is None:
            agree = [option for option, value in options.items() if value == out]
            viable = self.learnt.setdefault(key, preferred(agree))
            self.learnt[key] = [option for option in viable if option in agree]
            return out
        return options[self.choices[key]]

    def evaluate(self, template: ModuleCall, env: Mapping[str, Any], channels: Any) -> ModuleCall:
        return ModuleCall(
            template.cls,
            tuple(self.value(a, env, channels) for a in template.args),
            tuple((k, self.value(v, env, channels)) for k, v in template.kwargs),
            template.children,
            template.defaults,
        )


def _module_call(layer: LayerInfo, in_place: bool = False) -> ModuleCall:
    primitive = lookup(layer.primitive)
    assert primitive is not None, layer.primitive
    return primitive.module_call(layer.params, layer.input, in_place)


def _normal(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    return value


def _same(made: ModuleCall, real: ModuleCall) -> bool:
    """The same module: class, arguments, and keyword arguments once torch's defaults
    are left out of both (a template keeps ``stride=stride`` even where it is 1)."""

    def kwargs(call: ModuleCall) -> dict[str, Any]:
        defaults = dict(call.defaults)
        return {
            k: _normal(v)
            for k, v in call.kwargs
            if not (k in defaults and Omittable(_normal(v), defaults[k]).omitted)
        }

    return (
        made.cls == real.cls
        and made.children == real.children
        and _normal(made.args) == _normal(real.args)
        and kwargs(made) == kwargs(real)
    )
