"""Several solutions per observation on the held-out digits, judged by a digit classifier (docs/results.md).

MAP (``--method map``): ``--starts K`` ranked modes per digit; records each mode's class and PSNR, the top
mode's fit to the observation raw and after ``--consistency project`` (where the task allows it), and the
bicubic baseline. VI (``--method vi``): a mixture over K starts (K=1: one Gaussian); records the class of
each posterior sample and the 2-std coverage of the ground truth, raw and after calibration by
``--calibration FILE`` (made by ``invgen calibrate``).

The classifier (scripts/digit_classifier.py) is trained on the training split only. Digits are done in
chunks of ``--chunk``; each finished chunk is saved (``chunk-NNN.json``) and a rerun skips it, so an
interrupted run continues where it stopped. Prints the summary as a markdown table and writes summary.json.

Run: .venv/bin/python scripts/modes_experiment.py --task sr4 --starts 10 --limit 200 --out docs/results/modes/sr4
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digit_classifier import DigitClassifier, probabilities, train_classifier  # noqa: E402

from invgen.evaluation import baselines  # noqa: E402
from invgen.io.atomic import write_atomic  # noqa: E402
from invgen.evaluation.calibration import coverage_scores, load_calibration  # noqa: E402
from invgen.problem.components import build_forward  # noqa: E402
from invgen.evaluation.trials import observations  # noqa: E402
from invgen.evaluation.tasks import task as find_task  # noqa: E402
from invgen.problem.chain import chain  # noqa: E402
from invgen.problem.metrics import psnr  # noqa: E402
from invgen.registry.manager import registry  # noqa: E402
from invgen.problem.build import build_setup  # noqa: E402
from invgen.solvers.map import MAPSettings  # noqa: E402
from invgen.solvers.vi import VISettings  # noqa: E402
from invgen.solvers.mode_weights import fit_temperature  # noqa: E402
from invgen.solvers.solving import solve  # noqa: E402
from invgen.io.home import home  # noqa: E402
from invgen_stylegan2.train.data import mnist5k  # noqa: E402

GENERATOR = "stylegan2-mnist32"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, help="a registered task (sr4, inpaint-center, ...) or a chain")
    parser.add_argument("--method", choices=("map", "vi"), default="map")
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--preset", default=None, help="default: the generator's default for the method")
    parser.add_argument("--steps", type=int, default=100, help="MAP steps (VI: of the warm start)")
    parser.add_argument("--vi-steps", type=int, default=100)
    parser.add_argument("--samples", type=int, default=8, help="VI: posterior samples per digit")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--limit", type=int, default=None, help="evenly spaced digits of the split (default all)")
    parser.add_argument("--split", choices=("holdout", "train"), default="holdout",
                        help="the digits: the 500 held out, or the 4,500 training ones (to fit a calibration on)")
    parser.add_argument("--calibration", type=Path, default=None, help="VI: a calibration file to apply")
    parser.add_argument("--temperature-from", type=Path, default=None,
                        help="VI with --starts: weigh the mixture at the temperature fitted on this earlier run's "
                             "digits (a --split train run: the component nearest each truth is the right one)")
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args()


def config_of(args: argparse.Namespace) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()
            if key != "out" and not (key == "split" and value == "holdout")  # older chunks have no split
            and not (key == "temperature_from" and value is None)}  # nor a temperature


def main() -> None:
    args = arguments()
    args.out.mkdir(parents=True, exist_ok=True)
    config = config_of(args)
    digits = mnist5k(args.split)
    keep = torch.arange(len(digits.labels))
    if args.limit:
        keep = torch.linspace(0, len(keep) - 1, args.limit).round().long()
    clean, labels = digits.images[keep], digits.labels[keep]
    chosen = find_task(args.task)
    observed, groups = observations(chosen, clean, seed=0)
    classifier = trained_classifier()
    preset = args.preset or registry().generator_preset(GENERATOR, args.method)
    setup = build_setup(GENERATOR, preset=preset, method=args.method)
    calibration = load_calibration(args.calibration) if args.calibration else None
    temperature = fitted_temperature(args.temperature_from) if args.temperature_from else 1.0
    if args.temperature_from:
        print(f"mixture temperature {temperature:.4g}, fitted on {args.temperature_from}", flush=True)
    for group, indices in groups.items():
        specs = chosen.chain_for(indices[0])
        model = chain(build_forward(specs))
        for start in range(0, len(indices), args.chunk):
            rows = indices[start:start + args.chunk]
            path = args.out / f"chunk-g{group:02d}-{start // args.chunk:03d}.json"
            if path.exists():
                saved = json.loads(path.read_text())
                if saved["config"] != config:
                    raise SystemExit(f"{path}: made with other settings; use another --out or delete it")
                continue
            problem = setup.pose(observed[rows], specs, ground_truth=clean[rows])
            if args.method == "map":
                records = map_records(problem, model, args, clean[rows], labels[rows], classifier)
            else:
                records = vi_records(problem, args, clean[rows], labels[rows], classifier, calibration, temperature)
            for record, index in zip(records, rows):
                record["index"] = int(keep[index])
            write_atomic(path, (json.dumps({"config": config, "records": records}) + "\n").encode())
            print(f"{path.name}: {len(rows)} digits done", flush=True)
    summary = summarise([record for path in sorted(args.out.glob("chunk-*.json"))
                         for record in json.loads(path.read_text())["records"]], args)
    write_atomic(args.out / "summary.json", (json.dumps({"config": config, **summary}, indent=2) + "\n").encode())
    print(json.dumps(summary, indent=2))


def trained_classifier() -> torch.nn.Module:
    """The classifier trained on the training split (seed 0), kept under $INVGEN_HOME after the first run."""
    cached = home() / "digit-classifier-seed0.pt"
    if cached.exists():
        model = DigitClassifier()
        model.load_state_dict(torch.load(cached, weights_only=True))
        return model.eval()
    train = mnist5k("train")
    print("training the digit classifier on the training split (once) ...", flush=True)
    model = train_classifier(train.images, train.labels)
    cached.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), cached)
    return model


def classes(classifier: torch.nn.Module, images: torch.Tensor) -> list[int]:
    return probabilities(classifier, images.clamp(-1, 1).float()).argmax(1).tolist()


def map_records(problem: Any, model: Any, args: argparse.Namespace, clean: torch.Tensor, labels: torch.Tensor,
                classifier: torch.nn.Module) -> list[dict[str, Any]]:
    settings = MAPSettings(steps=args.steps, lr=args.lr, starts=args.starts, precision=args.precision)
    project = model.pseudo_inverse(problem.observation, tuple(clean.shape[1:])) is not None
    result = solve(problem, settings, consistency="project" if project else "none")
    modes = result.modes if result.modes is not None else result.image[:, None]
    raw = result.raw_image if result.raw_image is not None else result.image
    batch, count = modes.shape[:2]
    mode_classes = torch.tensor(classes(classifier, modes.flatten(0, 1))).view(batch, count)
    bicubic = baselines.restore("bicubic", problem.observation, model, tuple(clean.shape[1:])) \
        if baselines.applies("bicubic", model, tuple(clean.shape[1:])) else None
    with torch.no_grad():
        raw_fit = psnr(model(raw), result.observation)
        fit = psnr(result.prediction, result.observation)
    records = []
    for b in range(batch):
        record = {
            "label": int(labels[b]), "mode_classes": mode_classes[b].tolist(),
            "mode_psnr": [round(v, 4) for v in psnr(modes[b], clean[b:b + 1].expand_as(modes[b])).tolist()],
            "mode_objectives": [round(v, 6) for v in result.mode_objectives[b].tolist()]
            if result.mode_objectives is not None else [round(result.objective[b].item(), 6)],
            "top_psnr_raw": round(psnr(raw[b:b + 1], clean[b:b + 1]).item(), 4),
            "top_psnr": round(result.metrics["psnr"][b], 4),
            "fit_raw_db": round(raw_fit[b].item(), 3), "fit_db": round(fit[b].item(), 3),
        }
        if bicubic is not None:
            record["bicubic_psnr"] = round(psnr(bicubic[b:b + 1], clean[b:b + 1]).item(), 4)
        records.append(record)
    return records


def fitted_temperature(folder: Path) -> float:
    """The mixture temperature that makes the component nearest each truth most likely on ``folder``'s digits."""
    found = [record for path in sorted(folder.glob("chunk-*.json")) for record in json.loads(path.read_text())["records"]]
    if not found or "elbo" not in found[0]:
        raise SystemExit(f"{folder}: no VI mixture records with ELBOs to fit a temperature on")
    evidence = torch.tensor([record["elbo"] for record in found], dtype=torch.float64)
    nearest = torch.tensor([max(range(len(r["component_psnr"])), key=r["component_psnr"].__getitem__) for r in found])
    return fit_temperature(evidence, nearest)


