"""One page request without a browser: uploads, painted masks, the job, its zip and its command line."""

import json
import shlex
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import invgen
from invgen.errors import InputError, UsageError
from invgen.serve.jobs import LiveRun, Request, Upload, Workspace, painted_mask, read_upload, run_job


def test_an_upload_becomes_its_centred_square_and_is_enlarged_for_painting(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    upload = read_upload(tmp_path / "wide.png")
    assert np.array_equal(upload.pixels, pixels[:, 5:35]) and upload.factor == 8
    assert "cropped to the centred 30x30 square" in upload.note
    assert np.array_equal(upload.canvas()[::8, ::8], upload.pixels) and upload.canvas().shape == (240, 240, 3)


def test_grey_stays_grey_and_transparency_is_shown_on_white(tmp_path):
    Image.fromarray(np.full((8, 8), 77, np.uint8)).save(tmp_path / "grey.png")
    assert read_upload(tmp_path / "grey.png").pixels.shape == (8, 8)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:4, :, 3] = 255  # the top half opaque black, the rest transparent
    Image.fromarray(rgba).save(tmp_path / "clear.png")
    flat = read_upload(tmp_path / "clear.png").pixels
    assert (flat[:4] == 0).all() and (flat[4:] == 255).all()


def test_too_large_or_unreadable_uploads_are_refused_in_one_line(tmp_path):
    Image.new("L", (4097, 1)).save(tmp_path / "long.png")
    with pytest.raises(InputError, match="4097x1: at most 4096 pixels a side"):
        read_upload(tmp_path / "long.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(InputError, match="not a picture this page reads") as refused:
        read_upload(tmp_path / "notes.png")
    assert str(tmp_path) not in str(refused.value)  # the server's path to the upload is not told


def _layer(side, painted):
    layer = np.zeros((side, side, 4), np.uint8)
    for top, left, bottom, right in painted:
        layer[top:bottom, left:right] = (255, 42, 109, 255)
    return layer


def test_a_pixel_is_hidden_when_at_least_half_of_it_is_painted():
    upload = Upload(np.zeros((4, 4), np.uint8), 2, "")
    expected = np.zeros((4, 4), bool)
    expected[0, 0] = expected[1, 2] = True
    layer = _layer(8, [(0, 0, 2, 2), (2, 4, 3, 6), (6, 6, 7, 7)])  # all of (0,0), half of (1,2), a quarter of (3,3)
    assert np.array_equal(painted_mask([layer], upload), expected)
    assert np.array_equal(painted_mask([_layer(16, [(0, 0, 4, 4)])], upload)[0, 0], True)  # another canvas size
    assert painted_mask([], upload) is None and painted_mask([_layer(8, [(7, 7, 8, 8)])], upload) is None


def test_the_command_line_names_the_mask_model_first_and_parses_back():
    request = Request("toy:size=16", ("test-blur:sigma=1",), True, "vi", "test-preset", 30, 0.1, 4, 2,
                      "test-maskfile")
    words = shlex.split(request.command(has_mask=True))
    assert words[:2] == ["invgen", "run"]
    assert [words[i + 1] for i, w in enumerate(words) if w == "--forward"] == [
        "test-maskfile:path=inputs/mask.png,resize=true", "test-blur:sigma=1"]
    assert {"--simulate", "--resize", "--gif"} <= set(words) and words[words.index("--samples") + 1] == "4"
    assert "--starts 4" in Request("toy", (), True, "map", starts=4).command(False)
    assert "--starts 4" in Request("toy", (), True, "vi", starts=4).command(False)
    assert "--starts" not in Request("toy", (), True, "vi").command(False)
    assert Request("toy", (), False).specs(None) == ["identity"]
    with pytest.raises(UsageError, match="no.*mask-file role|mask-file role and none is installed"):
        Request("toy", (), False).specs("mask.png")


@pytest.fixture
def toy_upload(tmp_path, fake_manager):
    from invgen.io.images import save_image

    generator = invgen.generator("toy:size=16,layers=2")
    save_image(tmp_path / "clean.png", generator(generator.map(torch.randn(1, 8, generator=torch.Generator()
                                                                           .manual_seed(3)))))
    return read_upload(tmp_path / "clean.png")


def test_a_job_writes_what_invgen_run_writes_and_its_command_repeats_it(toy_upload, tmp_path, monkeypatch):
    mask = np.zeros((16, 16), bool)
    mask[2:8, 2:8] = True
    request = Request("toy:size=16,layers=2", ("test-blur:sigma=1",), True, "map", "test-preset", 30, 0.1,
                      mask_model="test-maskfile")
    live = LiveRun()
    done = run_job(Workspace(tmp_path / "work").new_job(), toy_upload, mask, request, live, {}, "cpu")
    assert done.folder.parent.parent == tmp_path / "work"
    assert live.latest.step == 30 and live.preview.shape == (1, 16, 16)
    assert done.record["forward"][0].startswith("test-maskfile:path=") and done.record["interrupted"] is False
    with zipfile.ZipFile(done.archive) as packed:
        names = set(packed.namelist())
        assert names == set(done.record["files"]) | {"run.json", "inputs/input.png", "inputs/mask.png", "command.sh"}
        assert json.loads(packed.read("run.json")) == done.record
        assert str(tmp_path) not in packed.read("run.json").decode()  # the zip's own paths: inputs/mask.png ...
        assert (np.asarray(Image.open(packed.open("inputs/mask.png"))) == 0).sum() == 36
        packed.extractall(tmp_path / "unpacked")
    monkeypatch.chdir(tmp_path / "unpacked")
    from invgen.cli.app import create_app

    words = shlex.split((tmp_path / "unpacked" / "command.sh").read_text().splitlines()[-1])
    rerun = CliRunner().invoke(create_app(), words[1:] + ["--device", "cpu"])
    assert rerun.exit_code == 0, rerun.output
    assert (tmp_path / "unpacked/result/reconstruction.png").read_bytes() == \
        (done.results / "reconstruction.png").read_bytes()


def test_a_stopped_job_keeps_and_packs_the_best_result_so_far(toy_upload, tmp_path):
    live = LiveRun()
    live.stop.set()
    request = Request("toy:size=16,layers=2", (), True, "map", "test-preset", 500, 0.1)
    done = run_job(Workspace(tmp_path).new_job(), toy_upload, None, request, live, {}, "cpu")
    assert done.record["interrupted"] is True and len(done.record["history"]["total"]) == 1
    assert done.archive.is_file() and (done.results / "reconstruction.png").is_file()


def test_without_simulate_the_upload_is_the_observation_resized_to_the_chains_output(tmp_path, fake_manager):
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (20, 20), dtype=np.uint8)).save(tmp_path / "obs.png")
    request = Request("toy:size=16,layers=2", ("test-down",), False, "map", "test-preset", 5, 0.1)
    done = run_job(Workspace(tmp_path).new_job(), read_upload(tmp_path / "obs.png"), None, request, LiveRun(), {},
                   "cpu")
    assert done.record["simulate"] is False and done.record["input_geometry"]["resized_from"] == [20, 20]
    assert Image.open(done.results / "observation.png").size == (8, 8)
    assert "--simulate" not in shlex.split(done.command)


