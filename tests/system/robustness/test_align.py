"""`invgen align` and `invgen run --align ffhq` on a real photo (scikit-image's astronaut), and the refusals."""

import importlib.util
import json

import pytest
from PIL import Image
from skimage import data

from invgen.testing.cli import invoke

pytest.importorskip("dlib", reason="face alignment needs the align extra (dlib-bin, face-recognition-models)")
if importlib.util.find_spec("face_recognition_models") is None:
    pytest.skip("face alignment needs the align extra's landmark model", allow_module_level=True)


@pytest.fixture
def astronaut(tmp_path):
    path = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


def test_align_writes_the_crop_and_its_transform(astronaut, tmp_path):
    done = invoke("align", astronaut, "-o", tmp_path / "aligned.png", "--size", "256")
    assert done.exit_code == 0, done.output
    assert Image.open(tmp_path / "aligned.png").size == (256, 256)
    record = json.loads((tmp_path / "aligned.json").read_text())
    assert record["size"] == 256 and record["faces"] == 1 and len(record["quad"]["corners"]) == 4


def test_run_aligns_the_photo_and_pastes_the_result_back(astronaut, tmp_path, run):
    out = tmp_path / "run"
    ran = invoke(*run, "--no-domain-check", "-i", astronaut, "-o", out, "--align", "ffhq", "--restore-size")
    assert ran.exit_code == 0, ran.output
    record = json.loads((out / "run.json").read_text())
    assert record["alignment"]["size"] == 32 and record["identity"]["inputs"]["align"] == ["ffhq", None]
    assert Image.open(out / "reconstruction_restored.png").size == (512, 512)  # the photo's own size


@pytest.mark.parametrize("extra, code, message", [
    (["--align", "ffhq", "--crop", "center"], 2, "--align crops and scales each photo itself"),
    (["--face", "1"], 2, r"--face N picks the face to align"),
    (["--align", "dlib"], 2, r"--align 'dlib': choose none, ffhq, or auto"),
    (["--align", "ffhq", "--face", "3"], 1, r"--face 3 but 1 face found"),
], ids=["crop", "face-alone", "unknown", "no-such-face"])
def test_bad_alignment_options_are_refused(astronaut, tmp_path, run, refused, extra, code, message):
    refused([*run, "-i", astronaut, "-o", tmp_path / "no", *extra], code, message, tmp_path / "no")


def test_a_photo_without_a_face_is_refused(files, tmp_path, run, refused):
    refused([*run, "-i", files["digit.png"], "-o", tmp_path / "no", "--align", "ffhq"], 1,
            r"digit\.png: no face found", tmp_path / "no")
    refused(["align", files["digit.png"], "-o", tmp_path / "no.png"], 1, r"no face found", tmp_path / "no.png")


def test_align_auto_follows_the_generator(files, tmp_path, run):
    out = tmp_path / "auto"
    ran = invoke(*run, "--no-domain-check", "-i", files["digit.png"], "-o", out, "--align", "auto")
    assert ran.exit_code == 0, ran.output  # the digit model declares no alignment: the input is used as it is
    assert "alignment" not in json.loads((out / "run.json").read_text())