def vi_records(problem: Any, args: argparse.Namespace, clean: torch.Tensor, labels: torch.Tensor,
               classifier: torch.nn.Module, calibration: Any, temperature: float = 1.0) -> list[dict[str, Any]]:
    settings = VISettings(steps=args.vi_steps, map_steps=args.steps, map_lr=args.lr, precision=args.precision,
                          samples=args.samples, starts=args.starts)
    result = solve(problem, settings, temperature=temperature)
    batch, count = result.samples.shape[:2]
    sample_classes = torch.tensor(classes(classifier, result.samples.flatten(0, 1))).view(batch, count)
    scale = 1.0 if calibration is None else calibration.scale
    components = result.component_images
    component_classes = (None if components is None else
                         torch.tensor(classes(classifier, components.flatten(0, 1))).view(*components.shape[:2]))
    scores = {name: coverage_scores(result.image, result.std * factor, clean, result.mask)
              for name, factor in (("raw", 1.0), ("calibrated", scale))}
    records = []
    for b in range(batch):
        record: dict[str, Any] = {
            "label": int(labels[b]), "sample_classes": sample_classes[b].tolist(),
            "components": result.component_of[b].tolist() if result.component_of is not None else None,
            "weights": [round(v, 4) for v in result.weights[b].tolist()] if result.weights is not None else None,
            "mean_psnr": round(result.metrics["psnr"][b], 4),
        }
        if components is not None:  # what a calibrated temperature needs: each component's ELBO, class and PSNR
            record["elbo"] = [round(v, 4) for v in result.component_elbo[b].tolist()]
            record["component_classes"] = component_classes[b].tolist()
            record["component_psnr"] = [round(v, 4) for v in
                                        psnr(components[b], clean[b:b + 1].expand_as(components[b])).tolist()]
        for name, covered in scores.items():
            for region, values in covered.items():
                record[f"{region}_{name}"] = round(values[b], 4)
        records.append(record)
    return records


