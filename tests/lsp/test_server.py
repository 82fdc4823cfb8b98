"""The server end to end: a real client opens, edits and asks about spec files over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPEC = """\
archspec: 1
name: tiny
input: [3, H, W]
layers:
  - conv: {out_channels: 16, kernel_size: 3, padding: 1}
  - relu
  - residual: {out_channels: 16}
  - maxpool: {kernel_size: 2}
"""


async def open_and_wait(
    client: LanguageClient, path: Path, text: str, version: int = 1
) -> list[types.Diagnostic]:
    path.write_text(text)
    uri = path.resolve().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "yaml", version, text))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def change_and_wait(
    client: LanguageClient, uri: str, text: str, version: int
) -> list[types.Diagnostic]:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def hints(client: LanguageClient, uri: str, lines: int) -> dict[int, str]:
    found = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(lines, 0))
        )
    )
    return {hint.position.line: hint.label for hint in found or []}


async def test_shapes_at_the_end_of_each_layer_line(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    assert await open_and_wait(client, spec, SPEC) == []
    shown = await hints(client, spec.resolve().as_uri(), 8)
    assert shown == {
        4: "→ [N, 16, H, W]",
        5: "→ [N, 16, H, W]",
        6: "→ [N, 16, H, W]",
        7: "→ [N, 16, floor(H/2), floor(W/2)]",
    }


async def test_valid_then_broken_then_valid(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "typing.yaml"
    uri = spec.resolve().as_uri()
    assert await open_and_wait(client, spec, SPEC) == []
    broken = SPEC.replace("kernel_size: 3", "kernel_sise: 3")
    found = await change_and_wait(client, uri, broken, 2)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [
        ("E202", 4, 4),
        ("E201", 4, 29),
    ]
    assert "did you mean 'kernel_size'?" in found[1].message
    # The same codes, places and hints as archspec validate gives the file.
    import archspec

    spec.write_text(broken)
    with pytest.raises(archspec.SpecError) as error:
        archspec.validate(spec)
    expected = [(d.code, d.span.line - 1, d.span.column - 1, d.hint) for d in error.value.diagnostics]
    assert expected == [
        (d.code, d.range.start.line, d.range.start.character, d.message.split("hint: ")[1]) for d in found
    ]
    assert await hints(client, uri, 8) == {}
    not_yaml = await change_and_wait(client, uri, "layers: [conv: {", 3)
    assert [d.code for d in not_yaml] == ["E100"]
    assert await change_and_wait(client, uri, SPEC, 4) == []
    assert (await hints(client, uri, 8))[7] == "→ [N, 16, floor(H/2), floor(W/2)]"


async def test_hover_on_a_layer_and_on_a_block_call(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "hover.yaml"
    await open_and_wait(client, spec, SPEC.replace("[3, H, W]", "[3, 32, 32]"))
    uri = spec.resolve().as_uri()
    conv = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(4, 5))
    )
    text = conv.contents.value
    assert "**conv** `0`" in text
    assert "input `[N, 3, 32, 32]` → output `[N, 16, 32, 32]`" in text
    assert "params 448" in text and "MACs 442.4 k" in text and "activations 65.54 kB" in text
    block = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(6, 6))
    )
    assert "block **residual**: ResNet's residual block" in block.contents.value
    assert "`out_channels` (int, required)" in block.contents.value


async def test_completion_of_kinds_params_and_tensors(client: LanguageClient, tmp_path: Path) -> None:
    text = SPEC + "  - conv: {out_channels: 8, ker\n  - add: {from: [\n  - \n"
    spec = tmp_path / "complete.yaml"
    await open_and_wait(client, spec, text)
    uri = spec.resolve().as_uri()

    async def labels(line: int, character: int) -> dict[str, types.CompletionItem]:
        found = await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        )
        return {item.label: item for item in found.items}

    kinds = await labels(10, 4)
    assert {"conv", "linear", "relu", "residual", "inception"} <= set(kinds)
    params = await labels(8, 31)
    assert params["kernel_size"].insert_text == "kernel_size: "
    assert "required" in params["kernel_size"].documentation.value
    assert "stride" in params and "padding" in params
    tensors = await labels(9, 17)
    assert "input" in tensors


async def test_definition_of_a_block_call_and_outline(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "blocks:\n  twice:\n    params: {c: int}\n    layers:\n      - conv: {out_channels: =c, kernel_size: 1}\n"
    )
    text = SPEC.replace("layers:\n", "imports: [mine.yaml]\nlayers:\n  - twice: {c: 4}\n", 1)
    spec = tmp_path / "defs.yaml"
    assert await open_and_wait(client, spec, text) == []
    uri = spec.resolve().as_uri()
    call = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), types.Position(5, 5))
    )
    assert call.uri == (tmp_path / "mine.yaml").resolve().as_uri() and call.range.start.line == 1
    target = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), types.Position(3, 12))
    )
    assert target.uri == (tmp_path / "mine.yaml").resolve().as_uri()
    prelude = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), types.Position(8, 6))
    )
    assert prelude.uri.endswith("/archspec/frontend/prelude.yaml")
    outline = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )
    assert [s.name for s in outline] == ["twice", "conv", "relu", "residual", "maxpool"]
    assert outline[0].detail == "twice → [N, 4, H, W]"


async def test_an_error_in_an_imported_file_shows_on_the_import(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "bad.yaml").write_text(
        "blocks:\n  broken:\n    layers:\n      - conv: {out_channels: 4, kernel_sise: 1}\n"
    )
    text = SPEC.replace("layers:\n", "imports:\n  - bad.yaml\nlayers:\n", 1)
    found = await open_and_wait(client, tmp_path / "uses.yaml", text)
    assert [(d.code, d.range.start.line) for d in found] == [("E202", 4), ("E201", 4)]
    assert all(d.message.startswith(f"in {(tmp_path / 'bad.yaml').resolve()}:4:") for d in found)
    assert found[1].related_information[0].location.uri == (tmp_path / "bad.yaml").resolve().as_uri()
    assert found[1].related_information[0].location.range.start.line == 3


async def test_a_block_file_is_checked_on_its_own(client: LanguageClient, tmp_path: Path) -> None:
    found = await open_and_wait(
        client, tmp_path / "lib.yaml", "blocks:\n  b:\n    params: {c: flot}\n    layers: [relu]\n"
    )
    assert [d.code for d in found] == ["E200"]


async def test_bad_requests_get_protocol_errors(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "edges.yaml"
    await open_and_wait(client, spec, SPEC)
    uri = spec.resolve().as_uri()
    with pytest.raises(JsonRpcException, match="outside the document"):
        await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(99, 0))
        )
    with pytest.raises(JsonRpcException, match="outside the document"):
        await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(0, 500))
        )
    with pytest.raises(JsonRpcException, match="unknown document"):
        await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier("file:///nowhere/x.yaml"), types.Position(0, 0))
        )
    # A document that is not YAML: its diagnostic, and empty answers.
    other = tmp_path / "notes.yaml"
    found = await open_and_wait(client, other, "\tnot: [yaml\n")
    assert [d.code for d in found] == ["E100"]
    assert await hints(client, other.resolve().as_uri(), 2) == {}
    empty = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(other.resolve().as_uri()), types.Position(0, 0))
    )
    assert empty is None


HOSTILE_TAG = (
    "archspec: 1\nname: x\ninput: [3, 8, 8]\nlayers:\n  - !!python/object/apply:os.system ['touch PWNED']\n"
)
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(8)
)


async def test_hostile_documents_keep_the_server_responsive(
    client: LanguageClient, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tag = await open_and_wait(client, tmp_path / "tag.yaml", HOSTILE_TAG)
    assert [d.code for d in tag] == ["E102"] and not (tmp_path / "PWNED").exists()
    bomb = await open_and_wait(client, tmp_path / "bomb.yaml", ALIAS_BOMB)
    assert [d.code for d in bomb] == ["E401"]
    huge = await open_and_wait(client, tmp_path / "huge.yaml", "# " + "x" * (1 << 20) + "\n")
    assert [d.code for d in huge] == ["E400"]
    # The next document is checked by a fresh worker.
    assert await open_and_wait(client, tmp_path / "after.yaml", SPEC) == []
