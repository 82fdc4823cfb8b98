"""The one table of primitives: each an object that carries every rule about it.

A primitive holds its params model, its shape rule, its builder and every
other fact a consumer needs (the module classes it may make, whether it makes
a new tensor, its diagram label, how a splice stands for other layers). The
schema, the compiler, the emitters and the report look rules up here; no other
module keys on primitive names. :func:`register` is public: a primitive may
live in any module (plugins included), and it is checked when it registers.
"""

from __future__ import annotations

import functools
import importlib
import keyword
import pkgutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from archspec.frontend.layers import LayerField
from archspec.frontend.types import LayerParams
from archspec.primitives.control import (
    Choice as Choice,  # re-exported: a primitive module imports its facts here
)
from archspec.primitives.control import Control
from archspec.primitives.control import Loop as Loop
from archspec.primitives.integers import Declared
from archspec.primitives.modulecall import ModuleCall as ModuleCall  # re-exported, as the rest
from archspec.primitives.modulecall import Omittable as Omittable
from archspec.primitives.modulecall import call as call
from archspec.primitives.modulecall import unless as unless
from archspec.primitives.reads import Reads
from archspec.primitives.rule import Inferred as Inferred  # re-exported, as the rest
from archspec.primitives.rule import RuleContext as RuleContext
from archspec.primitives.rule import ShapeRule as ShapeRule
from archspec.primitives.rule import SizeRefusal as SizeRefusal
from archspec.primitives.rule import on_any_input as on_any_input
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.frontend.model import Model


Builder = Callable[[Any, TensorShape], ModuleCall]
"""``build(params, input)``: the module of a layer with these params on this input."""
Label = Callable[[Any, TensorShape], str]
Tensors = Callable[[Any, TensorShape], tuple[tuple[str, tuple[Any, ...]], ...]]
"""``tensors(params, input)``: the layer's learned tensors, (name, shape) in registration order."""


@dataclass(frozen=True)
class Join:
    """How a layer is computed without a module, as a function of the tensors it reads:
    a merge of tensors read by name (``add: {from: [a, b]}``), or a primitive that is
    always a function (``split``). ``function(params)`` is the function
    ``archspec.build``'s network calls on them (a top-level function of the primitive's
    module, or a partial of one, so a saved network loads), ``code(params, names)`` the
    Python expression ``compile -o`` writes for it (``a + b``)."""

    function: Callable[[Any], Callable[..., Any]]
    code: Callable[[Any, tuple[str, ...]], str]


