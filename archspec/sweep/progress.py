"""A progress bar with an ETA, on stderr when it is a terminal (nothing when piped)."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30
EVERY = 0.1  # seconds between redraws: a fast sweep does not spend its time drawing


class Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.drawn < EVERY:
            return
        self.drawn = now
        self.stream.write("\r" + line(done, self.total, now - self.started))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def line(done: int, total: int, elapsed: float) -> str:
    """``[#####.....] 512/1,000 (51%) 340/s ETA 0:01``."""
    share = done / total if total else 1.0
    filled = int(WIDTH * share)
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else 0.0
    minutes, seconds = divmod(round(left), 60)
    return (
        f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,} ({share:.0%}) "
        f"{rate:,.0f}/s ETA {minutes}:{seconds:02d}"
    )
