"""How many operators one StyleGAN2 forward+backward dispatches, on the plain path and on the fast path.

Each non-view ATen operator is one kernel launch on CUDA, so for a small model (stylegan2-mnist32,
whose steps are launch-bound on a GPU) the count per step is a device-independent measure of
overhead; the casts (``aten._to_copy``) are the ones autocast and per-step weight preparation add.
Counted with a TorchDispatchMode over one step after two warm-up steps.
Run: cd benchmarks && ../.venv/bin/python ops_per_step.py [-g stylegan2-mnist32] [--batch 32] [--bf16]
"""

from __future__ import annotations

import argparse
import collections
from typing import Any

from torch.utils._python_dispatch import TorchDispatchMode

import invgen
from invgen.runtime.speed import kept_memory, plain_paths
from timing import synthesis_step  # benchmarks/timing.py (run from any folder: the script's own)


class CountOps(TorchDispatchMode):
    """Counts the non-view operators dispatched while active, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        if not func.is_view:
            self.counts[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


def count_step(step: Any) -> collections.Counter[str]:
    for _ in range(2):
        step()
    with CountOps() as counter:
        step()
    return counter.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-g", "--generator", default="stylegan2-mnist32")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    generator = invgen.generator(args.generator)
    step = synthesis_step(generator, args.batch, args.bf16)

    with plain_paths():
        plain = count_step(step)
    with kept_memory():
        fast = count_step(step)
    precision = "bf16" if args.bf16 else "fp32"
    print(f"{args.generator}, batch {args.batch}, {precision}: operators per forward+backward (views excluded)\n")
    print("| operator | plain | fast |")
    print("|---|---|---|")
    print(f"| all | {sum(plain.values())} | {sum(fast.values())} |")
    for name in sorted(set(plain) | set(fast), key=lambda n: -max(plain[n], fast[n]))[:args.top]:
        print(f"| {name} | {plain[name]} | {fast[name]} |")


if __name__ == "__main__":
    main()
