"""The constructor of one block, printed from its proven program (see blockclass).

The statements come from ``archspec.emit.program``; the channels after each
layer are the choices ``archspec.emit.proof`` proved at every call, so the
printed ``channels = …`` lines are the shape rules' results, not guesses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from archspec.emit.choices import FIRST, SUM, UNCHANGED, Choices, unobserved_choice
from archspec.emit.exprtext import unparse
from archspec.emit.flowsource import code_node
from archspec.emit.pretty import Call, Node, Pair, Raw, literal, render
from archspec.emit.program import CallBlock, For, Group, If, Leaf, Merge, Program, Statement
from archspec.emit.pycode import (
    CHANNELS,
    Code,
    annotation_text,
    call_node,
    camel,
    docstring_lines,
    if_line,
    value_text,
    wrapped,
)
from archspec.primitives.registry import ModuleCall, own_classes


class Emitter(Protocol):
    """What a block's writer needs of the emitter that collects the file's blocks."""

    merges_used: set[str]
    uses_ordered_dict: bool

    def callable_name(self, name: str) -> str: ...


class BlockWriter:
    """Writes one block's class (or function), statement by statement."""

    def __init__(self, emitter: Emitter, program: Program, choices: Choices) -> None:
        self.emitter, self.program, self.choices = emitter, program, choices
        self.lines: list[str] = []
        self.fresh = 0
        self.merges = 0

    def var(self, stem: str) -> str:
        self.fresh += 1
        return f"{stem}{self.fresh}"

    def emit(self, indent: int, text: str | Node) -> None:
        self.lines.append(render(text if not isinstance(text, str) else Raw(text), indent))

    def choice(self, statement: Statement) -> Any:
        return self.choices.get(id(statement), unobserved_choice(statement))

    def signature(self) -> list[str]:
        """The constructor's parameters: the input's channels, then the block's, by keyword."""
        params = self.program.block.params.model_fields
        signature = ["in_channels: int", "*"] if params.keys() - {"name"} else ["in_channels: int"]
        for key, field in params.items():
            if key == "name":
                continue
            annotation = annotation_text(field.annotation)
            default = "" if field.is_required() else f" = {literal(field.default)}"
            signature.append(f"{key}: {annotation}{default}")
        return signature

    def text(self) -> str:
        program = self.program
        block, kind = program.block, program.kind
        signature = self.signature()
        summary = f"{block.name}: {block.summary}"
        if kind == "function":
            define = Call(f"def {block.name}", tuple(Raw(p) for p in signature))
            self.lines = [render(define, 0, "", " -> nn.Module:"), *docstring_lines(summary, 1)]
            indent = 1
        else:
            head = f"class {camel(block.name)}({self._base()}):"
            define = Call("def __init__", tuple(Raw(p) for p in ["self", *signature]))
            self.lines = [head, *docstring_lines(summary, 1), "", render(define, 1, "", " -> None:")]
            indent = 2
        self.emit(indent, "channels = in_channels")
        if kind == "single":
            self._single(program.body[0], indent)
        else:
            self.emit(indent, "layers = OrderedDict()")
            self.emitter.uses_ordered_dict = True
            self.sequence(program.body, "layers", "channels", indent)
            if kind == "function":
                self.emit(
                    indent, 'module = _branch("0", layers)[1] if len(layers) == 1 else nn.Sequential(layers)'
                )
                self.emit(indent, "module.out_channels = channels")
                self.emit(indent, "return module")
            else:
                self.emit(indent, "super().__init__(layers)")
                self.emit(indent, "self.out_channels = channels")
        return "\n".join(self.lines)

    def _base(self) -> str:
        if self.program.kind == "sequence":
            return "nn.Sequential"
        statement = self.program.body[0]
        if isinstance(statement, Merge):
            self.emitter.merges_used.add(statement.cls)
            return statement.cls
        if isinstance(statement, Group):
            return "nn.Sequential"
        assert isinstance(statement, Leaf)
        return self._leaf_call(statement.template).func

    def _leaf_call(self, template: ModuleCall) -> Call:
        """A layer's call; a class of archspec's own (a primitive's runtime=) is written
        into the file too, as a merge's is."""
        if template.cls in own_classes():
            self.emitter.merges_used.add(template.cls)
        return call_node(template)

    def _single(self, statement: Statement, indent: int) -> None:
        if isinstance(statement, Merge):
            branches = self.merge(statement, "channels", indent)
            self.emit(indent, f"super().__init__({branches})")
        elif isinstance(statement, Group):
            self.emit(indent, "layers = OrderedDict()")
            self.emitter.uses_ordered_dict = True
            self.sequence(statement.body, "layers", "channels", indent)
            self.emit(indent, "super().__init__(layers)")
        else:
            assert isinstance(statement, Leaf)
            self.emit(indent, Call("super().__init__", call_node(statement.template).args))
            self._channels_line(statement, "channels", indent)
        self.emit(indent, "self.out_channels = channels")

    def _channels_line(self, statement: Leaf, channels: str, indent: int) -> None:
        chosen = self.choice(statement)
        if chosen != UNCHANGED:
            self.emit(indent, f"{channels} = {value_text(chosen)}")

    def sequence(
        self,
        statements: tuple[Statement, ...],
        target: str,
        channels: str,
        indent: int,
        named: Code | None = None,
    ) -> None:
        """Print ``statements``, adding their layers to ``target``; ``named``: the name (as
        code) a numbered repeat gives its copy."""
        for statement in statements:
            if isinstance(statement, For) and statement.prefix is not None:
                self._numbered(statement, target, channels, indent)
            elif isinstance(statement, For):
                count = value_text(statement.count)
                if statement.first:
                    self.sequence(statement.first, target, channels, indent)
                    count = f"{count} - 1"
                self.lines.append(wrapped(count, indent, "for _ in range(", "):"))
                self.sequence(statement.body, target, channels, indent + 1)
            elif isinstance(statement, If):
                test = (
                    value_text(statement.test) if isinstance(statement.test, Code) else repr(statement.test)
                )
                self.lines.append(if_line(test, indent))
                if statement.then:
                    self.sequence(statement.then, target, channels, indent + 1)
                else:
                    self.emit(indent + 1, "pass")
                if statement.otherwise:
                    self.emit(indent, "else:")
                    self.sequence(statement.otherwise, target, channels, indent + 1)
            elif isinstance(statement, CallBlock):
                module = self.var("block")
                args = [Raw(channels)] + [Pair(k, argument(v)) for k, v in statement.args]
                call = Call(self.emitter.callable_name(statement.block), tuple(args))
                self.lines.append(render(call, indent, f"{module} = "))
                self._add(target, Raw(module), named or statement.name, indent)
                self.emit(indent, f"{channels} = {module}.out_channels")
            elif isinstance(statement, Merge):
                branches = self.merge(statement, channels, indent)
                self._add(target, Call(statement.cls, (Raw(branches),)), named or statement.name, indent)
                self.emitter.merges_used.add(statement.cls)
            elif isinstance(statement, Group):
                inner = self.var("group")
                self.emit(indent, f"{inner} = OrderedDict()")
                self.sequence(statement.body, inner, channels, indent)
                self._add(target, Call("nn.Sequential", (Raw(inner),)), named or statement.name, indent)
            else:
                assert isinstance(statement, Leaf)
                self._add(
                    target,
                    self._leaf_call(_carrying(statement.template, channels)),
                    named or statement.name,
                    indent,
                )
                self._channels_line(statement, channels, indent)

    def _numbered(self, statement: For, target: str, channels: str, indent: int) -> None:
        """A repeat that names its copies ``prefix`` + number: the first, then a loop over
        the numbers of the others (``for number in range(2, num_layers + 1)``)."""
        start = statement.start
        assert isinstance(start, int) and not isinstance(start, bool)  # build_program checked
        first = statement.first or statement.body
        self.sequence(first, target, channels, indent, Code(f'"{statement.prefix}{start}"'))
        count = value_text(statement.count)
        count = count if count.isidentifier() or count.isdigit() else f"({count})"
        end = f"{count} + {start}" if start else count
        self.lines.append(wrapped(f"{start + 1}, {end}", indent, "for number in range(", "):"))
        body = Code(f'f"{statement.prefix}{{number}}"')
        self.sequence(statement.body, target, channels, indent + 1, body)

    def _add(self, target: str, module: Node, name: str | Code | None, indent: int) -> None:
        text = name.text if isinstance(name, Code) else literal(name) if name else None
        args = (Raw(target), module, *((Raw(text),) if text else ()))
        self.emit(indent, Call("_add", args))

    def merge(self, statement: Merge, channels: str, indent: int) -> str:
        self.merges += 1
        tag = "" if self.merges == 1 else f"_{self.merges}"
        branches = f"branches{tag}"
        self.emit(indent, f"{branches} = {{}}")
        outs = []
        for index, branch in enumerate(statement.branches):
            layers, width = f"branch{index}{tag}", f"channels{index}{tag}"
            self.emit(indent, f"{layers}, {width} = OrderedDict(), {channels}")
            self.sequence(branch, layers, width, indent)
            self.emit(indent, f"name, module = _branch({literal(str(index))}, {layers})")
            self.emit(indent, f"{branches}[name] = module")
            outs.append(width)
        chosen = self.choice(statement)
        assert chosen in (SUM, FIRST), chosen
        self.emit(indent, f"{channels} = {' + '.join(outs) if chosen == SUM else outs[0]}")
        self.emitter.uses_ordered_dict = True
        return branches


def argument(value: Any) -> Node:
    """A block call's argument as code, split as ruff format splits a long one."""
    return code_node(value_text(value), leaf=unparse)


def _carrying(template: ModuleCall, channels: str) -> ModuleCall:
    """The template with the channel count read from the variable ``channels``
    (``channels0`` inside a merge's first branch)."""

    def swap(value: Any) -> Any:
        if value is CHANNELS:
            return Code(channels)
        if isinstance(value, list | tuple):
            return type(value)(swap(v) for v in value)
        return value

    return replace(
        template,
        args=tuple(swap(a) for a in template.args),
        kwargs=tuple((k, swap(v)) for k, v in template.kwargs),
    )
