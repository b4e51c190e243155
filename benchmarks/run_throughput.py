"""Images per second of `invgen run --input FOLDER`, end to end (start-up, loading, solving, writing files),
for several --batch sizes in one process and for two processes under torchrun.

Run: .venv/bin/python benchmarks/run_throughput.py --images 32 --steps 100
It exports the first N held-out digits (evenly spaced) as PNGs into a temporary folder and runs
x4 super-resolution with the embedded model (preset pixel). Figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import machine_line

ROOT = Path(__file__).resolve().parents[1]


def run(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="invgen-throughput-"))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "export_images.py"), "mnist5k-holdout", str(work / "in"),
                    "--limit", str(args.images)], check=True, stdout=subprocess.DEVNULL)
    base = ["run", "-g", "stylegan2-mnist32", "-f", "downsample:factor=4", "--simulate", "--preset", "pixel",
            "--lr", "0.03", "--steps", str(args.steps), "-i", str(work / "in"), "--device", args.device]
    print(f"{args.images} digits, x4 SR, preset pixel, {args.steps} steps, device {args.device}; {machine_line()}")
    print("| processes | --batch | seconds | images/s |")
    print("|---|---|---|---|")
    for batch in args.batches:
        seconds = run([sys.executable, "-m", "invgen", *base, "--batch", str(batch), "-o", str(work / f"b{batch}")])
        print(f"| 1 | {batch} | {seconds:.1f} | {args.images / seconds:.2f} |", flush=True)
    batch = max(args.batches)
    seconds = run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                   "-m", "invgen", *base, "--batch", str(batch), "-o", str(work / "torchrun")])
    print(f"| 2 (torchrun) | {batch} | {seconds:.1f} | {args.images / seconds:.2f} |")


if __name__ == "__main__":
    main()