def test_an_uploaded_file_a_spec_names_is_read_from_the_job_s_inputs_and_named_so_in_the_zip(toy_upload, tmp_path):
    kept = tmp_path / "gradio" / "f00d" / "holes.png"  # where gradio keeps an upload
    kept.parent.mkdir(parents=True)
    holes = np.full((16, 16), 255, np.uint8)
    holes[4:12, 4:12] = 0
    Image.fromarray(holes).save(kept)
    request = Request("toy:size=16,layers=2", ("test-maskfile:path=holes.png,resize=true",), True, "map",
                      "test-preset", 5, 0.1, files=(("holes.png", str(kept)),))
    done = run_job(Workspace(tmp_path / "work").new_job(), toy_upload, None, request, LiveRun(), {}, "cpu")
    assert done.record["forward"] == ["test-maskfile:path=inputs/holes.png,resize=true"]
    assert "--forward test-maskfile:path=inputs/holes.png,resize=true" in done.command
    with zipfile.ZipFile(done.archive) as packed:
        assert np.array_equal(np.asarray(Image.open(packed.open("inputs/holes.png"))), holes)
        assert str(tmp_path) not in packed.read("run.json").decode()
    observed = np.asarray(Image.open(done.results / "observation.png"))
    assert observed.shape == (16, 16) and len(np.unique(observed[4:12, 4:12])) == 1  # hidden: one grey level
