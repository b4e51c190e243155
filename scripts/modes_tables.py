"""The tables of docs/results.md "Several modes, calibration and tuned weights", from the files
scripts/results_modes.sh leaves in docs/results/modes (summary.json of each experiment, the calibrations,
the tuned preset and the evaluation of it). Run: .venv/bin/python scripts/modes_tables.py docs/results/modes
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def modes_table(folder: Path) -> list[str]:
    s = json.loads((folder / "sr4" / "summary.json").read_text())
    return [
        f"| x4 SR, {s['digits']} held-out digits, 10 starts | value | goal |", "|---|---|---|",
        f"| top mode is the true digit | {percent(s['top_mode_correct'])} | |",
        f"| true digit among the 10 modes | {percent(s['true_class_among_modes'])} | >= 95% |",
        f"| distinct digits among the modes (mean) | {s['distinct_classes_per_digit']:.2f} | |",
        f"| top mode PSNR, generator output | {s['top_psnr_raw']:.2f} dB | |",
        f"| top mode PSNR after `--consistency project` | {s['top_psnr']:.2f} dB | >= bicubic + 3 dB |",
        f"| bicubic PSNR | {s['bicubic_psnr']:.2f} dB | |",
        f"| best of the 10 modes PSNR (oracle choice) | {s['best_mode_psnr']:.2f} dB | |",
        f"| fit of f(top mode) to the observation, raw / projected | {s['fit_raw_db']:.1f} / {s['fit_db']:.1f} dB "
        "| >= 40 dB |",
    ]


OTHER_TASKS = ("sr8", "inpaint-center", "inpaint-large", "deblur", "mri4")


def task_modes_table(folder: Path) -> list[str]:
    """The 10-start modes of every task: x4 SR from its own run, the others from ``modes-TASK``."""
    rows = ["| task | digits | top mode is the true digit | true digit among the 10 modes | distinct digits "
            "among the modes | top mode PSNR | best of the 10 modes PSNR | fit of f(top mode) |",
            "|---|---|---|---|---|---|---|---|"]
    for task, name in (("sr4", "sr4"), *((task, f"modes-{task}") for task in OTHER_TASKS)):
        path = folder / name / "summary.json"
        if not path.exists():
            rows.append(f"| {task} | not run yet | | | | | | |")
            continue
        s = json.loads(path.read_text())
        rows.append(f"| {task} | {s['digits']} | {percent(s['top_mode_correct'])} | "
                    f"{percent(s['true_class_among_modes'])} | {s['distinct_classes_per_digit']:.2f} | "
                    f"{s['top_psnr_raw']:.2f} dB | {s['best_mode_psnr']:.2f} dB | {s['fit_raw_db']:.1f} dB |")
    return rows


def coverage_table(folder: Path) -> list[str]:
    rows = ["| task | digits | calibration scale (fitted on) | 2-std coverage before | after | "
            "mean PSNR of the posterior mean |", "|---|---|---|---|---|---|"]
    for name, title, calibration in (("vi-sr4", "x4 SR (all pixels)", "calibration-sr4.json"),
                                     ("vi-center40", "centre mask 40% (hidden pixels)", "calibration-center40.json")):
        s = json.loads((folder / name / "summary.json").read_text())
        c = json.loads((folder / calibration).read_text())
        region = "unknown_" if "coverage2_unknown_raw" in s else ""
        rows.append(f"| {title} | {s['digits']} | x{c['scale']:.2f} ({c['images']} training digits) | "
                    f"{percent(s[f'coverage2_{region}raw'])} | {percent(s[f'coverage2_{region}calibrated'])} | "
                    f"{s['mean_psnr']:.2f} dB |")
    return rows


def records(folder: Path) -> dict[int, dict]:
    """Every digit's record of one experiment, by held-out index."""
    return {r["index"]: r for path in sorted(folder.glob("chunk-*.json")) for r in json.loads(path.read_text())["records"]}


GAUSSIAN = ("one Gaussian (bayes preset)", "vi-center40")
MIXTURE = ("mixture over 4 starts (bayes)", "vi-mixture-center40")
SHARPNESS = ("mixture over 4 starts, pixel sigma 0.05", "vi-mixture-center40-sigma005")


def mixture_table(folder: Path) -> list[str]:
    """One Gaussian against the mixture over 4 starts, on the digits both have."""
    return samples_table(folder, (GAUSSIAN, MIXTURE))


def sharpness_table(folder: Path) -> list[str]:
    """The same with the less sharp likelihood added (a smaller run: the digits all three have)."""
    return samples_table(folder, (GAUSSIAN, MIXTURE, SHARPNESS))


