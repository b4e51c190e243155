"""Shared by the benchmark scripts: a median wall-clock timer and a line describing the machine."""

from __future__ import annotations

import platform
import statistics
import time
from typing import Callable

import torch


def timed(function: Callable[[], None], repeats: int) -> float:
    """Median seconds of ``repeats`` calls, after one untimed warm-up call."""
    function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def machine_line() -> str:
    return f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
