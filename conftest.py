"""Fixtures for every test in the repository (core and in-repo plugins)."""

import pytest


@pytest.fixture(autouse=True)
def private_invgen_home(tmp_path_factory, monkeypatch):
    """Keep caches written by tests (latent statistics, weights index) out of the user's home."""
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path_factory.getbasetemp() / "invgen-home"))
