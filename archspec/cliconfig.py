"""The settings of one command line: ``[tool.archspec]`` (frontend/config.py), then the options.

The table comes from ``--config FILE``, else from the nearest pyproject.toml above
the current directory. Its ``limits`` are the budgets (``--limit NAME=VALUE``
overrides one), ``format`` the default ``--format`` of the commands that take it,
``plugins = false`` is ``--no-plugins``; with ``--config``, its ``libraries`` are
the libraries (``--lib`` wins over one of the same name) and no pyproject.toml is
read for them. A wrong setting is a SpecError (E702, located in the file); a
malformed ``--limit`` a ValueError.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from archspec.diagnostics import abridge
from archspec.frontend.config import LIMIT_NAMES, ToolConfig, limit_problem, read_config
from archspec.frontend.roots import LibraryConfig, nearest_pyproject


def parse_limits(values: list[str] | None) -> dict[str, int]:
    """The ``--limit NAME=VALUE`` options; ValueError with the reason."""
    found: dict[str, int] = {}
    for value in values or []:
        name, equals, number = value.partition("=")
        name = name.strip()
        if not equals:
            raise ValueError(f"--limit {abridge(value)}: write NAME=VALUE, e.g. max_layers=2000")
        amount: object = int(number) if number.strip().isdigit() and len(number) < 20 else number
        problem = limit_problem(name, amount)
        if problem is not None:
            message, hint = problem
            raise ValueError(f"--limit {abridge(value)}: {message}" + (f" ({hint})" if hint else ""))
        found[name] = int(number)
    return found


def tool_config(args: argparse.Namespace) -> ToolConfig:
    explicit = getattr(args, "config", None)
    if explicit is not None:
        return read_config(explicit)
    try:
        found = nearest_pyproject(Path.cwd())
    except OSError:  # the current directory was removed
        found = None
    return read_config(found, whole_file=False) if found is not None else ToolConfig()


def apply(args: argparse.Namespace, libraries: LibraryConfig | None, choices: tuple[str, ...]) -> None:
    """Set ``args.limits``, ``args.plugins``, ``args.libraries`` and (where the command
    takes one) ``args.format`` from the table and the options."""
    config = tool_config(args)
    args.limits = config.limits_with(parse_limits(getattr(args, "limit", None)))
    args.plugins = not getattr(args, "no_plugins", False) and config.plugins is not False
    if getattr(args, "config", None) is not None and config.libraries:
        given = dict(libraries.roots) if libraries is not None else {}
        merged = {**dict(config.libraries), **given}
        libraries = LibraryConfig.of(merged, pyproject=False, origin=f"--config {abridge(args.config)}")
    args.libraries = libraries
    if hasattr(args, "format") and args.format is None:
        args.format = config.format if config.format in choices else "text"


__all__ = ["LIMIT_NAMES", "apply", "parse_limits", "tool_config"]
