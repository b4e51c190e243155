"""Fixtures for every test in the repository (core and in-repo plugins); the plugins' shared ones are in
``plugins/conftest.py``."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def private_invgen_home(tmp_path_factory, monkeypatch):
    """Keep caches written by tests (latent statistics, weights index) out of the user's home."""
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path_factory.getbasetemp() / "invgen-home"))


@pytest.fixture
def test_device() -> str:
    """The device of device-independent tests: ``INVGEN_TEST_DEVICE`` (default cpu), so the same tests guard
    the GPU paths on a machine with one (scripts/gpu_check.sh sets it to cuda)."""
    device = os.environ.get("INVGEN_TEST_DEVICE", "cpu")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            pytest.skip(f"INVGEN_TEST_DEVICE={device} but no CUDA GPU is available")
    return device
