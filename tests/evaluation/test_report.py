"""Markdown tables of an evaluation stay tables whatever the task is called."""

import re

from invgen.problem.metrics import CORE_COLUMNS, Column
from invgen.evaluation.report import results_markdown, summary_rows
from invgen.evaluation.trials import MethodOutcome

COLUMNS = (Column("lpips", "LPIPS", 3, False), *CORE_COLUMNS)


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_a_chain_task_written_with_pipes_keeps_the_table_columns():
    outcome = MethodOutcome("blur:sigma=2|noise:std=0.05", "wiener", {"psnr": [16.0, 17.0], "rmse": [30.0, 31.0]}, 0.1, 2)
    lines = results_markdown(summary_rows([outcome], COLUMNS), "invgen eval", COLUMNS).splitlines()
    header, row = lines[2], lines[4]
    assert unescaped_pipes(row) == unescaped_pipes(header)
    assert row.startswith(r"| blur:sigma=2\|noise:std=0.05 | wiener | 2 |")
