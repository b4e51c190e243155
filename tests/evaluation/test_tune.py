"""`invgen tune`: the weight search, its preset file, and that run and eval take the file."""

import json

import pytest
import torch

import invgen
from invgen.evaluation.trials import Budget
from invgen.evaluation.tasks import task
from invgen.evaluation.tune import FACTORS, scaled, tune
from invgen.io.images import save_image
from invgen.testing.cli import invoke

GENERATOR = "toy:size=16,layers=2"


@pytest.fixture
def data(tmp_path, fake_manager):
    generator = invgen.generator(GENERATOR)
    clean = generator(generator.map(torch.randn(4, 8, generator=torch.Generator().manual_seed(7))))
    folder = tmp_path / "train"
    for index, image in enumerate(clean):
        save_image(folder / f"{index}.png", image)
    return folder


def test_scaled_multiplies_the_given_or_the_default_weight(fake_manager):
    assert scaled("test-norm:weight=0.001", 10) == "test-norm:weight=0.01"
    assert scaled("test-sse", 0.3) == "test-sse:weight=0.3"


def test_with_one_tunable_term_the_search_is_exhaustive_and_keeps_the_best(data, fake_manager):
    found = tune(GENERATOR, [task("test-down")], str(data), "test-preset", Budget(steps=5, lr=0.1, batch=4))
    assert found.base == ["test-sse", "test-norm:weight=0.001"] and found.factors[0] == 1.0
    assert {key[1] for key in found.scores} == set(FACTORS) and len(found.scores) == len(FACTORS)
    assert found.score(found.factors) == max(score["mean"] for score in found.scores.values())
    assert found.images == 4


def test_the_preset_file_is_used_by_run_and_eval(data, tmp_path, fake_manager):
    preset = tmp_path / "tuned.json"
    made = invoke("tune", "-g", GENERATOR, "-t", "test-down", "--data", data, "--base", "test-preset", "-o", preset,
                  "--steps", "5", "--lr", "0.1")
    assert made.exit_code == 0, made.output
    written = json.loads(preset.read_text())
    assert written["kind"] == "invgen-preset" and written["losses"][0].startswith("test-sse")
    assert written["tuned"]["settings_evaluated"] == len(FACTORS) and written["tuned"]["base_score"]["mean"] <= \
        written["tuned"]["score"]["mean"]
    run = invoke("run", "-g", GENERATOR, "-f", "test-down", "-i", data / "0.png", "--simulate", "--preset", preset,
                 "--steps", "5", "-o", tmp_path / "run")
    assert run.exit_code == 0, run.output
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["preset"] == str(preset) and len(record["priors"]) == len(written["priors"])
    evaluated = invoke("eval", "-g", GENERATOR, "--data", data, "-t", "test-down", "-m", preset, "--steps", "5",
                       "-o", tmp_path / "eval")
    assert evaluated.exit_code == 0, evaluated.output
    rows = json.loads((tmp_path / "eval" / "results.json").read_text())["summary"]
    assert [row["method"] for row in rows] == ["tuned"]
    again = invoke("tune", "-g", GENERATOR, "-t", "test-down", "--data", data, "--base", "test-preset", "-o", preset)
    assert again.exit_code != 0 and "exists already" in again.stderr


@pytest.mark.parametrize("content, message", [
    (None, "no such preset file"),
    ("{}", "not a preset file"),
    (json.dumps({"kind": "invgen-preset", "losses": []}), "needs \"losses\" (at least one spec)"),
])
def test_bad_preset_files_are_refused_in_one_line(data, tmp_path, content, message):
    preset = tmp_path / "p.json"
    if content is not None:
        preset.write_text(content)
    result = invoke("run", "-g", GENERATOR, "-f", "test-down", "-i", data / "0.png", "--simulate", "--preset", preset,
                    "-o", tmp_path / "out")
    assert result.exit_code != 0 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
