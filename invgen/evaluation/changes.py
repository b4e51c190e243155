"""What each step of an ablation ladder changes: paired differences between consecutive steps.

Every step reconstructs the same images, so the effect of a change is measured image by image
(step minus the step before it). The standard error of those paired differences is usually much smaller
than the two steps' own standard errors, which is what tells a real effect from noise.
"""

from __future__ import annotations

from typing import Any

from invgen.evaluation.report import cell, markdown_cell, mean_se
from invgen.evaluation.trials import MethodOutcome
from invgen.problem.metrics import Column

CLEAR = 2.0  # a difference counts when it is at least this many standard errors from zero


def paired_difference(first: list[float], second: list[float]) -> tuple[float, float]:
    """Mean and standard error of ``first - second``, image by image (both lists in the same image order)."""
    return mean_se([a - b for a, b in zip(first, second, strict=True)])


def paired_changes(outcomes: list[MethodOutcome], columns: tuple[Column, ...]) -> list[dict[str, Any]]:
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
            for column in columns:
                key = column.key
                if key not in before.metrics or key not in after.metrics:
                    continue
                mean, se = paired_difference(after.metrics[key], before.metrics[key])
                row[key], row[f"{key}_se"] = mean, se
                if abs(mean) >= CLEAR * se and mean != 0:
                    if (mean > 0) == column.higher_is_better:
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


def _cells(row: dict[str, Any], columns: tuple[Column, ...]) -> list[str]:
    # one more decimal than the summary table: paired errors are small
    return [row["task"], row["to"], *(cell(row, c.key, c.digits + 1, sign="+") for c in columns), row["verdict"]]


def _header(columns: tuple[Column, ...]) -> tuple[str, ...]:
    return ("task", "step", *(c.title for c in columns), "verdict")


def changes_markdown(rows: list[dict[str, Any]], command: str, columns: tuple[Column, ...]) -> str:
    header = _header(columns)
    lines = [f"Command: `{command}`", "",
             "What each step adds: paired differences (step minus the step before, image by image), "
             "mean ± standard error; a metric counts towards the verdict when its difference is at least "
             f"{CLEAR:g} standard errors from zero. Lower LPIPS and RMSE, higher PSNR and SSIM are better.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(markdown_cell, _cells(row, columns))) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def changes_table(rows: list[dict[str, Any]], columns: tuple[Column, ...]):  # noqa: ANN201 - rich.table.Table
    from rich.table import Table

    table = Table(title="what each step changes (paired difference ± standard error)", title_justify="left")
    titles = {c.title for c in columns}
    for title in _header(columns):
        table.add_column(title, justify="right" if title in titles else "left")
    for row in rows:
        table.add_row(*_cells(row, columns))
    return table
