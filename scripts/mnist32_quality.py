"""The quality gate of stylegan2-mnist32 (numbers and figures for its model card).

1. train the digit classifier on the training split; report its accuracy on the 500 held-out digits;
2. draw 1,000 samples (no truncation): mean top-class probability and each class's share;
3. copying check: each sample's distance to its nearest training digit, against the same distance
   for the held-out digits (which the generator never saw).

Run: .venv/bin/python scripts/mnist32_quality.py [--weights FILE] --out docs/models
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digit_classifier import probabilities, train_classifier  # noqa: E402

import invgen  # noqa: E402
from invgen.io.atomic import write_atomic  # noqa: E402
from invgen.render.grid import grid_png  # noqa: E402
from invgen_stylegan2.train.data import mnist5k  # noqa: E402


def nearest_distances(queries: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
    """Root-mean-square pixel distance ([-1, 1] units) from each query to its nearest reference."""
    flat_q, flat_r = queries.flatten(1).double(), references.flatten(1).double()
    squared = torch.cdist(flat_q, flat_r).square() / flat_q.shape[1]
    return squared.min(dim=1).values.sqrt().float()


def histogram_png(samples: torch.Tensor, holdout: torch.Tensor) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3))
    bins = torch.linspace(0, max(samples.max(), holdout.max()).item(), 40).numpy()
    axis.hist(holdout.numpy(), bins=bins, alpha=0.6, density=True, label="held-out digits (500)")
    axis.hist(samples.numpy(), bins=bins, alpha=0.6, density=True, label="generated samples (1,000)")
    axis.set_xlabel("RMS distance to the nearest training digit ([-1, 1] units)")
    axis.set_ylabel("density")
    axis.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", help="a checkpoint file (default: the embedded stylegan2-mnist32)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()

    train, holdout = mnist5k("train"), mnist5k("holdout")
    classifier = train_classifier(train.images, train.labels)
    accuracy = (probabilities(classifier, holdout.images).argmax(1) == holdout.labels).float().mean().item()

    spec = f"stylegan2:weights={args.weights}" if args.weights else "stylegan2-mnist32"
    generator = invgen.generator(spec)
    z = torch.randn(args.samples, generator.z_dim, generator=torch.Generator().manual_seed(2024))
    with torch.no_grad():
        samples = torch.cat([generator.synthesize(generator.map(chunk)) for chunk in z.split(250)]).clamp(-1, 1)
    probs = probabilities(classifier, samples)
    shares = torch.bincount(probs.argmax(1), minlength=10).float() / len(samples)

    sample_nn = nearest_distances(samples, train.images)
    holdout_nn = nearest_distances(holdout.images, train.images)
    quantiles = torch.tensor([0.01, 0.05, 0.5])
    report = {
        "generator": spec,
        "classifier_holdout_accuracy": round(accuracy, 4),
        "samples": args.samples,
        "mean_top_class_probability": round(probs.max(1).values.mean().item(), 4),
        "class_shares": [round(v, 4) for v in shares.tolist()],
        "nearest_training_distance": {
            "samples_q01_q05_median": [round(v, 4) for v in torch.quantile(sample_nn, quantiles).tolist()],
            "holdout_q01_q05_median": [round(v, 4) for v in torch.quantile(holdout_nn, quantiles).tolist()],
            "samples_below_holdout_min": int((sample_nn < holdout_nn.min()).sum()),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "stylegan2-mnist32-quality.json", (json.dumps(report, indent=2) + "\n").encode())
    write_atomic(args.out / "stylegan2-mnist32-nearest.png", histogram_png(sample_nn, holdout_nn))
    order = torch.argsort(probs.argmax(1) * 10_000 + torch.arange(len(samples)))
    write_atomic(args.out / "stylegan2-mnist32-samples.png", grid_png(samples[order][::10][:100], columns=10))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
