"""`invgen calibrate` and `invgen run --method vi --calibrate`: fitted, stored, applied, refused in one line."""

import json

import pytest
import torch

import invgen
from invgen.evaluation.calibration import load_calibration
from invgen.io.images import save_image
from invgen.testing.cli import invoke

GENERATOR = "toy:size=16,layers=2"
TERMS = ("--loss", "test-sse", "--prior", "test-norm:weight=0.01")
FAST = ("--steps", "15", "--map-steps", "15")


@pytest.fixture
def data(tmp_path, fake_manager, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    generator = invgen.generator(GENERATOR)
    clean = generator(generator.map(torch.randn(6, 8, generator=torch.Generator().manual_seed(5))))
    folder = tmp_path / "clean"
    for index, image in enumerate(clean):
        save_image(folder / f"{index}.png", image)
    return folder


def test_calibrate_stores_a_scale_that_run_applies_to_the_std_map(data, tmp_path):
    made = invoke("calibrate", "-g", GENERATOR, "-f", "test-topmask", "--data", data, *TERMS, *FAST,
                  "--batch", "4", "-o", tmp_path / "c.json")
    assert made.exit_code == 0, made.output
    calibration = load_calibration(tmp_path / "c.json")
    assert calibration.images == 6 and calibration.region == "hidden" and calibration.scale > 0
    assert calibration.coverage_after >= 0.95 and len(calibration.fit_db) == 3
    assert list((tmp_path / "home" / "calibration").glob("*.json"))  # stored under INVGEN_HOME as well

    common = ("run", "-g", GENERATOR, "-f", "test-topmask", "-i", data / "0.png", "--simulate", "--method", "vi",
              *TERMS, "--steps", "15", "--samples", "4")
    plain = invoke(*common, "-o", tmp_path / "plain")
    scaled = invoke(*common, "-o", tmp_path / "scaled", "--calibrate")
    assert plain.exit_code == 0 and scaled.exit_code == 0, scaled.output
    record = json.loads((tmp_path / "scaled" / "run.json").read_text())
    assert record["calibration"]["scale"] == calibration.scale and "calibration" not in json.loads(
        (tmp_path / "plain" / "run.json").read_text())
    std = [json.loads((tmp_path / name / "run.json").read_text())["posterior"]["mean_std"]
           for name in ("plain", "scaled")]
    assert std[1] == pytest.approx(std[0] * calibration.scale, rel=1e-4)
    assert (tmp_path / "scaled" / "posterior_std.png").read_bytes() != (tmp_path / "plain" /
                                                                         "posterior_std.png").read_bytes()


@pytest.mark.parametrize("extra, message", [
    (("--method", "vi", "--calibrate"), "no calibration for toy:size=16,layers=2 with test-topmask"),
    (("--calibrate",), "one MAP estimate has nothing to calibrate"),
    (("--method", "mcmc", "--calibrate"), "MCMC's draws are not calibrated by a fitted scale"),
    (("--method", "vi", "--calibration", "missing.json"), "missing.json: no such calibration file"),
])
def test_run_refuses_a_missing_or_misused_calibration_before_solving(data, tmp_path, extra, message):
    out = tmp_path / "out"
    result = invoke("run", "-g", GENERATOR, "-f", "test-topmask", "-i", data / "0.png", "--simulate", *TERMS,
                    "-o", out, *extra)
    assert result.exit_code != 0 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_calibration_for_another_chain_is_refused(data, tmp_path):
    made = invoke("calibrate", "-g", GENERATOR, "-f", "test-topmask", "--data", data, *TERMS, *FAST,
                  "-o", tmp_path / "c.json")
    assert made.exit_code == 0, made.output
    result = invoke("run", "-g", GENERATOR, "-f", "test-blur:sigma=1", "-i", data / "0.png", "--simulate", *TERMS,
                    "--method", "vi", "--calibration", tmp_path / "c.json", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "fitted for another forward chain" in result.stderr


def test_map_modes_get_a_fitted_temperature_that_run_applies_to_their_probabilities(data, tmp_path):
    made = invoke("calibrate", "-g", GENERATOR, "-f", "test-topmask", "--data", data, *TERMS, "--method", "map",
                  "--starts", "3", "--steps", "15", "-o", tmp_path / "t.json")
    assert made.exit_code == 0, made.output
    assert "mode temperature" in made.stdout and "--method map --starts 3 --calibrate" in made.stdout
    calibration = load_calibration(tmp_path / "t.json")
    assert calibration.scale is None and calibration.temperature > 0
    assert calibration.modes["nll"] <= calibration.modes["nll_uncalibrated"] + 1e-9
    common = ("run", "-g", GENERATOR, "-f", "test-topmask", "-i", data / "0.png", "--simulate", *TERMS,
              "--steps", "15", "--starts", "3")
    for name, extra in (("plain", ()), ("calibrated", ("--calibrate",))):
        result = invoke(*common, "-o", tmp_path / name, *extra)
        assert result.exit_code == 0, result.output
    records = {name: json.loads((tmp_path / name / "run.json").read_text()) for name in ("plain", "calibrated")}
    for name, temperature in (("plain", 1.0), ("calibrated", calibration.temperature)):
        modes = records[name]["modes"]
        evidence = torch.tensor([[-mode["objective"] for mode in modes]], dtype=torch.float64)
        expected = torch.softmax(evidence / temperature, 1)[0].tolist()
        assert [mode["probability"] for mode in modes] == pytest.approx(expected, abs=2e-6)
    assert records["calibrated"]["calibration"]["temperature"] == calibration.temperature
    refused = invoke("run", "-g", GENERATOR, "-f", "test-topmask", "-i", data / "0.png", "--simulate", *TERMS,
                     "--method", "vi", "--calibration", tmp_path / "t.json", "-o", tmp_path / "vi")
    assert refused.exit_code == 2 and "fitted for another objective" in refused.stderr, refused.stderr


def test_a_vi_mixture_calibration_holds_a_scale_and_a_temperature(data, tmp_path):
    made = invoke("calibrate", "-g", GENERATOR, "-f", "test-topmask", "--data", data, *TERMS, *FAST,
                  "--starts", "2", "-o", tmp_path / "m.json")
    assert made.exit_code == 0, made.output
    calibration = load_calibration(tmp_path / "m.json")
    assert calibration.scale > 0 and calibration.temperature > 0 and calibration.modes["starts"] == 2
