"""What `invgen run` shows while it works: a bar over one input's steps, or over many inputs with their rate."""

from __future__ import annotations

import sys
import time
from typing import Any

from invgen.run.events import Events
from invgen.runtime.reporting import stderr

PLAIN_INTERVAL_S = 10.0  # progress lines when stderr is not a terminal


class SingleBar(Events):
    """One input: a rich bar over the optimisation steps that shows the current objective."""

    def __init__(self, steps: int, method: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        label = "optimising" if method == "map" else "fitting q (MAP warm start first)"
        self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[what]} {task.fields[value]}"), TimeRemainingColumn(),
                                 console=stderr, transient=True)
        self.task = self.progress.add_task(method, total=steps, value="-",
                                           what="objective" if method == "map" else "-ELBO")

    def __enter__(self) -> "SingleBar":
        self.progress.start()
        return self

    def start(self, total: int, skipped: int) -> None:
        if skipped:
            print("invgen: the result in --output is complete already (--resume): nothing to do", file=sys.stderr)

    def batch(self, count: int, steps: int) -> None:
        self.progress.reset(self.task, total=steps)

    def step(self, step: Any) -> None:
        self.progress.update(self.task, completed=step.step, value=f"{step.total:.4g}")

    def done(self, row: dict[str, Any]) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


class ManyProgress(Events):
    """Many inputs: an overall bar (images, images per second, ETA) over the current batch's steps on a
    terminal; otherwise a plain line every ``PLAIN_INTERVAL_S`` seconds, for logs and batch jobs."""

    def __init__(self, listed: int, part: Any) -> None:
        self.listed, self.part = listed, part
        self.total = self.finished = self.failed = 0
        self.started = self.last_line = time.monotonic()
        self.live = stderr.is_terminal
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=stderr,
                                     transient=True)
            self.images = self.progress.add_task("images", total=None, rate="")
            self.steps = self.progress.add_task("  batch steps", total=None, rate="")

    def __enter__(self) -> "ManyProgress":
        if self.live:
            self.progress.start()
        return self

    def start(self, total: int, skipped: int) -> None:
        self.total = total
        share = "" if self.part.count == 1 else f" (shard {self.part.index}/{self.part.count}, {self.part.source})"
        print(f"invgen: {total} inputs to reconstruct of {self.listed}{share}"
              + (f"; {skipped} complete already" if skipped else ""), file=sys.stderr)
        if self.live:
            self.progress.update(self.images, total=total)

    def batch(self, count: int, steps: int) -> None:
        if self.live:
            self.progress.reset(self.steps, total=steps, description=f"  batch of {count}: steps")

    def step(self, step: Any) -> None:
        if self.live:
            self.progress.update(self.steps, completed=step.step)
        else:
            self._plain()

    def done(self, row: dict[str, Any]) -> None:
        self.finished += 1
        self.failed += row["status"] == "error"
        if self.live:
            self.progress.update(self.images, completed=self.finished, rate=f"{self._rate():.2f} images/s")
        else:
            self._plain(force=self.finished == self.total)

    def _rate(self) -> float:
        return self.finished / max(time.monotonic() - self.started, 1e-9)

    def _plain(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_line < PLAIN_INTERVAL_S:
            return
        self.last_line = now
        rate = self._rate()
        eta = f"ETA {(self.total - self.finished) / rate:.0f} s" if rate > 0 else "first batch running"
        print(f"invgen: {self.finished}/{self.total} inputs done ({self.failed} failed), {rate:.2f} images/s, {eta}",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()
