"""Tables (terminal, CSV, JSON, Markdown) and figure grids of an evaluation."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from torch import Tensor

from invgen.evaluation.trials import MethodOutcome, example_indices
from invgen.problem.metrics import Column


def mean_se(values: list[float]) -> tuple[float, float]:
    """Mean and standard error of the mean."""
    count = len(values)
    mean = sum(values) / count
    if count < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (count - 1)
    return mean, math.sqrt(variance / count)


def summary_rows(outcomes: list[MethodOutcome], columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {"task": outcome.task, "method": outcome.method, "n": outcome.count,
                               "seconds_per_image": round(outcome.seconds, 4), "threads": outcome.threads or None}
        for column in columns:
            if column.key in outcome.metrics:
                row[column.key], row[f"{column.key}_se"] = mean_se(outcome.metrics[column.key])
        rows.append(row)
    return rows


def cell(row: dict[str, Any], key: str, digits: int, sign: str = "") -> str:
    """``row[key] ± row[key_se]`` with ``digits`` decimals (``sign="+"`` shows the sign of differences)."""
    if key not in row:
        return "n/a"
    return f"{row[key]:{sign}.{digits}f} ± {row[key + '_se']:.{digits}f}"


def _threads(row: dict[str, Any]) -> str:
    return "?" if row.get("threads") is None else str(row["threads"])


def markdown_cell(text: str) -> str:
    """``text`` safe inside a Markdown table: task chains are written with ``|``."""
    return text.replace("|", "\\|")


def results_markdown(rows: list[dict[str, Any]], command: str, columns: tuple[Column, ...]) -> str:
    header = "| task | method | n | " + " | ".join(c.title for c in columns) + " | s/image | threads |"
    lines = [f"Command: `{command}`", "", header, "|" + "---|" * (len(columns) + 5)]
    for row in rows:
        cells = [markdown_cell(row["task"]), markdown_cell(row["method"]), str(row["n"]),
                 *(cell(row, c.key, c.digits) for c in columns),
                 f"{row['seconds_per_image']:.3f}", _threads(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def csv_text(rows: list[dict[str, Any]], columns: tuple[Column, ...]) -> str:
    buffer = io.StringIO()
    fields = ["task", "method", "n", *[f for c in columns for f in (c.key, f"{c.key}_se")], "seconds_per_image",
              "threads"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def json_text(rows: list[dict[str, Any]], outcomes: list[MethodOutcome], command: str,
              changes: list[dict[str, Any]] | None = None) -> str:
    """The summary, every per-image metric and, for an ablation, what each step changes."""
    record: dict[str, Any] = {"command": command, "summary": rows}
    if changes is not None:
        record["changes"] = changes
    # metric names sorted: a resumed run (parts store them sorted) writes the same file as a fresh one
    record["per_image"] = {f"{o.task}/{o.method}": dict(sorted(o.metrics.items())) for o in outcomes}
    return json.dumps(record, indent=1) + "\n"


def results_table(rows: list[dict[str, Any]], columns: tuple[Column, ...]):  # noqa: ANN201 - rich.table.Table
    from rich.table import Table

    table = Table(title="invgen eval (mean ± standard error)", title_justify="left")
    for title in ("task", "method", "n", *(c.title for c in columns), "s/image", "threads"):
        table.add_column(title, justify="left" if title in ("task", "method") else "right")
    for row in rows:
        table.add_row(row["task"], row["method"], str(row["n"]), *(cell(row, c.key, c.digits) for c in columns),
                      f"{row['seconds_per_image']:.3f}", _threads(row))
    return table


def figure_png(task: str, clean: Tensor, observed: Tensor, outcomes: list[MethodOutcome], command: str,
               columns: int = 6) -> bytes:
    """Rows: ground truth, observation, then each method; columns: examples every method kept (evenly spaced
    over the set). The command is printed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from invgen.io.images import to_uint8
    from invgen.render.map_files import observation_view

    mine = [o for o in outcomes if o.task == task and o.examples is not None]
    common = set(example_indices(len(clean))) if not mine else set.intersection(*(set(o.example_indices) for o in mine))
    indices = sorted(common)[:columns]
    shown = observation_view(observed[indices], clean)
    rows = [("ground truth", clean[indices]), ("observation", shown)]
    rows += [(o.method, o.examples[[o.example_indices.index(i) for i in indices]]) for o in mine]
    count = len(indices)
    figure, axes = plt.subplots(len(rows), count, figsize=(1.3 * count + 1.2, 1.3 * len(rows) + 0.5),
                                squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(count):
            axis = axes[r][c]
            array = to_uint8(images[c])
            axis.imshow(array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            if c == 0:
                axis.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    figure.suptitle(task, fontsize=9)
    figure.text(0.01, 0.005, command, fontsize=5, ha="left", va="bottom", wrap=True)
    figure.tight_layout(rect=(0.05, 0.03, 1, 0.97))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()
