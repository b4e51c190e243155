"""A rich progress display for training: kimg, losses, time per step and ETA."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from invgen_stylegan2.train.loop import Stats


@contextmanager
def progress_display(kimg: float, start: Stats) -> Iterator[Callable[[Stats], None]]:
    progress = Progress(TextColumn("[bold]training"), BarColumn(), TextColumn("{task.completed:.2f}/{task.total:.1f} kimg"),
                        TextColumn("{task.fields[losses]}"), TimeRemainingColumn(), console=Console(stderr=True))
    task = progress.add_task("train", total=kimg, completed=start.kimg, losses="")

    def update(stats: Stats) -> None:
        losses = " ".join(f"{name} {value:.3f}" for name, value in stats.losses.items())
        per_step = stats.seconds / max(stats.step, 1)
        progress.update(task, completed=stats.kimg, losses=f"{losses} | {per_step:.2f} s/step")

    with progress:
        yield update
