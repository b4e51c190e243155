"""Alignment of real photos that packages ship (scikit-image's astronaut and LFW faces) with the offline
detector: FFHQ's published 5-point template (facexlib's, at 512 px, measured on FFHQ) as the oracle."""

import importlib.util

import numpy as np
import pytest
import torch

pytest.importorskip("dlib", reason="face alignment needs the align extra (dlib-bin, face-recognition-models)")
if importlib.util.find_spec("face_recognition_models") is None:  # found, not imported: it needs pkg_resources
    pytest.skip("face alignment needs the align extra's landmark model", allow_module_level=True)

from skimage import data  # noqa: E402

from invgen.align.geometry import FaceQuad, eyes_and_mouth  # noqa: E402
from invgen.align.photos import align_photo, detector, restored_photo  # noqa: E402
from invgen.errors import InputError  # noqa: E402

TEMPLATE_512 = {"eye_left": (192.98, 239.95), "eye_right": (318.90, 240.19),  # FFHQ's average 5 points at 512 px
                "mouth": ((201.26 + 313.09) / 2, (371.41 + 371.15) / 2)}


def photo_tensor(array):
    image = torch.from_numpy(np.ascontiguousarray(array)).float()
    return (image.permute(2, 0, 1) if image.dim() == 3 else image[None])[None] / 127.5 - 1


def distances(points, template=TEMPLATE_512):
    mouth = (np.asarray(points["mouth_left"]) + np.asarray(points["mouth_right"])) / 2
    found = {"eye_left": points["eye_left"], "eye_right": points["eye_right"], "mouth": mouth}
    return {name: float(np.hypot(*(np.asarray(found[name]) - template[name]))) for name in template}


def test_the_astronauts_eyes_land_on_ffhqs_template():
    photo = photo_tensor(data.astronaut())
    aligned, record = align_photo(photo, 512, "astronaut")
    assert record["faces"] == 1 and record["method"] == "ffhq"
    quad = FaceQuad.from_record(record["quad"])
    moved = {name: quad.to_aligned(np.asarray([point]), 512)[0] for name, point in record["points"].items()}
    where = distances(moved)
    assert where["eye_left"] < 6 and where["eye_right"] < 6  # pixels at 512: 4.2 and 5.1 measured
    assert where["mouth"] < 25  # 17 measured: her smile sits higher than FFHQ's average mouth
    pixels = ((aligned[0].permute(1, 2, 0) + 1) * 127.5).clamp(0, 255).round().byte().numpy()
    again = detector().faces(pixels)  # found again in the aligned crop, where the template says
    assert len(again) == 1
    redetected = distances({name: point for name, point in eyes_and_mouth(again[0].landmarks).items()})
    assert redetected["eye_left"] < 6 and redetected["eye_right"] < 6 and redetected["mouth"] < 25


def test_the_round_trip_is_near_the_identity_on_the_face():
    photo = photo_tensor(data.astronaut())
    aligned, record = align_photo(photo, 512, "astronaut")
    back = restored_photo(photo, aligned, record)
    x0, y0, x1, y1 = record["box"]
    assert ((back - photo)[..., y0:y1, x0:x1].abs().mean() * 127.5) < 2  # grey levels: 1.1 measured
    assert back.shape == photo.shape


def test_lfw_faces_are_found_and_non_faces_are_not():
    images = (data.lfw_subset() * 255).round().astype(np.uint8)  # 100 faces, then 100 non-faces, 25x25
    faces = [detector().faces(image) for image in images]
    assert sum(len(found) == 1 for found in faces[:100]) >= 70  # 76 measured
    assert sum(len(found) > 0 for found in faces[100:]) <= 2  # 0 measured
    eyes, mouths = [], []
    for found, image in zip(faces[:100], images[:100]):
        if len(found) == 1:
            _, record = align_photo(photo_tensor(image), 64, "lfw")
            quad = FaceQuad.from_record(record["quad"])
            where = distances({name: quad.to_aligned(np.asarray([point]), 512)[0]
                               for name, point in record["points"].items()})
            eyes.append(max(where["eye_left"], where["eye_right"]))
            mouths.append(where["mouth"])
    # pixels at 512, measured on the 76 faces found: eyes median 4.0, worst 14.6; mouths median 10.6, worst 17.1
    assert np.median(eyes) < 6 and max(eyes) < 20 and np.median(mouths) < 15 and max(mouths) < 25


def test_photos_without_one_face_are_refused_in_one_line():
    with pytest.raises(InputError, match="no face found"):
        align_photo(photo_tensor(data.camera()), 64, "camera.png")
    two = photo_tensor(np.concatenate([data.astronaut()] * 2, 1))
    with pytest.raises(InputError, match=r"2 faces found; choose one with --face N \(0 is the leftmost\)"):
        align_photo(two, 64, "two.png")
    _, right = align_photo(two, 64, "two.png", face=1)
    assert right["points"]["eye_left"][0] > 512
    with pytest.raises(InputError, match=r"--face 2 but 2 faces found \(0 to 1"):
        align_photo(two, 64, "two.png", face=2)

