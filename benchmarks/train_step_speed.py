"""Milliseconds per StyleGAN2 training step with glibc's default allocator and inside kept_memory(), paired.

The plugin's training loop runs its steps inside invgen.plugin.kept_memory() (as a solve does);
this measures what that buys: fresh trainers of the same settings (the embedded model's: 32 px,
one channel, the small config) on the 4,500 training digits, alternating plain and kept, each
timed over --steps steps after three untimed ones.
Run: cd benchmarks && ../.venv/bin/python train_step_speed.py [--batch 32] [--steps 16] [--pairs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from invgen.plugin import kept_memory
from invgen_stylegan2.train.data import mnist5k
from invgen_stylegan2.train.loop import Trainer, TrainSettings
from timing import machine_line  # benchmarks/timing.py (run from any folder: the script's own)


def ms_per_step(settings: TrainSettings, data, steps: int, kept: bool) -> float:  # noqa: ANN001 - an ImageSet
    trainer = Trainer(settings, data)
    with kept_memory() if kept else contextlib.nullcontext():
        for _ in range(3):
            trainer.step()
        started = time.perf_counter()
        for _ in range(steps):
            trainer.step()
    return (time.perf_counter() - started) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args()
    settings = TrainSettings(resolution=32, channels=1, batch=args.batch)
    data = mnist5k("train")
    print(machine_line())
    plain, kept = [], []
    for _ in range(args.pairs):
        plain.append(ms_per_step(settings, data, args.steps, kept=False))
        kept.append(ms_per_step(settings, data, args.steps, kept=True))
        print(f"plain {plain[-1]:.1f} ms/step, kept memory {kept[-1]:.1f} ms/step")
    print(f"median: plain {statistics.median(plain):.1f}, kept {statistics.median(kept):.1f} ms per step "
          f"(batch {args.batch}, {args.steps} steps x {args.pairs} pairs)")


if __name__ == "__main__":
    main()
