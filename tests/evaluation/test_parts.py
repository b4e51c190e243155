"""Saved (task, method) parts: what goes in comes back out, parts from before example indices still load."""

import io

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

from invgen.evaluation.parts import FOLDER, load_part, save_part
from invgen.problem.metrics import CORE_COLUMNS, Column
from invgen.evaluation.report import figure_png, json_text, summary_rows
from invgen.evaluation.trials import MethodOutcome, example_indices

COLUMNS = (Column("lpips", "LPIPS", 3, False), *CORE_COLUMNS)


def test_examples_are_spread_over_the_whole_set():
    assert example_indices(500) == np.linspace(0, 499, 8).round().astype(int).tolist()
    assert example_indices(3) == [0, 1, 2]


def test_a_part_round_trips(tmp_path):
    outcome = MethodOutcome("sr4", "pixel", {"psnr": [20.0, 21.5], "rmse": [3.0, 4.0]}, 0.25, 2, torch.rand(2, 1, 4, 4),
                      [0, 1], threads=2)
    save_part(tmp_path, "key", outcome)
    loaded = load_part(tmp_path, "key")
    assert (loaded.task, loaded.method, loaded.metrics, loaded.seconds, loaded.count, loaded.example_indices,
            loaded.threads) == ("sr4", "pixel", outcome.metrics, 0.25, 2, [0, 1], 2)
    assert torch.equal(loaded.examples, outcome.examples)
    assert load_part(tmp_path, "missing") is None


def test_a_resumed_run_writes_the_same_results_json_as_the_run_it_resumes(tmp_path):
    computed = MethodOutcome("sr4", "brgm", {"psnr": [20.0, 21.5], "rmse": [3.0, 4.0], "lpips": [0.1, 0.2]}, 0.5, 2)
    save_part(tmp_path, "key", computed)
    resumed = load_part(tmp_path, "key")

    def text(outcome: MethodOutcome) -> str:
        return json_text(summary_rows([outcome], COLUMNS), [outcome], "invgen eval")

    assert text(resumed) == text(computed)


def test_a_part_without_example_indices_holds_the_first_images(tmp_path):
    (tmp_path / FOLDER).mkdir()
    save_file({"metric.psnr": torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), "examples": torch.zeros(3, 1, 4, 4)},
              str(tmp_path / FOLDER / "old.safetensors"),
              metadata={"task": "sr4", "method": "brgm", "seconds": "0.5", "count": "3"})
    old = load_part(tmp_path, "old")
    assert old.example_indices == [0, 1, 2] and old.threads == 0  # 0: the thread count was not recorded


def test_the_figure_shows_the_examples_every_method_kept():
    clean = torch.linspace(-1, 1, 10)[:, None, None, None].expand(10, 1, 8, 8).contiguous()
    spread = MethodOutcome("t", "new", examples=clean[[0, 3, 6, 9]], example_indices=[0, 3, 6, 9])
    first = MethodOutcome("t", "old", examples=clean[:4], example_indices=[0, 1, 2, 3])
    figure = np.asarray(Image.open(io.BytesIO(figure_png("t", clean, clean, [spread, first], "cmd", columns=6))))
    single = np.asarray(Image.open(io.BytesIO(figure_png("t", clean, clean, [spread], "cmd", columns=6))))
    assert figure.shape[1] < single.shape[1]  # only image 0 is common to both: one column instead of four
