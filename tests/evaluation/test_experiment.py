"""`invgen eval` end to end on a few images: files written, numbers finite and in range."""

import json
import math

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import invgen
from invgen.cli.app import create_app
from invgen.evaluation.report import mean_se
from invgen.io.images import save_image


@pytest.fixture
def images(tmp_path, fake_manager):
    generator = invgen.generator("toy:size=32")
    clean = generator(generator.map(torch.randn(4, 8, generator=torch.Generator().manual_seed(0))))
    folder = tmp_path / "images"
    for index, image in enumerate(clean):
        save_image(folder / f"{index}.png", image)
    return folder


def test_eval_writes_tables_and_figures(images, tmp_path, fake_manager, test_device):
    fake_manager.registry.add_method("brgm", losses=["test-sse"], priors=["test-norm:weight=0.01"], plugin="fakes")
    fake_manager.registry.add_method("pixel", losses=["test-sse"], plugin="fakes")
    out = tmp_path / "eval"
    result = CliRunner().invoke(create_app(), [
        "eval", "-g", "toy:size=32", "--data", str(images), "-t", "test-down", "-t", "test-blur:sigma=1",
        "-m", "brgm", "-m", "pixel", "-m", "bicubic", "-m", "wiener", "--steps", "10", "--batch", "3", "--output", str(out),
        "--device", test_device])
    assert result.exit_code == 0, result.output
    for name in ("results.csv", "results.json", "results.md", "figure_test-down.png", "figure_test-blur-sigma=1.png"):
        assert (out / name).is_file(), name
    record = json.loads((out / "results.json").read_text())
    rows = {(row["task"], row["method"]): row for row in record["summary"]}
    assert set(rows) == {("test-down", "brgm"), ("test-down", "pixel"), ("test-down", "bicubic"),
                         ("test-blur:sigma=1", "brgm"), ("test-blur:sigma=1", "pixel"),
                         ("test-blur:sigma=1", "wiener")}
    for row in rows.values():
        assert row["n"] == 4
        assert 0 <= row["rmse"] <= 255 and math.isfinite(row["psnr"]) and -1 <= row["ssim"] <= 1
        assert row["seconds_per_image"] >= 0 and row["threads"] == torch.get_num_threads()
    assert "invgen eval" in record["command"] or record["command"] == ""
    assert "| task | method |" in (out / "results.md").read_text()


