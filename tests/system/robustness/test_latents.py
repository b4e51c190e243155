"""A result is kept as values, not only pictures: latent.safetensors and float .npy images are written, `invgen
render` makes the run's PNGs again bit for bit, `--init` starts where a result ended, and bad latents are refused."""

import json

import numpy as np
import pytest
import torch

import invgen
from invgen.io.latents import latent_bytes, read_latents
from invgen.testing.cli import invoke

SR = ("-f", "downsample:factor=4", "--simulate", "--no-domain-check")


def pngs(folder):
    return {path.name: path.read_bytes() for path in folder.glob("*.png") if path.name != "comparison.png"}


@pytest.mark.parametrize("method", [[], ["--starts", "3"], ["--method", "vi", "--samples", "4"]],
                         ids=["map", "starts", "vi"])
def test_render_gives_the_runs_pictures_bit_for_bit(files, tmp_path, run, method):
    out, again = tmp_path / "out", tmp_path / "again"
    assert invoke(*run, *SR, *method, "-i", files["digit.png"], "-o", out).exit_code == 0
    rendered = invoke("render", out, "-o", again, "--device", "cpu")
    assert rendered.exit_code == 0, rendered.output
    made = pngs(again)
    expected = {"reconstruction.png"} if not method else (
        {"reconstruction.png", "modes_grid.png", *(f"mode_{i:03d}.png" for i in range(3))} if method[0] == "--starts"
        else {"posterior_mean.png", "samples_grid.png", *(f"sample_{i:03d}.png" for i in range(4))})
    assert set(made) == expected
    assert all(made[name] == (out / name).read_bytes() for name in made)
    stem = "posterior_mean" if "vi" in method else "reconstruction"
    np.testing.assert_array_equal(np.load(again / f"{stem}.npy"), np.load(out / f"{stem}.npy"))
    assert json.loads((again / "rendered.json").read_text())["generator"] == "stylegan2-mnist32"
    if not method:  # without -o: beside the run, never in it
        assert invoke("render", out, "--device", "cpu").exit_code == 0
        assert pngs(tmp_path / "out-rendered") == made


def test_the_float_result_is_the_png_before_rounding(files, tmp_path, run):
    out = tmp_path / "out"
    assert invoke(*run, *SR, "-i", files["digit.png"], "-o", out).exit_code == 0
    values = np.load(out / "reconstruction.npy")
    assert values.dtype == np.float32 and values.shape == (1, 32, 32)
    from PIL import Image
    picture = np.asarray(Image.open(out / "reconstruction.png"), np.float64)
    expected = np.clip(np.round((values[0].astype(np.float64) + 1) * 127.5), 0, 255)
    assert np.abs(picture - expected).max() <= 1  # the PNG is the float image quantised (rounding ties aside)
    saved = read_latents(out / "latent.safetensors")
    assert saved.latent.shape == (1, 8, 128) and saved.metadata["generator"] == "stylegan2-mnist32"
    assert saved.metadata["preset"] == "pixel" and saved.metadata["method"] == "map"


def test_init_starts_from_the_saved_latent(files, tmp_path, run):
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke(*run, *SR, "-i", files["digit.png"], "-o", first).exit_code == 0
    assert invoke(*run, *SR, "-i", files["digit.png"], "-o", second, "--init", first).exit_code == 0
    earlier = json.loads((first / "run.json").read_text())["history"]["total"]
    later = json.loads((second / "run.json").read_text())
    assert later["history"]["total"][0] == pytest.approx(min(earlier), rel=1e-6)  # the saved latent is the best one
    assert later["identity"]["init"]["sha256"]
    from_file = tmp_path / "from_file"
    assert invoke(*run, *SR, "-i", files["digit.png"], "-o", from_file, "--init",
                  first / "latent.safetensors").exit_code == 0
    assert json.loads((from_file / "run.json").read_text())["history"]["total"][0] == later["history"]["total"][0]


