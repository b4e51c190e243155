"""Where a StyleGAN2 forward+backward spends its time, by operator, on the plain path and on the fast path.

One process: the plain path first (default allocator), then the fast path inside
invgen.speed.kept_memory(); each timed over --steps steps after five warm-up steps, with the
kernel's count of minor page faults per step, then profiled over as many (the profiler adds
time and allocations of its own). FFHQ config-f, random weights, batch 1, fp32 unless --bf16.
Run: .venv/bin/python benchmarks/synthesis_ops.py [--resolution 1024] [--steps 3] [--bf16]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import time
from collections import defaultdict

import torch
from torch.profiler import profile

import invgen
from invgen.speed import kept_memory, plain_paths
from timing import machine_line  # benchmarks/timing.py (run from any folder: the script's own)


def profiled(step, steps: int) -> tuple[dict[str, float], float, float]:
    """Self CPU ms per operator per step under the profiler, then wall seconds and minor page faults per step
    without it."""
    for _ in range(5):  # glibc's heap settles within 3 to 5 steps of the same shapes
        step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    started = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - started) / steps
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    with profile() as trace:
        for _ in range(steps):
            step()
    per_op: dict[str, float] = defaultdict(float)
    for event in trace.key_averages():
        if event.key.startswith("aten::"):
            per_op[event.key] += event.self_cpu_time_total / 1000 / steps
    return per_op, seconds, faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    generator = invgen.generator(f"stylegan2-random:resolution={args.resolution}")
    start = generator.initial_latent(1)

    def step() -> None:
        w = start.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            image = generator.synthesize(w)
        image.float().square().mean().backward()

    with plain_paths():
        plain, plain_s, plain_faults = profiled(step, args.steps)
    with kept_memory():
        fast, fast_s, fast_faults = profiled(step, args.steps)
    print(machine_line(), f"{args.resolution} px, batch 1, {'bf16' if args.bf16 else 'fp32'}, forward+backward")
    print(f"\nper step, unprofiled: plain {plain_s * 1000:.0f} ms ({plain_faults:,.0f} page faults), "
          f"fast {fast_s * 1000:.0f} ms ({fast_faults:,.0f} page faults)\n")
    print("| operator (self CPU) | plain ms/step | fast ms/step |")
    print("|---|---|---|")
    for name in sorted(set(plain) | set(fast), key=lambda n: -max(plain.get(n, 0), fast.get(n, 0)))[:args.top]:
        print(f"| {name} | {plain.get(name, 0):.0f} | {fast.get(name, 0):.0f} |")


if __name__ == "__main__":
    main()
