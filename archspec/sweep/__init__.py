"""``archspec sweep``: compile every member of a family and write one row per member.

    from archspec.sweep import Sweep
    sweep = Sweep.of("specs/families/anynet.yaml", "sweeps/anynet.grid.yaml")
    members, count = sweep.members()
    for row in sweep.rows(members, where="macs < 4e8"):
        ...

The grid file is read by :mod:`archspec.sweep.grid`, a member's row made by
:mod:`archspec.sweep.rows`, ``--where`` judged by :mod:`archspec.sweep.where`,
the backends run by :mod:`archspec.sweep.engine`, and the command line is
:mod:`archspec.sweep.command`. Nothing here is imported until a sweep runs:
``archspec validate`` starts without it (the CLI registers the command only).
See docs/cli.md (archspec sweep).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Sweep"]


def __getattr__(name: str) -> Any:
    if name == "Sweep":
        from archspec.sweep.run import Sweep

        return Sweep
    raise AttributeError(f"module 'archspec.sweep' has no attribute {name!r}")
