"""Which ``init:`` rule sets each learned tensor of a compiled network.

Scopes: the spec's rules see every layer, by its path from the network; a block's
rules see the layers of each of its calls, by their path from the call (a call whose
body is one layer *is* that layer: only kind rules and ``**`` reach it). For each
tensor, a path rule beats a kind rule, wherever each is written (a block's ``bn2``
over the network's ``batchnorm``, as torchvision's zero_init_residual pass runs after
its per-kind loop); between rules of one sort, the outermost scope's wins (the
network's over its blocks', as torchvision's model-level loop runs after each block's
constructor), and within a section the later path rule. Each tensor is set once, by
the rule that wins.

Every rule must reach a layer with learned tensors (in the network, or in some call
of its block), every tensor it names must be one of theirs, and a function that needs
fans (kaiming_*, xavier_*) gets a tensor of 2 dims or more: else E213. The result is
an :class:`~archspec.compiler.initplan.InitPlan`, which ``archspec.build`` and
``compile -o`` both carry out.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from archspec.codes import E213
from archspec.compiler.graph import Graph, LayerInfo
from archspec.compiler.initplan import Entry, InitPlan, plan_cases
from archspec.diagnostics import Diagnostic, SpecError, abridge
from archspec.frontend.init import InitRule, InitRules
from archspec.frontend.initcall import InitCall
from archspec.primitives.registry import lookup

GLOB_BUDGET = 500_000
"""Pattern-against-path matches of ``*`` patterns in one network (about a microsecond
each); literal paths and kinds are looked up, not matched."""


@dataclass
class _Use:
    """What one rule reached, over all the layers (and calls) it saw."""

    weighted: int = 0  # layers with learned tensors
    plain: str | None = None  # the first layer it matched that has none
    undeclared: bool = False  # it matched a layer with weights whose primitive declares no tensors
    tensors: set[str] = field(default_factory=set)  # the tensors it named that they have
    have: set[str] = field(default_factory=set)  # every tensor they have


@dataclass
class _Scope:
    """The rules of the spec or of one block, indexed for lookup, and what each reached."""

    rules: InitRules
    where: str
    kinds: dict[str, InitRule] = field(default_factory=dict)
    literal: dict[str, list[int]] = field(default_factory=dict)
    globs: list[int] = field(default_factory=list)
    uses: list[_Use] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # paths with tensors, for did-you-mean

    def __post_init__(self) -> None:
        for index, rule in enumerate(self.rules.rules):
            self.uses.append(_Use())
            if rule.kind is not None:
                self.kinds[rule.kind] = rule
            elif rule.pattern is not None and rule.pattern.literal:
                self.literal.setdefault(rule.pattern.text, []).append(index)
            else:
                self.globs.append(index)


class _Resolver:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.blocks: dict[str, _Scope] = {}
        self.spec = _Scope(graph.spec.init, "the network")
        self.entries: list[Entry] = []
        self.plain: list[LayerInfo] = []  # leaves with a module that declares no tensors
        self.parts: set[str] = set()  # classes of modules inside layers' modules (Primitive.parts)
        self.problems: dict[tuple[int, str], Diagnostic] = {}
        self.matches = 0

    def walk(self, layer: LayerInfo, stack: list[tuple[_Scope, str | None]]) -> None:
        inner = stack
        block = self.graph.spec.blocks.blocks.get(layer.block) if layer.block else None
        if block is not None and block.init:
            scope = self.blocks.get(block.name)
            if scope is None:
                scope = self.blocks[block.name] = _Scope(block.init, f"any call of block {block.name}")
            inner = [*stack, (scope, f"{layer.path}." if layer.children else None)]
        self.visit(layer, stack if layer.children else inner)
        for child in layer.children:
            self.walk(child, inner)

    def visit(self, layer: LayerInfo, stack: list[tuple[_Scope, str | None]]) -> None:
        primitive = lookup(layer.primitive)
        declared = primitive is not None and primitive.tensors is not None and not layer.functional
        shapes = dict(primitive.tensors(layer.params, layer.input)) if declared else {}  # type: ignore[union-attr,misc]
        by_path: dict[str, tuple[InitCall, InitRule]] = {}
        by_kind: dict[str, tuple[InitCall, InitRule]] = {}
        for scope, base in stack:
            relative = "" if base is None else layer.path[len(base) :]
            for tensor, pick in self.match(scope, layer, relative, shapes).items():
                found = by_kind if pick[1].kind is not None else by_path
                found.setdefault(tensor, pick)  # the outermost scope wins
        chosen = {**by_kind, **by_path}  # a path rule wins over a kind rule, from any scope
        if primitive is not None and not layer.functional:
            self.parts.update(primitive.parts)
        if not declared:
            if not layer.children and not layer.functional and primitive is not None and primitive.classes:
                self.plain.append(layer)
            return
        wish: dict[str, InitCall | None] = {}
        for tensor, shape in shapes.items():
            pick = chosen.get(tensor)
            wish[tensor] = pick[0] if pick else None
            if pick and pick[0].needs_fans and len(shape) < 2:
                self.fans_problem(layer, tensor, shape, *pick)
        cls = primitive.module_call(layer.params, layer.input).cls  # type: ignore[union-attr]
        rules = tuple(dict.fromkeys(chosen[t][1].key for t in shapes if t in chosen))  # in tensor order
        self.entries.append(Entry(layer.path, cls, tuple(shapes), wish, rules, layer.primitive))

    def match(
        self, scope: _Scope, layer: LayerInfo, relative: str, shapes: dict[str, tuple[int, ...]]
    ) -> dict[str, tuple[InitCall, InitRule]]:
        """Each tensor's rule in this scope, recording what every matching rule reached."""
        parts = tuple(relative.split(".")) if relative else ()
        found = list(scope.literal.get(relative, ()))
        for index in scope.globs:
            self.matches += 1
            if self.matches > GLOB_BUDGET:
                raise _OverBudget(scope.rules.rules[index])
            if scope.rules.rules[index].pattern.matches(parts):  # type: ignore[union-attr]
                found.append(index)
        kind = scope.kinds.get(layer.primitive)
        order = [scope.rules.rules.index(kind)] if kind is not None else []
        order += sorted(found)  # the kind rule first, then path rules as written: the last wins
        if shapes and relative and len(scope.paths) < 5000:
            scope.paths.append(relative)
        won: dict[str, tuple[InitCall, InitRule]] = {}
        for index in order:
            rule, use = scope.rules.rules[index], scope.uses[index]
            if not shapes:
                what = "a parameter, which starts at its own init" if layer.learned else f"a {layer.kind}"
                use.plain = use.plain or f"{layer.path} ({what})"
                use.undeclared = use.undeclared or layer.own_params > 0
                continue
            use.weighted += 1
            use.have.update(shapes)
            for tensor, call in rule.tensors:
                if tensor in shapes:
                    use.tensors.add(tensor)
                    won[tensor] = (call, rule)
        return won

    def others(self) -> dict[str, str]:
        """The classes of the plain leaves that share a class with a layer with tensors:
        no class case may reach them (a primitive's builder runs only where that can be)."""
        classes = {e.cls for e in self.entries}
        found = {}
        for layer in self.plain:
            primitive = lookup(layer.primitive)
            if primitive is not None and classes.intersection(primitive.classes):
                found[layer.path] = primitive.module_call(layer.params, layer.input).cls
        return found

    def fans_problem(
        self, layer: LayerInfo, tensor: str, shape: tuple[int, ...], call: InitCall, rule: InitRule
    ) -> None:
        key = (id(rule), tensor)
        if key in self.problems:
            return
        dims = "[" + ", ".join(str(d) for d in shape) + "]"
        self.problems[key] = Diagnostic(
            E213,
            f"{call.function} needs a tensor of 2 dims or more (it divides by its fans), but "
            f"{layer.path}.{tensor} is {dims}",
            rule.span_of(tensor),
            layer.path,
            "a bias or a norm's weight takes normal, uniform, constant, zeros or ones; "
            "or name the layers the rule is for more narrowly",
        )

    def unused(self, scope: _Scope) -> list[Diagnostic]:
        """E213 for each rule of ``scope`` that reached no learned tensor it names."""
        found = []
        for rule, use in zip(scope.rules.rules, scope.uses, strict=True):
            if use.weighted == 0:
                found.append(self.reached_nothing(scope, rule, use))
                continue
            for tensor, _ in rule.tensors:
                if tensor not in use.tensors:
                    have = sorted(use.have)
                    close = difflib.get_close_matches(tensor, have, n=1)
                    found.append(
                        Diagnostic(
                            E213,
                            f"no layer that {abridge(rule.key)} reaches in {scope.where} has a tensor "
                            f"{abridge(tensor)}; theirs: {', '.join(have) or 'none'}",
                            rule.span_of(tensor),
                            hint=f"did you mean '{close[0]}'?" if close else "leave this tensor out",
                        )
                    )
        return found

    def reached_nothing(self, scope: _Scope, rule: InitRule, use: _Use) -> Diagnostic:
        key = abridge(rule.key)
        if rule.kind is not None:
            if use.plain is None:
                present = sorted({e.kind for e in self.entries if e.tensors})
                message = f"no {rule.kind} layer in {scope.where}"
                hint = f"the layers with weights here are: {', '.join(present)}" if present else None
            elif use.undeclared:
                message = (
                    f"{rule.kind} layers have weights, but the primitive does not declare them "
                    "(Primitive.tensors): no init rule can set them"
                )
                hint = "declare tensors= on the primitive, or remove the rule"
            else:
                message = f"no {rule.kind} layer in {scope.where} holds learned tensors"
                hint = "remove the rule (relu has none; nor has a batchnorm with affine: false)"
            return Diagnostic(E213, message, rule.span, hint=hint)
        if use.plain is not None:
            return Diagnostic(
                E213,
                f"{key} matches only layers without learned tensors of their own, such as {use.plain}",
                rule.span,
                hint=f"name the layers inside it: {rule.key}.* or {rule.key}.**",
            )
        close = difflib.get_close_matches(rule.key, scope.paths, n=1)
        return Diagnostic(
            E213,
            f"no layer matches {key} in {scope.where}",
            rule.span,
            hint=f"did you mean '{close[0]}'?"
            if close
            else "a pattern matches a whole layer path (layer1.0.conv1; * within a name, ** for any names)",
        )


class _OverBudget(Exception):
    def __init__(self, rule: InitRule) -> None:
        self.rule = rule


def resolve_init(graph: Graph) -> InitPlan:
    """The init plan of ``graph``; SpecError (E213) where a rule does not fit it."""
    spec = graph.spec
    if not spec.init and not any(block.init for block in spec.blocks.blocks.values()):
        return InitPlan()
    resolver = _Resolver(graph)
    try:
        for root in graph.roots:
            resolver.walk(root, [(resolver.spec, "")])
    except _OverBudget as over:
        message = f"the init patterns need more than {GLOB_BUDGET:,} path matches on this network"
        hint = "use fewer patterns with *, or literal paths and kinds (looked up, not matched)"
        raise SpecError([Diagnostic(E213, message, over.rule.span, hint=hint)]) from None
    problems = list(resolver.problems.values())
    for scope in (resolver.spec, *resolver.blocks.values()):
        problems += resolver.unused(scope)
    if problems:
        raise SpecError(problems)
    cases = plan_cases(resolver.entries, resolver.others(), frozenset(resolver.parts))
    return InitPlan(cases, resolver.entries)
