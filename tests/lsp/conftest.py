"""A real archspec language server over stdio, driven by pytest-lsp's client."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 3.0  # seconds a check may take in these tests


def server_config(timeout: float = TIMEOUT) -> ClientServerConfig:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return ClientServerConfig(
        server_command=[
            sys.executable,
            "-m",
            "archspec",
            "lsp",
            "--debounce",
            "0.05",
            "--timeout",
            str(timeout),
        ],
        server_env=env,
    )


@pytest_lsp.fixture(config=server_config(), scope="module")
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()
