"""Calibrated mode probabilities of 10 MAP starts, from saved modes runs (docs/results.md, "Mode probabilities").

Reads the chunks ``scripts/modes_experiment.py`` saved for the training digits (``--split train``) and the
held-out ones of each task. The temperature T of softmax(-objective / T) is fitted on the training digits only,
as ``invgen calibrate --method map --starts 10`` fits it (the right mode is the one nearest the truth, by PSNR
over the whole image; :func:`invgen.solvers.mode_weights.fit_temperature`), and, for comparison, by the digit
classifier's judgement (the right modes are those of the true class). On the held-out digits: the top mode's
class, the true class among the modes, the true class among 8 samples drawn from the weighted modes by
systematic resampling (seeded, as the mixture draws them), and the expected calibration error (10 bins) of the
statements "the digit is c with probability p" (p summed over the modes of class c).

With a second argument, the reliability diagram (predicted probability against the fraction right, 10 bins, at
the nearest-mode temperature) is drawn into that PNG.

Run: .venv/bin/python scripts/mode_calibration_tables.py docs/results/modes docs/mode-reliability.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from invgen.evaluation.calibration import calibration_error
from invgen.solvers.mixture import systematic_assignment
from invgen.solvers.mode_weights import fit_temperature, mode_probabilities

TASKS = (("x4 SR", "train-sr4", "sr4"), ("centre mask 25%", "train-center25", "modes-center25"),
         ("centre mask 40%", "train-center40", "modes-center40"))
SAMPLES = 8


def records(folder: Path) -> list[dict]:
    return [record for path in sorted(folder.glob("chunk-*.json")) for record in json.loads(path.read_text())["records"]]


def evidence(found: list[dict]) -> torch.Tensor:
    return -torch.tensor([r["mode_objectives"] for r in found], dtype=torch.float64)


def class_temperature(found: list[dict]) -> float:
    """T maximising the probability of the true class (digits whose modes miss it carry no information on T)."""
    usable = [r for r in found if r["label"] in r["mode_classes"]]
    log_evidence = evidence(usable)
    right = torch.tensor([[c == r["label"] for c in r["mode_classes"]] for r in usable])

    def nll(log_t: float) -> float:
        logits = log_evidence / 10**log_t
        return (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~right, -torch.inf), 1)).mean().item()

    grid = torch.linspace(-9, 9, 361).tolist()
    return 10 ** min(grid, key=nll)


def statements_of(found: list[dict], probabilities: torch.Tensor) -> tuple[list[float], list[bool]]:
    """Per digit and class among its modes: the summed probability of that class's modes, and whether it is right."""
    statements, truths = [], []
    for record, weights in zip(found, probabilities):
        per_class: dict[int, float] = {}
        for label, weight in zip(record["mode_classes"], weights.tolist()):
            per_class[label] = per_class.get(label, 0.0) + weight
        statements += list(per_class.values())
        truths += [label == record["label"] for label in per_class]
    return statements, truths


def summary(found: list[dict], temperature: float) -> dict[str, float]:
    probabilities = mode_probabilities(evidence(found), temperature).double()
    chosen = systematic_assignment(probabilities, SAMPLES, torch.Generator().manual_seed(0))
    statements, truths = statements_of(found, probabilities)
    among_samples = [record["label"] in {record["mode_classes"][i] for i in drawn.tolist()}
                     for record, drawn in zip(found, chosen)]
    top = probabilities.argmax(1)
    count = len(found)
    return {
        "digits": count,
        "top_correct": sum(r["mode_classes"][int(t)] == r["label"] for r, t in zip(found, top)) / count,
        "among_modes": sum(r["label"] in r["mode_classes"] for r in found) / count,
        "among_samples": sum(among_samples) / count,
        "ece": calibration_error(torch.tensor(statements), torch.tensor(truths)),
        "top_weight_above_0999": float((probabilities.max(1).values > 0.999).double().mean()),
    }