@dataclass(frozen=True)
class Primitive:
    """One layer kind, with every rule about it.

    - ``infer(params, input, ctx)`` computes the output shape (composites infer
      their parts through the context, a :class:`RuleContext`);
    - ``build(params, input)`` says which module makes the layer, as a
      :class:`ModuleCall` (no torch here): ``archspec.build`` makes it and
      ``compile -o`` prints it, so the two cannot disagree;
    - ``classes``: every module class the builder may name, ``torch.nn``'s
      (``Conv2d``) or archspec's own (``Add``, ``Concat``): the allowlist of
      ``archspec.build`` is made from these, and nothing else can be built;
    - ``layer_fields``: the parameters that hold layers (``sequential``'s
      ``layers``, ``add``'s ``branches``); with them the primitive is
      ``composite``, its builder takes the built parts;
    - ``control``: a splice (``repeat``, ``if``) has no module; its
      :class:`Loop` or :class:`Choice` says which layers stand in its place,
      and how it is written as Python;
    - ``allocates``: whether its output is a new tensor (the report's
      activation memory): not a group's, an identity's or a view's;
    - ``in_place``: the keyword of its module that makes it overwrite the tensor it
      reads (``"inplace"``), declared only where the in-place backward reads the
      result, not the input (no copy of the input is saved); ``in_place_if(params)``
      the condition on its params, where there is one. None: never in place. Whether
      a layer does run in place is decided by its list (archspec/emit/inplace.py);
    - ``refuses_only_empty(params, input)``: whether, for a layer with these params on this
      input (sizes symbolic or not), the rule refuses concrete sizes exactly where a dim of
      its output, as the rule computes it on the symbolic input and evaluated at those
      sizes, is below 1 (or where one of the layers it holds refuses them, each by its own
      declaration), and else outputs those values: a window (conv, the pools) refuses so;
      a rule that keeps its input's sizes (relu) or only groups layers (sequential) never
      refuses a size itself, a case of it. A join declares it for the sizes it decides
      alone: those it leaves to the search, as a constraint (``RuleContext.equate``), are
      the search's, and the probe by evaluation declines a graph with one. Where every
      layer of a symbolic graph declares so, the valid-size search probes a size by
      evaluating the graph's distinct dims, with no inference (archspec/compiler/dimprobe.py).
      None: undeclared (a probe infers the whole graph). tests/primitives/test_registry.py
      checks it against the rule on every symbolic oracle case;
    - ``overwritable``: its output is a new tensor that its backward never reads, so
      that the layer after it may overwrite it (run in place). A merge of branches or
      named tensors is so only when it merges two or more: a merge of one may return it;
    - ``integers``: what it does with integers (token ids, an input declared int64),
      as PyTorch does: ``"keep"`` them (a layout op, relu, max pooling: the output
      holds integers when every input does), make ``"floats"`` of them (sigmoid),
      ``"refuse"`` them (E312: conv, linear, the norms, most activations), or leave it
      to the ``"rule"`` (a group's output is its layers'; embedding reads only ids; a
      merge promotes as PyTorch does); a function of (params, input) where it depends on
      them. The registry contract checks each against torch;
    - ``label(params, input)``: the diagram's short description
      (``conv 3×3, 64, stride 2``); by default the name;
    - ``formula``: the shape rule (and MACs) in one or two lines, for
      docs/reference.md;
    - ``runtime``: module classes of the primitive's own, not torch.nn's
      (``Mul``), by name: each made by a factory in the primitive's file that
      imports torch only when called (the validation path never does) and
      defines the class in its body, from where ``compile -o`` copies its
      source into the file it writes;
    - ``join``: for a merge, how it combines tensors read by name, without a
      module (:class:`Join`);
    - ``learned(params)``: for a learned tensor (``parameter``), the value its every
      entry starts at. Such a primitive reads no tensor and has no module: its output
      (with no batch dim) is an ``nn.Parameter`` of the module that runs its list of
      layers (a dataflow), named after the layer;
    - ``tensors(params, input)``: the learned tensors of the layer's module, by
      attribute name with their shapes, in the order the module registers them
      (``(("weight", (64, 3, 7, 7)),)`` for a conv without bias): what an ``init:``
      rule may name (docs/spec-language.md, "Initialisation"); None for a
      primitive that declares none;
    - ``reads``: how many tensors a layer with a module may read by name (``from``),
      passed to its module in order (attention's query, key and value); the rule sees
      them all through ``ctx.reads()``.
    - ``from_torch``: how ``archspec import`` reads torch's modules of its ``classes`` and the
      functions that compute it back into its params (:class:`~archspec.primitives.reads.Reads`);
      None for a primitive that PyTorch code is never read as.
    - ``parts``: the classes of the modules its module holds inside, which are not layers
      of the graph (``PatchMerging``'s ``Linear`` and ``LayerNorm``), by the names
      ``classes`` uses: an ``init:`` rule's class case (``type(m) is nn.Linear``) must
      never reach them, so a spec that holds such a part sets those classes by name.

    What a primitive does to the channels is never declared: consumers ask
    the shape rule.
    """

    name: str
    params: type[LayerParams]
    infer: ShapeRule | None
    build: Builder | None
    summary: str
    layer_fields: tuple[LayerField, ...] = ()
    control: Control | None = None
    formula: str = ""
    classes: tuple[str, ...] = ()
    allocates: bool = True
    label: Label | None = field(default=None, compare=False)
    runtime: Mapping[str, Callable[[], type]] = field(default_factory=dict, compare=False)
    join: Join | None = field(default=None, compare=False)
    learned: Callable[[Any], float] | None = field(default=None, compare=False)
    tensors: Tensors | None = field(default=None, compare=False)
    reads: int = 1
    from_torch: Reads | None = field(default=None, compare=False)
    parts: tuple[str, ...] = ()
    in_place: str | None = None
    in_place_if: Callable[[Any], bool] | None = field(default=None, compare=False)
    overwritable: bool = False
    refuses_only_empty: SizeRefusal | None = field(default=None, compare=False)
    integers: Declared = field(default="refuse", compare=False)

    is_block = False  # a class attribute, not a field: blocks are the front end's

    @property
    def splices(self) -> Callable[[Any, dict[str, tuple[Any, ...]]], list[tuple[Any, ...]]] | None:
        return self.control.splices if self.control is not None else None

    @property
    def splice(self) -> bool:
        return self.control is not None

    @property
    def composite(self) -> bool:
        return bool(self.layer_fields)

    @property
    def merges_branches(self) -> bool:
        """Its parts are branches on one input, merged (``add``, ``concat``)."""
        return any(f.branches for f in self.layer_fields)

    def describe(self, params: Any, x: TensorShape) -> str:
        return self.label(params, x) if self.label is not None else self.name

    def module_call(self, params: Model, x: TensorShape, in_place: bool = False) -> ModuleCall:
        """The builder's call, checked against the classes this primitive declares;
        ``in_place``: with its ``in_place`` keyword set (the caller decided it is safe)."""
        if self.build is None:
            raise PrimitiveError(f"primitive {self.name!r} has no module (it is a splice)")
        made = self.build(params, x)
        if made.cls not in self.classes:
            raise PrimitiveError(
                f"primitive {self.name!r} built {made.cls!r}, which it does not declare in classes="
                f"{self.classes!r}; add it there"
            )
        if in_place:
            if self.in_place is None:
                raise PrimitiveError(f"primitive {self.name!r} declares no in_place keyword")
            made = replace(
                made,
                kwargs=(*made.kwargs, (self.in_place, True)),
                defaults=(*made.defaults, (self.in_place, False)),
            )
        return made


