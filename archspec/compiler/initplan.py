"""The init plan: what ``archspec.build`` does after building, and ``compile -o`` writes.

The plan is a list of cases, tried in order on every module of the network, in
the network's module order (``named_modules()``); the first case that matches a
module sets its tensors, in the case's order. A case matches modules by name, or
by exact class (``type(m) is nn.Conv2d``: archspec's own classes may subclass
torch's, so ``isinstance`` would reach too far). The cases are made from each
layer's resolved rules (archspec.compiler.init) so that they set exactly what the
rules say: one class case where the layers of a class agree (as torchvision's loop
over ``self.modules()`` reads), name cases for the layers that differ, before it.
A step whose tensor only some modules of the case have is ``guarded``: it is
skipped where the tensor is missing, as torchvision's ``if m.bias is not None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archspec.frontend.initcall import InitCall


@dataclass(frozen=True)
class Entry:
    """A layer whose primitive declares learned tensors: its module's path and class, its
    tensors (in registration order), the call each gets (None: PyTorch's init stays), the
    keys of the rules that won, and its primitive."""

    path: str
    cls: str
    tensors: tuple[str, ...]
    wish: dict[str, InitCall | None]
    rules: tuple[str, ...] = ()
    kind: str = ""

    @property
    def steps(self) -> tuple[tuple[str, InitCall], ...]:
        return tuple((t, c) for t in self.tensors if (c := self.wish.get(t)) is not None)


@dataclass(frozen=True)
class Step:
    tensor: str
    call: InitCall
    guarded: bool = False


@dataclass(frozen=True)
class Case:
    """Modules named ``names``, or of a class in ``classes``; ``rules``: the keys of the
    rules it carries out (a comment in the written source)."""

    names: tuple[str, ...]
    classes: tuple[str, ...]
    steps: tuple[Step, ...]
    rules: tuple[str, ...] = ()

    def matches(self, name: str, cls: str) -> bool:
        return name in self.names or cls in self.classes


@dataclass(frozen=True)
class InitPlan:
    """The cases, and the resolved layers they were made from (for checks and reports)."""

    cases: tuple[Case, ...] = ()
    entries: list[Entry] = field(default_factory=list, compare=False)

    def __bool__(self) -> bool:
        return bool(self.cases)


@dataclass
class _Bucket:
    wish: dict[str, InitCall | None]
    entries: list[Entry]

    def takes(self, entry: Entry) -> bool:
        return all(self.wish.get(t, entry.wish[t]) == entry.wish[t] for t in entry.tensors)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        for tensor in entry.tensors:
            self.wish.setdefault(tensor, entry.wish[tensor])

    @property
    def ruled(self) -> bool:
        return any(call is not None for call in self.wish.values())


def plan_cases(
    entries: list[Entry], others: dict[str, str], parts: frozenset[str] = frozenset()
) -> tuple[Case, ...]:
    """Cases that set exactly each entry's steps; ``others`` are the classes of the
    leaves that declare no tensors, ``parts`` those of the modules inside layers' modules
    (no class case may reach either)."""
    by_class: dict[str, list[_Bucket]] = {}
    for entry in entries:
        buckets = by_class.setdefault(entry.cls, [])
        bucket = next((b for b in buckets if b.takes(entry)), None)
        if bucket is None:
            buckets.append(_Bucket({}, []))
            bucket = buckets[-1]
        bucket.add(entry)
    named: list[Entry] = []
    by_steps: dict[tuple[Step, ...], tuple[list[str], list[str]]] = {}
    foreign = set(others.values()) | parts
    for cls, buckets in by_class.items():
        main = max(buckets, key=lambda b: len(b.entries))
        shared = main.ruled and cls not in foreign and all(b.ruled for b in buckets if b is not main)
        for bucket in buckets:
            if shared and bucket is main:
                steps = _class_steps(bucket)
                classes, rules = by_steps.setdefault(steps, ([], []))
                classes.append(cls)
                rules += [
                    r for r in dict.fromkeys(r for e in bucket.entries for r in e.rules) if r not in rules
                ]
            else:
                named += [e for e in bucket.entries if e.steps]
    order = {e.path: i for i, e in enumerate(entries)}
    cases = _name_cases(sorted(named, key=lambda e: order[e.path]))
    cases += [Case((), tuple(classes), steps, tuple(rules)) for steps, (classes, rules) in by_steps.items()]
    _check(tuple(cases), entries, others)
    return tuple(cases)


def _class_steps(bucket: _Bucket) -> tuple[Step, ...]:
    order = list(dict.fromkeys(t for e in bucket.entries for t in e.tensors))
    return tuple(
        Step(t, call, guarded=any(t not in e.tensors for e in bucket.entries))
        for t in order
        if (call := bucket.wish.get(t)) is not None
    )


def _name_cases(named: list[Entry]) -> list[Case]:
    groups: dict[tuple[tuple[str, InitCall], ...], list[Entry]] = {}
    for entry in named:
        groups.setdefault(entry.steps, []).append(entry)
    return [
        Case(
            tuple(e.path for e in group),
            (),
            tuple(Step(t, c) for t, c in steps),
            tuple(dict.fromkeys(r for e in group for r in e.rules)),
        )
        for steps, group in groups.items()
    ]


def _check(cases: tuple[Case, ...], entries: list[Entry], others: dict[str, str]) -> None:
    """The cases do what the rules say, module by module (a bug here would make build and
    compile -o agree with each other and not with the spec)."""
    for entry in entries:
        case = next((c for c in cases if c.matches(entry.path, entry.cls)), None)
        done = (
            () if case is None else tuple((s.tensor, s.call) for s in case.steps if s.tensor in entry.tensors)
        )
        unguarded = case is not None and any(
            s.tensor not in entry.tensors and not s.guarded for s in case.steps
        )
        assert done == entry.steps and not unguarded, (entry, case)
    for path, cls in others.items():
        assert not any(c.matches(path, cls) for c in cases), (path, cls)
