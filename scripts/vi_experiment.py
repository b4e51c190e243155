"""Posterior sampling checks on held-out digits (numbers for docs/results.md).

For each task (centre-mask inpainting with 40% unknown; x4 super-resolution): fit VI (bayes
preset, MAP warm start) to N held-out digits and report
- mean posterior std in the unknown region vs on the known pixels (inpainting);
- mean pairwise distance between samples there vs on the known pixels;
- PSNR of f(sample) against the observation, against the MAP estimate's;
- calibration: the fraction of ground-truth pixels inside mean +- 2 std in the unknown region
  (``inside_2std_unknown``; JSON files written before 2026-11-25 call it ``inside_2std``).

Run: .venv/bin/python scripts/vi_experiment.py --limit 500 --precision bf16 --out docs/vi-results.json
The likelihood sigma of the bayes preset was chosen on the training split with
``--data mnist5k-train --loss pixel:sigma=S`` (see docs/results.md).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

import invgen
from invgen.io.atomic import write_atomic
from invgen.problem.metrics import psnr
from invgen.registry.manager import registry
from invgen.render.posterior_stats import pairwise_distance, region_means, sample_fit_psnr
from invgen.solvers.vi import VISettings

TASKS = {"inpaint-center40": ["center-mask:fraction=0.4"], "sr4": ["downsample:factor=4"]}


def run_task(name: str, specs: list[str], clean: torch.Tensor, batch: int, settings: VISettings, samples: int,
             losses: list[str]) -> dict:
    generator = invgen.generator("stylegan2-mnist32")
    forward = invgen.forward_model(specs)
    mask = forward.mask(generator.image_shape)
    sums: dict[str, float] = {}

    def add(prefix: str, values: torch.Tensor) -> None:
        """Sum the per-digit means of ``values [B, H, W]`` over all pixels and inside/outside the mask
        (keys ``PREFIX_all``, ``PREFIX_unknown``, ``PREFIX_known``)."""
        for region, means in region_means(values, mask).items():
            sums[f"{prefix}_{region}"] = sums.get(f"{prefix}_{region}", 0.0) + means.sum().item()

    started = time.perf_counter()
    for start in range(0, len(clean), batch):
        truth = clean[start:start + batch]
        observation = forward.simulate(truth)
        problem = invgen.build_problem(observation, generator, forward, losses=losses, preset="bayes")
        result = invgen.solve(problem, replace(settings, samples=samples))
        std = result.std[:, 0]
        count = len(truth)
        fit = sample_fit_psnr(result.sample_predictions, observation)
        sums["psnr_samples"] = sums.get("psnr_samples", 0.0) + fit.sum().item()
        sums["psnr_map"] = sums.get("psnr_map", 0.0) + psnr(result.map_prediction, observation).sum().item()
        add("std", std)
        add("pair", pairwise_distance(result.samples))
        add("inside_2std", ((truth[:, 0] - result.image[:, 0]).abs() <= 2 * std).float())
        print(f"{name}: {start + count}/{len(clean)} digits, {time.perf_counter() - started:.0f} s", flush=True)
    report = {key: round(value / len(clean), 4) for key, value in sums.items()}
    report["psnr_gap_db"] = round(report["psnr_map"] - report["psnr_samples"], 4)
    report["seconds_per_digit"] = round((time.perf_counter() - started) / len(clean), 3)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--data", default="mnist5k-holdout", help="a registered dataset (mnist5k-train for tuning)")
    parser.add_argument("--loss", action="append", default=[], help="override a bayes-preset term, e.g. pixel:sigma=0.02")
    parser.add_argument("--task", action="append", choices=list(TASKS), help="default: all")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--steps", type=int, default=100, help="ELBO steps")
    parser.add_argument("--std-lr", type=float, default=None, help="default: VISettings' choice for the basis")
    parser.add_argument("--init-std", type=float, default=VISettings.init_std)
    parser.add_argument("--basis", default=VISettings.basis, choices=["latent", "data"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    digits = registry().datasets[args.data].load()
    clean = digits[torch.linspace(0, len(digits) - 1, args.limit).round().long()]
    settings = VISettings(steps=args.steps, map_steps=200, map_lr=0.05, precision=args.precision, std_lr=args.std_lr,
                          init_std=args.init_std, basis=args.basis)
    report = {"data": args.data, "digits": len(clean), "samples": args.samples, "losses": args.loss,
              "settings": settings.__dict__,
              "tasks": {name: run_task(name, TASKS[name], clean, args.batch, settings, args.samples, args.loss)
                        for name in args.task or TASKS}}
    write_atomic(args.out, (json.dumps(report, indent=2) + "\n").encode())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
