"""Write a registered image set as PNG files (inputs for `invgen run --input FOLDER` and its benchmarks).

Run: .venv/bin/python scripts/export_images.py mnist5k-holdout out/digits --limit 100
(``--limit N`` takes N images spread evenly over the set, as ``invgen eval --limit`` does.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from invgen.io.images import save_image
from invgen.registry.manager import registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", help="a registered data set, e.g. mnist5k-holdout")
    parser.add_argument("out", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    images = registry().datasets[args.dataset].load()
    chosen = range(len(images)) if args.limit is None else \
        torch.linspace(0, len(images) - 1, args.limit).round().long().tolist()
    for index in chosen:
        save_image(args.out / f"{args.dataset}_{index:04d}.png", images[index])
    print(f"wrote {len(chosen)} images to {args.out}")


if __name__ == "__main__":
    main()
