"""The ``[tool.archspec]`` table: a project's settings for every command.

    [tool.archspec]
    libraries = {mylib = "blocks/mylib"}     # @mylib/file (roots.py reads these per spec)
    format = "json"                           # the default --format of compile and validate
    plugins = false                           # as --no-plugins
    [tool.archspec.limits]                    # budgets (archspec.limits.Limits), as --limit
    max_layers = 2000

The command line reads it from ``--config FILE`` (a pyproject.toml, or a TOML file
whose top level is the table), else from the nearest pyproject.toml above the
current directory; its options win over it. ``libraries`` is read by roots.py,
for each spec, from the pyproject above that spec; the file is parsed by the
same reader, and an unknown key is an error with a did-you-mean in both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast

from archspec.codes import E702
from archspec.diagnostics import Diagnostic, Span, SpecError, abridge
from archspec.frontend.errors import did_you_mean
from archspec.frontend.roots import TOOL_KEYS, line_of, read_tool_table, toml_key
from archspec.limits import Limits

FORMATS = ("text", "json", "markdown", "github")
LIMIT_NAMES = tuple(item.name for item in fields(Limits))


@dataclass(frozen=True)
class ToolConfig:
    """The settings a ``[tool.archspec]`` table gives (None: it says nothing)."""

    file: str | None = None
    libraries: tuple[tuple[str, str], ...] = ()
    """(name, absolute folder) pairs, relative to the file they are in."""
    limits: dict[str, int] | None = None
    format: str | None = None
    plugins: bool | None = None

    def limits_with(self, overrides: dict[str, int]) -> Limits | None:
        """The budgets: the defaults, then the file's, then ``overrides`` (``--limit``)."""
        given = {**(self.limits or {}), **overrides}
        return Limits(**given) if given else None


def read_config(path: str | os.PathLike[str], *, whole_file: bool = True) -> ToolConfig:
    """The table of ``path``; SpecError (E702, or E208 for the file itself) for a bad one.

    ``whole_file``: a file with no ``[tool]`` table is itself the table (``--config
    archspec.toml``); a pyproject.toml without ``[tool.archspec]`` gives no settings."""
    problems: list[Diagnostic] = []
    found = read_tool_table(Path(path), None, problems, whole_file=whole_file, code=E702)
    if problems:
        raise SpecError(problems)
    if found is None:
        return ToolConfig(str(path))
    table, text, header = found
    file = str(path)

    def fail(message: str, key: str, hint: str | None = None) -> None:
        line = line_of(text, rf"(^\s*|[{{,.]\s*){toml_key(key)}\s*=", header)
        problems.append(Diagnostic(E702, message, Span(file, line, 1), hint=hint))

    limits: dict[str, int] | None = None
    raw_limits = table.get("limits")
    if raw_limits is not None:
        if not isinstance(raw_limits, dict):
            fail(
                "[tool.archspec] limits must be a table of budgets", "limits", "limits = {max_layers = 2000}"
            )
        else:
            limits = {}
            for name, value in cast("dict[str, Any]", raw_limits).items():
                problem = limit_problem(name, value)
                if problem is not None:
                    fail(f"[tool.archspec] limits: {problem[0]}", name, problem[1])
                else:
                    limits[name] = value
    fmt = table.get("format")
    if fmt is not None and fmt not in FORMATS:
        fail(
            f"[tool.archspec] format must be one of {', '.join(FORMATS)}, got {abridge(fmt)}",
            "format",
            did_you_mean(str(fmt), list(FORMATS)),
        )
    plugins = table.get("plugins")
    if plugins is not None and not isinstance(plugins, bool):
        fail(f"[tool.archspec] plugins must be true or false, got {abridge(plugins)}", "plugins")
    libraries = _libraries(table.get("libraries"), Path(path).parent)
    if problems:
        raise SpecError(problems)
    return ToolConfig(file, libraries, limits, fmt, plugins)


def limit_problem(name: Any, value: Any) -> tuple[str, str | None] | None:
    """Why ``name = value`` is no budget (message, hint), or None."""
    if name not in LIMIT_NAMES:
        close = did_you_mean(str(name), list(LIMIT_NAMES))
        return f"no budget named {abridge(name)}", close or f"the budgets: {', '.join(LIMIT_NAMES)}"
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return f"{name} must be a positive int, got {abridge(value)}", None
    return None


def _libraries(raw: Any, folder: Path) -> tuple[tuple[str, str], ...]:
    """The libraries, for ``--config FILE``: roots.py checks names and folders when a spec
    reads the same table; here each folder is only made absolute."""
    if not isinstance(raw, dict):
        return ()
    table = cast("dict[str, Any]", raw)
    return tuple(
        (name, os.path.abspath(folder / value))
        for name, value in table.items()
        if isinstance(value, str) and value
    )


__all__ = ["FORMATS", "LIMIT_NAMES", "TOOL_KEYS", "ToolConfig", "limit_problem", "read_config"]
