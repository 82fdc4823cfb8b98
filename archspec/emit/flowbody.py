"""The class of a block whose layers read named tensors, printed from its proven program.

As torchvision writes its ``Bottleneck``: a constructor that takes the block's
parameters and makes each layer as an attribute of its name (``self.conv1 =
nn.Conv2d(channels, …)``, an ``if`` where the YAML has one), and the forward
that every call shares (``archspec.emit.flowprogram`` proved both). The
channels of a tensor that a later layer reads, other than the one right after
it, are kept in a variable of its name (``bn3_channels``).
"""

from __future__ import annotations

from archspec.emit.blockbody import BlockWriter, Emitter, argument
from archspec.emit.choices import SUM, Choices
from archspec.emit.flowforward import Forward
from archspec.emit.flowprogram import FlowShape, channel_names
from archspec.emit.flowsource import is_attribute
from archspec.emit.pretty import Call, Node, Pair, Raw, render
from archspec.emit.program import CallBlock, If, Join, Program, Statement
from archspec.emit.pycode import Code, camel, docstring_lines, if_line, value_text, wrapped


class FlowWriter(BlockWriter):
    """Writes one generic class of a block whose layers read named tensors."""

    def __init__(self, emitter: Emitter, program: Program, choices: Choices, forward: Forward) -> None:
        super().__init__(emitter, program, choices)
        self.forward = forward
        self.flow: FlowShape = program.flow
        self.widths = channel_names(self.flow)
        self.current = self.flow.inputs[0]  # the tensor whose channels ``channels`` holds
        self.layer_name = ""  # the attribute the statement being written makes
        self.kept = self._kept()

    def text(self) -> str:
        block = self.program.block
        define = Call("def __init__", tuple(Raw(p) for p in ["self", *self.signature()]))
        self.lines = [
            f"class {camel(block.name)}(nn.Module):",
            *docstring_lines(f"{block.name}: {block.summary}", 1),
            "",
            render(define, 1, "", " -> None:"),
        ]
        self.emit(2, "super().__init__()")
        self.emit(2, "channels = in_channels")
        self.statements(self.program.body, 2)
        if len(self.flow.outputs) == 1:  # a block that returns several is no caller's input
            self.emit(2, f"self.out_channels = {self.width(self.flow.outputs[0])}")
        return "\n".join([*self.lines, "", *self.forward.lines])

    def signature(self) -> list[str]:
        """``in_channels``, then the channels of each other input (``skip_channels``)."""
        first, *rest = super().signature()
        return [first, *(f"{self.widths[name]}: int" for name in self.flow.inputs[1:]), *rest]

    def width(self, tensor: str) -> str:
        return "channels" if tensor == self.current else self.widths[tensor]

    def reads(self, statement: Statement) -> tuple[str, ...]:
        """The tensors whose channels the statement's module (or a merge's result) needs."""
        sources = self.flow.sources[id(statement.node)]  # type: ignore[union-attr]
        summed = isinstance(statement, Join) and self.choices[id(statement)] == SUM
        return sources if summed else sources[:1]

    def _kept(self) -> set[str]:
        """The tensors read where ``channels`` holds another's: each gets a variable."""
        kept: set[str] = set()

        def visit(statements: tuple[Statement, ...], current: str) -> str:
            for statement in statements:
                if isinstance(statement, If):
                    visit(statement.then, current)
                    current = visit(statement.otherwise, current)
                    continue
                kept.update(s for s in self.reads(statement) if s != current)
                current = self.flow.names[id(statement.node)]  # type: ignore[union-attr]
            return current

        visit(self.program.body, self.flow.inputs[0])
        return kept - set(self.flow.inputs)

    def statements(self, statements: tuple[Statement, ...], indent: int) -> None:
        for statement in statements:
            if isinstance(statement, If):
                first = {self._first_read(statement.then), self._first_read(statement.otherwise)}
                if len(first) == 1 and None not in first and first != {self.current}:
                    read = first.pop()  # both branches start from the same tensor: say so once
                    self.emit(indent, f"channels = {self.width(read)}")
                    self.current = read
                start = self.current
                test = (
                    value_text(statement.test) if isinstance(statement.test, Code) else repr(statement.test)
                )
                flag = self.forward.flags.get(id(statement))
                if flag is not None:  # the forward takes the branch too: keep the test
                    self.lines.append(wrapped(test, indent, f"self.{flag} = ", "", f"self.{flag} = (", ")"))
                    test = f"self.{flag}"
                self.lines.append(if_line(test, indent))
                self._branch(statement.then, indent + 1)
                if statement.otherwise:
                    self.current = start
                    self.emit(indent, "else:")
                    self._branch(statement.otherwise, indent + 1)
                continue
            name = self.flow.names[id(statement.node)]  # type: ignore[union-attr]
            reads = self.reads(statement)
            if isinstance(statement, Join):
                total = " + ".join(self.width(s) for s in reads)
                if total != "channels":
                    self.lines.append(wrapped(total, indent, "channels = ", "", "channels = (", ")"))
            else:
                if reads[0] != self.current:
                    self.emit(indent, f"channels = {self.width(reads[0])}")
                self.layer_name = name
                if isinstance(statement, CallBlock) and is_attribute(name):
                    self._block_call(statement, name, indent)
                else:
                    self.sequence((statement,), "self", "channels", indent)
            self.current = name
            if name in self.kept:
                self.emit(indent, f"{self.widths[name]} = channels")

    def _branch(self, statements: tuple[Statement, ...], indent: int) -> None:
        """A branch of an ``if``; ``pass`` where it makes no module (a merge of named
        tensors whose channels are those the branch starts from)."""
        before = len(self.lines)
        self.statements(statements, indent)
        if len(self.lines) == before:
            self.emit(indent, "pass")

    def _block_call(self, statement: CallBlock, name: str, indent: int) -> None:
        """``self.branch1 = BasicConv2d(channels, …)``, then its output's channels."""
        args = [Raw("channels")] + [Pair(k, argument(v)) for k, v in statement.args]
        call = Call(self.emitter.callable_name(statement.block), tuple(args))
        self.lines.append(render(call, indent, f"self.{name} = "))
        self.emit(indent, f"channels = self.{name}.out_channels")

    def _first_read(self, statements: tuple[Statement, ...]) -> str | None:
        """The tensor whose channels the first layer of ``statements`` takes, if a module's."""
        if not statements or isinstance(statements[0], If | Join):
            return None
        return self.reads(statements[0])[0]

    def _add(self, target: str, module: Node, name: str | Code | None, indent: int) -> None:
        if target != "self":  # a layer of a group or a branch inside the named layer
            super()._add(target, module, name, indent)
        elif is_attribute(self.layer_name):
            self.lines.append(render(module, indent, f"self.{self.layer_name} = "))
        else:
            self.emit(indent, Call("self.add_module", (Raw(f'"{self.layer_name}"'), module)))
