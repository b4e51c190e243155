"""Signals that keep work: SIGTERM stops a run as Ctrl-C does (at the next step, the best result so far
written, exit 130), and a second signal, or one while results are being written, waits for the write."""

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
class Stops:
    """The stopping signals received during one batch; while ``solving``, the first one stops the solve."""

    received: list[int] = field(default_factory=list)
    solving: bool = False

    def __bool__(self) -> bool:
        return bool(self.received)

    @contextmanager
    def solve_phase(self) -> Iterator[None]:
        """While this block runs, the first SIGINT or SIGTERM raises KeyboardInterrupt (the solver then stops at
        its current step and returns the best result so far)."""
        self.solving = True
        try:
            yield
        finally:
            self.solving = False


@contextmanager
def stop_signals() -> Iterator[Stops]:
    """SIGINT and SIGTERM for one solve and its write: the first stops the solve (inside
    :meth:`Stops.solve_phase`); any other, a second quick Ctrl-C or one while results are written, is held until
    the block ends, so a write is never cut in half. The caller reads the yielded :class:`Stops` to stop after
    writing. Outside the main thread (where Python delivers no signals) it does nothing."""
    stops = Stops()
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return

    def handle(signum: int, frame: Any) -> None:
        stops.received.append(signum)
        if stops.solving and len(stops.received) == 1:
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, handle) for number in STOPPING}
    try:
        yield stops
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