def reliability_figure(curves: list[tuple[str, list[float], list[bool]]], path: Path) -> None:
    """Predicted probability (bin mean) against the fraction right per bin, one line per task; the diagonal is
    perfect calibration; marker areas show how many statements fall in each bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.8, 4.4), dpi=120)
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for name, statements, truths in curves:
        p, right = torch.tensor(statements, dtype=torch.float64), torch.tensor(truths, dtype=torch.float64)
        which = (p * 10).long().clamp(0, 9)
        bins = [index for index in range(10) if (which == index).any()]
        means = [p[which == index].mean().item() for index in bins]
        rates = [right[which == index].mean().item() for index in bins]
        sizes = [20 + 200 * (which == index).double().mean().item() for index in bins]
        line, = axes.plot(means, rates, linewidth=1.2, label=name)
        axes.scatter(means, rates, s=sizes, color=line.get_color(), alpha=0.7)
    axes.set(xlabel="predicted probability of the digit", ylabel="fraction right (digit classifier)",
             xlim=(0, 1), ylim=(0, 1), title="10 MAP modes, calibrated temperature\n(held-out digits)")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)


def vi_table(root: Path, train_folder: str = "train-vi-mixture-center40",
             test_folder: str = "vi-mixture4-center40") -> None:
    """The VI mixture over 4 starts, centre mask 40%: T fitted on the training run's components (the one nearest
    each truth), the held-out run sampled at that T (``modes_experiment.py --temperature-from``); the T = 1 row
    redraws the held-out components at T = 1 (classes of the component means, not of new samples)."""
    train, test = records(root / train_folder), records(root / test_folder)
    if not train or not test:
        print(f"\n(VI mixture runs missing: {root / train_folder}, {root / test_folder})")
        return
    nearest = torch.tensor([max(range(len(r["component_psnr"])), key=r["component_psnr"].__getitem__) for r in train])
    evidence_of = lambda found: torch.tensor([r["elbo"] for r in found], dtype=torch.float64)  # noqa: E731
    temperature = fit_temperature(evidence_of(train), nearest)
    print(f"\nVI mixture over 4 starts, centre mask 40%: temperature {temperature:.4g} fitted on {len(train)} "
          f"training digits; {len(test)} held-out digits\n")
    print("| weights | true digit among the 8 samples | true digit among the 4 components | calibration error "
          "(ECE, 10 bins) | top weight > 0.999 | 2-std coverage of the hidden pixels (raw std) |")
    print("|---|---|---|---|---|---|")
    coverage = sum(r["coverage2_unknown_raw"] for r in test) / len(test)
    for label, value in (("softmax(ELBO), T = 1", 1.0), (f"softmax(ELBO / {temperature:.4g})", temperature)):
        probabilities = mode_probabilities(evidence_of(test), value).double()
        as_modes = [{"mode_classes": r["component_classes"], "label": r["label"]} for r in test]
        statements, truths = statements_of(as_modes, probabilities)
        if value == 1.0:
            drawn = systematic_assignment(probabilities, SAMPLES, torch.Generator().manual_seed(0))
            among = sum(r["label"] in {r["component_classes"][i] for i in row.tolist()}
                        for r, row in zip(test, drawn)) / len(test)
            shown, covered = f"{among:.1%} (component classes)", "- (not sampled at T = 1)"
        else:
            shown = f"{sum(r['label'] in r['sample_classes'] for r in test) / len(test):.1%}"
            covered = f"{coverage:.1%}"
        print(f"| {label} | {shown} | {sum(r['label'] in r['component_classes'] for r in test) / len(test):.1%} | "
              f"{calibration_error(torch.tensor(statements), torch.tensor(truths)):.3f} | "
              f"{(probabilities.max(1).values > 0.999).double().mean().item():.1%} | {covered} |")


def main(root: Path, figure: Path | None = None) -> None:
    print("| task | temperature (fitted on) | held-out digits | top mode correct | true digit among the 10 modes "
          "| true digit among 8 samples | calibration error (ECE, 10 bins) | top weight > 0.999 |")
    print("|---|---|---|---|---|---|---|---|")
    curves: list[tuple[str, list[float], list[bool]]] = []
    for name, train_folder, test_folder in TASKS:
        train, test = records(root / train_folder), records(root / test_folder)
        if not train or not test:
            print(f"| {name} | (runs missing: {root / train_folder}, {root / test_folder}) | | | | | | |")
            continue
        nearest = torch.tensor([max(range(len(r["mode_psnr"])), key=r["mode_psnr"].__getitem__) for r in train])
        fits = (("T = 1 (uncalibrated)", 1.0),
                (f"nearest mode, {len(train)} training digits", fit_temperature(evidence(train), nearest)),
                (f"true class, {len(train)} training digits", class_temperature(train)))
        curves.append((name, *statements_of(test, mode_probabilities(evidence(test), fits[1][1]).double())))
        for label, temperature in fits:
            row = summary(test, temperature)
            print(f"| {name} | {temperature:.4g} ({label}) | {row['digits']} | {row['top_correct']:.1%} | "
                  f"{row['among_modes']:.1%} | {row['among_samples']:.1%} | {row['ece']:.3f} | "
                  f"{row['top_weight_above_0999']:.1%} |")
    if figure is not None and curves:
        reliability_figure(curves, figure)
    vi_table(root)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results/modes"),
         Path(sys.argv[2]) if len(sys.argv) > 2 else None)
