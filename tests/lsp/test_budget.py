"""A check past the server's time budget is stopped and answered with E700; the server goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.conftest import server_config
from tests.lsp.test_server import SPEC, open_and_wait

pytestmark = pytest.mark.asyncio(loop_scope="module")

# 50 ms for a document whose check takes seconds: 1,500 convolutions on a symbolic input.
SLOW = "archspec: 1\nname: slow\ninput: [3, H, W]\nlayers:\n" + "".join(
    f"  - conv: {{out_channels: 4, kernel_size: {1 + i % 3}, padding: {i % 2}}}\n" for i in range(1500)
)


@pytest_lsp.fixture(config=server_config(timeout=0.05), scope="module")
async def hasty(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    yield
    await lsp_client.shutdown_session()


async def test_a_check_past_its_time_gets_the_budget_diagnostic(
    hasty: LanguageClient, tmp_path: Path
) -> None:
    client = hasty
    found = await asyncio.wait_for(open_and_wait(client, tmp_path / "slow.yaml", SLOW), 120)
    assert [d.code for d in found] == ["E700"]
    assert "longer than 0.05 s" in found[0].message
    uri = (tmp_path / "slow.yaml").resolve().as_uri()
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(4, 5))
    )
    assert hover is not None and "primitive **conv**" in hover.contents.value  # the registry still answers
    # The server still answers, from a fresh worker (a tiny spec's check fits in 50 ms or says E700).
    after = await asyncio.wait_for(open_and_wait(client, tmp_path / "after.yaml", SPEC), 120)
    assert [d.code for d in after] in ([], ["E700"])