class PrimitiveError(Exception):
    """A primitive is defined wrongly: a bug in its module, not in a spec."""


ARCHSPEC_CLASSES = frozenset({"Block"})
"""The module class archspec defines itself for a block call of several layers
(``archspec/emit/layers.py``); every other class a primitive names is ``torch.nn``'s
or the primitive's own (``runtime``)."""


def check_class(primitive: Primitive, cls: str, nn: Any) -> None:
    """Raise PrimitiveError unless ``cls`` is archspec's, the primitive's own, or a module
    class of ``nn`` (torch.nn)."""
    if cls in ARCHSPEC_CLASSES or cls in primitive.runtime:
        return
    found = nn.__dict__.get(cls)
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        raise PrimitiveError(
            f"primitive {primitive.name!r} declares the class {cls!r}, which is not a module class of "
            "torch.nn (a class of its own goes in runtime=)"
        )


def runtime_classes(
    module: str, **factories: Callable[[], type]
) -> tuple[dict[str, Callable[[], type]], Callable[[str], type]]:
    """A primitive module's own module classes (``runtime=``), each made by its factory the
    first time it is asked for (the factory imports torch; the validation path never calls
    it) and named as a top-level class of ``module``. Returns the ``runtime=`` table and the
    module's ``__getattr__``, through which pickle (torch.save of a whole network) finds
    each class by that name: ``_RUNTIME, __getattr__ = runtime_classes(__name__, Add=add_class)``.
    """
    made = {name: functools.cache(_named_in(module, factory)) for name, factory in factories.items()}

    def module_getattr(name: str) -> type:
        if name in made:
            return made[name]()
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return made, module_getattr


