"""Shared by the benchmark scripts: a median wall-clock timer, a line describing the machine, paired timing of
alternatives and one generator forward+backward step."""

from __future__ import annotations

import contextlib
import platform
import statistics
import time
from typing import Any, Callable

import torch

from invgen.runtime.speed import kept_memory


def timed(function: Callable[[], None], repeats: int) -> float:
    """Median seconds of ``repeats`` calls, after one untimed warm-up call."""
    function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def synthesis_step(generator: Any, batch: int, bf16: bool) -> Callable[[], None]:
    """One forward and backward pass of ``generator`` from fresh latents (bfloat16 autocast if ``bf16``)."""
    start = generator.initial_latent(batch)

    def step() -> None:
        w = start.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            image = generator.synthesize(w)
        image.float().square().mean().backward()
    return step


def machine_line() -> str:
    from invgen_stylegan2.fast import native

    c_kernels = "C kernels " + native.status().split(":")[0]  # on / off: the fast path's speed depends on it
    return (f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"{platform.processor() or platform.machine()}, {c_kernels}")


def alternate(forms: dict[str, Callable[[], contextlib.AbstractContextManager]], step: Callable[[], None],
              rounds: int) -> dict[str, list[float]]:
    """ms per step of each form, in rounds of ABBA order (two untimed, two timed steps each)."""
    times: dict[str, list[float]] = {label: [] for label in forms}
    labels = list(forms)
    with kept_memory():
        for round_index in range(rounds):
            for label in labels if round_index % 2 == 0 else labels[::-1]:
                with forms[label]():
                    for _ in range(2):
                        step()
                    for _ in range(2):
                        started = time.perf_counter()
                        step()
                        times[label].append((time.perf_counter() - started) * 1000)
    return times


def print_medians(times: dict[str, list[float]]) -> None:
    for label, samples in times.items():
        print(f"{label}: median {statistics.median(samples):.1f} ms per step ({', '.join(f'{s:.0f}' for s in samples)})")