def samples_table(folder: Path, runs: tuple[tuple[str, str], ...]) -> list[str]:
    """How often the VI samples show the true digit, per run, over the digits every run has."""
    found = {title: records(folder / name) for title, name in runs}
    common = sorted(set.intersection(*(set(chosen) for chosen in found.values())))
    if not common:
        raise FileNotFoundError(None, None, str(folder / runs[-1][1]))
    rows = [f"| centre mask 40%, VI, {len(common)} held-out digits | true digit among the 8 samples | "
            "majority of samples correct | distinct digits among the samples | components drawn from |",
            "|---|---|---|---|---|"]
    for title, chosen in found.items():
        shown = [chosen[i] for i in common]
        among = sum(r["label"] in r["sample_classes"] for r in shown) / len(shown)
        majority = sum(max(set(r["sample_classes"]), key=r["sample_classes"].count) == r["label"]
                       for r in shown) / len(shown)
        distinct = sum(len(set(r["sample_classes"])) for r in shown) / len(shown)
        used = (f"{sum(len(set(r['components'])) for r in shown) / len(shown):.2f}"
                if shown[0].get("components") else "1")
        rows.append(f"| {title} | {percent(among)} | {percent(majority)} | {distinct:.2f} | {used} |")
    return rows


def domain_table(folder: Path) -> list[str]:
    summary = json.loads((folder.parent / "domain" / "summary.json").read_text())
    rows = ["| task / inputs | flagged out of domain | median fit to the observation | gap to the worst in-domain "
            "reference (5% / 50% / 95%) | in-domain references |", "|---|---|---|---|---|"]
    for name, s in summary.items():
        gaps = " / ".join(f"{v:+.1f}" for v in s["gap_db_quantiles_5_50_95"])
        rows.append(f"| {name} | {s['flagged']} of {s['inputs']} | {s['fit_db_median']:.1f} dB | {gaps} dB | "
                    f"{', '.join(f'{v:.1f}' for v in s['in_domain_db'])} dB |")
    return rows


def tuned_table(folder: Path) -> list[str]:
    preset = json.loads((folder / "mnist32-tuned.json").read_text())
    tuned = preset["tuned"]
    rows = [f"Tuned on {tuned['images']} training digits ({', '.join(tuned['tasks'])}; {tuned['settings_evaluated']} "
            f"settings): factors {tuned['factors']} on {tuned['base']}, training PSNR "
            f"{tuned['score']['mean']:.2f} dB against {tuned['base_score']['mean']:.2f} dB with the paper's weights.",
            "", "Held-out digits:", ""]
    results = json.loads((folder / "tuned-eval" / "results.json").read_text())["summary"]
    rows += ["| task | method | n | PSNR | SSIM | LPIPS |", "|---|---|---|---|---|---|"]
    for row in results:
        lpips = f"{row['lpips']:.3f} ± {row['lpips_se']:.3f}" if "lpips" in row else "n/a"
        rows.append(f"| {row['task']} | {row['method']} | {row['n']} | {row['psnr']:.2f} ± {row['psnr_se']:.2f} | "
                    f"{row['ssim']:.3f} ± {row['ssim_se']:.3f} | {lpips} |")
    return rows


OPTION_RUNS = (("plain", "1", "none"), ("sr4-starts10-project", "10", "project"),
               ("center-starts10-paste", "10", "paste"))


def options_table(folder: Path) -> list[str]:
    """The method table with ``--starts`` and ``--consistency`` (invgen eval), beside one start and the baselines."""
    rows = ["| task | method | starts | consistency | n | LPIPS | PSNR | SSIM | s/image |",
            "|---|---|---|---|---|---|---|---|---|"]
    found = []
    for name, starts, consistency in OPTION_RUNS:
        summary = json.loads((folder / "eval-options" / name / "results.json").read_text())["summary"]
        baseline = lambda row: row["method"] != "pixel"  # noqa: E731 - classical baselines take neither option
        found += [(row, "-" if baseline(row) else starts, "-" if baseline(row) else consistency) for row in summary]
    for row, starts, consistency in sorted(found, key=lambda item: item[0]["task"]):
        lpips = f"{row['lpips']:.3f} ± {row['lpips_se']:.3f}" if "lpips" in row else "n/a"
        rows.append(f"| {row['task']} | {row['method']} | {starts} | {consistency} | {row['n']} | {lpips} | "
                    f"{row['psnr']:.2f} ± {row['psnr_se']:.2f} | {row['ssim']:.3f} ± {row['ssim_se']:.3f} | "
                    f"{row['seconds_per_image']:.3f} |")
    return rows


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results/modes")
    for make in (modes_table, task_modes_table, options_table, coverage_table, mixture_table, sharpness_table,
                 tuned_table, domain_table):
        try:
            print("\n".join(make(folder)) + "\n")
        except FileNotFoundError as error:
            print(f"({make.__name__}: {error.filename} is not there yet)\n")


if __name__ == "__main__":
    main()
