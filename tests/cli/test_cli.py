"""The CLI through typer's runner: listing without torch, runs, outputs and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from invgen.cli.app import create_app
from invgen.testing.cli import invoke as run_as_shell

runner = CliRunner()


def invoke(*args):
    return run_as_shell(*args)


@pytest.fixture
def clean_png(tmp_path, fake_manager):
    """A 16x16 image from the toy generator, saved as PNG."""
    import torch

    import invgen
    from invgen.io.images import save_image

    generator = invgen.generator("toy:size=16,layers=2")
    image = generator(generator.map(torch.randn(1, 8, generator=torch.Generator().manual_seed(3))))
    path = tmp_path / "clean.png"
    save_image(path, image)
    return path


RUN = ("run", "-g", "toy:size=16,layers=2", "--loss", "test-sse", "--steps", "150", "--lr", "0.1")


def test_run_simulate_writes_every_output(clean_png, tmp_path):
    out = tmp_path / "out"
    result = invoke(*RUN, "-f", "test-blur:sigma=1", "-i", clean_png, "-o", out, "--simulate", "--device", "cpu")
    assert result.exit_code == 0, result.output
    for name in ("reconstruction.png", "observation.png", "prediction.png", "comparison.png", "run.json"):
        assert (out / name).is_file(), name
    record = json.loads((out / "run.json").read_text())
    assert record["generator"] == "toy:layers=2" and record["forward"] == ["test-blur"]
    assert record["losses"] == ["test-sse"] and record["simulate"] is True
    assert record["metrics"]["psnr"][0] > 25
    assert "PSNR" in result.output
    assert Image.open(out / "reconstruction.png").size == (16, 16)


def test_run_on_a_real_observation_and_mask_output(clean_png, tmp_path):
    observation = tmp_path / "obs.png"
    result = invoke("corrupt", "-f", "test-topmask", "-i", clean_png, "-o", observation, "--channels", "1")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "obs_mask.png").is_file()
    mask = np.asarray(Image.open(tmp_path / "obs_mask.png"))
    assert mask[:8].max() == 0 and mask[8:].min() == 255
    out = tmp_path / "out"
    result = invoke(*RUN, "-f", "test-topmask", "-i", observation, "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "mask.png").is_file()
    assert json.loads((out / "run.json").read_text())["metrics"] == {}


def test_preset_and_override(clean_png, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "-g", "toy:size=16,layers=2", "--preset", "test-preset", "--prior", "test-norm:weight=0.5",
                    "--steps", "5", "-i", clean_png, "-o", out, "--simulate")
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["losses"] == ["test-sse"] and record["priors"] == ["test-norm:weight=0.5"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-f", "test-blurr"), "unknown forward model 'test-blurr': did you mean 'test-blur'"),
        (("-f", "test-blur:sigma=-1"), "test-blur: sigma=-1 is invalid (expected a float > 0)"),
        (("-f", "test-blur:radius=2"), "test-blur: unknown parameter 'radius' (valid parameters: sigma)"),
        (("-f", "test-down"), "the observation is 1x16x16 but 'toy:layers=2' (1x16x16) through 'test-down' gives 1x8x8"),
        (("--loss", "nope"), "unknown loss 'nope'"),
        (("--lr", "0"), "Invalid value for '--lr': must be a finite number > 0, not 0.0 (see `invgen run --help`)"),
        (("--lr", "nan"), "Invalid value for '--lr': must be a finite number > 0, not nan"),
        (("--steps", "many"), "Invalid value for '--steps': Input should be a valid integer"),
    ],
)
def test_errors_are_one_line_without_traceback(clean_png, tmp_path, args, message):
    out = tmp_path / "out"
    result = invoke(*RUN, "-i", clean_png, "-o", out, *args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("invgen: error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists(), "no partial output"


def test_missing_and_corrupt_inputs(fake_manager, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    for path, message in ((tmp_path / "nope.png", "nope.png: no such file"), (broken, "not a readable image")):
        result = invoke(*RUN, "-i", path, "-o", tmp_path / "out")
        assert result.exit_code == 1 and message in result.stderr
        assert not (tmp_path / "out").exists()


def test_existing_results_are_not_overwritten(clean_png, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text("{}")
    result = invoke(*RUN, "-i", clean_png, "-o", out, "--steps", "2")
    assert result.exit_code == 1 and "--overwrite" in result.stderr
    assert (out / "run.json").read_text() == "{}"
    assert invoke(*RUN, "-i", clean_png, "-o", out, "--steps", "2", "--overwrite").exit_code == 0


def test_debug_shows_the_traceback(clean_png, tmp_path):
    result = runner.invoke(create_app(), ["--debug", *RUN, "-f", "test-blurr", "-i", str(clean_png), "-o",
                                          str(tmp_path / "o")])
    assert result.exit_code != 0 and result.exception is not None


def test_list_and_plugins_with_no_plugin_installed(bare_manager):
    listing = invoke("list")
    assert listing.exit_code == 0
    assert "toy" in listing.output and "identity" in listing.output and "(none)" in listing.output
    plugins = invoke("plugins")
    assert plugins.exit_code == 0 and "invgen.builtins" in plugins.output


def test_list_one_kind_and_unknown_kind(fake_manager):
    listing = invoke("list", "forward")
    assert listing.exit_code == 0 and "test-blur" in listing.output
    assert "toy" not in listing.output
    bad = invoke("list", "generatorz")
    assert bad.exit_code == 2 and "unknown kind 'generatorz'" in bad.stderr


def test_list_what_evaluations_can_use(fake_manager):
    fake_manager.registry.add_task("fake-task", ["test-blur:sigma=1", "test-noise"], summary="blur, noise",
                                   plugin="fakes")
    tasks = invoke("list", "tasks")
    assert tasks.exit_code == 0 and "fake-task" in tasks.output and "test-blur:sigma=1 | test-noise" in tasks.output
    baselines = invoke("list", "baselines")
    assert baselines.exit_code == 0 and "richardson-lucy" in baselines.output and "invgen.builtins" in baselines.output
    assert "(none)" in invoke("list", "methods").output


PROBE = """
import sys
sys.argv = ["invgen", *sys.argv[1:]]
from invgen.cli import main
try:
    main()
