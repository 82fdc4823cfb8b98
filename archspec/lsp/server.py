"""``archspec lsp``: the language server, on pygls, over stdio.

Each open document is checked in the worker process (archspec/lsp/worker.py)
after the user stops typing for ``debounce`` seconds; the diagnostics are then
published and the client asked to refresh its inlay hints. A request (hover,
inlay hints, completion, definition, outline) waits for the check in flight,
if any, and is answered from its facts. A request about a document the client
never opened, or at a position outside it, gets an InvalidParams error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from archspec.lsp import answers
from archspec.lsp.analysis import Analysis, prelude_facts
from archspec.lsp.completion import completions
from archspec.lsp.kinds import kinds
from archspec.lsp.text import Lines, OutOfRange
from archspec.lsp.worker import Settings, Worker

LOG = logging.getLogger("archspec.lsp")
DEBOUNCE = 0.3
"""Seconds without a change before a document is checked."""
TIMEOUT = 10.0
"""Seconds one check may take before it is stopped (E700)."""


def path_of(uri: str) -> str:
    """The file a ``file:`` URI names; any other URI (``untitled:``) stays as it is, so
    that imports resolve from the current folder, as for spec text."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


@dataclass
class Document:
    uri: str
    version: int
    text: str
    analysis: Analysis | None = None
    loaded: Analysis | None = None
    """The last analysis of a text that loaded: completion goes on from it while the text does not."""
    pending: asyncio.Task[None] | None = field(default=None, repr=False)


class ArchspecServer(LanguageServer):
    def __init__(self, settings: Settings, timeout: float = TIMEOUT, debounce: float = DEBOUNCE) -> None:
        from archspec import __version__

        super().__init__("archspec", __version__)
        self.settings = settings
        self.debounce = debounce
        self.worker = Worker(settings, timeout)
        self.documents: dict[str, Document] = {}
        self.kinds = kinds(settings.plugins)

    def document(self, uri: str) -> Document:
        found = self.documents.get(uri)
        if found is None:
            raise JsonRpcInvalidParams(f"unknown document {uri}: the client has not opened it")
        return found

    def schedule(self, document: Document, delay: float) -> None:
        if document.pending is not None and not document.pending.done():
            document.pending.cancel()
        document.pending = asyncio.ensure_future(self._check(document, delay))

    async def _check(self, document: Document, delay: float) -> None:
        try:
            await self._check_now(document, delay)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not go unseen: log it (stderr), keep serving
            LOG.exception("checking %s failed", document.uri)

    async def _check_now(self, document: Document, delay: float) -> None:
        await asyncio.sleep(delay)
        version, text = document.version, document.text
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(None, self.worker.check, text, path_of(document.uri))
        if self.documents.get(document.uri) is not document or document.version != version:
            return  # changed or closed meanwhile: the newer check publishes
        document.analysis = analysis
        if analysis.loaded:
            document.loaded = analysis
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                document.uri, answers.diagnostics(analysis, Lines(text)), version=version
            )
        )
        capabilities = self.client_capabilities.workspace
        refresh = capabilities and capabilities.inlay_hint and capabilities.inlay_hint.refresh_support
        if refresh:
            self.workspace_inlay_hint_refresh(None)

    async def facts(self, uri: str) -> tuple[Analysis, Lines]:
        """The document's latest facts, after the check in flight (if any)."""
        document = self.document(uri)
        pending = document.pending
        if pending is not None and not pending.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(pending)
        document = self.document(uri)
        return document.analysis or Analysis(path_of(uri)), Lines(document.text)

    async def completion_facts(self, uri: str) -> tuple[Analysis, Lines]:
        analysis, lines = await self.facts(uri)
        if not analysis.loaded:
            analysis = self.document(uri).loaded or prelude_facts(self.kinds)
        return analysis, lines


def position(lines: Lines, at: types.Position) -> int:
    try:
        return lines.checked(at.line, at.character)
    except OutOfRange as error:
        raise JsonRpcInvalidParams(str(error)) from None


def make_server(settings: Settings, timeout: float = TIMEOUT, debounce: float = DEBOUNCE) -> ArchspecServer:
    server = ArchspecServer(settings, timeout, debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ArchspecServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        document = Document(item.uri, item.version, item.text)
        ls.documents[item.uri] = document
        ls.schedule(document, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArchspecServer, params: types.DidChangeTextDocumentParams) -> None:
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            return
        document.text = ls.workspace.get_text_document(document.uri).source
        document.version = params.text_document.version
        ls.schedule(document, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ArchspecServer, params: types.DidSaveTextDocumentParams) -> None:
        document = ls.documents.get(params.text_document.uri)
        if document is not None:  # an imported file may have changed too
            ls.schedule(document, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ArchspecServer, params: types.DidCloseTextDocumentParams) -> None:
        document = ls.documents.pop(params.text_document.uri, None)
        if document is not None and document.pending is not None:
            document.pending.cancel()
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(params.text_document.uri, []))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ArchspecServer, params: types.HoverParams) -> types.Hover | None:
        analysis, lines = await ls.facts(params.text_document.uri)
        index = position(lines, params.position)
        return answers.hover(analysis, lines, params.position.line, index, ls.kinds)

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    async def inlay_hint(ls: ArchspecServer, params: types.InlayHintParams) -> list[types.InlayHint]:
        analysis, lines = await ls.facts(params.text_document.uri)
        position(lines, params.range.start)
        last = min(params.range.end.line, len(lines) - 1)
        return answers.inlay_hints(analysis, lines, params.range.start.line, last)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[" ", "{", ",", "["]),
    )
    async def completion(ls: ArchspecServer, params: types.CompletionParams) -> types.CompletionList:
        analysis, lines = await ls.completion_facts(params.text_document.uri)
        index = position(lines, params.position)
        items = completions(analysis, lines, params.position.line, index, ls.kinds)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: ArchspecServer, params: types.DefinitionParams) -> types.Location | None:
        analysis, lines = await ls.facts(params.text_document.uri)
        index = position(lines, params.position)
        return answers.definition(analysis, lines, params.position.line, index)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: ArchspecServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        analysis, lines = await ls.facts(params.text_document.uri)
        return answers.symbols(analysis, lines)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ArchspecServer, params: Any) -> None:
        ls.worker.close()

    return server


def serve(settings: Settings | None = None, timeout: float = TIMEOUT, debounce: float = DEBOUNCE) -> None:
    """Run the server on stdin and stdout until the client exits it."""
    server = make_server(settings or Settings(), timeout, debounce)
    try:
        server.start_io()
    finally:
        server.worker.close()
