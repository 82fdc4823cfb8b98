"""One torch thread per test: the tensors here are tiny, and on a shared 2-core
machine intra-op threads mostly spin. Restored after each test, so that other
test folders in the same session keep torch's default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
