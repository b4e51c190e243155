"""A folder of toy-generator images for the many-input tests."""

from pathlib import Path

import pytest
import torch

import invgen
from invgen.io.images import save_image


def toy_folder(folder: Path, count: int, prefix: str, seed: int) -> Path:
    """``count`` images of ``toy:size=16,layers=2`` saved as ``folder/PREFIX{i}.png``."""
    generator = invgen.generator("toy:size=16,layers=2")
    z = torch.randn(count, generator.z_dim, generator=torch.Generator().manual_seed(seed))
    for index, image in enumerate(generator(generator.map(z))):
        save_image(folder / f"{prefix}{index}.png", image)
    return folder


@pytest.fixture
def make_toy_folder(fake_manager):
    """:func:`toy_folder`, with the fake plugin registered."""
    return toy_folder
