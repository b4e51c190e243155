"""FFHQ's alignment geometry without a detector: the recipe's square (closed form, rotation), the crop against
PIL's quad transform (what FFHQ's own script used), and the paste back through the inverse."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

from invgen.align.geometry import FaceQuad, aligned_crop, ffhq_quad, pasted_back


def face(eye_distance=40.0, eye_to_mouth=50.0, centre=(100.0, 90.0), angle=0.0):
    """68 landmarks of which only the eyes (36-47) and mouth corners (48, 54) matter, rotated by ``angle``."""
    points = np.zeros((68, 2))
    points[36:42] = [-eye_distance / 2, 0]
    points[42:48] = [eye_distance / 2, 0]
    points[48] = [-15, eye_to_mouth]
    points[54] = [15, eye_to_mouth]
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return points @ turn.T + centre


def test_the_square_of_an_upright_face_follows_the_recipe():
    wide = ffhq_quad(face(eye_distance=40, eye_to_mouth=30))  # 2 x 40 > 1.8 x 30: the eyes set the size
    assert wide.x == pytest.approx((80, 0)) and wide.y == pytest.approx((0, 80))
    assert wide.center == pytest.approx((100, 90 + 3))  # a tenth of the way to the mouth
    long = ffhq_quad(face(eye_distance=40, eye_to_mouth=60))  # 1.8 x 60 > 2 x 40
    assert long.x == pytest.approx((108, 0)) and long.side == pytest.approx(216)


def test_the_square_turns_with_the_face():
    upright, tilted = ffhq_quad(face()), ffhq_quad(face(angle=0.3))
    turn = np.array([[math.cos(0.3), -math.sin(0.3)], [math.sin(0.3), math.cos(0.3)]])
    np.testing.assert_allclose(tilted.x, turn @ np.array(upright.x), atol=1e-9)
    np.testing.assert_allclose(tilted.corners() - (100, 90), (upright.corners() - (100, 90)) @ turn.T, atol=1e-9)
    eyes = face(angle=0.3)[[36, 42]]
    aligned = tilted.to_aligned(eyes, 256)
    assert aligned[0, 1] == pytest.approx(aligned[1, 1])  # the eyes level again after alignment


def test_the_crop_matches_pils_quad_transform():
    rng = np.random.default_rng(0)
    photo = (rng.random((160, 200, 3)) * 255).astype(np.uint8)
    photo = np.asarray(Image.fromarray(photo).resize((400, 320), Image.BILINEAR))  # smooth: no aliasing question
    quad = ffhq_quad(face(eye_distance=36, eye_to_mouth=40, centre=(190.0, 150.0), angle=-0.2))
    size = 96
    expected = np.asarray(Image.fromarray(photo).transform((size, size), Image.QUAD, (quad.corners() + 0.5).flatten(),
                                                           Image.BILINEAR), np.float64)
    tensor = torch.from_numpy(photo.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1
    ours = ((aligned_crop(tensor, quad, size)[0].permute(1, 2, 0) + 1) * 127.5).numpy()
    inner = slice(2, size - 2)  # PIL leaves pixels it maps outside the photo black; the square is inside here
    assert np.abs(ours[inner, inner] - expected[inner, inner]).mean() < 1.0  # grey levels
    assert np.abs(ours[inner, inner] - expected[inner, inner]).max() < 8.0


def test_pasting_the_crop_back_gives_the_photo_again():
    rng = np.random.default_rng(1)
    small = torch.from_numpy(rng.random((1, 3, 30, 40))).float() * 2 - 1
    photo = torch.nn.functional.interpolate(small, size=(120, 160), mode="bilinear", align_corners=False)
    quad = ffhq_quad(face(eye_distance=16, eye_to_mouth=18, centre=(80.0, 55.0), angle=0.4))
    crop = aligned_crop(photo, quad, 256)  # finer than the photo: the round trip is near exact
    back = pasted_back(photo, crop, quad)
    a, b = quad.square_coordinates(np.stack(np.meshgrid(np.arange(160), np.arange(120)), -1).reshape(-1, 2))
    inside = torch.from_numpy((np.maximum(np.abs(a), np.abs(b)) < 0.85).reshape(120, 160))
    error = (back - photo)[..., inside].abs()
    assert error.mean() < 0.005 and error.max() < 0.05  # two bilinear resamplings of a piecewise-linear photo
    outside = torch.from_numpy((np.maximum(np.abs(a), np.abs(b)) > 1).reshape(120, 160))
    assert torch.equal(back[..., outside], photo[..., outside])  # nothing changes outside the square


def test_quads_keep_their_pixel_convention_when_scaled_and_recorded():
    quad = FaceQuad((10.0, 20.0), (8.0, 0.0), (0.0, 8.0))
    assert quad.scaled(2).center == (20.5, 40.5) and quad.scaled(2).x == (16.0, 0.0)
    assert FaceQuad.from_record(quad.record()) == quad
    corners = quad.to_aligned(quad.corners(), 64)
    np.testing.assert_allclose(corners, [[-0.5, -0.5], [-0.5, 63.5], [63.5, 63.5], [63.5, -0.5]])