def _named_in(module: str, factory: Callable[[], type]) -> Callable[[], type]:
    @functools.wraps(factory)  # compile -o finds the factory's source through __wrapped__
    def make() -> type:
        cls = factory()
        cls.__qualname__, cls.__module__ = cls.__name__, module
        return cls

    return make


def own_classes() -> frozenset[str]:
    """The module classes archspec writes into generated files itself (no ``nn.`` prefix)."""
    return ARCHSPEC_CLASSES | {name for primitive in primitives().values() for name in primitive.runtime}


_TABLE: dict[str, Primitive] = {}  # one per process: registration is how plugins add kinds
_loaded = False


def register(primitive: Primitive) -> Primitive:
    """Add a primitive to the table, checking what can be checked without torch.

    Its name must be a lower-case identifier not taken; a primitive with a
    module must declare the classes its builder names, each an identifier;
    where torch is already imported, each class is also resolved now (else at
    the first ``archspec.build``), so a typo fails here and not at build time.
    """
    name = primitive.name
    if name in _TABLE:
        raise PrimitiveError(f"primitive {name!r} is registered twice")
    if not (name.isidentifier() and name.isascii() and name == name.lower()):
        raise PrimitiveError(f"primitive name {name!r} must be a lower-case ASCII identifier")
    function = primitive.build is None and (primitive.join is not None or primitive.learned is not None)
    if primitive.learned is not None and (
        primitive.build is not None or primitive.join is not None or primitive.composite
    ):
        raise PrimitiveError(
            f"primitive {name!r}: a learned tensor has a rule, and no builder, join or layers"
        )
    if (primitive.infer is None) != (primitive.control is not None) or (
        primitive.build is None and not function and primitive.control is None
    ):
        raise PrimitiveError(
            f"primitive {name!r}: a splice has control and no rule; a function a rule and a join; "
            "others a rule and a builder"
        )
    if primitive.join is not None and primitive.composite and not primitive.merges_branches:
        raise PrimitiveError(
            f"primitive {name!r}: a join is a merge of branches (or of named tensors), a function "
            "(build=None), or a module on one tensor and a function of several (upsample)"
        )
    if primitive.build is not None and not primitive.classes:
        raise PrimitiveError(
            f"primitive {name!r} must declare the module classes its builder makes (classes=)"
        )
    for cls in primitive.classes:
        if not cls.isidentifier() or keyword.iskeyword(cls) or cls.startswith("_"):
            raise PrimitiveError(f"primitive {name!r}: {cls!r} is not a class name")
    nn = getattr(sys.modules.get("torch"), "nn", None)
    for cls in primitive.runtime:
        if cls not in primitive.classes or cls in ARCHSPEC_CLASSES or cls in own_classes():
            raise PrimitiveError(f"primitive {name!r}: its own class {cls!r} must be in classes= and new")
    if nn is not None:  # torch already imported: checked now, where it costs nothing; else at the first build
        for cls in primitive.classes:
            check_class(primitive, cls, nn)
    _TABLE[name] = primitive
    return primitive


def primitives() -> dict[str, Primitive]:
    """Every registered primitive, importing this package's modules once."""
    global _loaded
    if not _loaded:
        for module in _modules():
            importlib.import_module(f"archspec.primitives.{module}")
        _loaded = True
    return _TABLE


@functools.cache
def _modules() -> tuple[str, ...]:
    """The package's modules, listed once: registering a primitive asks for the table
    (``own_classes``) while the modules are still being imported, a dozen times deep."""
    package = importlib.import_module("archspec.primitives")
    return tuple(
        module.name for module in pkgutil.iter_modules(package.__path__) if module.name != "registry"
    )


def lookup(name: str) -> Primitive | None:
    return primitives().get(name)
