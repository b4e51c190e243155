"""Fixtures shared by the in-repo plugins' tests: the LPIPS backbones (invgen-losses' perceptual term, used by
its tests and by the StyleGAN2 plugin's workflow tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_LPIPS = Path(__file__).resolve().parents[2] / "shared" / "weights" / "lpips"
USER_INVGEN_HOME = os.environ.get("INVGEN_HOME")  # the user's own cache, before the tests replace it
BACKBONES = ("vgg16", "alexnet")


@pytest.fixture(scope="session")
def lpips_weights_folder(tmp_path_factory) -> Path:
    """A folder with the ImageNet VGG16 and AlexNet backbones for LPIPS.

    ``../shared/weights/lpips`` beside the project when it exists (always in this project's CI);
    otherwise the user's invgen weights cache or torchvision's download, copied once into a
    temporary folder; the test is skipped, with the reason, only when none of them has the weights.
    """
    if SHARED_LPIPS.is_dir():
        return SHARED_LPIPS
    from invgen.errors import UserError

    try:
        from invgen_losses.perceptual import backbone_state
        from safetensors.torch import save_file
    except ImportError as error:
        pytest.skip(f"LPIPS tests need invgen-losses ({error})")
    folder = tmp_path_factory.mktemp("lpips-weights")
    saved = os.environ.copy()
    try:
        os.environ.pop("INVGEN_LPIPS_WEIGHTS", None)
        if USER_INVGEN_HOME:
            os.environ["INVGEN_HOME"] = USER_INVGEN_HOME
        else:
            os.environ.pop("INVGEN_HOME", None)
        for backbone in BACKBONES:
            state = {key: value.contiguous() for key, value in backbone_state(backbone, download=True).items()}
            save_file(state, str(folder / f"{backbone}_imagenet_features.safetensors"))
    except UserError:
        pytest.skip("no LPIPS backbone weights here: no ../shared/weights/lpips, none in the weights cache, no download")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return folder


@pytest.fixture
def lpips_weights(lpips_weights_folder, monkeypatch) -> Path:
    """Point invgen's LPIPS at :func:`lpips_weights_folder` for one test."""
    monkeypatch.setenv("INVGEN_LPIPS_WEIGHTS", str(lpips_weights_folder))
    return lpips_weights_folder
