"""The command line's arguments: ``--input`` and ``--lib`` values, the options several
commands share (``--lib``, ``--no-plugins``, ``--config``/``--limit``) and argparse types.

Kept apart from archspec/cli.py, which builds the parser and runs the commands.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from archspec import _input_override
from archspec.diagnostics import SpecError, abridge

if TYPE_CHECKING:
    from archspec.frontend.roots import LibraryConfig


class UsageError(Exception):
    pass


def parse_input(text: str) -> list[int | str]:
    """``1x96x96``, ``1xHxW`` or ``1,H,W``: ints stay ints, names become symbols.

    The dims are checked here by the rules of a spec's ``input``, so that a bad
    one is a usage error (exit 2) with the reason, not an invalid spec."""
    parts = text.split(",") if "," in text else text.split("x")
    dims: list[int | str] = []
    for part in (p.strip() for p in parts):
        if not part:
            raise UsageError(f"--input {abridge(text)}: an empty dim; write e.g. 1x96x96 or 1,H,W")
        if not part.isascii() or not (part.isdigit() or part.isidentifier()):
            raise UsageError(f"--input {abridge(text)}: {abridge(part)} is neither a size nor a symbol name")
        dims.append(int(part) if part.isdigit() else part)
    try:
        _input_override(dims)
    except SpecError as error:
        raise UsageError(f"--input {abridge(text)}: {error.diagnostics[0].message}") from None
    return dims


def parse_inputs(values: list[str] | None) -> list[int | str] | dict[str, list[int | str]] | None:
    """The ``--input`` options: one ``DIMS`` for a spec's one input, or ``NAME=DIMS``
    once per input to override (a spec with several inputs)."""
    if not values:
        return None
    named = [v for v in values if "=" in v]
    if not named:
        if len(values) > 1:
            raise UsageError(
                "--input is given twice; name each input: --input image=3xHxW --input mask=1xHxW"
            )
        return parse_input(values[0])
    if len(named) != len(values):
        raise UsageError("--input: name every input (NAME=DIMS) or give one DIMS, not both")
    found: dict[str, list[int | str]] = {}
    for value in values:
        name, _, dims = value.partition("=")
        name = name.strip()
        if not (name.isascii() and name.isidentifier()):
            raise UsageError(f"--input {abridge(value)}: {abridge(name)} is not an input name")
        if name in found:
            raise UsageError(f"--input: the input {name} is given twice")
        found[name] = parse_input(dims)
    return found


def parse_libraries(values: list[str] | None) -> LibraryConfig | None:
    """The ``--lib`` options: ``DIR`` (the library is named after the folder) or ``NAME=DIR``."""
    if not values:
        return None
    from archspec.frontend.roots import LibraryConfig, name_problem, packaged_names

    found: dict[str, str] = {}
    for value in values:
        name, equals, folder = value.partition("=")
        if not equals or name_problem(name) is not None:  # a folder whose name holds '='
            name, folder = os.path.basename(os.path.normpath(os.path.abspath(value))), value
        problem = name_problem(name)
        if problem is not None:
            raise UsageError(f"--lib {abridge(value)}: {problem}; name it: --lib NAME=DIR")
        if name in packaged_names():
            raise UsageError(f"--lib {abridge(value)}: {name} is archspec's own library; --lib NAME=DIR")
        if name in found:
            raise UsageError(f"--lib: two libraries named {name}; name one: --lib NAME=DIR")
        if not os.path.isdir(folder):
            raise UsageError(f"--lib {abridge(value)}: not a folder")
        found[name] = folder
    return LibraryConfig.of(found, origin="--lib")


def _add_lib(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--lib",
        metavar="DIR",
        action="append",
        help="a folder of block files that imports name '@FOLDER/file' (NAME=DIR: '@NAME/file'); repeatable",
    )


def _add_plugins(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-plugins",
        action="store_true",
        help="leave out the primitives of installed plugins (entry points archspec.primitives)",
    )


def _add_config(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--config",
        metavar="FILE",
        help="settings from FILE's [tool.archspec] table (default: the nearest pyproject.toml above the "
        "current directory)",
    )
    command.add_argument(
        "--limit",
        metavar="NAME=VALUE",
        action="append",
        help="a budget of archspec.limits.Limits, e.g. max_layers=2000 (docs/security.md); repeatable",
    )


def _count(text: str) -> int:
    """An argparse type: an int >= 0 (argparse reports the error and exits with 2)."""
    try:
        value = int(text)
    except ValueError:  # not an int, or one of more than 4,300 digits
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {abridge(text)}")
    return value


def _columns(text: str) -> int:
    """An argparse type: a table width of at least 40 columns."""
    value = _count(text)
    if value < 40:
        raise argparse.ArgumentTypeError(f"expected at least 40 columns, got {value}")
    return value


def _compiling_options(command: argparse.ArgumentParser) -> None:
    """The options of a command that compiles specs: --lib, --no-plugins, --config, --limit."""
    _add_lib(command)
    _add_plugins(command)
    _add_config(command)