def test_eval_refuses_unknown_methods_and_existing_results(images, tmp_path, fake_manager):
    runner = CliRunner()
    bad = runner.invoke(create_app(), ["eval", "-g", "toy:size=32", "--data", str(images), "-m", "magic",
                                       "--output", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "unknown method 'magic'" in bad.stderr
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "results.md").write_text("keep me")
    again = runner.invoke(create_app(), ["eval", "-g", "toy:size=32", "--data", str(images), "-m", "bicubic",
                                         "--output", str(tmp_path / "o")])
    assert again.exit_code == 1 and (tmp_path / "o" / "results.md").read_text() == "keep me"


def test_resume_reuses_finished_parts_of_the_same_experiment_only(images, tmp_path, fake_manager, monkeypatch):
    fake_manager.registry.add_method("pixel", losses=["test-sse"], plugin="fakes")
    out = tmp_path / "eval"
    command = ["eval", "-g", "toy:size=32", "--data", str(images), "-t", "test-down", "-m", "pixel", "-m", "bicubic",
               "--steps", "5", "--output", str(out)]
    runner = CliRunner()
    assert runner.invoke(create_app(), command).exit_code == 0
    first_text = (out / "results.json").read_text()
    assert len(list((out / "parts").glob("*.safetensors"))) == 2

    import invgen.evaluation.trials as runner_module

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished part was recomputed")

    monkeypatch.setattr(runner_module, "solve", must_not_run)
    resumed = runner.invoke(create_app(), [*command, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert (out / "results.json").read_text() == first_text  # the same file, byte for byte
    changed = runner.invoke(create_app(), [*command[:-4], "--steps", "6", "--output", str(out), "--resume"])
    assert "a finished part was recomputed" in changed.stderr  # other settings, a new experiment: solver runs


def test_an_interrupted_solve_is_not_saved_as_a_finished_part(images, tmp_path, fake_manager, monkeypatch):
    import invgen.solvers.map as map_module

    fake_manager.registry.add_method("pixel", losses=["test-sse"], plugin="fakes")

    def interrupted(terms, step):
        if step == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(map_module, "check_finite", interrupted)
    out = tmp_path / "eval"
    result = CliRunner().invoke(create_app(), ["eval", "-g", "toy:size=32", "--data", str(images), "-t", "test-down",
                                               "-m", "bicubic", "-m", "pixel", "--steps", "5", "--output", str(out)])
    assert result.exit_code == 130, result.output
    assert len(list((out / "parts").glob("*.safetensors"))) == 1  # bicubic finished before; pixel is not kept
    assert not (out / "results.json").exists()


def test_mean_and_standard_error_match_numpy():
    values = [1.0, 2.0, 4.0, 7.0]
    mean, se = mean_se(values)
    assert mean == pytest.approx(np.mean(values))
    assert se == pytest.approx(np.std(values, ddof=1) / math.sqrt(len(values)))


def test_posterior_methods_are_scored_by_the_coverage_of_their_std_map(images, tmp_path, fake_manager):
    fake_manager.registry.add_method("post", losses=["test-sse"], priors=["test-norm:weight=0.01"], vi=True,
                                     plugin="fakes")
    fake_manager.registry.add_method("pixel", losses=["test-sse"], plugin="fakes")
    out = tmp_path / "eval"
    result = CliRunner().invoke(create_app(), [
        "eval", "-g", "toy:size=32", "--data", str(images), "-t", "test-topmask", "-m", "post", "-m", "pixel",
        "--steps", "5", "--batch", "4", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = {row["method"]: row for row in json.loads((out / "results.json").read_text())["summary"]}
    assert 0 <= rows["post"]["coverage2"] <= 1 and 0 <= rows["post"]["coverage2_unknown"] <= 1
    assert "coverage2" not in rows["pixel"]
    assert "2-std coverage (hidden)" in (out / "results.md").read_text()


def test_starts_and_consistency_reach_every_generator_solve_and_key_its_saved_results(images, tmp_path, fake_manager,
                                                                                        monkeypatch):
    import invgen.evaluation.trials as runner_module

    fake_manager.registry.add_method("pixel", losses=["test-sse"], plugin="fakes")
    calls = []
    real_solve = runner_module.solve

    def spying_solve(problem, settings, **options):
        calls.append((settings.starts, options.get("consistency")))
        return real_solve(problem, settings, **options)

    monkeypatch.setattr(runner_module, "solve", spying_solve)
    out = tmp_path / "eval"
    command = ["eval", "-g", "toy:size=32", "--data", str(images), "-t", "test-topmask", "-m", "pixel",
               "--steps", "5", "--batch", "2", "--output", str(out)]
    runner = CliRunner()
    assert runner.invoke(create_app(), command).exit_code == 0
    assert calls == [(1, "none")] * 2
    calls.clear()
    options = runner.invoke(create_app(), [*command, "--resume", "--starts", "3", "--consistency", "paste"])
    assert options.exit_code == 0, options.output
    assert calls == [(3, "paste")] * 2  # not the saved default-budget part: other settings, other results
    assert len(list((out / "parts").glob("*.safetensors"))) == 2


def test_the_default_budget_keys_saved_results_as_before_starts_and_consistency_existed():
    from invgen.evaluation.trials import Budget

    assert Budget().identity() == {"steps": 200, "lr": 0.05, "batch": 100, "seed": 0, "vi_steps": 100,
                                   "precision": "fp32"}
    assert Budget(starts=4).identity()["starts"] == 4 and Budget(consistency="paste").identity()["consistency"] == "paste"


def test_a_consistency_step_a_task_does_not_allow_is_refused_before_any_work(images, tmp_path, fake_manager):
    fake_manager.registry.add_method("pixel", losses=["test-sse"], plugin="fakes")
    out = tmp_path / "eval"
    result = CliRunner().invoke(create_app(), [
        "eval", "-g", "toy:size=32", "--data", str(images), "-t", "test-topmask", "-t", "test-down", "-m", "bicubic",
        "-m", "pixel", "--steps", "5", "--consistency", "paste", "--output", str(out)])
    assert result.exit_code == 2 and "--consistency paste needs a mask" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not list(out.glob("parts/*"))  # not even the first task's baseline was run
    unknown = CliRunner().invoke(create_app(), ["eval", "-g", "toy:size=32", "--data", str(images), "-m", "pixel",
                                                "--consistency", "magic", "--output", str(out)])
    assert unknown.exit_code == 2 and "unknown --consistency 'magic'" in unknown.stderr