def test_init_of_a_folder_run_takes_each_inputs_own_latent(files, tmp_path, run):
    source = tmp_path / "in"
    source.mkdir()
    for name in ("a.png", "b.png"):
        (source / name).write_bytes(files["digit.png"].read_bytes() if name == "a.png" else
                                    files["white.png"].read_bytes())
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke(*run, *SR, "-i", source, "-o", first).exit_code == 0
    assert invoke(*run, *SR, "-i", source, "-o", second, "--init", first).exit_code == 0
    for name in ("a.png", "b.png"):
        earlier = json.loads((first / name / "run.json").read_text())
        later = json.loads((second / name / "run.json").read_text())
        assert later["history"]["total"][0] == pytest.approx(min(earlier["history"]["total"]), rel=1e-5)
    rendered = invoke("render", first, "-o", tmp_path / "again", "--device", "cpu")
    assert rendered.exit_code == 0 and "rendered 2 results" in rendered.stdout
    assert (tmp_path / "again" / "b.png" / "reconstruction.png").read_bytes() == (
        first / "b.png" / "reconstruction.png").read_bytes()


def test_bad_latents_are_refused_before_any_solve(files, tmp_path, run, refused):
    first = tmp_path / "first"
    assert invoke(*run, *SR, "-i", files["digit.png"], "-o", first).exit_code == 0
    foreign = tmp_path / "foreign.safetensors"
    from safetensors.torch import save_file
    save_file({"latent": torch.zeros(1, 8, 128)}, foreign)
    shapes = tmp_path / "shapes.safetensors"
    shapes.write_bytes(latent_bytes({"latent": torch.zeros(1, 4, 128)}, {"generator": "stylegan2-mnist32"}))
    other = tmp_path / "other.safetensors"
    other.write_bytes(latent_bytes({"latent": torch.zeros(1, 8, 128)}, {"generator": "toy:size=32"}))
    nan = tmp_path / "nan.safetensors"
    nan.write_bytes(latent_bytes({"latent": torch.full((1, 8, 128), float("nan"))}, {"generator": "x"}))
    text = tmp_path / "text.safetensors"
    text.write_bytes(b"not a safetensors file")
    out = tmp_path / "out"
    digit = ("-i", files["digit.png"], "-o", out)
    for init, code, message in [
        (tmp_path / "missing", 2, r"--init .*missing: no such file or folder"),
        (tmp_path / "first" / "run.json", 1, r"not a safetensors file"),
        (text, 1, r"text\.safetensors: not a safetensors file"),
        (foreign, 1, r"not an invgen latent file"),
        (shapes, 1, r"latents of shape \[4, 128\] do not fit stylegan2-mnist32 \(\[8, 128\]\)"),
        (other, 1, r"made by toy:size=32, not by this run's generator stylegan2-mnist32"),
        (nan, 1, r"tensor 'latent' has NaN or infinite values"),
    ]:
        refused([*run, *SR, *digit, "--init", init], code, message, out)
    refused([*run, *SR, *digit, "--init", first, "--starts", "2"], 2, r"--init and --starts > 1 exclude", out)
    refused(["render", first, "-o", first / "inside"], 2, r"is a result folder being rendered", first / "inside")
    (tmp_path / "empty").mkdir()
    refused(["render", tmp_path / "empty", "-o", tmp_path / "r"], 1, r"empty: holds no result", tmp_path / "r")
    refused(["render", first, "-o", tmp_path / "r", "-g", "toy:size=32"], 1,
            r"do not fit", tmp_path / "r")


def test_load_result_reads_a_run_back(files, tmp_path, run):
    out = tmp_path / "out"
    assert invoke(*run, *SR, "--method", "vi", "--samples", "3", "-i", files["digit.png"], "-o", out).exit_code == 0
    saved = invgen.load_result(out)
    assert saved.method == "vi" and saved.latent.shape == (1, 8, 128)
    assert saved.latents.tensors["samples"].shape == (3, 8, 128)
    again = saved.rendered(invgen.generator("stylegan2-mnist32"))
    torch.testing.assert_close(again["reconstruction"], saved.image, rtol=0, atol=0)
    with pytest.raises(invgen.InputError, match="holds no run.json"):
        invgen.load_result(tmp_path)