def share(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else float("nan")


def summarise(records: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    mean = lambda key: round(sum(r[key] for r in records) / len(records), 4)  # noqa: E731
    summary: dict[str, Any] = {"digits": len(records)}
    if args.method == "map":
        summary.update({
            "top_mode_correct": share([r["mode_classes"][0] == r["label"] for r in records]),
            "true_class_among_modes": share([r["label"] in r["mode_classes"] for r in records]),
            "distinct_classes_per_digit": mean_of([len(set(r["mode_classes"])) for r in records]),
            "top_psnr_raw": mean("top_psnr_raw"), "top_psnr": mean("top_psnr"),
            "fit_raw_db": mean("fit_raw_db"), "fit_db": mean("fit_db"),
            "best_mode_psnr": mean_of([max(r["mode_psnr"]) for r in records]),
        })
        if "bicubic_psnr" in records[0]:
            summary["bicubic_psnr"] = mean("bicubic_psnr")
    else:
        summary.update({
            "true_class_among_samples": share([r["label"] in r["sample_classes"] for r in records]),
            "majority_sample_correct": share([max(set(r["sample_classes"]), key=r["sample_classes"].count)
                                              == r["label"] for r in records]),
            "distinct_classes_per_digit": mean_of([len(set(r["sample_classes"])) for r in records]),
            "mean_psnr": mean("mean_psnr"),
        })
        for key in records[0]:
            if key.startswith("coverage2"):
                summary[key] = mean(key)
    return summary


def mean_of(values: list[float]) -> float:
    return round(sum(values) / len(values), 4)


if __name__ == "__main__":
    main()
