"""Where a StyleGAN2 forward+backward spends its time, by operator, on the plain path and on the fast path.

One process: the plain path first (default allocator), then the fast path inside
invgen.runtime.speed.kept_memory(); each timed over --steps steps after five warm-up steps, with the
kernel's count of minor page faults per step, then timed by operator over as many. FFHQ
config-f, random weights, batch 1, fp32 unless --bf16. ``--timer profiler`` reports the
profiler's self CPU time, which overstates the small elementwise operators (by about half here);
``--timer wall`` times each operator call by the clock around it (a TorchDispatchMode: CPU
operators run synchronously), and ``--shapes`` splits the operators by their input shapes.
Run: .venv/bin/python benchmarks/synthesis_ops.py [--resolution 1024] [--steps 3] [--bf16] [--timer wall]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from typing import Any, Callable

import torch
from torch.profiler import profile
from torch.utils._python_dispatch import TorchDispatchMode

import invgen
from invgen.runtime.speed import kept_memory, plain_paths
from timing import machine_line, synthesis_step  # benchmarks/timing.py (run from any folder: the script's own)


class WallClock(TorchDispatchMode):
    """Wall-clock seconds of every operator call while active, by name (and input shapes if ``shapes``)."""

    def __init__(self, shapes: bool) -> None:
        super().__init__()
        self.shapes = shapes
        self.seconds: dict[str, float] = defaultdict(float)

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        started = time.perf_counter()
        out = func(*args, **(kwargs or {}))
        key = f"aten::{func.overloadpacket.__name__}"
        if self.shapes:
            key += " " + str([list(arg.shape) for arg in args if isinstance(arg, torch.Tensor)][:3])
        self.seconds[key] += time.perf_counter() - started
        return out


def by_operator(step: Callable[[], None], steps: int, timer: str, shapes: bool) -> dict[str, float]:
    """ms per step by operator: the profiler's self CPU time, or the wall clock around each call."""
    per_op: dict[str, float] = defaultdict(float)
    if timer == "wall":
        with WallClock(shapes) as clock:
            for _ in range(steps):
                step()
        return {name: seconds * 1000 / steps for name, seconds in clock.seconds.items()}
    with profile(record_shapes=shapes) as trace:
        for _ in range(steps):
            step()
    for event in trace.key_averages(group_by_input_shape=shapes):
        if event.key.startswith("aten::"):
            name = f"{event.key} {event.input_shapes[:3]}" if shapes else event.key
            per_op[name] += event.self_cpu_time_total / 1000 / steps
    return per_op


def profiled(step: Callable[[], None], steps: int, timer: str = "profiler", shapes: bool = False
             ) -> tuple[dict[str, float], float, float]:
    """ms per operator per step (:func:`by_operator`), then wall seconds and minor page faults per step without
    any timer."""
    for _ in range(5):  # glibc's heap settles within 3 to 5 steps of the same shapes
        step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    started = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - started) / steps
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    return by_operator(step, steps, timer, shapes), seconds, faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--timer", choices=("profiler", "wall"), default="profiler")
    parser.add_argument("--shapes", action="store_true", help="split operators by input shapes")
    args = parser.parse_args()
    generator = invgen.generator(f"stylegan2-random:resolution={args.resolution}")
    step = synthesis_step(generator, 1, args.bf16)

    with plain_paths():
        plain, plain_s, plain_faults = profiled(step, args.steps, args.timer, args.shapes)
    with kept_memory():
        fast, fast_s, fast_faults = profiled(step, args.steps, args.timer, args.shapes)
    print(machine_line(), f"{args.resolution} px, batch 1, {'bf16' if args.bf16 else 'fp32'}, forward+backward")
    print(f"\nper step, untimed: plain {plain_s * 1000:.0f} ms ({plain_faults:,.0f} page faults), "
          f"fast {fast_s * 1000:.0f} ms ({fast_faults:,.0f} page faults); by operator: plain "
          f"{sum(plain.values()):.0f} ms, fast {sum(fast.values()):.0f} ms\n")
    column = "self CPU" if args.timer == "profiler" else "wall clock"
    print(f"| operator ({column}) | plain ms/step | fast ms/step |")
    print("|---|---|---|")
    for name in sorted(set(plain) | set(fast), key=lambda n: -max(plain.get(n, 0), fast.get(n, 0)))[:args.top]:
        print(f"| {name} | {plain.get(name, 0):.0f} | {fast.get(name, 0):.0f} |")


if __name__ == "__main__":
    main()
