"""How often the out-of-domain check (invgen/run/domain.py) flags faces given to the digit model, and digits.

50 held-out digits (evenly spaced) and the first 50 images of scikit-image's LFW subset (faces, 25x25 grey, resized to
32x32), each run through `invgen run --input FOLDER --simulate` for a task (default MAP preset, 100 steps);
counts the inputs whose run.json says ``out_of_domain`` and prints the gaps. The runs are kept in --work and
reused on a rerun (--resume); the summary goes to --out.
Run: .venv/bin/python scripts/domain_experiment.py --out docs/results/domain
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

TASKS = {"sr4": "downsample:factor=4", "center25": "center-mask:fraction=0.25"}
COUNT = 50


def export(out: Path) -> dict[str, Path]:
    from PIL import Image
    from skimage import data

    faces = out / "inputs" / f"faces{COUNT}"
    if not faces.exists():
        faces.mkdir(parents=True)
        for index, face in enumerate(data.lfw_subset()[:COUNT]):
            Image.fromarray((face * 255).round().astype(np.uint8)).resize((32, 32), Image.BICUBIC).save(
                faces / f"lfw_{index:03d}.png")
    digits = out / "inputs" / f"digits{COUNT}"
    if not digits.exists():
        subprocess.run([sys.executable, str(Path(__file__).with_name("export_images.py")), "mnist5k-holdout",
                        str(digits), "--limit", str(COUNT)], check=True)
    return {"faces": faces, "digits": digits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("out/domain"), help="inputs and runs (large)")
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    folders = export(args.work)
    invgen = Path(sys.executable).with_name("invgen")
    summary = {}
    for task, spec in TASKS.items():
        for kind, folder in folders.items():
            results = args.work / "runs" / f"{task}-{kind}{COUNT}"
            subprocess.run([str(invgen), "run", "-g", "stylegan2-mnist32", "-f", spec, "-i", str(folder),
                            "--simulate", "--steps", str(args.steps), "--batch", "50", "--precision", "bf16",
                            "--resume", "-o", str(results)], check=True, stdout=subprocess.DEVNULL)
            reports = [json.loads(p.read_text())["domain"] for p in sorted(results.glob("*/run.json"))]
            gaps = np.array([r["gap_db"] for r in reports])
            summary[f"{task}/{kind}"] = {
                "inputs": len(reports), "flagged": int(sum(r["out_of_domain"] for r in reports)),
                "fit_db_median": round(float(np.median([r["fit_db"] for r in reports])), 2),
                "gap_db_quantiles_5_50_95": [round(float(v), 2) for v in np.quantile(gaps, [0.05, 0.5, 0.95])],
                "in_domain_db": reports[0]["in_domain_db"]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
