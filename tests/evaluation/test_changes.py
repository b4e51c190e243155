"""Paired step-by-step differences of an ablation ladder, checked against scipy's paired t-test."""

import numpy as np
import pytest
from scipy import stats

from invgen.evaluation.changes import changes_markdown, paired_changes
from invgen.evaluation.trials import MethodOutcome
from invgen.problem.metrics import CORE_COLUMNS, Column

COLUMNS = (Column("lpips", "LPIPS", 3, False), *CORE_COLUMNS)


def ladder(psnr_steps: list[list[float]], lpips_steps: list[list[float]], task: str = "sr4") -> list[MethodOutcome]:
    return [MethodOutcome(task, f"{index + 1} step", {"psnr": psnr, "lpips": lpips}, count=len(psnr))
            for index, (psnr, lpips) in enumerate(zip(psnr_steps, lpips_steps))]


def test_paired_differences_match_scipys_paired_t_test():
    rng = np.random.default_rng(0)
    first = rng.normal(15, 3, 40)
    second = first + rng.normal(0.3, 0.5, 40)
    rows = paired_changes(ladder([list(first), list(second)], [[0.1] * 40, [0.1] * 40]), COLUMNS)
    assert len(rows) == 1 and rows[0]["from"] == "1 step" and rows[0]["to"] == "2 step"
    assert rows[0]["psnr"] == pytest.approx(np.mean(second - first))
    t = stats.ttest_rel(second, first).statistic
    assert rows[0]["psnr"] / rows[0]["psnr_se"] == pytest.approx(t)


def test_pairing_separates_a_small_consistent_gain_from_noise():
    """A 0.2 dB gain on every image is clear although it is tiny beside the spread between images."""
    base = list(np.linspace(10, 30, 20))
    lpips = [0.05] * 20
    rows = paired_changes(ladder([base, [v + 0.2 for v in base]], [lpips, lpips]), COLUMNS)
    assert rows[0]["verdict"] == "helps"


@pytest.mark.parametrize(("psnr_change", "lpips_change", "verdict"), [
    (+1.0, -0.01, "helps"), (-1.0, +0.01, "hurts"), (+1.0, +0.01, "mixed"), (0.0, 0.0, "no clear change")])
def test_verdicts_follow_which_direction_is_better(psnr_change, lpips_change, verdict):
    rng = np.random.default_rng(1)
    psnr = rng.normal(15, 3, 30)
    lpips = rng.uniform(0.02, 0.08, 30)
    wobble = rng.normal(0, 0.05, 30)  # per-image noise small beside the changes, zero-mean-ish
    after_psnr = psnr + psnr_change + wobble * (psnr_change != 0)
    after_lpips = lpips + lpips_change + wobble / 100 * (lpips_change != 0)
    rows = paired_changes(ladder([list(psnr), list(after_psnr)], [list(lpips), list(after_lpips)]), COLUMNS)
    assert rows[0]["verdict"] == verdict


def test_each_task_is_its_own_ladder_and_the_table_names_every_step():
    outcomes = ladder([[1.0, 2.0]] * 3, [[0.1, 0.2]] * 3, "sr4") + ladder([[1.0, 2.0]] * 2, [[0.1, 0.2]] * 2, "deblur")
    rows = paired_changes(outcomes, COLUMNS)
    assert [(row["task"], row["to"]) for row in rows] == [("sr4", "2 step"), ("sr4", "3 step"), ("deblur", "2 step")]
    text = changes_markdown(rows, "invgen eval --ablation", COLUMNS)
    assert "`invgen eval --ablation`" in text and text.count("| sr4 |") == 2 and "no clear change" in text
