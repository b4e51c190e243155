"""Tests use the shared offline LPIPS backbones beside the project (never a download)."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


@pytest.fixture
def lpips_examples():
    """The LPIPS authors' example images (ex_ref, ex_p0, ex_p1)."""
    return SHARED / "data" / "lpips-examples"


@pytest.fixture(autouse=True)
def offline_lpips_weights(monkeypatch):
    folder = SHARED / "weights" / "lpips"
    if not folder.is_dir():
        pytest.fail(f"{folder} is missing: the tests need the shared LPIPS backbone weights")
    monkeypatch.setenv("INVGEN_LPIPS_WEIGHTS", str(folder))
    return folder
