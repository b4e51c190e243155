import io

import numpy as np
import torch
from PIL import Image

from invgen.render.grid import grid_png


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_tiles_sit_at_their_places_with_white_padding():
    images = torch.linspace(-1, 1, 5 * 4 * 3).view(5, 1, 4, 3)
    grid = decode(grid_png(images, columns=2, padding=1))
    assert grid.shape == (3 * 5 + 1, 2 * 4 + 1)
    expected = np.round((images[3, 0].numpy() + 1) * 127.5)
    assert np.abs(grid[1 + 5:1 + 5 + 4, 1 + 4:1 + 4 + 3] - expected).max() <= 1
    assert (grid[0] == 255).all() and (grid[:, 0] == 255).all()


def test_small_tiles_are_enlarged_by_whole_pixels():
    images = torch.rand(3, 1, 8, 8) * 2 - 1
    grid = decode(grid_png(images, columns=3, padding=0, min_tile=35))
    factor = 4  # the largest whole factor that keeps 8 px within 35
    assert grid.shape == (8 * factor, 3 * 8 * factor)
    first = decode(grid_png(images[:1], padding=0))
    assert np.array_equal(grid[:, :8 * factor], np.kron(first, np.ones((factor, factor), dtype=first.dtype)))


def test_tiles_wider_than_the_minimum_are_left_alone():
    images = torch.zeros(2, 3, 16, 16)
    assert decode(grid_png(images, columns=2, padding=0, min_tile=16)).shape == (16, 32, 3)


def test_labels_add_a_strip_under_each_tile_with_its_text():
    import io

    import pytest
    import torch
    from PIL import Image

    from invgen.render.grid import LABEL_HEIGHT, grid_png

    images = -torch.ones(2, 1, 8, 8)
    plain = Image.open(io.BytesIO(grid_png(images, columns=2)))
    labelled = Image.open(io.BytesIO(grid_png(images, columns=2, labels=["p=0.700", "p=0.300"])))
    assert labelled.size == (plain.size[0], plain.size[1] + LABEL_HEIGHT)
    import numpy as np

    strip = torch.from_numpy(np.asarray(labelled.convert("L")))[10:]
    assert (strip < 128).any()  # the text is drawn
    with pytest.raises(ValueError, match="1 labels for 2 images"):
        grid_png(images, labels=["one"])