except SystemExit:
    pass
print("TORCH_IMPORTED" if "torch" in sys.modules else "TORCH_NOT_IMPORTED")
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "forward"], ["list", "tasks"], ["plugins"]])
def test_help_and_list_do_not_import_torch(args):
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("TORCH_NOT_IMPORTED"), result.stdout[-300:]


def test_real_subprocess_run(tmp_path):
    """The installed console script end to end: a toy image, identity forward, a plugin-free loss."""
    script = Path(sys.executable).with_name("invgen")
    if not script.exists():
        pytest.skip("the invgen console script is not installed in this environment")
    result = subprocess.run([str(script), "run", "-g", "toy", "-i", str(tmp_path / "none.png"), "-o",
                             str(tmp_path / "out"), "--loss", "no-such-loss"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "invgen: error: unknown loss 'no-such-loss': " + result.stderr.split("'no-such-loss': ", 1)[1].strip()]
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("invgen ")


@pytest.mark.parametrize("basis", ["latent", "data"])
def test_run_vi_writes_samples_mean_std_map_grid_and_numbers(clean_png, tmp_path, basis):
    out = tmp_path / "vi"
    result = invoke("run", "-g", "toy:size=16,layers=2", "-f", "test-topmask", "-i", clean_png, "-o", out,
                    "--simulate", "--method", "vi", "--samples", "3", "--steps", "20", "--basis", basis,
                    "--loss", "test-sse:weight=50", "--prior", "test-norm:weight=0.5")
    assert result.exit_code == 0, result.output
    for name in ("sample_000.png", "sample_002.png", "posterior_mean.png", "posterior_std.png", "samples_grid.png",
                 "map.png", "mask.png", "comparison.png", "run.json"):
        assert (out / name).is_file(), name
    assert not (out / "sample_003.png").exists()
    record = json.loads((out / "run.json").read_text())
    assert record["solver"]["basis"] == basis and record["solver"]["method"] == "vi"
    assert len(record["history"]["elbo"]) == 20
    posterior = record["posterior"]
    assert posterior["mean_std_unknown"] > 0 and posterior["mean_std_known"] > 0
    assert posterior["pairwise_distance_unknown"] > 0 and posterior["pairwise_distance_known"] >= 0
    assert 0 < posterior["psnr_samples_vs_observation"] < 100 and 0 < posterior["psnr_map_vs_observation"] < 100
    assert Image.open(out / "samples_grid.png").size[0] >= 2 * 128  # 16-px samples enlarged to 128-px tiles
    heat_map = Image.open(out / "posterior_std.png")
    assert heat_map.size[0] > 100 and heat_map.mode in ("RGB", "RGBA")  # a figure with a colour bar


def test_run_vi_refuses_an_unknown_basis(clean_png, tmp_path):
    result = invoke("run", "-g", "toy:size=16,layers=2", "-f", "test-topmask", "-i", clean_png, "-o", tmp_path / "x",
                    "--simulate", "--method", "vi", "--basis", "pca", "--loss", "test-sse")
    assert result.exit_code == 2 and "basis must be one of latent, data" in result.stderr
    assert not (tmp_path / "x").exists()


def interrupt_at_step(monkeypatch, step: int) -> None:
    """Make the MAP loop see a Ctrl-C at ``step`` (the check runs once per step, inside the loop)."""
    import invgen.solvers.map as map_module

    real = map_module.check_finite

    def check(terms, at):
        if at == step:
            raise KeyboardInterrupt
        real(terms, at)

    monkeypatch.setattr(map_module, "check_finite", check)


def test_an_interrupted_run_writes_the_best_so_far_and_exits_130(clean_png, tmp_path, monkeypatch):
    interrupt_at_step(monkeypatch, 4)
    result = invoke(*RUN, "-i", clean_png, "--simulate", "-o", tmp_path / "out")
    assert result.exit_code == 130 and "best result so far" in result.stderr
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["interrupted"] is True and len(record["history"]["total"]) == 4


def test_consistency_paste_keeps_the_raw_output_and_reports_the_fit(clean_png, tmp_path):
    out = tmp_path / "out"
    result = invoke(*RUN, "-f", "test-topmask", "-i", clean_png, "-o", out, "--simulate", "--consistency", "paste")
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["consistency"] == "paste" and "reconstruction_raw.png" in record["files"]
    assert record["fit"]["observation_db"] is None  # the known pixels are the observation's: an exact fit
    known = np.asarray(Image.open(out / "mask.png")) > 127
    assert np.array_equal(np.asarray(Image.open(out / "reconstruction.png"))[known],
                          np.asarray(Image.open(out / "observation.png"))[known])


def test_a_consistency_step_that_cannot_apply_is_refused_before_the_solve(clean_png, tmp_path):
    out = tmp_path / "out"
    result = invoke(*RUN, "-f", "test-blur:sigma=1", "-i", clean_png, "-o", out, "--simulate", "--consistency",
                    "project")
    assert result.exit_code == 2 and "needs a cheap pseudo-inverse and 'test-blur' has none" in result.stderr
    assert not out.exists()


def test_starts_write_the_ranked_modes(clean_png, tmp_path):
    out = tmp_path / "out"
    result = invoke(*RUN, "-f", "test-topmask", "-i", clean_png, "-o", out, "--simulate", "--starts", "3")
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    objectives = [mode["objective"] for mode in record["modes"]]
    assert [mode["file"] for mode in record["modes"]] == ["mode_000.png", "mode_001.png", "mode_002.png"]
    assert objectives == sorted(objectives) and record["solver"]["starts"] == 3
    probabilities = [mode["probability"] for mode in record["modes"]]
    assert sum(probabilities) == pytest.approx(1, abs=1e-5) and probabilities == sorted(probabilities, reverse=True)
    assert (out / "mode_000.png").read_bytes() == (out / "reconstruction.png").read_bytes()


def test_vi_starts_fit_a_mixture_and_record_its_weights(clean_png, tmp_path):
    out = tmp_path / "vi"
    result = invoke(*RUN, "-f", "test-topmask", "-i", clean_png, "-o", out, "--simulate", "--method", "vi",
                    "--starts", "3", "--samples", "6", "--steps", "20")
    assert result.exit_code == 0, result.output
    mixture = json.loads((out / "run.json").read_text())["mixture"]
    assert len(mixture["weights"]) == 3 and sum(mixture["weights"]) == pytest.approx(1, abs=1e-5)
    assert len(mixture["elbo"]) == 3 and len(mixture["sample_components"]) == 6
    assert set(mixture["sample_components"]) <= {0, 1, 2}
    assert len(list(out.glob("sample_*.png"))) == 6


def test_mcmc_writes_samples_and_the_chains_diagnostics(clean_png, tmp_path):
    out = tmp_path / "mcmc"
    result = invoke(*RUN, "-f", "test-topmask", "-i", clean_png, "-o", out, "--simulate", "--method", "mcmc",
                    "--starts", "2", "--samples", "4", "--steps", "20", "--burn-in", "10", "--thin", "2")
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["solver"]["method"] == "mcmc" and record["solver"]["thin"] == 2
    chains = record["chains"]
    assert set(chains) == {"rhat", "rhat_max_latent", "ess", "ess_min_latent", "acceptance"}
    assert 0 <= chains["acceptance"] <= 1 and chains["ess"] > 0
    assert len(record["mixture"]["weights"]) == 2 and len(record["mixture"]["sample_components"]) == 4
    assert len(list(out.glob("sample_*.png"))) == 4 and (out / "posterior_std.png").exists()
    assert (out / "components_grid.png").exists()


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_list_prints_one_line_per_component_at_any_width(fake_manager, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    listing = invoke("list", "forward")
    lines = listing.stdout.splitlines()
    assert listing.exit_code == 0 and all(len(line) <= columns for line in lines)
    names = sorted(fake_manager.registry.components["forward"])
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == names  # one row each, in order, no wrapped second line
    assert "sigma" not in listing.stdout  # parameters are for `invgen info`


def test_info_shows_one_component_whole(fake_manager, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    shown = invoke("info", "test-blur")
    assert shown.exit_code == 0 and "sigma" in shown.stdout and "forward" in shown.stdout
    assert invoke("list", "forward", "test-blur").stdout == shown.stdout
    typo = invoke("info", "test-blurr")
    assert typo.exit_code == 2 and "did you mean 'test-blur'" in typo.stderr
    wrong_kind = invoke("list", "priors", "test-blur")
    assert wrong_kind.exit_code == 2 and "no priors named 'test-blur'" in wrong_kind.stderr
