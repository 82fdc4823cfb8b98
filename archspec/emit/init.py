"""Carrying out an init plan: on a built network (``archspec.build``,
``archspec.initialize``), and as the ``_init_weights`` method ``compile -o`` writes.

Both read the same :class:`~archspec.compiler.initplan.InitPlan`, case by case over
``named_modules()``, and call the same torch.nn.init functions, named in the fixed
table below (never looked up from spec text): for one seed they make the same
weights. torch is imported only where a network is initialised, so writing source
stays free of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archspec.codes import E209
from archspec.compiler.graph import Graph
from archspec.compiler.initplan import Case, InitPlan, Step
from archspec.diagnostics import Diagnostic, SpecError
from archspec.emit.pretty import Call, Pair, Raw, Seq, literal, render
from archspec.frontend.initcall import FUNCTIONS, InitCall

if TYPE_CHECKING:
    from torch import nn

METHOD = "_init_weights"
"""The method of the written network class that initialises its weights."""


def torch_functions() -> dict[str, Any]:
    """Each init function of a spec, as the torch.nn.init function it stands for."""
    from torch.nn import init

    return {
        "kaiming_normal": init.kaiming_normal_,
        "kaiming_uniform": init.kaiming_uniform_,
        "xavier_normal": init.xavier_normal_,
        "xavier_uniform": init.xavier_uniform_,
        "normal": init.normal_,
        "trunc_normal": init.trunc_normal_,
        "uniform": init.uniform_,
        "constant": init.constant_,
        "zeros": init.zeros_,
        "ones": init.ones_,
    }


def _positional(call: InitCall) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """torch's arguments: constant_'s value is its second positional one (``val``)."""
    kwargs = call.kwargs
    if call.function == "constant":
        return (kwargs["value"],), {}
    return (), kwargs


def apply_plan(net: nn.Module, plan: InitPlan) -> nn.Module:
    """Carry out ``plan`` on ``net`` (archspec.build's module for the plan's graph)."""
    if not plan:
        return net
    from archspec.emit.classes import module_class

    functions = torch_functions()
    cases = [(c, frozenset(c.names), tuple(module_class(k) for k in c.classes)) for c in plan.cases]
    modules = check_layers(net, plan)
    for name, module in modules:
        for case, names, classes in cases:
            if name in names or type(module) in classes:
                _apply(name, module, case.steps, functions)
                break
    return net


def check_layers(net: nn.Module, plan: InitPlan) -> list[tuple[str, nn.Module]]:
    """The modules of ``net``, by name; ValueError where a layer the plan names is missing."""
    modules = list(net.named_modules())
    present = {name for name, _ in modules}
    missing = [n for c in plan.cases for n in c.names if n not in present]
    if missing:
        raise ValueError(f"the module has no layer {missing[0]!r}: it is not the network of this spec")
    return modules


def _apply(name: str, module: nn.Module, steps: tuple[Step, ...], functions: dict[str, Any]) -> None:
    for step in steps:
        tensor = module._parameters.get(step.tensor)
        if tensor is None:
            if step.guarded:
                continue
            raise ValueError(f"{name} ({type(module).__name__}) has no tensor {step.tensor!r}")
        args, kwargs = _positional(step.call)
        functions[step.call.function](tensor, *args, **kwargs)


def learned_values(graph: Graph) -> dict[tuple[str, str], float]:
    """Each learned tensor (``parameter``) of the network, by its module's path and its
    name, with the value it starts at."""
    from archspec.emit.flowsource import learned_fill

    found = {}
    for layer in graph.layers:
        if layer.learned:
            parent, _, name = layer.path.rpartition(".")
            found[(parent, name)] = learned_fill(layer)
    return found


def reset(net: nn.Module, learned: dict[tuple[str, str], float]) -> None:
    """PyTorch's own init for every module that holds tensors, in module order (as they
    were made when built), and its value for each learned tensor (``learned``, by module
    path and name): what the plan does not set is then what ``build`` makes, also after
    ``to_empty``."""
    from torch.nn import init

    covered: list[str] = []  # modules whose reset sets their parts too (_archspec_resets_parts)
    for name, module in net.named_modules():
        if any(name.startswith(f"{outer}.") for outer in covered):
            continue
        if getattr(module, "_archspec_resets_parts", False):
            covered.append(name)
        own = [key for key in module._parameters if (name, key) in learned]
        for key in own:
            init.constant_(module._parameters[key], learned[(name, key)])  # type: ignore[arg-type]
        if len(own) == len(module._parameters) and not module._buffers:
            continue
        method = getattr(module, "reset_parameters", None)
        if method is None or own:
            raise ValueError(
                f"{name or 'the network'} ({type(module).__name__}) holds tensors but has no "
                "reset_parameters: archspec cannot give them their first values"
            )
        method()


def check_method_name(graph: Graph) -> None:
    """E209 where a layer of the network class would take the name of its init method."""
    for layer in graph.roots:
        if layer.name == METHOD:
            raise SpecError(
                [
                    Diagnostic(
                        E209,
                        f"the layer name {METHOD} is the method the written network initialises its "
                        "weights with",
                        layer.span,
                        layer.path,
                        "rename the layer",
                    )
                ]
            )


def method_lines(plan: InitPlan, own: frozenset[str]) -> list[str]:
    """``def _init_weights(self)`` of the network class (empty for no plan); ``own``: the
    classes the file defines itself (written without ``nn.``)."""
    if not plan:
        return []
    named = any(case.names for case in plan.cases)
    lines = [
        "",
        f"    def {METHOD}(self) -> None:",
        '        """Set the weights as the spec\'s init: says (archspec.build does the same)."""',
        "        for name, m in self.named_modules():" if named else "        for m in self.modules():",
    ]
    for index, case in enumerate(plan.cases):
        comment = ", ".join(case.rules) or None
        before, test = _test(case, own, comment)
        lines.append(render(test, 3, f"{'el' if index else ''}if {before}", ":"))
        for step in case.steps:
            call = render(_call(step), 5 if step.guarded else 4)
            if step.guarded:
                lines += [f"                if m.{step.tensor} is not None:", call]
            else:
                lines.append(call)
    return lines


def _test(case: Case, own: frozenset[str], comment: str | None) -> tuple[str, Raw | Seq]:
    """The condition of a case: the text before its bracket, and the rest."""
    if case.names:
        if len(case.names) == 1:
            return "", Raw(f"name == {literal(case.names[0])}", comment)
        return "name in ", Seq("(", tuple(Raw(literal(n)) for n in case.names), ")", comment)
    classes = [k if k in own else f"nn.{k}" for k in case.classes]
    if len(classes) == 1:
        return "", Raw(f"type(m) is {classes[0]}", comment)
    return "type(m) in ", Seq("(", tuple(Raw(k) for k in classes), ")", comment)


def _call(step: Step) -> Call:
    args, kwargs = _positional(step.call)
    nodes = [Raw(f"m.{step.tensor}"), *(Raw(literal(a)) for a in args)]
    nodes += [Pair(k, Raw(literal(v))) for k, v in kwargs.items()]
    return Call(f"nn.init.{FUNCTIONS[step.call.function].torch_name}", tuple(nodes))
