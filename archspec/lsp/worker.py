"""The checks run in a worker process, so that no document can hang the server.

The budgets of :class:`~archspec.limits.Limits` bound the work of one compile,
but an editor needs more: an answer within a time, whatever the document. Python
cannot stop a thread that computes, so each document is checked in a child
process (started once, with archspec imported) that the server kills when a
check takes longer than ``timeout`` seconds. The check is then answered with the
budget's diagnostic (E700) and the next one starts a fresh worker; a worker that
dies (out of memory) is answered with E701. The child gets the document's text
and path and sends back plain facts (archspec/lsp/analysis.py).
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from archspec.codes import E700, E701
from archspec.frontend.roots import LibraryConfig
from archspec.limits import Limits
from archspec.lsp.analysis import Analysis, Problem, analyze

START_TIMEOUT = 120.0
"""Seconds a new worker may take to import archspec (a cold start on a busy machine)."""


@dataclass(frozen=True)
class Settings:
    """What every check of the session uses: budgets, libraries, plugins."""

    limits: Limits | None = None
    libraries: LibraryConfig | None = None
    plugins: bool = True


def _serve(connection: Connection, settings: Settings) -> None:
    """The child: check each (text, file) received, send the Analysis back."""
    from archspec.lsp.kinds import kinds

    table = kinds(settings.plugins)
    connection.send("ready")
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        text, file = request
        connection.send(analyze(text, file, table, settings.limits, settings.libraries))


class Worker:
    """One child process that checks documents, one at a time, each within ``timeout``."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None
        self.restarts = 0

    def check(self, text: str, file: str) -> Analysis:
        """The analysis of ``text``, or the budget's diagnostic; blocks (call it off the event loop)."""
        with self._lock:
            connection = self._start()
            if connection is None:
                return _failed(file, E701, "the checker process could not start", None)
            try:
                connection.send((text, file))
                if connection.poll(self.timeout):
                    answer = connection.recv()
                    if isinstance(answer, Analysis):
                        return answer
            except (EOFError, OSError, BrokenPipeError):
                self._stop()
                return _failed(
                    file,
                    E701,
                    "the checker stopped while checking this document",
                    "it likely ran out of memory: lower the budgets (docs/security.md)",
                )
            self._stop()
            return _failed(
                file,
                E700,
                f"checking this document took longer than {self.timeout:g} s; it was stopped",
                "give the input concrete sizes, or start the server with a larger --timeout",
            )

    def _start(self) -> Connection | None:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self._stop()
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, self.settings), daemon=True)
        process.start()
        theirs.close()
        try:
            ready = mine.poll(START_TIMEOUT) and mine.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.kill()
            process.join()
            return None
        self._process, self._connection = process, mine
        self.restarts += 1
        return mine

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._process is not None and self._process.is_alive():
                try:
                    self._connection.send(None)
                    self._process.join(2)
                except OSError:
                    pass
            self._stop()


def _failed(file: str, code: str, message: str, hint: str | None) -> Analysis:
    return Analysis(file, (Problem(str(code), message, hint, "", file, 1, 1, 1, 1),))
