"""What each step of an ablation ladder changes: paired differences between consecutive steps.

Every step reconstructs the same images, so the effect of a change is measured image by image
(step minus the step before it). The standard error of those paired differences is usually much smaller
than the two steps' own standard errors, which is what tells a real effect from noise.
"""

from __future__ import annotations

from typing import Any

from invgen.evaluation.report import COLUMNS, cell, markdown_cell, mean_se
from invgen.evaluation.runner import Outcome

HIGHER_IS_BETTER = {"lpips": False, "rmse": False, "psnr": True, "ssim": True}
CLEAR = 2.0  # a difference counts when it is at least this many standard errors from zero


def paired_difference(first: list[float], second: list[float]) -> tuple[float, float]:
    """Mean and standard error of ``first - second``, image by image (both lists in the same image order)."""
    return mean_se([a - b for a, b in zip(first, second, strict=True)])


def paired_changes(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """For each task, one row per step after the first: mean and standard error of (step - previous step)
    per metric, and a verdict ("helps", "hurts", "mixed", "no clear change") from the metrics whose
    difference is at least ``CLEAR`` standard errors from zero."""
    rows = []
    tasks = list(dict.fromkeys(outcome.task for outcome in outcomes))
    for task in tasks:
        ladder = [outcome for outcome in outcomes if outcome.task == task]
        for before, after in zip(ladder, ladder[1:]):
            row: dict[str, Any] = {"task": task, "from": before.method, "to": after.method}
            better = worse = 0
            for key, _, _ in COLUMNS:
                if key not in before.metrics or key not in after.metrics:
                    continue
                mean, se = paired_difference(after.metrics[key], before.metrics[key])
                row[key], row[f"{key}_se"] = mean, se
                if abs(mean) >= CLEAR * se and mean != 0:
                    if (mean > 0) == HIGHER_IS_BETTER[key]:
                        better += 1
                    else:
                        worse += 1
            row["verdict"] = _verdict(better, worse)
            rows.append(row)
    return rows


def _verdict(better: int, worse: int) -> str:
    if better and worse:
        return "mixed"
    if better:
        return "helps"
    if worse:
        return "hurts"
    return "no clear change"


def _cells(row: dict[str, Any]) -> list[str]:
    # one more decimal than the summary table: paired errors are small
    return [row["task"], row["to"], *(cell(row, k, d + 1, sign="+") for k, _, d in COLUMNS), row["verdict"]]


HEADER = ("task", "step", *(title for _, title, _ in COLUMNS), "verdict")


def markdown(rows: list[dict[str, Any]], command: str) -> str:
    lines = [f"Command: `{command}`", "",
             "What each step adds: paired differences (step minus the step before, image by image), "
             "mean ± standard error; a metric counts towards the verdict when its difference is at least "
             f"{CLEAR:g} standard errors from zero. Lower LPIPS and RMSE, higher PSNR and SSIM are better.", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(map(markdown_cell, _cells(row))) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def rich_table(rows: list[dict[str, Any]]):  # noqa: ANN201 - rich.table.Table
    from rich.table import Table

    table = Table(title="what each step changes (paired difference ± standard error)", title_justify="left")
    for column in HEADER:
        table.add_column(column, justify="right" if column in {t for _, t, _ in COLUMNS} else "left")
    for row in rows:
        table.add_row(*_cells(row))
    return table
