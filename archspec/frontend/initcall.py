"""The init functions a spec may name, and how a call of one is read.

A rule's value is a call as torchvision writes it, without the tensor:
``kaiming_normal(mode=fan_out, nonlinearity=relu)``, ``normal(std=0.01)``,
``constant(1)``, ``zeros``. The text is parsed with ``ast.parse`` and walked
through a whitelist (a name, or a call of a name whose arguments are numbers,
words or quoted text): never ``eval``. Each function's arguments are a
model (archspec/frontend/model.py) with torch.nn.init's names, defaults and bounds; the torch function a call
stands for comes from the fixed table below, never from the spec's text.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from archspec.diagnostics import abridge
from archspec.frontend.model import Field, Model, ValidationError, model_validator

CALL_LIMIT = 200
"""The longest call text: no real one is longer, and a longer one costs the parser more."""

Number = Annotated[float, Field(allow_inf_nan=False)]
# torch.nn.init.calculate_gain's names, in one string: some are also primitives' names
# (relu, linear), which no module outside archspec/primitives may spell as a constant.
_GAIN_NAMES = (
    "linear conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d sigmoid tanh relu "
    "leaky_relu selu"
)
GAINS = tuple(_GAIN_NAMES.split())
DEFAULT_GAIN = GAINS[-2]  # leaky_relu, kaiming_*'s default
Nonlinearity = Literal[GAINS]  # type: ignore[valid-type]


class _Args(Model):
    """The arguments of an init function (none, for those that take none)."""


class NoArgs(_Args):
    pass


class KaimingArgs(_Args):
    a: Number = Field(0.0, description="The negative slope of the rectifier after the layer (leaky_relu).")
    mode: Literal["fan_in", "fan_out"] = Field(
        "fan_in", description="fan_in keeps the forward's variance, fan_out the backward's."
    )
    nonlinearity: Nonlinearity = Field(DEFAULT_GAIN, description="The activation the gain is for.")


class XavierArgs(_Args):
    gain: Number = Field(1.0, description="The scaling factor.")


class NormalArgs(_Args):
    mean: Number = 0.0
    std: Annotated[Number, Field(ge=0.0)] = 1.0


class TruncNormalArgs(_Args):
    mean: Number = 0.0
    std: Annotated[Number, Field(gt=0.0)] = 1.0
    a: Number = Field(-2.0, description="The least value (absolute, not in stds).")
    b: Number = Field(2.0, description="The greatest value (absolute, not in stds).")

    @model_validator(mode="after")
    def _ordered(self) -> TruncNormalArgs:
        if not self.a < self.b:
            raise ValueError(f"a must be less than b, got a={self.a:g}, b={self.b:g}")
        return self


class UniformArgs(_Args):
    a: Number = 0.0
    b: Number = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> UniformArgs:
        if not self.a <= self.b:
            raise ValueError(f"a must be at most b, got a={self.a:g}, b={self.b:g}")
        return self


class ConstantArgs(_Args):
    value: Number = Field(description="The value of every entry.")


@dataclass(frozen=True)
class Function:
    """An init function: its arguments (in torch's positional order), the torch.nn.init
    function it is, and whether it needs the tensor's fans (a tensor of 2 dims or more)."""

    args: type[_Args]
    torch_name: str
    fans: bool = False
    summary: str = ""


FUNCTIONS: dict[str, Function] = {
    "kaiming_normal": Function(
        KaimingArgs, "kaiming_normal_", True, "He et al.: normal, std = gain / sqrt(fan)"
    ),
    "kaiming_uniform": Function(
        KaimingArgs, "kaiming_uniform_", True, "He et al.: uniform in ±gain·sqrt(3 / fan)"
    ),
    "xavier_normal": Function(
        XavierArgs, "xavier_normal_", True, "Glorot: normal, std = gain·sqrt(2 / (fan_in + fan_out))"
    ),
    "xavier_uniform": Function(
        XavierArgs, "xavier_uniform_", True, "Glorot: uniform in ±gain·sqrt(6 / (fan_in + fan_out))"
    ),
    "normal": Function(NormalArgs, "normal_", summary="normal with this mean and std"),
    "trunc_normal": Function(
        TruncNormalArgs, "trunc_normal_", summary="normal(mean, std) redrawn outside [a, b]"
    ),
    "uniform": Function(UniformArgs, "uniform_", summary="uniform in [a, b]"),
    "constant": Function(ConstantArgs, "constant_", summary="every entry value"),
    "zeros": Function(NoArgs, "zeros_", summary="every entry 0"),
    "ones": Function(NoArgs, "ones_", summary="every entry 1"),
}
"""Every function a rule may name; the torch names are literal, so that ``archspec.build``
and the source ``compile -o`` writes call exactly these."""


@dataclass(frozen=True)
class InitCall:
    """A parsed call: the function and the arguments the spec gave, in torch's order."""

    function: str
    args: tuple[tuple[str, float | str], ...] = ()

    @property
    def kwargs(self) -> dict[str, float | str]:
        return dict(self.args)

    @property
    def needs_fans(self) -> bool:
        return FUNCTIONS[self.function].fans

    def __str__(self) -> str:
        if not self.args:
            return self.function
        inner = ", ".join(f"{k}={_value_text(v)}" for k, v in self.args)
        return f"{self.function}({inner})"


def _value_text(value: float | str) -> str:
    return value if isinstance(value, str) else repr(value)


class CallError(ValueError):
    """A call that cannot be read: the message, and a hint where one helps."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _known() -> str:
    return ", ".join(FUNCTIONS)


def parse_call(text: Any) -> InitCall:
    """The call ``text`` names, or CallError."""
    if not isinstance(text, str):
        raise CallError(
            f"expected a function such as zeros or normal(std=0.01), got {abridge(text)}",
            f"the functions: {_known()}",
        )
    if len(text) > CALL_LIMIT:
        raise CallError(f"a call is at most {CALL_LIMIT} characters, got {len(text)}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        hint = (
            "in flow style ({…}) a comma ends the value: quote a call with several arguments, "
            'weight: "kaiming_normal(mode=fan_out, nonlinearity=relu)"'
            if text.count("(") != text.count(")")
            else "write a function name, or a call such as normal(mean=0.0, std=0.01)"
        )
        raise CallError(f"cannot read the call {abridge(text)}", hint) from None
    if isinstance(tree, ast.Name):
        return _checked(tree.id, [], {})
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
        raise CallError(
            f"{abridge(text)} is not a function or a call of one",
            f"write the function's name alone (as nn.init's without the trailing _): {_known()}",
        )
    if any(k.arg is None for k in tree.keywords) or any(isinstance(a, ast.Starred) for a in tree.args):
        raise CallError(f"{abridge(text)}: * and ** arguments are not allowed")
    positional = [_argument(a) for a in tree.args]
    keywords = {str(k.arg): _argument(k.value) for k in tree.keywords}
    return _checked(tree.func.id, positional, keywords)


def _argument(node: ast.expr) -> float | str:
    """A number (an int, a float, with a sign), a word (fan_out, relu) or quoted text."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
        if not (isinstance(node, ast.Constant) and _is_number(node.value)):
            raise CallError("a sign goes before a number only")
    if isinstance(node, ast.Constant) and _is_number(node.value):
        value = sign * float(node.value)
        if not math.isfinite(value):
            raise CallError("an argument must be a finite number")
        return value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return node.id
    raise CallError(
        f"an argument must be a number or a word, got {abridge(ast.unparse(node))}",
        "e.g. std=0.01, mode=fan_out",
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _checked(name: str, positional: list[float | str], keywords: dict[str, float | str]) -> InitCall:
    function = FUNCTIONS.get(name)
    if function is None:
        import difflib

        close = difflib.get_close_matches(name.rstrip("_"), list(FUNCTIONS), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise CallError(f"unknown init function {abridge(name)}", f"{hint}known: {_known()}")
    order = list(function.args.model_fields)
    if len(positional) > len(order):
        takes = f"{len(order)} argument{'s' if len(order) != 1 else ''}" if order else "no arguments"
        raise CallError(f"{name} takes {takes}, got {len(positional)}", _signature(name))
    given = dict(zip(order, positional, strict=False))
    for key, value in keywords.items():
        if key in given:
            raise CallError(f"{name}: {key} is given twice", _signature(name))
        given[key] = value
    try:
        args = function.args.model_validate(given)
    except ValidationError as error:
        raise CallError(f"{name}: {_reason(error)}", _signature(name)) from None
    kept = tuple((key, getattr(args, key)) for key in order if key in args.model_fields_set)
    return InitCall(name, kept)


def _reason(error: ValidationError) -> str:
    item = error.errors(include_url=False)[0]
    where = ".".join(str(p) for p in item["loc"])
    if item["type"] == "extra_forbidden":
        return f"unknown argument {abridge(where)}"
    if item["type"] == "missing":
        return f"needs {where}"
    ctx = item.get("ctx", {})
    plain = {
        "literal_error": f"expected {ctx.get('expected')}",
        "float_type": "expected a number",
        "string_type": "expected a word",
        "greater_than_equal": f"must be >= {ctx.get('ge')}",
        "greater_than": f"must be > {ctx.get('gt')}",
        "finite_number": "expected a finite number",
    }
    message = plain.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
    got = item.get("input")
    return f"{where + ': ' if where else ''}{message}{f'; got {abridge(got)}' if where else ''}"


def _signature(name: str) -> str:
    fields = FUNCTIONS[name].args.model_fields
    parts = []
    for key, info in fields.items():
        if info.is_required():
            parts.append(key)
            continue
        default = info.default
        parts.append(f"{key}={default if isinstance(default, str) else repr(default)}")
    return f"{name}({', '.join(parts)})" if parts else f"{name} takes no arguments"
