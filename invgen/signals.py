"""Signals that keep work: SIGTERM stops a run as Ctrl-C does (at the next step, the best result so far
written, exit 130), and while results are being written both signals wait for the write to finish."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

STOPPING = (signal.SIGINT, signal.SIGTERM)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def terminate_as_interrupt() -> None:
    """From now on SIGTERM (a scheduler's or torchrun's stop) is handled exactly like Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


@dataclass
class Deferred:
    """The stopping signals that arrived while writing (they stop the run once the write is done)."""

    received: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.received)


@contextmanager
def deferred_interrupts() -> Iterator[Deferred]:
    """Hold SIGINT and SIGTERM until the block ends, so a second Ctrl-C never cuts a write in half; the caller
    reads the yielded :class:`Deferred` to stop afterwards. Outside the main thread (where Python delivers
    no signals) it does nothing."""
    caught = Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {number: signal.signal(number, lambda signum, frame: caught.received.append(signum))
                for number in STOPPING}
    try:
        yield caught
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
