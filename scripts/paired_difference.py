"""Paired difference of two methods in an `invgen eval` results.json, image by image (mean ± standard error).

    .venv/bin/python scripts/paired_difference.py docs/results/eval500/inpaint-large/results.json \
        inpaint-large/brgm-vi inpaint-large/biharmonic --metric lpips
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from invgen.evaluation.changes import paired_difference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results.json written by invgen eval")
    parser.add_argument("first", help="TASK/METHOD")
    parser.add_argument("second", help="TASK/METHOD subtracted from the first")
    parser.add_argument("--metric", default="psnr", choices=["lpips", "rmse", "psnr", "ssim"])
    args = parser.parse_args()
    per_image = json.loads(args.results.read_text())["per_image"]
    missing = [name for name in (args.first, args.second) if name not in per_image]
    if missing:
        print(f"{args.results}: no {missing[0]!r} (has {', '.join(per_image)})", file=sys.stderr)
        return 2
    first, second = per_image[args.first][args.metric], per_image[args.second][args.metric]
    mean, se = paired_difference(first, second)
    print(f"{args.metric}: {args.first} - {args.second} = {mean:+.4f} ± {se:.4f} (n={len(first)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
