"""A small progress bar for long work, on stderr, only when it is a terminal
(so pipes, --json output and test logs stay clean).  Off a terminal, a bar made
with ``summary=True`` prints one line when the work ends instead (what was done,
how far, how long), so a log still says what happened."""

from __future__ import annotations

import os
import sys
import time


class Progress:
    """with Progress("solving", total=200) as bar: ... bar.update(1, note="rmse 0.41")"""

    def __init__(self, label: str, total: int | None = None, stream=None, enabled: bool | None = None,
                 min_interval: float = 0.1, summary: bool = False):
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and os.environ.get("SHEETNET_NO_PROGRESS") is None
        self.enabled = enabled
        self.summary = summary and not enabled
        self.min_interval = min_interval
        self._last = 0.0
        self._start = time.perf_counter()
        self.note = ""

    def __enter__(self):
        self._draw(force=True)
        return self

    def __exit__(self, *exc):
        self._draw(force=True)
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
        elif self.summary and exc[0] is None:
            done = f"{self.done}/{self.total}" if self.total else f"{self.done}"
            note = f", {self.note}" if self.note else ""
            self.stream.write(f"{self.label}: done {done} in {time.perf_counter() - self._start:.1f} s{note}\n")
            self.stream.flush()

    def update(self, n: int = 1, note: str | None = None) -> None:
        self.done += n
        if note is not None:
            self.note = note
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        elapsed = now - self._start
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * 24)
            text = f"\r{self.label} [{bar:<24}] {self.done}/{self.total} {elapsed:5.1f}s {self.note}"
        else:
            text = f"\r{self.label} {self.done} {elapsed:5.1f}s {self.note}"
        self.stream.write(text[:120].ljust(80))
        self.stream.flush()
