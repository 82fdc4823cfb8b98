"""The public API type-checks with pyright in strict mode (pyrightconfig.json lists the files).

pyright is in the test extra; CI runs this test with the suite. It needs Node.js,
which the pyright package finds on the machine or fetches from the npm registry.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("pyright")


@pytest.mark.slow
def test_the_public_api_is_strictly_typed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--project", "pyrightconfig.json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 errors" in done.stdout
