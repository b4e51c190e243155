"""One optimisation step (objective forward + backward to w) per image, stylegan2-mnist32, fp32 vs bf16.

This is the unit of cost of `invgen run` and `invgen eval`: a MAP run of S steps on B images
costs about S * B times the figure below. Presets: `pixel` (generator only) and `brgm`
(generator + LPIPS-VGG). Needs the LPIPS backbones for brgm: set INVGEN_LPIPS_WEIGHTS.
Run: .venv/bin/python benchmarks/objective_step_speed.py [--batches 25 100] [--repeats 3]
"""

from __future__ import annotations

import argparse

import torch

import invgen
from invgen.problem.build import build_problem
from timing import machine_line, timed  # benchmarks/timing.py (run from any folder: the script's own)


def step_seconds(preset: str, batch: int, precision: str, repeats: int) -> float:
    """Median seconds of one objective evaluation and backward pass, divided by the batch."""
    generator = invgen.generator("stylegan2-mnist32")
    observation = torch.rand(batch, 1, 8, 8) * 2 - 1
    objective = build_problem(observation, generator, "downsample:factor=4", preset=preset).objective()
    w = generator.initial_latent(batch).clone().requires_grad_(True)

    def step() -> None:
        objective.evaluate(w, precision).total.sum().backward()

    return timed(step, repeats) / batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, nargs="+", default=[25, 100])
    parser.add_argument("--presets", nargs="+", default=["pixel", "brgm"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    print("| preset | batch | fp32 ms/image/step | bf16 ms/image/step | speed-up |")
    print("|---|---|---|---|---|")
    for preset in args.presets:
        for batch in args.batches:
            fp32, bf16 = (step_seconds(preset, batch, p, args.repeats) * 1000 for p in ("fp32", "bf16"))
            print(f"| {preset} | {batch} | {fp32:.2f} | {bf16:.2f} | {fp32 / bf16:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
