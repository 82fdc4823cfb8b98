"""The ``archspec lsp`` command: its options, and starting the server.

Kept apart from the server so that the command line can list the command
without importing pygls, an optional dependency (``pip install archspec-nn[lsp]``).
"""

from __future__ import annotations

import argparse

DEFAULT_TIMEOUT = 10.0
DEFAULT_DEBOUNCE = 0.3


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds in (0, 3600], got {text[:40]!r}")
    return value


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"stop a document's check after S seconds and show E700 ({DEFAULT_TIMEOUT:g})",
    )
    command.add_argument(
        "--debounce",
        type=_seconds,
        default=DEFAULT_DEBOUNCE,
        metavar="S",
        help=f"check a document S seconds after the last change ({DEFAULT_DEBOUNCE:g})",
    )


class MissingServer(Exception):
    """pygls is not installed."""


def start(args: argparse.Namespace) -> None:
    """Serve over stdin/stdout until the client exits; MissingServer without pygls.
    ``args`` holds the settings archspec/cliconfig.py resolved (limits, libraries, plugins)."""
    try:
        from archspec.lsp.server import serve
        from archspec.lsp.worker import Settings
    except ImportError as error:
        raise MissingServer(f"archspec lsp needs pygls: pip install 'archspec-nn[lsp]' ({error})") from None
    settings = Settings(limits=args.limits, libraries=args.libraries, plugins=args.plugins)
    serve(settings, args.timeout, args.debounce)
