"""Choose stylegan2-mnist32's reconstruction defaults on *training* digits only (never the held-out set).

Grid: preset x learning rate, 200 MAP steps, on 50 training digits spread over the classes,
for x4 super-resolution and centre-mask inpainting (25%). Prints mean PSNR per setting.
Run: .venv/bin/python scripts/tune_mnist32.py
"""

from __future__ import annotations

import itertools

import torch

import invgen
from invgen.problem.metrics import psnr
from invgen.registry.manager import registry

PRESETS = ("brgm-pixel", "pixel")
TASKS = {"sr4": ["downsample:factor=4"], "inpaint-center": ["center-mask:fraction=0.25"]}


def main() -> None:
    train = registry().datasets["mnist5k-train"].load()
    clean = train[torch.linspace(0, len(train) - 1, 50).round().long()]
    generator = invgen.generator("stylegan2-mnist32")
    print("| preset | lr | steps | " + " | ".join(TASKS) + " |")
    print("|---|---|---|" + "---|" * len(TASKS))
    for name, lr in itertools.product(PRESETS, (0.03, 0.1)):
        scores = []
        for specs in TASKS.values():
            observation = invgen.forward_model(specs).simulate(clean)
            result = invgen.reconstruct(observation, generator, specs, preset=name, steps=200, lr=lr)
            scores.append(psnr(result.image.clamp(-1, 1), clean).mean().item())
        print(f"| {name} | {lr} | 200 | " + " | ".join(f"{s:.2f}" for s in scores) + " |", flush=True)


if __name__ == "__main__":
    main()
